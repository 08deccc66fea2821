"""The Python API ``count_videos`` with an injected job: aggregation, damage, options."""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import replay_jobs
from replay_jobs import PATTERNS

from signalbrain.errors import InputError
from signalbrain.replay import count_videos
from signalbrain.replay.checkpoint import CHECKPOINT_DIR

JOB = functools.partial(replay_jobs.brightness_job)


def _total(*names: str) -> int:
    return sum(replay_jobs.expected(PATTERNS[n])["total"] for n in names)


def test_summary_aggregates_videos(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    videos = make_videos()
    summary = count_videos(
        videos, camera_file, tmp_path / "out", workers=0, job=JOB, progress=False
    )
    assert summary.videos == 3
    assert summary.lines["L"]["total"] == _total("a.avi", "b.avi", "c.avi")
    assert summary.frames == sum(len(p) for p in PATTERNS.values())
    assert summary.seconds == pytest.approx(summary.frames / replay_jobs.FPS)
    assert summary.fps > 0
    doc = json.loads(summary.summary_json.read_text())
    assert doc["lines"] == summary.lines
    assert doc["movements"] == {
        "in->out": sum(replay_jobs.expected(p)["long"] for p in PATTERNS.values())
    }


def test_damaged_checkpoint_is_reported_then_recounted(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    videos = make_videos("a.avi", "b.avi")
    out = tmp_path / "out"
    count_videos(videos, camera_file, out, workers=0, job=JOB, progress=False)
    victim = sorted((out / CHECKPOINT_DIR).glob("*.json"))[0]
    doc = json.loads(victim.read_text())
    doc["record"]["bins"] = "garbage"
    victim.write_text(json.dumps(doc))
    summary = count_videos(videos, camera_file, out, workers=0, job=JOB, progress=False)
    assert len(summary.skipped) == 1
    assert "could not be read back" in summary.skipped[0].reason
    assert not victim.exists()
    summary = count_videos(videos, camera_file, out, workers=0, job=JOB, progress=False)
    assert not summary.skipped
    assert summary.lines["L"]["total"] == _total("a.avi", "b.avi")


def test_other_job_or_camera_never_reuses_checkpoints(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    videos = make_videos("a.avi")
    out = tmp_path / "out"
    first = count_videos(videos, camera_file, out, workers=0, job=JOB, progress=False)
    assert first.resumed == 0
    other = count_videos(
        videos,
        camera_file,
        out,
        workers=0,
        progress=False,
        job=functools.partial(replay_jobs.failing_job),
    )
    assert other.resumed == 0
    camera_file.write_text(camera_file.read_text() + "# edited\n")
    assert count_videos(videos, camera_file, out, workers=0, job=JOB, progress=False).resumed == 0
    assert count_videos(videos, camera_file, out, workers=0, job=JOB, progress=False).resumed == 1


def test_duplicates_and_notes_on_stderr(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    (video,) = make_videos("a.avi")
    stream = io.StringIO()
    summary = count_videos(
        [video, video, video.parent],
        camera_file,
        tmp_path / "out",
        workers=0,
        job=JOB,
        progress=stream,
    )
    assert summary.videos == 1
    assert summary.lines["L"]["total"] == _total("a.avi")
    assert "given twice; counted once" in stream.getvalue()


def test_bad_arguments(
    tmp_path: Path, camera_file: Path, make_videos: Callable[..., list[Path]]
) -> None:
    videos = make_videos("a.avi")
    with pytest.raises(InputError, match="no videos to count"):
        count_videos([tmp_path / "none.mp4"], camera_file, tmp_path / "out", job=JOB)
    with pytest.raises(InputError, match="workers = -1"):
        count_videos(videos, camera_file, tmp_path / "out", workers=-1, job=JOB)
    with pytest.raises(InputError, match="scheduler"):
        count_videos(videos, camera_file, tmp_path / "out", scheduler=42, job=JOB, progress=False)


@pytest.mark.parametrize("name", ["counts.csv", "summary.json"])
def test_output_file_name_taken_by_a_folder_is_bad_input_before_counting(
    name: str, tmp_path: Path, camera_file: Path, make_videos: Callable[..., list[Path]]
) -> None:
    """Was an internal error (IsADirectoryError) once every video had been counted."""
    (tmp_path / "out" / name).mkdir(parents=True)
    with pytest.raises(InputError, match=f"out/{name} is a folder"):
        count_videos(make_videos("a.avi"), camera_file, tmp_path / "out", job=JOB, progress=False)
    assert not list((tmp_path / "out" / ".checkpoints").glob("*.json"))


def test_corrupt_frames_are_reported(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    # the real counter: undecodable frames inside a file are skipped, and the run says so
    (video,) = make_videos("c.avi")
    data = bytearray(video.read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    for k in (5, 6, 12):
        data[starts[k] : starts[k] + 200] = b"\x00" * 200
    video.write_bytes(bytes(data))
    stream = io.StringIO()
    summary = count_videos([video], camera_file, tmp_path / "out", workers=0, progress=stream)
    assert not summary.skipped
    assert summary.corrupt_frames == 3
    text = stream.getvalue()
    assert "(3 corrupt frames skipped)" in text
    assert "3 corrupt frames skipped inside the videos" in text.splitlines()[-1]
    resumed = io.StringIO()
    again = count_videos([video], camera_file, tmp_path / "out", workers=0, progress=resumed)
    assert again.resumed == 1
    assert again.corrupt_frames == 3


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="Linux file names are bytes")
def test_file_name_that_is_not_utf8(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    # OpenCV's binding segfaults on such a name (the worker died, the video was never
    # counted) and counts.csv could not be written (UnicodeEncodeError, exit 1)
    (video,) = make_videos("a.avi")
    odd = video.with_name(os.fsdecode(b"caf\xe9 cam.avi"))
    video.rename(odd)
    summary = count_videos([odd], camera_file, tmp_path / "out", workers=1, progress=False)
    assert not summary.skipped
    assert summary.videos == 1
    assert summary.frames == len(PATTERNS["a.avi"])
    rows = summary.counts_csv.read_text(encoding="utf-8").splitlines()[1:]
    assert rows
    assert all(r.startswith(f"{odd.parent}/caf\\udce9 cam.avi,") for r in rows)


def test_queue_zones_only_are_noted(tmp_path: Path, make_videos: Callable[..., list[Path]]) -> None:
    # the outputs stayed empty without a word, exit 0
    videos = make_videos("a.avi")
    camera = tmp_path / "queue.yaml"
    camera.write_text(
        "camera: q\nzones:\n  - {id: z, kind: queue, polygon: [[0, 0], [20, 0], [20, 20]]}\n"
    )
    stream = io.StringIO()
    summary = count_videos(videos, camera, tmp_path / "out", workers=0, progress=stream)
    assert not summary.skipped
    assert "has queue zones only" in stream.getvalue()


def test_script_without_main_guard_is_told_to_add_one(tmp_path: Path, camera_file: Path) -> None:
    # The README's count_videos example saved as a script: worker processes start by importing
    # the script, which starts another batch in each of them and dies.
    (tmp_path / "bad.avi").write_bytes(b"junk")
    script = tmp_path / "count_script.py"
    script.write_text(
        "from signalbrain.replay import count_videos\n"
        f"count_videos([{str(tmp_path / 'bad.avi')!r}], {str(camera_file)!r}, "
        f"{str(tmp_path / 'out')!r}, workers=2, progress=False)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "worker processes die before they start a job" in last
    assert 'if __name__ == "__main__":' in last


def _live_grandchildren(pid: int) -> list[int]:
    """Processes (not zombies) whose parent is a child of ``pid`` (fork-server workers)."""
    stats: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (fields[0], int(fields[1]))
    children = {p for p, (_, ppid) in stats.items() if ppid == pid}
    return [p for p, (state, ppid) in stats.items() if ppid in children and state != "Z"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_interrupt_while_a_worker_starts_leaves_no_worker_behind(
    tmp_path: Path, make_videos: Callable[..., list[Path]], camera_file: Path
) -> None:
    # Ctrl-C while the pool waits for the fork server to fork its first worker: the worker was
    # forked anyway but never registered, so it outlived the clean-up (and printed a traceback
    # when it unpickled its start-up data after the coordinator had gone).
    (video,) = make_videos("a.avi")
    script = tmp_path / "interrupted.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from signalbrain.replay import count_videos\n"
        "from slow_import_jobs import slow_import_job\n"
        "if __name__ == '__main__':\n"
        "    print('start', flush=True)\n"
        "    try:\n"
        f"        count_videos([{str(video)!r}], {str(camera_file)!r}, {str(tmp_path / 'out')!r},"
        " workers=1, job=slow_import_job, progress=False)\n"
        "    except KeyboardInterrupt:\n"
        "        print('interrupted', flush=True)\n"
        "        time.sleep(8.0)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(1.0)  # the fork server is importing the job's module (3 s)
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline().strip() == "interrupted"
        time.sleep(4.0)  # the fork server has forked the worker by now
        left = _live_grandchildren(proc.pid)
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    assert left == []


class _ClosedPipe(io.StringIO):
    """stderr piped into ``head`` after it exited: every write fails."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_progress_stream_that_goes_away_does_not_stop_the_batch(
    tmp_path: Path, camera_file: Path, make_videos: Callable[..., list[Path]]
) -> None:
    """The first progress line raised BrokenPipeError out of the batch, which the command line
    turned into exit 0 with one video counted and no counts.csv or summary.json."""
    summary = count_videos(
        make_videos(), camera_file, tmp_path / "out", workers=0, job=JOB, progress=_ClosedPipe()
    )
    assert summary.videos == 3
    assert summary.lines["L"]["total"] == _total("a.avi", "b.avi", "c.avi")
    assert (tmp_path / "out" / "summary.json").is_file()
