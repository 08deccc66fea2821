"""Batch replay at city scale: resume and rebuild cost per video, and engine overhead.

``test_resume`` times a rerun of a finished batch of N videos (Hangzhou-scale is ~4,500 feeds):
every video is stat'ed, keyed, its checkpoint read and validated, and ``counts.csv`` and
``summary.json`` are rebuilt. Each checkpoint holds an hour of counts in 60 s bins on two lines
and twelve movements (840 rows), the size a real hour-long recording produces.

``test_engine_overhead`` counts the same small synthetic videos with the real counter directly
(a plain loop over ``count_video``) and through ``count_videos`` in this process, one worker
process and two, so the cost of processes, progress and checkpoints is visible per video.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from signalbrain.io.camera import parse_camera
from signalbrain.replay import count_videos
from signalbrain.vision import CountRow, VideoCounts, count_video

CAMERA_YAML = """\
camera: bench
interval_s: 60
lines:
  - id: mid
    points: [[80, 10], [80, 110]]
"""


def hour_of_counts(path: str, progress: Any) -> dict[str, Any]:
    """A realistic per-video record without decoding: one hour, 60 s bins, 2 lines, 12 moves."""
    ids = [("line", "north"), ("line", "south")] + [
        ("movement", f"{a}->{b}") for a in "NESW" for b in "NESW" if a != b
    ]
    bins = tuple(
        CountRow(60.0 * k, 60.0 * (k + 1), kind, i, (k * 7 + len(i)) % 13)
        for k in range(60)
        for kind, i in ids
    )
    return VideoCounts(
        video=path,
        camera="bench",
        frames=90_000,
        corrupt_frames=0,
        seconds=3600.0,
        processing_s=600.0,
        bins=bins,
        lines={
            "north": {"total": 400, "positive": 390, "negative": 10},
            "south": {"total": 380, "positive": 5, "negative": 375},
        },
        movements={i: 50 for kind, i in ids if kind == "movement"},
    ).to_dict()


@pytest.mark.parametrize("videos", [100, 1000, 4500])
def test_resume(benchmark: Any, tmp_path: Path, videos: int) -> None:
    camera = tmp_path / "camera.yaml"
    camera.write_text(CAMERA_YAML)
    paths = []
    for i in range(videos):
        path = tmp_path / "videos" / f"cam{i:05d}.mp4"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"")
        paths.append(path)
    out = tmp_path / "out"
    count_videos(paths, camera, out, workers=0, job=hour_of_counts, progress=False)

    summary = benchmark.pedantic(
        count_videos,
        args=(paths, camera, out),
        kwargs={"workers": 0, "job": hour_of_counts, "progress": False},
        rounds=1 if videos >= 1000 else 3,
    )
    assert summary.resumed == videos
    assert summary.lines["north"]["total"] == 400 * videos
    with (out / "counts.csv").open() as stream:
        assert sum(1 for _ in stream) - 1 == 840 * videos
    benchmark.extra_info["per_video_ms"] = 1000 * benchmark.stats.stats.median / videos


def _traffic(path: Path, cars: int) -> Path:
    w, h = 320, 240
    rng = np.random.default_rng(cars)
    background = np.full((h, w, 3), 90, np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (w, h))
    for car in range(cars):
        for x in range(-40, w + 10, 6):
            frame = background.copy()
            x0 = x if car % 2 == 0 else w - x - 40
            cv2.rectangle(frame, (x0, 100), (x0 + 40, 124), (40, 40, 200), -1)
            noise = rng.integers(-3, 4, frame.shape)
            writer.write(np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("batch")
    videos = [_traffic(root / f"v{i}.avi", 4) for i in range(6)]
    camera = root / "camera.yaml"
    camera.write_text(CAMERA_YAML.replace("[80, 10], [80, 110]", "[160, 10], [160, 230]"))
    return videos, camera


def _direct(videos: list[Path], camera: Path) -> int:
    spec = parse_camera(
        {
            "camera": "bench",
            "interval_s": 60,
            "lines": [{"id": "mid", "points": [[160, 10], [160, 230]]}],
        }
    )
    return sum(count_video(v, spec).frames for v in videos)


def _batch(videos: list[Path], camera: Path, out: Path, workers: int) -> int:
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    return count_videos(videos, camera, out, workers=workers, progress=False).frames


@pytest.mark.parametrize("mode", ["direct", "workers=0", "workers=1", "workers=2"])
def test_engine_overhead(
    benchmark: Any, small_batch: tuple[list[Path], Path], tmp_path: Path, mode: str
) -> None:
    videos, camera = small_batch
    if mode == "direct":
        run = functools.partial(_direct, videos, camera)
    else:
        run = functools.partial(_batch, videos, camera, tmp_path / "out", int(mode[-1]))
    frames = benchmark.pedantic(run, rounds=3)
    assert frames > 0
    benchmark.extra_info["fps"] = frames / benchmark.stats.stats.median
    assert math.isfinite(benchmark.extra_info["fps"])
