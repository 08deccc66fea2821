"""Counter rules that need no video: pieces of one vehicle, size classes."""

from __future__ import annotations

import numpy as np
import pytest

from signalbrain.io.camera import CameraSpec, CountLine
from signalbrain.vision.counting import Counter
from signalbrain.vision.tracking import Track


def _counter() -> Counter:
    camera = CameraSpec(
        camera="test",
        intersection=None,
        resize_width=None,
        interval_s=60.0,
        lines=(CountLine("across", ((0.0, 100.0), (200.0, 100.0)), None),),
        zones=(),
    )
    return Counter(camera, 1.0, (200, 200), 25.0)


@pytest.mark.parametrize(
    ("other", "pieces"),
    [
        # a thin strip along the car's side, touching it (a shadow or an outline)
        ((90.0, 80.0, 92.0, 120.0), True),
        # the same strip a lane away: not touching
        ((110.0, 80.0, 112.0, 120.0), False),
        # a car in the next lane, alongside
        ((92.0, 80.0, 110.0, 120.0), False),
        # the rear half of the same car, right behind it in its lane
        ((72.0, 121.0, 90.0, 140.0), True),
    ],
)
def test_pieces_of_one_vehicle(other: tuple[float, float, float, float], pieces: bool) -> None:
    """A car 18 px wide and 40 long moving down the picture at 5 px per frame, and another
    track moving with it."""
    car = Track(1, np.array([72.0, 80.0, 90.0, 120.0]), 720.0)
    second = Track(2, np.array(other), 100.0)
    velocities = np.array([[0.0, 5.0], [0.0, 5.0]])
    assert _counter()._pieces([car, second], velocities, 0, 1) is pieces


@pytest.mark.parametrize(("age", "pieces"), [(3, True), (20, False)])
def test_young_piece_may_not_have_settled_its_velocity(age: int, pieces: bool) -> None:
    """The rear half of the car, its velocity estimate still 40 % off: a piece while its
    track is a few frames old, not once its velocity should have settled."""
    car = Track(1, np.array([72.0, 80.0, 90.0, 120.0]), 720.0, age=30)
    rear = Track(2, np.array([72.0, 121.0, 90.0, 140.0]), 360.0, age=age)
    velocities = np.array([[0.0, 5.0], [0.0, 3.0]])
    assert _counter()._pieces([car, rear], velocities, 0, 1) is pieces


def test_a_merged_pair_is_classed_by_its_shared_length() -> None:
    """Nine cars 40 px long and one crossing 90 px long (> 1.75 x the median): heavy, unless
    the time-spatial check found that its track carried a second vehicle over the line."""
    from signalbrain.vision.counting import _Event

    counter = _counter()
    lengths = [40.0] * 9 + [90.0]
    counter.events = [
        _Event(k + 1, "line", 0, 1, float(k), length) for k, length in enumerate(lengths)
    ]
    assert counter.heavy_flags() == [False] * 9 + [True]
    assert counter.heavy_flags({9: 1}) == [False] * 10
    assert counter.heavy_flags({0: 1}) == [False] * 9 + [True]


def test_size_class_over_the_life_sees_through_a_merge() -> None:
    """Perspective: a car is 0.2 px long per row. Ten cars, one of them merged with the car
    behind it for the last third of its life, when it crosses the line (twice as long there:
    heavy at the crossing), and a lorry 2.5 cars long at every row: over their lives the
    merged car is a car and the lorry heavy."""
    from signalbrain.vision.counting import _Event

    counter = _counter()
    rows = np.linspace(20.0, 180.0, 30)
    car = 0.2 * rows
    merged = np.where(rows > 125.0, 2.0 * car, car)
    lives = [car] * 9 + [merged, 2.5 * car]
    counter.events = [
        _Event(k + 1, "line", 0, 1, float(k), float(life[-1])) for k, life in enumerate(lives)
    ]
    for k, life in enumerate(lives):
        counter._past_sizes[k + 1] = (rows, life)
    assert counter.heavy_flags() == [False] * 10 + [True]
    sizes = counter.relative_sizes()
    assert sizes[9] == pytest.approx(1.0, rel=1e-3)
    assert sizes[10] == pytest.approx(2.5, rel=1e-3)
    counter._past_sizes.clear()  # not measured: the lengths at the crossing decide
    assert counter.heavy_flags() == [False] * 9 + [True, True]
