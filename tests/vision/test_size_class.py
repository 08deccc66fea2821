"""Vehicle size relative to the typical car at the same image row, and over a track's life."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from signalbrain.io.camera import parse_camera
from signalbrain.vision import count_video
from signalbrain.vision._size_class import median_line, relative_size
from signalbrain.vision.counting import CounterConfig
from signalbrain.vision.pipeline import CountConfig


def test_median_line_ignores_the_long_minority() -> None:
    """Cars 0.2 px long per px below the horizon at row 0, with a third of the samples twice
    as long (lorries, merged pairs): the median regression still finds the cars' line."""
    rng = np.random.default_rng(3)
    y = rng.uniform(40.0, 200.0, 600)
    length = 0.2 * y * rng.uniform(0.95, 1.05, 600)
    length[::3] *= 2.0
    a, b, y0 = median_line(y, length)
    for row in (50.0, 120.0, 190.0):
        assert a + b * (row - y0) == pytest.approx(0.2 * row, rel=0.04)


def test_median_line_of_one_row_is_the_median() -> None:
    """All samples on one row (vehicles moving along it): no slope, the median length."""
    y = np.full(7, 80.0)
    length = np.array([10.0, 11.0, 9.0, 30.0, 10.5, 9.5, 10.0])
    assert median_line(y, length) == (10.0, 0.0, 80.0)


def test_median_line_never_falls_down_the_picture() -> None:
    """A top-down scene (every car 10 px at every row) where long merged queues stand far up
    the picture: the free fit falls with the row, which no camera above a road gives; the
    line is level at the median instead, so a lorry near the bottom still measures long."""
    rng = np.random.default_rng(5)
    y = rng.uniform(20.0, 180.0, 300)
    length = 10.0 * rng.uniform(0.95, 1.05, 300)
    far = y < 70.0
    length[far] *= rng.uniform(1.0, 3.0, int(far.sum()))  # merged queues, far up
    a, b, y0 = median_line(y, length)
    assert b == 0.0
    assert a == pytest.approx(float(np.median(length)))
    assert relative_size(np.array([150.0, 160.0, 170.0]), np.full(3, 25.0), (a, b, y0)) > 1.75


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        (np.array([60.0, 80.0, 100.0, 120.0]), 2.5),  # a lorry, long at every row
        (np.array([60.0, 80.0]), math.nan),  # too few frames to tell
    ],
)
def test_relative_size(frames: np.ndarray, expected: float) -> None:
    line = (16.0, 0.2, 80.0)  # 0.2 px per row below the horizon: 16 px at row 80
    got = relative_size(frames, 2.5 * 0.2 * frames, line)
    assert got == pytest.approx(expected, nan_ok=True)


def test_relative_size_leaves_out_rows_above_the_horizon() -> None:
    line = (16.0, 0.2, 80.0)  # the line reaches 0 at row 0
    rows = np.array([-20.0, 40.0, 60.0, 80.0])
    assert relative_size(rows, np.array([1.0, 8.0, 12.0, 16.0]), line) == pytest.approx(1.0)


def _write_road(path: Path, fps: float = 15.0, size: tuple[int, int] = (480, 200)) -> Path:
    """A road seen from above, vehicles driving right to left in two lanes: nine cars 30 px
    long one after another, a lorry 80 px long, and two cars in tandem 2 px apart, in one blob,
    until the first is past the middle, when the second falls back."""
    w, h = size
    rng = np.random.default_rng(1)
    bg = np.clip(rng.normal(120, 6, (h, w, 3)), 0, 255).astype(np.uint8)

    def steady(speed: float) -> Callable[[float], float]:
        return lambda t: speed * t

    def falls_back(t: float) -> float:
        t_apart = (190 + 30) / 5.0
        return 5.0 * min(t, t_apart) - 32.0 + 3.0 * max(0.0, t - t_apart)

    # first frame, lane centre, length, width, colour, distance driven after t frames [px]
    vehicles: list[tuple[int, int, int, int, tuple[int, int, int], Callable[[float], float]]]
    vehicles = [
        (20 + 18 * k, 60 + 60 * (k % 2), 30, 14, (30, 30, 200), steady(5.0)) for k in range(9)
    ]
    vehicles += [
        (190, 60, 80, 18, (200, 200, 200), steady(4.0)),
        (240, 120, 30, 14, (40, 160, 40), steady(5.0)),
        (240, 120, 30, 14, (160, 40, 40), falls_back),
    ]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for i in range(420):
        frame = bg.copy()
        for first, y, length, width, colour, driven in vehicles:
            if i < first:
                continue
            front = w - driven(i - first)
            if front < w and front + length > 0:
                x0, x1 = round(front), round(front + length)
                cv2.rectangle(frame, (x0, y - width // 2), (x1, y + width // 2), colour, -1)
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.parametrize(("min_for_median", "heavy"), [(8, 1), (100, 2)])
def test_cars_in_tandem_at_the_line_are_not_a_lorry(
    tmp_path: Path, min_for_median: int, heavy: int
) -> None:
    """The tandem pair crosses the line as one blob 62 px long, more than 1.75 times the
    cars' 30: classed by its length at the line (``min_for_median`` above the line's 11
    crossings) it is a lorry, over its life it is a car."""
    video = _write_road(tmp_path / "road.avi")
    camera = parse_camera(
        {
            "camera": "road",
            "interval_s": 60,
            "resize_width": 480,
            "lines": [{"id": "x", "points": [[330, 0], [330, 200]]}],
        }
    )
    config = CountConfig(counter=CounterConfig(min_for_median=min_for_median))
    counts = count_video(video, camera, config=config)
    assert counts.lines["x"]["total"] == 11  # the tandem pair counts once
    assert counts.classes["x"] == {"car": 11 - heavy, "heavy": heavy}
