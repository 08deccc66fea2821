"""The batch engine with real jobs: backends, failures, crash isolation, resume, interrupts."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path

import pytest
import replay_jobs
from replay_jobs import PATTERNS

from signalbrain.replay.checkpoint import CheckpointStore
from signalbrain.replay.engine import run_tasks
from signalbrain.replay.inputs import collect_videos
from signalbrain.replay.outputs import parse_counts
from signalbrain.replay.progress import ProgressReporter


def _calls(log_dir: Path) -> list[str]:
    return sorted(p.name.rsplit(".", 1)[0] for p in log_dir.iterdir())


@pytest.mark.parametrize("workers", [0, 2])
def test_counts_every_video_once_and_checkpoints(
    tmp_path: Path, make_videos: Callable[..., list[Path]], workers: int
) -> None:
    videos = make_videos()
    log = tmp_path / "log"
    log.mkdir()
    job = functools.partial(replay_jobs.brightness_job, log_dir=str(log))
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos(videos, "s").tasks
    out = run_tasks(tasks, job, store, workers=workers)
    assert [o.status for o in out] == ["done"] * 3
    for o, video in zip(out, videos, strict=True):
        assert o.record is not None
        truth = replay_jobs.expected(PATTERNS[video.name])
        assert parse_counts(o.record).lines["L"]["total"] == truth["total"]
        assert store.load(o.task.key) is not None
    again = run_tasks(tasks, job, store, workers=workers)
    assert [o.status for o in again] == ["resumed"] * 3
    assert [o.record for o in again] == [o.record for o in out]
    assert _calls(log) == ["a.avi", "b.avi", "c.avi"]  # nothing redone


def test_unreadable_video_is_skipped_and_remembered(
    tmp_path: Path, make_videos: Callable[..., list[Path]]
) -> None:
    (good,) = make_videos("a.avi")
    junk = tmp_path / "videos" / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    log = tmp_path / "log"
    log.mkdir()
    job = functools.partial(replay_jobs.brightness_job, log_dir=str(log))
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos([good, junk], "s").tasks
    out = run_tasks(tasks, job, store, workers=0)
    assert [o.status for o in out] == ["done", "skipped"]
    assert "not a readable video" in (out[1].reason or "")
    again = run_tasks(tasks, job, store, workers=0)
    assert [o.status for o in again] == ["resumed", "skipped"]
    assert _calls(log) == ["a.avi", "junk.mp4"]  # the unchanged bad file is not retried


def test_a_video_this_user_cannot_read_is_not_remembered_as_bad(
    tmp_path: Path, make_videos: Callable[..., list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file without read permission was skipped and remembered as not a video: after a
    chmod (which changes neither its size nor its mtime, so not its checkpoint key) every
    rerun still skipped it. (Simulated: the tests may run as root, who reads anything.)"""
    import os

    (video,) = make_videos("a.avi")
    log = tmp_path / "log"
    log.mkdir()
    job = functools.partial(replay_jobs.brightness_job, log_dir=str(log))
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos([video], "s").tasks
    real_access = os.access

    def no_access(path: object, mode: int, **kwargs: object) -> bool:
        return False if str(path) == tasks[0].path else real_access(path, mode)  # type: ignore[arg-type]

    def refusing_job(path: str, progress: object, **kwargs: object) -> dict[str, object]:
        from signalbrain.vision import VideoError

        raise VideoError("cannot open as a video", path)

    monkeypatch.setattr("signalbrain.replay.engine.os.access", no_access)
    out = run_tasks(tasks, refusing_job, store, workers=0)
    assert out[0].status == "skipped"
    assert "tried again on the next run" in (out[0].reason or "")
    assert store.status(tasks[0].key) is None
    monkeypatch.setattr("signalbrain.replay.engine.os.access", real_access)
    again = run_tasks(tasks, job, store, workers=0)  # permission mended
    assert [o.status for o in again] == ["done"]


def test_bug_in_job_skips_that_video_only_and_is_retried(
    tmp_path: Path, make_videos: Callable[..., list[Path]]
) -> None:
    videos = make_videos("a.avi", "boom.avi", "b.avi")
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos(videos, "s").tasks
    out = run_tasks(tasks, replay_jobs.failing_job, store, workers=0)
    assert [o.status for o in out] == ["done", "skipped", "done"]
    assert "RuntimeError: simulated bug" in (out[1].reason or "")
    assert store.load(tasks[1].key) is None  # not remembered: a rerun tries again
    rerun = run_tasks(tasks, replay_jobs.brightness_job, store, workers=0)
    assert [o.status for o in rerun] == ["resumed", "done", "resumed"]


@pytest.mark.slow
def test_worker_crash_loses_no_other_video(
    tmp_path: Path, make_videos: Callable[..., list[Path]]
) -> None:
    videos = make_videos("a.avi", "crash.avi", "b.avi", "c.avi")
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos(videos, "s").tasks
    out = run_tasks(tasks, replay_jobs.crashing_job, store, workers=2)
    assert [o.status for o in out] == ["done", "skipped", "done", "done"]
    assert "worker process died" in (out[1].reason or "")
    assert store.load(tasks[1].key) is None
    for o in (out[0], out[2], out[3]):
        assert o.record is not None
        name = Path(o.task.path).name
        assert (
            parse_counts(o.record).lines["L"]["total"]
            == replay_jobs.expected(PATTERNS[name])["total"]
        )


def test_malformed_result_is_not_checkpointed(
    tmp_path: Path, make_videos: Callable[..., list[Path]]
) -> None:
    (video,) = make_videos("a.avi")
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos([video], "s").tasks
    out = run_tasks(tasks, replay_jobs.malformed_job, store, workers=0, parse_record=parse_counts)
    assert out[0].status == "skipped"
    assert "malformed result" in (out[0].reason or "")
    assert store.load(tasks[0].key) is None
    store.save_done(tasks[0], {"frames": 1})  # e.g. an older layout: redone, not trusted
    out = run_tasks(tasks, replay_jobs.brightness_job, store, workers=0, parse_record=parse_counts)
    assert out[0].status == "done"
    assert out[0].value == parse_counts(out[0].record or {})


def test_interrupt_keeps_finished_checkpoints(
    tmp_path: Path, make_videos: Callable[..., list[Path]]
) -> None:
    videos = make_videos("a.avi", "b.avi", "stop.avi", "c.avi")
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos(videos, "s").tasks
    with pytest.raises(KeyboardInterrupt):
        run_tasks(tasks, replay_jobs.interrupting_job, store, workers=0)
    assert [store.load(t.key) is not None for t in tasks] == [True, True, False, False]
    out = run_tasks(tasks, replay_jobs.brightness_job, store, workers=0)
    assert [o.status for o in out] == ["resumed", "resumed", "done", "done"]


def test_progress_lines(tmp_path: Path, make_videos: Callable[..., list[Path]]) -> None:
    videos = make_videos()
    stream = io.StringIO()
    reporter = ProgressReporter(stream=stream, interval_s=0.0)
    job = functools.partial(replay_jobs.brightness_job)
    run_tasks(
        collect_videos(videos, "s").tasks,
        job,
        CheckpointStore(tmp_path / "o"),
        workers=0,
        reporter=reporter,
    )
    text = stream.getvalue()
    assert "3 to count on this process" in text
    assert "[3/3] done" in text
    assert "videos/c.avi" in text
    assert "frames" in text
    assert "overall" in text
    assert "\r" not in text  # not a terminal: plain lines


def test_without_records_resume_reads_no_checkpoint(
    tmp_path: Path, make_videos: Callable[..., list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    videos = make_videos()
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos(videos, "s").tasks
    out = run_tasks(
        tasks,
        replay_jobs.brightness_job,
        store,
        workers=0,
        keep_records=False,
        parse_record=parse_counts,
    )
    assert [(o.status, o.record, o.value) for o in out] == [("done", None, None)] * 3

    def no_reading(key: str) -> None:
        raise AssertionError("a finished checkpoint was read")

    monkeypatch.setattr(store, "load", no_reading)
    again = run_tasks(tasks, replay_jobs.brightness_job, store, workers=0, keep_records=False)
    assert [o.status for o in again] == ["resumed"] * 3


@pytest.mark.slow
def test_video_over_time_limit_is_stopped_and_others_finish(
    tmp_path: Path, make_videos: Callable[..., list[Path]]
) -> None:
    videos = make_videos("a.avi", "hang.avi", "b.avi", "c.avi")
    store = CheckpointStore(tmp_path / "out")
    tasks = collect_videos(videos, "s").tasks
    out = run_tasks(tasks, replay_jobs.hanging_job, store, workers=2, video_timeout_s=1.0)
    assert [o.status for o in out] == ["done", "skipped", "done", "done"]
    assert "1 s limit per video" in (out[1].reason or "")
    assert store.status(tasks[1].key) is None  # retried next time
