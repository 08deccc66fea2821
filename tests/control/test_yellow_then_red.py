"""A yellow is always followed by red: a movement that ended its green shows red for its full
all-red before it may turn green again (MUTCD 4D.26: the yellow warns that a red follows)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.control import ConflictMonitor, Request, SignalState
from signalbrain.control.monitor import EPS_S, MovementClearances
from signalbrain.network import Intersection

from .conftest import greedy_intersection, nema_intersection

INTERSECTIONS = [
    nema_intersection()[0],
    nema_intersection(min_green_s=10.0, yellow_s=3.0, all_red_s=0.0, ped_min_s=15.0)[0],
    greedy_intersection((0.0, 90.0, 180.0, 270.0), 0),
    greedy_intersection((0.0, 120.0, 240.0), 1),
]


def _red_after_yellow(isec: Intersection, states: Sequence[SignalState]) -> list[str]:
    """Movements that went from yellow to green with less than their all-red of red between."""
    all_red = MovementClearances.of(isec).all_red_s
    bad = []
    yellow_end: dict[str, float] = {}  # when each movement's last yellow ended (red began)
    shown: dict[str, str] = {}
    for s in states:
        for m, code in s.movements.items():
            before = shown.get(m, "r")
            if before == "y" and code != "y":
                yellow_end[m] = s.t_s
                if code in "gG":
                    bad.append(f"{m} y->{code} at {s.t_s:g} s")
            elif before == "r" and code in "gG" and m in yellow_end:
                red = s.t_s - yellow_end[m]
                if red < all_red.get(m, 0.0) - EPS_S:
                    bad.append(f"{m} red {red:g} s < all-red {all_red.get(m, 0.0):g} s")
            shown[m] = code
    return bad


def test_a_movement_asked_for_again_in_its_yellow_shows_red_first() -> None:
    # phase 2 (westbound through) ends for 6, which runs beside it; asked for again at once,
    # its movements showed yellow then green with no red between (yellow 4 s, all-red 1.5 s)
    isec = nema_intersection()[0]
    mon = ConflictMonitor(isec, start_phase=2)
    states = [mon.step(float(t), 1.0, Request(phases=(2, 6))) for t in range(10)]
    states += [mon.step(float(t), 1.0, Request(phases=(6,))) for t in range(10, 11)]
    states += [mon.step(float(t), 1.0, Request(phases=(2, 6))) for t in range(11, 40)]
    codes = [s.movements for s in states]
    through = isec.phase(2).protected[0]
    seen = "".join(c[through] for c in codes)
    assert "y" in seen
    assert _red_after_yellow(isec, states) == [], seen
    after = seen[seen.index("y") :]
    assert after.startswith("yyyyrr"), seen  # 4 s yellow, then red for 1.5 s (2 steps)
    assert "G" in after  # and served again


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    which=st.integers(0, len(INTERSECTIONS) - 1),
    requests=st.lists(
        st.one_of(
            st.none(),
            st.builds(Request, phase=st.integers(1, 8)),
            st.builds(
                Request, phases=st.lists(st.integers(1, 8), min_size=1, max_size=2).map(tuple)
            ),
        ),
        min_size=1,
        max_size=150,
    ),
    dt=st.sampled_from([0.5, 1.0, 2.0]),
    start=st.one_of(st.none(), st.integers(1, 8)),
)
def test_every_yellow_is_followed_by_its_all_red(
    which: int, requests: list[Request | None], dt: float, start: int | None
) -> None:
    isec = INTERSECTIONS[which]
    numbers = {p.number for p in isec.phases}
    mon = ConflictMonitor(isec, start_phase=start if start in numbers else None)
    states = [mon.step(k * dt, dt, r) for k, r in enumerate(requests)]
    assert _red_after_yellow(isec, states) == []
