"""Counter rules that need no video: pieces of one vehicle, size classes."""

from __future__ import annotations

import numpy as np
import pytest

from signalbrain.io.camera import CameraSpec, CountLine, Zone
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


class _ScriptedTracker:
    """Stands in for :class:`~signalbrain.vision.tracking.Tracker`: the tracks of each frame
    are given as ``(track, centre, velocity)``; boxes keep their size around the centre."""

    def __init__(self) -> None:
        self.tracks: list[Track] = []
        self.removed: list[Track] = []
        self.centers = np.zeros((0, 2))
        self.velocities = np.zeros((0, 2))
        self.boxes = np.zeros((0, 4))

    def show(
        self,
        items: list[tuple[Track, tuple[float, float], tuple[float, float]]],
        removed: tuple[Track, ...] = (),
    ) -> None:
        self.tracks = [t for t, _, _ in items]
        self.centers = np.array([c for _, c, _ in items], float).reshape(-1, 2)
        self.velocities = np.array([v for _, _, v in items], float).reshape(-1, 2)
        for t, (x, y), _ in items:
            w, h = t.box[2] - t.box[0], t.box[3] - t.box[1]
            t.box[:] = [x - w / 2, y - h / 2, x + w / 2, y + h / 2]
        self.boxes = np.array([t.box for t in self.tracks]).reshape(-1, 4)
        self.removed = list(removed)

    def take_removed(self) -> list[Track]:
        out, self.removed = self.removed, []
        return out


def _drive(
    counter: Counter,
    path: list[tuple[float, float]],
    *,
    first_frame: int = 0,
    track_id: int = 1,
) -> None:
    """One confirmed 10 x 20 px track along ``path`` (one centre a frame)."""
    tracker = _ScriptedTracker()
    car = Track(track_id, np.array([0.0, 0.0, 10.0, 20.0]), 200.0, hits=5, age=10, confirmed=True)
    mask = np.zeros((200, 200), np.uint8)
    for k, c in enumerate(path):
        prev = path[max(k - 1, 0)]
        tracker.show([(car, c, (c[0] - prev[0], c[1] - prev[1]))])
        counter.update(first_frame + k, tracker, mask)


def test_entry_and_exit_zones_drawn_over_each_other() -> None:
    """Each arm drawn once and used as both its entry and its exit zone: a vehicle from the
    north arm to the south arm makes N->S, not a U-turn N->N the moment it is first seen."""
    north = ((80.0, 0.0), (120.0, 0.0), (120.0, 60.0), (80.0, 60.0))
    south = ((80.0, 140.0), (120.0, 140.0), (120.0, 200.0), (80.0, 200.0))
    camera = CameraSpec(
        camera="test",
        intersection=None,
        resize_width=None,
        interval_s=60.0,
        lines=(),
        zones=(
            Zone("N_in", "entry", None, north),
            Zone("N_out", "exit", None, north),
            Zone("S_in", "entry", None, south),
            Zone("S_out", "exit", None, south),
        ),
    )
    counter = Counter(camera, 1.0, (200, 200), 25.0)
    _drive(counter, [(100.0, 5.0 + 4.0 * k) for k in range(48)])
    movements = counter.results(48 / 25.0)[2]
    assert movements == {"N_in->N_out": 0, "N_in->S_out": 1, "S_in->N_out": 0, "S_in->S_out": 0}


def _car(track_id: int, *, confirmed: bool = True) -> Track:
    """A 10 x 20 px track; its remembered size is its box's."""
    car = Track(track_id, np.array([0.0, 0.0, 10.0, 20.0]), 200.0, hits=5, age=10)
    car.confirmed = confirmed
    car.ref_size = np.array([10.0, 20.0])
    return car


def _hand_over_at_the_line(
    old_path: list[float], new_path: list[float], *, lost_after: int
) -> Counter:
    """A vehicle at x = 100 followed by track 1 along ``old_path`` (y, one a frame), matched
    for the first ``lost_after`` frames and coasting still after that (a stopped car whose
    blob split or merged), until the tracker drops it 21 missed frames later; track 2 is
    born at ``new_path[0]`` in the frame the old one was last matched and follows
    ``new_path``. The count line runs across the picture at y = 100."""
    counter = _counter()
    tracker = _ScriptedTracker()
    mask = np.zeros((200, 200), np.uint8)
    old, new = _car(1), _car(2)
    last = old_path[lost_after - 1]
    drop = lost_after + 21
    for k in range(max(drop + 1, lost_after - 1 + len(new_path))):
        items: list[tuple[Track, tuple[float, float], tuple[float, float]]] = []
        removed: tuple[Track, ...] = ()
        if k < lost_after:
            y, v = old_path[k], old_path[k] - old_path[max(k - 1, 0)]
            items.append((old, (100.0, y), (0.0, v)))
        elif k < drop:
            old.misses = k - lost_after + 1
            items.append((old, (100.0, last), (0.0, 0.0)))
        elif k == drop:
            old.misses = 21
            old.last_state = np.array([100.0, last, 0.0, 0.0])
            removed = (old,)
        j = k - (lost_after - 1)
        if 0 <= j < len(new_path):
            new.age = j + 1
            new.confirmed = j >= 2
            v = new_path[j] - new_path[max(j - 1, 0)]
            items.append((new, (100.0, new_path[j]), (0.0, v)))
        tracker.show(items, removed)
        counter.update(k, tracker, mask)
    return counter


def _line_counts(counter: Counter, frames: int) -> dict[str, int]:
    return counter.results(frames / 25.0)[1]["across"]


_APPROACH = [60.0 + 1.5 * k for k in range(20)] + [90.0] * 20  # stops 10 px before the line


@pytest.mark.parametrize(
    ("case", "old_path", "new_path"),
    [
        # stopped before the line; the successor is born just past it, waits and moves off:
        # by the time the old track is dropped it is far from where the old one stood
        (
            "born past the line, moved off",
            _APPROACH,
            [106.0] * 6 + [106.0 + 3 * k for k in range(40)],
        ),
        # the same, but once the old track is dropped the successor's centre jitters back
        # over the line and forward again (a blob merging and splitting)
        (
            "born past the line, jitters",
            _APPROACH,
            [106.0] * 25 + [98.0, 104.0] + [104.0 + 3 * k for k in range(40)],
        ),
        # born before the line: the successor crosses it itself
        ("born before the line", _APPROACH, [92.0] * 6 + [92.0 + 3 * k for k in range(40)]),
        # the old track crossed the line itself; the successor is born past it
        (
            "old track crossed",
            [60.0 + 3 * k for k in range(20)],
            [120.0 + 3 * k for k in range(25)],
        ),
    ],
)
def test_vehicle_re_acquired_across_the_line_counts_once(
    case: str, old_path: list[float], new_path: list[float]
) -> None:
    """A vehicle lost on one side of the count line and re-acquired as a new track on the
    other crossed the line once, down the picture, whichever track saw it cross."""
    counter = _hand_over_at_the_line(old_path, new_path, lost_after=len(old_path))
    frames = len(old_path) + len(new_path) + 21
    assert _line_counts(counter, frames) == {"total": 1, "positive": 1, "negative": 0}, case


def test_a_successor_crossing_dropped_as_counted_keeps_its_streak_claimed() -> None:
    """The old track crossed the line, the successor (born before it) crossed it too: the
    successor's crossing is not counted again, but its stretch of the line's time-spatial
    image stays claimed (the end-of-video streak check must not add the vehicle back)."""
    old_path = [60.0 + 2 * k for k in range(22)]  # reaches y = 100 at frame 20
    counter = _hand_over_at_the_line(
        old_path, [96.0 + 2 * k for k in range(40)], lost_after=len(old_path)
    )
    assert _line_counts(counter, 80)["total"] == 1
    assert [(s.index, s.track) for s in counter._piece_slits] == [(0, 2)]


def test_a_successor_crossing_long_after_the_old_track_counts_on_its_own() -> None:
    """The old track crossed the line, matched, and stood just past it until dropped; the
    track taken for its successor (a car one length behind in the lane) crossed 0.84 s later,
    beyond ``piece_window_s``: a second vehicle, counted (it used to be dropped as a
    duplicate of the first)."""
    old_path = [60.0 + 2 * k for k in range(22)]  # reaches y = 100 at frame 20
    counter = _hand_over_at_the_line(
        old_path, [80.0 + k for k in range(40)], lost_after=len(old_path)
    )  # the successor reaches y = 100 at frame 41
    assert _line_counts(counter, 80)["total"] == 2
    assert counter._piece_slits == []
