"""Factories for vision tests: tiny videos written on the fly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest


def write_moving_boxes(
    path: Path,
    *,
    frames: int = 90,
    fps: float = 15.0,
    size: tuple[int, int] = (320, 240),
    boxes: int = 3,
    speed_px: float = 6.0,
) -> Path:
    """A grey textured road with ``boxes`` dark rectangles driving left to right one after
    another (each enters once the previous one has gone half way)."""
    w, h = size
    rng = np.random.default_rng(1)
    bg = np.clip(rng.normal(120, 6, (h, w, 3)), 0, 255).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for i in range(frames):
        frame = bg.copy()
        for k in range(boxes):
            x = -40 + speed_px * (i - 20 - k * 12)
            if -40 < x < w:
                y = h // 2 - 10 + (k % 2) * 30
                cv2.rectangle(frame, (int(x), y), (int(x) + 36, y + 16), (30, 30, 200), -1)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def moving_boxes(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``moving_boxes(name, **kw)`` writes a small MJPG video and returns its path."""

    def make(name: str = "boxes.avi", **kw: object) -> Path:
        return write_moving_boxes(tmp_path / name, **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def synthetic_clips(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """The first three seeds' intersection clips (90 s each, 640x480 at 15 fps)."""
    from signalbrain.vision.synth import SynthConfig, TrafficConfig, render_clip

    folder = tmp_path_factory.mktemp("synthetic")
    return [
        render_clip(
            folder / f"s{seed}.avi",
            seed=seed,
            config=SynthConfig(traffic=TrafficConfig(duration_s=dur)),
        )
        for seed, dur in ((1, 90.0), (2, 90.0), (3, 90.0))
    ]
