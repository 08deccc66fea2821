"""``signalbrain count`` end to end with the real counter on tiny synthetic road videos."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from replay_jobs import TRAFFIC_CAMERA_YAML, write_traffic_video

from signalbrain.cli import main

CARS = {"one.avi": 3, "two.avi": 2, "three.avi": 1}
SUMMARY_KEYS = {"frames", "seconds", "fps", "lines", "movements", "skipped"}


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """Three videos with 3, 2 and 1 crossing cars, and their camera file."""
    root = tmp_path_factory.mktemp("traffic")
    videos = [
        write_traffic_video(root / name, n, seed=i) for i, (name, n) in enumerate(CARS.items())
    ]
    camera = root / "camera.yaml"
    camera.write_text(TRAFFIC_CAMERA_YAML)
    return videos, camera


def _count(*args: str | Path) -> int:
    """Exit code of ``signalbrain count ARGS`` (usage errors exit from argparse)."""
    try:
        return main(["count", *map(str, args)])
    except SystemExit as exc:
        return int(exc.code or 0)


def _summary(out: Path) -> dict[str, object]:
    doc = json.loads((out / "summary.json").read_text())
    assert set(doc) == SUMMARY_KEYS
    return doc


@pytest.mark.slow
def test_counts_and_resumes_without_double_counting(
    traffic: tuple[list[Path], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    videos, camera = traffic
    out = tmp_path / "out"
    assert _count(*videos, "--camera", camera, "--out", out, "--workers", "2") == 0
    doc = _summary(out)
    assert doc["lines"] == {"mid": {"total": 6, "positive": 2, "negative": 4}}
    assert doc["skipped"] == []
    assert doc["movements"] == {}
    assert isinstance(doc["fps"], float)
    assert doc["fps"] > 0
    with (out / "counts.csv").open() as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["video", "camera", "t_start_s", "t_end_s", "kind", "id", "vehicles"]
    by_video: dict[str, int] = {}
    for video, cam, _, _, kind, lid, n in rows[1:]:
        assert (cam, kind, lid) == ("cam-e2e", "line", "mid")
        by_video[Path(video).name] = by_video.get(Path(video).name, 0) + int(n)
    assert by_video == CARS
    first_csv = (out / "counts.csv").read_text()
    assert len(list((out / ".checkpoints").glob("*.json"))) == 3
    err = capsys.readouterr().err
    assert "3 to count on 2 local worker processes" in err

    assert _count(*videos, "--camera", camera, "--out", out) == 0  # resume: nothing to do
    assert "3 done before" in capsys.readouterr().err
    assert (out / "counts.csv").read_text() == first_csv
    assert _summary(out) == doc


@pytest.mark.slow
def test_skipped_inputs_give_exit_3(traffic: tuple[list[Path], Path], tmp_path: Path) -> None:
    videos, camera = traffic
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(4096))
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(videos[0].read_bytes()[:3000])
    out = tmp_path / "out"
    code = _count(
        videos[2],
        junk,
        truncated,
        tmp_path / "absent.mp4",
        "--camera",
        camera,
        "--out",
        out,
        "--workers",
        "1",
    )
    assert code == 3
    doc = _summary(out)
    skipped = {Path(s["video"]).name: s["reason"] for s in doc["skipped"]}  # type: ignore[attr-defined]
    assert set(skipped) == {"junk.mp4", "truncated.avi", "absent.mp4"}
    assert skipped["absent.mp4"] == "file not found"
    assert skipped["junk.mp4"].startswith("cannot open as a video")
    assert doc["lines"] == {"mid": {"total": 1, "positive": 0, "negative": 1}}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--camera", "{tmp}/nope.yaml"], "file not found"),
        (["--camera", "{tmp}/bad.yaml"], "interval_s"),
        (["--camera", "{camera}", "--out", "{tmp}/file"], "not a directory"),
        (["--camera", "{camera}", "--workers", "0"], "expected a whole number >= 1"),
        (["--camera", "{camera}", "--scheduler", "tcp://127.0.0.1:1"], "cannot connect"),
        (["--camera", "{camera}", "--model", "{tmp}/absent.onnx"], "--model"),
        (["--camera", "{camera}", "--video-timeout", "0"], "expected seconds > 0"),
        (["--camera", "{camera}", "--out", ""], "--out: empty"),
        (["--camera", "", "--out", "{tmp}/out"], "--camera: empty"),
        (["--camera", "{camera}", "--model", ""], "--model: empty"),
        (["--camera", "{tmp}/exit.yaml"], "zones: has exit zones but no entry zone"),
    ],
    ids=[
        "camera-missing",
        "camera-invalid",
        "out-is-file",
        "workers-0",
        "scheduler-down",
        "model-missing",
        "timeout-0",
        "out-empty",  # wrote into the working directory
        "camera-empty",
        "model-empty",  # was the working directory, "file not found"
        "exit-zones-only",  # counted nothing, exit 0
    ],
)
def test_bad_input_gives_exit_2(
    traffic: tuple[list[Path], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    videos, camera = traffic
    (tmp_path / "bad.yaml").write_text("camera: x\ninterval_s: -5\nlines: []\n")
    (tmp_path / "file").write_text("")
    (tmp_path / "exit.yaml").write_text(
        "camera: x\nzones:\n  - {id: o, kind: exit, polygon: [[0, 0], [9, 0], [9, 9]]}\n"
    )
    args = [a.format(tmp=tmp_path, camera=camera) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    assert _count(videos[0], *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_no_videos_is_bad_input(
    traffic: tuple[list[Path], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, camera = traffic
    assert (
        _count(
            tmp_path / "a.mp4", tmp_path / "b.mp4", "--camera", camera, "--out", tmp_path / "out"
        )
        == 2
    )
    assert "no videos to count" in capsys.readouterr().err
    assert _count("--camera", str(camera), "--out", str(tmp_path / "out")) == 2


@pytest.mark.slow
def test_camera_or_video_change_recounts_only_what_changed(
    traffic: tuple[list[Path], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    videos, camera = traffic
    local = [tmp_path / v.name for v in videos[1:]]
    for src, dst in zip(videos[1:], local, strict=True):
        dst.write_bytes(src.read_bytes())
    out = tmp_path / "out"
    assert _count(*local, "--camera", camera, "--out", out, "--workers", "1") == 0
    capsys.readouterr()
    write_traffic_video(local[1], 3, seed=9)  # re-recorded under the same name
    assert _count(*local, "--camera", camera, "--out", out, "--workers", "1") == 0
    assert "1 done before" in capsys.readouterr().err
    assert _summary(out)["lines"] == {"mid": {"total": 5, "positive": 2, "negative": 3}}
    camera2 = tmp_path / "camera2.yaml"
    camera2.write_text(TRAFFIC_CAMERA_YAML.replace("interval_s: 2", "interval_s: 4"))
    assert _count(*local, "--camera", camera2, "--out", out, "--workers", "1") == 0
    assert "2 to count" in capsys.readouterr().err
    rows = (out / "counts.csv").read_text().splitlines()[1:]
    assert rows
    assert all(float(r.split(",")[2]) % 4 == 0 for r in rows)  # bins of the new camera


def _wait_for_a_checkpoint(proc: subprocess.Popen[str], out: Path) -> None:
    """Until the running ``count`` has finished a video (or stopped, or a minute passed)."""
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline
        and proc.poll() is None
        and not list((out / ".checkpoints").glob("*.json"))
    ):
        time.sleep(0.01)


@pytest.mark.slow
def test_ctrl_c_keeps_checkpoints_and_rerun_resumes(
    traffic: tuple[list[Path], Path], tmp_path: Path
) -> None:
    _, camera = traffic
    # long enough (about 1 s of counting each) that the interrupt lands while videos remain:
    # the counter outran a 280-frame version before the first checkpoint was seen
    videos = [
        write_traffic_video(tmp_path / f"long{i}.avi", 4, empty_frames=2500, seed=i)
        for i in range(4)
    ]
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "signalbrain.cli",
        "count",
        *map(str, videos),
        "--camera",
        str(camera),
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    # Ctrl-C as in a terminal: a runner that starts the suite in the background (``cmd &`` in a
    # script) passes SIGINT on ignored, and Python then never raises KeyboardInterrupt
    proc = subprocess.Popen(
        cmd,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_for_a_checkpoint(proc, out)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    done = len(list((out / ".checkpoints").glob("*.json")))
    assert 1 <= done < 4
    assert not (out / "summary.json").exists()
    again = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert f"{done} done before" in again.stderr
    assert _summary(out)["lines"] == {"mid": {"total": 16, "positive": 8, "negative": 8}}


def _session_alive(sid: int) -> list[str]:
    """Processes of session ``sid`` still running (zombies left out)."""
    out = subprocess.run(
        ["ps", "-eo", "pid,sid,stat"], capture_output=True, text=True, check=False
    ).stdout
    return [
        line
        for line in out.splitlines()[1:]
        if line.split()[1] == str(sid) and not line.split()[2].startswith("Z")
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "message"),
    [(signal.SIGTERM, 128 + signal.SIGTERM, "terminated"), (signal.SIGKILL, -signal.SIGKILL, "")],
)
def test_terminate_or_kill_leaves_no_workers_and_rerun_resumes(
    traffic: tuple[list[Path], Path], tmp_path: Path, sig: int, code: int, message: str
) -> None:
    """``kill`` (a scheduler, ``timeout``) ends a run like Ctrl-C; even ``kill -9`` of the
    coordinator leaves no worker behind (they watch it), and the same command resumes."""
    _, camera = traffic
    videos = [
        write_traffic_video(tmp_path / f"long{i}.avi", 4, empty_frames=2500, seed=i)
        for i in range(4)
    ]
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "signalbrain.cli", "count", *map(str, videos)]
    cmd += ["--camera", str(camera), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for_a_checkpoint(proc, out)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert message in err
    deadline = time.monotonic() + 15
    while _session_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session_alive(proc.pid) == []
    again = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert _summary(out)["lines"] == {"mid": {"total": 16, "positive": 8, "negative": 8}}


@pytest.mark.slow
def test_synthetic_intersection_lines_and_movements(tmp_path: Path) -> None:
    synth = pytest.importorskip("signalbrain.vision.synth")
    from signalbrain.vision import count_video

    clip = synth.render_clip(
        tmp_path / "north.avi",
        seed=2,
        config=synth.SynthConfig(traffic=synth.TrafficConfig(duration_s=8.0, arrivals_vph=900.0)),
    )
    copy = tmp_path / "south.avi"  # a second recording with the same traffic
    copy.write_bytes(clip.video.read_bytes())
    out = tmp_path / "out"
    assert (
        _count(clip.video, copy, "--camera", clip.camera_file, "--out", out, "--workers", "2") == 0
    )
    direct = count_video(clip.video, clip.camera)
    doc = _summary(out)
    assert doc["lines"] == {k: {d: 2 * n for d, n in v.items()} for k, v in direct.lines.items()}
    assert doc["movements"] == {k: 2 * n for k, n in direct.movements.items()}
    assert sum(doc["movements"].values()) > 0  # type: ignore[union-attr]
    with (out / "counts.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert {r["kind"] for r in rows} == {"line", "movement"}
    for kind in ("line", "movement"):
        per_video = {
            Path(v).name: sum(
                int(r["vehicles"]) for r in rows if r["kind"] == kind and r["video"] == v
            )
            for v in (str(clip.video), str(copy))
        }
        expected = (
            sum(direct.lines[k]["total"] for k in direct.lines)
            if kind == "line"
            else (sum(direct.movements.values()))
        )
        assert per_video == {"north.avi": expected, "south.avi": expected}


def test_camera_outside_a_videos_frame_skips_that_video(
    traffic: tuple[list[Path], Path], tmp_path: Path
) -> None:
    videos, _ = traffic
    wide = tmp_path / "wide.yaml"  # drawn for a 640 px wide camera
    wide.write_text(TRAFFIC_CAMERA_YAML.replace("[[80, 10], [80, 110]]", "[[500, 10], [500, 110]]"))
    out = tmp_path / "out"
    assert _count(videos[2], "--camera", wide, "--out", out, "--workers", "1") == 3
    (skip,) = _summary(out)["skipped"]  # type: ignore[misc]
    assert "outside the 160x120 frame" in skip["reason"]


def test_camera_for_another_resolution_is_named_briefly(
    traffic: tuple[list[Path], Path], tmp_path: Path
) -> None:
    # every point outside the frame was listed, in summary.json and on stderr for each video
    videos, camera = traffic
    big = tmp_path / "big.yaml"  # the same camera file at twenty times the resolution
    doc = yaml.safe_load(camera.read_text())
    for item in doc.get("lines", []):
        item["points"] = [[20 * x, 20 * y] for x, y in item["points"]]
    for item in doc.get("zones", []):
        item["polygon"] = [[20 * x, 20 * y] for x, y in item["polygon"]]
    doc["zones"] = [
        {"id": f"q{i}", "kind": "queue", "polygon": [[3000, 2000], [3100, 2000], [3100, 2100]]}
        for i in range(4)
    ]
    big.write_text(yaml.safe_dump(doc))
    out = tmp_path / "out"
    assert _count(videos[2], "--camera", big, "--out", out, "--workers", "1") == 3
    (skip,) = _summary(out)["skipped"]  # type: ignore[misc]
    lines = skip["reason"].splitlines()
    assert len(lines) == 6  # "5 problems:" and five of them
    assert "more points outside the 160x120 frame of video" in lines[-1]
    assert "another camera or resolution" in lines[-1]
