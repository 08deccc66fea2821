"""Small real per-video jobs and video factories for the replay tests.

Lives on ``sys.path`` (see ``conftest.py``) under a plain module name so worker processes can
unpickle the jobs. The counting job is real, only simpler than the vision counter: a "vehicle"
is a run of bright frames (mean grey level > 128), counted on line ``L`` when the run starts,
binned by ``interval_s`` of video time; a run that starts at an odd frame index is a crossing in
the negative direction. A movement ``in->out`` counts runs longer than two frames.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from signalbrain.errors import InputError
from signalbrain.vision.counts import CountRow, VideoCounts

FPS = 10.0
SIZE = (32, 24)

PATTERNS: dict[str, list[int]] = {
    "a.avi": [0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0],
    "b.avi": [1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0],
    "c.avi": [0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1],
}
"""Bright (1) / dark (0) frame patterns of the named test videos."""


def write_video(path: Path, pattern: Sequence[int], *, fps: float = FPS) -> Path:
    """Write an MJPG AVI whose frame ``i`` is bright when ``pattern[i]`` is 1, dark when 0."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, SIZE)
    if not writer.isOpened():
        raise RuntimeError("cv2.VideoWriter cannot write MJPG here")
    for bright in pattern:
        writer.write(np.full((SIZE[1], SIZE[0], 3), 220 if bright else 20, np.uint8))
    writer.release()
    return path


def expected(pattern: Sequence[int]) -> dict[str, int]:
    """Ground truth of :func:`brightness_job` for a pattern."""
    runs: list[tuple[int, int]] = []
    for i, bright in enumerate(pattern):
        if bright and (i == 0 or not pattern[i - 1]):
            runs.append((i, 0))
        if bright:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
    neg = sum(start % 2 for start, _ in runs)
    return {
        "total": len(runs),
        "positive": len(runs) - neg,
        "negative": neg,
        "long": sum(n > 2 for _, n in runs),
    }


def _log(log_dir: str | None, path: str) -> None:
    if log_dir:
        Path(log_dir, f"{Path(path).name}.{uuid.uuid4().hex}").write_text(path)


def brightness_job(
    path: str,
    progress: Any,
    *,
    interval_s: float = 1.0,
    log_dir: str | None = None,
    delay_s: float = 0.0,
) -> dict[str, Any]:
    """Count bright runs; ``log_dir`` records each call, ``delay_s`` slows each frame."""
    _log(log_dir, path)
    start = time.perf_counter()
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise InputError(f"{path}: not a readable video")
    levels: list[float] = []
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            levels.append(float(frame.mean()))
            if delay_s:
                time.sleep(delay_s)
            if progress is not None and len(levels) % 5 == 0:
                progress(len(levels), None)
    finally:
        cap.release()
    if not levels:
        raise InputError(f"{path}: no frame could be decoded")
    pattern = [int(v > 128) for v in levels]
    truth = expected(pattern)
    bins: list[CountRow] = []
    n_bins = int(np.ceil(len(pattern) / FPS / interval_s))
    starts = [i for i, b in enumerate(pattern) if b and (i == 0 or not pattern[i - 1])]
    for k in range(n_bins):
        lo, hi = k * interval_s, (k + 1) * interval_s
        n = sum(lo <= i / FPS < hi for i in starts)
        bins.append(CountRow(lo, hi, "line", "L", n))
        bins.append(CountRow(lo, hi, "movement", "in->out", 0))
    counts = VideoCounts(
        video=path,
        camera="cam-test",
        frames=len(pattern),
        corrupt_frames=0,
        seconds=len(pattern) / FPS,
        processing_s=time.perf_counter() - start,
        bins=tuple(bins),
        lines={"L": {k: truth[k] for k in ("total", "positive", "negative")}},
        movements={"in->out": truth["long"]},
    )
    return counts.to_dict()


def crashing_job(path: str, progress: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`brightness_job`, but the worker process dies on files named ``crash*``."""
    if Path(path).name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    return brightness_job(path, progress, **kwargs)


def failing_job(path: str, progress: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`brightness_job`, but a bug (RuntimeError) on files named ``boom*``."""
    if Path(path).name.startswith("boom"):
        raise RuntimeError("simulated bug")
    return brightness_job(path, progress, **kwargs)


def interrupting_job(path: str, progress: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`brightness_job`, but Ctrl-C arrives while processing files named ``stop*``."""
    if Path(path).name.startswith("stop"):
        raise KeyboardInterrupt
    return brightness_job(path, progress, **kwargs)


def hanging_job(path: str, progress: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`brightness_job`, but it never finishes files named ``hang*``."""
    if Path(path).name.startswith("hang"):
        time.sleep(3600)
    return brightness_job(path, progress, **kwargs)


def malformed_job(path: str, progress: Any) -> dict[str, Any]:
    """A job returning a record that is not ``VideoCounts.to_dict()``."""
    return {"frames": 3}


def write_traffic_video(
    path: Path,
    cars: int,
    *,
    size: tuple[int, int] = (160, 120),
    fps: float = 25.0,
    empty_frames: int = 40,
    seed: int = 0,
) -> Path:
    """A tiny road scene for the real counter: ``cars`` boxes cross the frame one after another
    (even ones left to right, odd ones right to left) over a still, noisy background."""
    w, h = size
    rng = np.random.default_rng(seed)
    background = np.full((h, w, 3), 90, np.uint8)
    background[h // 2 - 5 : h // 2 + 5, :] = 120
    frames = [background] * empty_frames
    for car in range(cars):
        for x in range(-30, w + 10, 4):
            frame = background.copy()
            x0 = x if car % 2 == 0 else w - x - 24
            colour = (30, 30, 200) if car % 2 == 0 else (200, 200, 30)
            cv2.rectangle(frame, (x0, h // 2 - 10), (x0 + 24, h // 2 + 4), colour, -1)
            frames.append(frame)
        frames += [background] * 10
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for frame in frames:
        noise = rng.integers(-3, 4, frame.shape)
        writer.write(np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8))
    writer.release()
    return path


TRAFFIC_CAMERA_YAML = """\
camera: cam-e2e
interval_s: 2
lines:
  - id: mid
    points: [[80, 10], [80, 110]]
"""
