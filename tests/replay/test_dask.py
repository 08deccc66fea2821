"""``--scheduler``: the same batch on a Dask distributed cluster started by the test."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import replay_jobs
from replay_jobs import PATTERNS, TRAFFIC_CAMERA_YAML, write_traffic_video

from signalbrain.errors import InputError
from signalbrain.replay import count_videos
from signalbrain.replay.checkpoint import CheckpointStore
from signalbrain.replay.engine import run_tasks
from signalbrain.replay.inputs import collect_videos
from signalbrain.replay.progress import ProgressReporter

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Address of a small in-process cluster (one worker, two threads)."""
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_cluster_counts_like_local_processes(scheduler: str, tmp_path: Path) -> None:
    videos = [write_traffic_video(tmp_path / f"v{i}.avi", n, seed=i) for i, n in enumerate((3, 2))]
    camera = tmp_path / "camera.yaml"
    camera.write_text(TRAFFIC_CAMERA_YAML)
    on_cluster = count_videos(
        videos, camera, tmp_path / "dask", scheduler=scheduler, progress=False
    )
    local = count_videos(videos, camera, tmp_path / "local", workers=0, progress=False)
    assert on_cluster.lines == local.lines == {"mid": {"total": 5, "positive": 2, "negative": 3}}
    assert on_cluster.frames == local.frames
    assert (tmp_path / "dask" / "counts.csv").read_text() == (
        tmp_path / "local" / "counts.csv"
    ).read_text()
    again = count_videos(videos, camera, tmp_path / "dask", scheduler=scheduler, progress=False)
    assert again.resumed == 2
    assert again.lines == on_cluster.lines


def test_cluster_failures_skip_only_their_video(
    scheduler: str, tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    videos = make_videos("a.avi", "boom.avi", "b.avi")
    junk = tmp_path / "videos" / "junk.avi"
    junk.write_bytes(b"RIFF" + bytes(200))
    summary = count_videos(
        [*videos, junk],
        camera_file,
        tmp_path / "out",
        scheduler=scheduler,
        job=functools.partial(replay_jobs.failing_job),
        progress=False,
    )
    reasons = {Path(s.video).name: s.reason for s in summary.skipped}
    assert set(reasons) == {"boom.avi", "junk.avi"}
    assert "simulated bug" in reasons["boom.avi"]
    expected = sum(replay_jobs.expected(PATTERNS[n])["total"] for n in ("a.avi", "b.avi"))
    assert summary.lines["L"]["total"] == expected
    doc = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(doc["skipped"]) == 2


def test_cluster_workers_report_progress(
    scheduler: str, tmp_path: Path, make_videos: Callable[..., list[Path]]
) -> None:
    videos = make_videos("a.avi", "b.avi")
    stream = io.StringIO()
    job = functools.partial(replay_jobs.brightness_job, delay_s=0.05)
    out = run_tasks(
        collect_videos(videos, "s").tasks,
        job,
        CheckpointStore(tmp_path / "out"),
        scheduler=scheduler,
        reporter=ProgressReporter(stream=stream, interval_s=0.0),
    )
    assert [o.status for o in out] == ["done", "done"]
    text = stream.getvalue()
    for video in videos:
        assert f"  {video}: 5 frames" in text  # the first progress event of each video
        assert f"done {video}" in text


@pytest.mark.slow
def test_worker_process_crash_on_cluster_skips_only_that_video(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    dask = pytest.importorskip("dask")
    videos = make_videos("a.avi", "crash.avi", "b.avi")
    # no retries by Dask: every video queued on the dying worker fails with KilledWorker, and
    # the engine's own one-at-a-time rerun must tell the crasher from the innocent
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
    ):
        summary = count_videos(
            videos,
            camera_file,
            tmp_path / "out",
            scheduler=cluster.scheduler_address,
            job=functools.partial(replay_jobs.crashing_job),
            progress=False,
        )
    assert [Path(s.video).name for s in summary.skipped] == ["crash.avi"]
    assert "KilledWorker" in summary.skipped[0].reason
    assert summary.videos == 2


@pytest.fixture
def not_dask() -> Iterator[str]:
    """Address of a TCP server that is no Dask scheduler: it answers like a web server (a
    dashboard port given by mistake) and hangs up."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_scheduler_that_is_not_dask_is_bad_input_at_once(
    not_dask: str, tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    """A Dask client given another server (a dashboard port by mistake) failed with an
    internal error: a MemoryError for a length read from the HTTP reply."""
    start = time.perf_counter()
    with pytest.raises(InputError, match="no Dask scheduler answers there"):
        count_videos(
            make_videos("a.avi"),
            camera_file,
            tmp_path / "out",
            scheduler=not_dask,
            job=functools.partial(replay_jobs.brightness_job),
            progress=False,
        )
    assert time.perf_counter() - start < 10


def test_unknown_scheme_fails_at_once_without_traceback(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    """``--scheduler http://...``: the message was right, but the half-made client then took
    30 s to close and printed its traceback on the way out."""
    cmd = [sys.executable, "-m", "signalbrain.cli", "count", str(make_videos("a.avi")[0])]
    cmd += ["--camera", str(camera_file), "--out", str(tmp_path / "out")]
    start = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "--scheduler", "http://127.0.0.1:8786"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "unknown address scheme 'http'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.perf_counter() - start < 20


def test_tls_without_configuration_is_bad_input_at_once(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    """Was an internal error (TypeError from the TLS transport), then 30 s in the half-made
    client's clean-up."""
    start = time.perf_counter()
    with pytest.raises(InputError, match="ssl_context"):
        count_videos(
            make_videos("a.avi"),
            camera_file,
            tmp_path / "out",
            scheduler="tls://127.0.0.1:1",
            job=functools.partial(replay_jobs.brightness_job),
            progress=False,
        )
    assert time.perf_counter() - start < 10
