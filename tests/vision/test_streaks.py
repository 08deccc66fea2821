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
    row, sign, u, carrier = found[0]
    assert 80 <= row < 90
    assert sign == 1
    assert u == pytest.approx(132.0, abs=1.0)
    assert carrier == 6  # track 6's box carried it over the line


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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernels_match_numpy(seed: int) -> None:
    """The packed rows are ``np.packbits`` of the mask along each line, the covered
    stretches those of the numpy clipping (``_clip``), signs those of the velocities."""
    from signalbrain.vision._streak_kernels import cover_row, slit_row
    from signalbrain.vision.streaks import _clip

    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 200, (3, 2))
    b = rng.uniform(0, 200, (3, 2))
    b[0] = (a[0, 0], a[0, 1] + 50.0)  # one vertical line
    slits = LineSlits(a, b, (W, 200))
    mask = (rng.random((200, W)) < 0.3).astype(np.uint8) * 255
    starts = np.cumsum([0, *slits.samples])
    byte_starts = np.cumsum([0, *[(n + 7) // 8 for n in slits.samples]])
    out = np.zeros(byte_starts[-1], np.uint8)
    xs, ys = slits._xs, slits._ys
    slit_row(mask, ys, xs, starts, byte_starts, out)
    for j in range(3):
        want = np.packbits(mask[ys[starts[j] : starts[j + 1]], xs[starts[j] : starts[j + 1]]] > 0)
        assert np.array_equal(out[byte_starts[j] : byte_starts[j + 1]], want)
    x0 = rng.uniform(0, 180, 20)
    y0 = rng.uniform(0, 180, 20)
    boxes = np.column_stack((x0, y0, x0 + rng.uniform(1, 60, 20), y0 + rng.uniform(1, 60, 20)))
    v = rng.normal(0, 1, (20, 3))
    scales = np.array([n - 1 for n in slits.samples], float)
    cover = np.zeros((60, 6))
    n = cover_row(boxes, a, b, v, np.arange(20), scales, 7, cover, 0)
    u = _clip(boxes, a, b)
    hit = np.argwhere(np.isfinite(u[:, :, 0]))
    assert n == len(hit) > 0
    for row, (i, j) in zip(cover[:n], hit, strict=True):
        assert (row[0], row[1], row[5]) == (j, 7, i)
        assert row[2:4] == pytest.approx(u[i, j] * scales[j])
        assert row[4] == (0 if abs(v[i, j]) <= 0.05 else np.sign(v[i, j]))
    assert cover_row(boxes, a, b, v, np.arange(20), scales, 7, np.zeros((1, 6)), 0) == -1
