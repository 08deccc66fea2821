"""Time-spatial images of count lines and the streaks no counted crossing claims."""

from __future__ import annotations

import numpy as np
import pytest

from signalbrain.vision.streaks import LineSlits, SlitCrossing, StreakConfig, unclaimed_streaks

W, H = 200, 100


def _slits() -> LineSlits:
    """One horizontal line across the frame at y 50, from x 0 to x 199 (200 samples)."""
    return LineSlits(np.array([[0.0, 50.0]]), np.array([[199.0, 50.0]]), (W, H))


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((10.0, 40.0, 30.0, 60.0), (10.0, 30.0)),
        ((-5.0, 40.0, 30.0, 60.0), (0.0, 30.0)),
        ((190.0, 40.0, 250.0, 60.0), (190.0, 199.0)),
        ((10.0, 51.0, 30.0, 60.0), None),  # below the line
        ((10.0, 0.0, 30.0, 49.0), None),  # above it
    ],
)
def test_extent_is_the_stretch_of_line_inside_the_box(
    box: tuple[float, float, float, float], expected: tuple[float, float] | None
) -> None:
    got = _slits().extent(np.array(box), 0)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def _drive(slits: LineSlits, cars: list[tuple[int, int, int, int, int]], frames: int) -> None:
    """Feed ``frames`` frames; each car ``(first frame, rows, x0, x1, track id)`` is a solid
    block of foreground on the line for ``rows`` frames, covered by its track's box moving to
    the line's right-hand side (no box for a track id below 0)."""
    for f in range(frames):
        mask = np.zeros((H, W), np.uint8)
        boxes, ids = [], []
        for start, rows, x0, x1, tid in cars:
            if start <= f < start + rows:
                mask[45:56, x0:x1] = 255
                if tid >= 0:
                    boxes.append((x0, 40, x1, 60))
                    ids.append(tid)
        v = np.full((len(boxes), 1), 2.0)
        slits.add(f, mask, np.array(boxes, float).reshape(-1, 4), v, ids)


def test_vehicle_hidden_in_a_neighbours_track_is_found() -> None:
    """Six cars each counted by their own track; a seventh drives beside car 6 in the next
    lane inside car 6's (merged) track box and is not counted: its streak is unclaimed."""
    slits = _slits()
    cars = [(5 + 15 * k, 10, 20, 45, k + 1) for k in range(6)]
    cars.append((80, 10, 120, 145, 6))  # beside car 6 (frames 80-89), in track 6's box
    _drive(slits, cars, 120)
    crossings = [SlitCrossing(0, k + 1, 5 + 15 * k + 5, 20.0, 45.0) for k in range(6)]
    found = unclaimed_streaks(slits, 0, crossings, window_rows=10)
    assert len(found) == 1
    row, sign, u = found[0]
    assert 80 <= row < 90
    assert sign == 1
    assert u == pytest.approx(132.0, abs=1.0)


def test_pieces_scraps_and_cut_streaks_are_not_vehicles() -> None:
    slits = _slits()
    cars = [(5 + 15 * k, 10, 20, 45, k + 1) for k in range(6)]
    cars.append((80, 10, 48, 60, 6))  # a piece right beside car 6: joint span < 1.6 widths
    cars.append((35, 2, 120, 145, 3))  # a scrap of two frames
    cars.append((0, 6, 150, 175, 9))  # already on the line in the first frame
    cars.append((110, 10, 150, 175, 10))  # still on the line in the last frame
    _drive(slits, cars, 120)
    crossings = [SlitCrossing(0, k + 1, 5 + 15 * k + 5, 20.0, 45.0) for k in range(6)]
    assert unclaimed_streaks(slits, 0, crossings, window_rows=10) == []


def test_untracked_foreground_and_too_few_references_add_nothing() -> None:
    cars = [(5 + 15 * k, 10, 20, 45, k + 1) for k in range(6)]
    crossings = [SlitCrossing(0, k + 1, 5 + 15 * k + 5, 20.0, 45.0) for k in range(6)]
    untracked = _slits()
    _drive(untracked, [*cars, (80, 10, 120, 145, -1)], 120)  # no track saw it
    assert unclaimed_streaks(untracked, 0, crossings, window_rows=10) == []
    # four counted crossings are too few to know what a vehicle's streak looks like
    few = _slits()
    _drive(few, [*cars, (80, 10, 120, 145, 6)], 120)
    cfg = StreakConfig(min_reference=5)
    assert len(unclaimed_streaks(few, 0, crossings, window_rows=10, config=cfg)) == 1
    assert unclaimed_streaks(few, 0, crossings[:4], window_rows=10, config=cfg) == []


def test_streak_cut_across_is_one_vehicle() -> None:
    """A vehicle whose streak is cut by one empty frame (a dark band of its body, or a
    vehicle moving along the line) is one vehicle: the second part continues the claimed
    first part and is not added; an unclaimed streak cut in two is added once."""
    cars = [(5 + 15 * k, 10, 20, 45, k + 1) for k in range(6)]
    crossings = [SlitCrossing(0, k + 1, 5 + 15 * k + 5, 20.0, 45.0) for k in range(6)]
    cut = _slits()
    _drive(cut, [*cars, (91, 6, 20, 45, 6)], 120)  # car 6 (frames 80-89) goes on at 91
    assert unclaimed_streaks(cut, 0, crossings, window_rows=10) == []
    twice = _slits()
    # an uncounted car beside car 6, its streak cut at frame 85
    _drive(twice, [*cars, (80, 5, 120, 145, 6), (86, 5, 120, 145, 6)], 120)
    found = unclaimed_streaks(twice, 0, crossings, window_rows=10)
    assert len(found) == 1
