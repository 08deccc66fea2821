"""Vehicle size relative to the typical car at the same image row."""

from __future__ import annotations

import math

import numpy as np
import pytest

from signalbrain.vision._size_class import median_line, relative_size


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
