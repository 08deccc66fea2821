"""TimingPlan invariants, ring-barrier timing, phase_at and movement states."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalbrain.errors import InputError
from signalbrain.network import Intersection, Movement, Phase
from signalbrain.timing import PhaseTiming, TimingPlan, movement_states


def _dual_ring(g: dict[int, float], offset_s: float = 0.0) -> TimingPlan:
    phases = tuple(PhaseTiming(n, g[n], 3.0, 1.0) for n in sorted(g))
    b1 = g[1] + g[2] + 8.0
    b2 = g[3] + g[4] + 8.0
    return TimingPlan(
        "A", b1 + b2, offset_s, phases, ((1, 2, 3, 4), (5, 6, 7, 8)), ((1, 2, 5, 6), (3, 4, 7, 8))
    )


def _balanced() -> dict[int, float]:
    return {1: 10.0, 2: 30.0, 5: 20.0, 6: 20.0, 3: 8.0, 4: 22.0, 7: 15.0, 8: 15.0}


def test_cycle_is_sum_of_barrier_groups() -> None:
    plan = _dual_ring(_balanced())
    assert plan.cycle_s == pytest.approx(48.0 + 38.0)
    assert plan.phase_start_s(2) == pytest.approx(14.0)
    assert plan.phase_start_s(6) == pytest.approx(24.0)
    assert plan.phase_start_s(3) == pytest.approx(48.0)
    assert plan.phase_start_s(7) == pytest.approx(48.0)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"cycle_s": 90.0}, "sum of the barrier groups"),
        ({"offset_s": -1.0}, "offset_s"),
        ({"rings": ((1, 2, 3, 4),)}, "differ from timed phases"),
    ],
)
def test_invariants_rejected(change: dict[str, object], match: str) -> None:
    good = _dual_ring(_balanced())
    kwargs: dict[str, object] = {
        "intersection": "A",
        "cycle_s": good.cycle_s,
        "offset_s": 0.0,
        "phases": good.phases,
        "rings": good.rings,
        "barriers": good.barriers,
    }
    kwargs.update(change)
    with pytest.raises(InputError, match=match):
        TimingPlan(**kwargs)  # type: ignore[arg-type]


def test_unequal_rings_in_barrier_rejected() -> None:
    g = _balanced()
    g[5] = 25.0
    with pytest.raises(InputError, match="rings take different times"):
        _dual_ring(g)


def test_negative_green_rejected() -> None:
    with pytest.raises(InputError, match="green_s"):
        TimingPlan("A", 10.0, 0.0, (PhaseTiming(1, -4.0, 3.0, 1.0),), ((1,),), ((1,),))


def test_phase_at_with_offset() -> None:
    plan = _dual_ring(_balanced(), offset_s=10.0)
    r1, r2 = plan.phase_at(10.0 + 12.0)  # ring 1: phase 1 split 14 -> phase 1 yellow at 10..13
    assert (r1.phase, r1.kind) == (1, "yellow")
    assert r1.start_s == pytest.approx(20.0)
    assert r1.end_s == pytest.approx(23.0)
    assert (r2.phase, r2.kind) == (5, "green")
    r1, _ = plan.phase_at(10.0 + plan.cycle_s * 3 + 13.5)
    assert (r1.phase, r1.kind) == (1, "red")
    r1, r2 = plan.phase_at(10.0 - 1.0)  # last second of the previous cycle
    assert (r1.phase, r1.kind, r2.phase, r2.kind) == (4, "red", 8, "red")


@given(st.lists(st.floats(5.0, 60.0), min_size=8, max_size=8), st.floats(0.0, 500.0))
def test_phase_at_covers_cycle(greens: list[float], t: float) -> None:
    g = dict(zip((1, 2, 5, 6, 3, 4, 7, 8), greens, strict=True))
    # make ring sums equal per barrier by padding the shorter ring's second phase
    d1 = (g[1] + g[2]) - (g[5] + g[6])
    g[6 if d1 > 0 else 2] += abs(d1)
    d2 = (g[3] + g[4]) - (g[7] + g[8])
    g[8 if d2 > 0 else 4] += abs(d2)
    plan = _dual_ring(g, offset_s=7.0)
    for iv in plan.phase_at(t):
        assert iv.start_s <= t + 1e-6
        assert t < iv.end_s + 1e-6
        assert iv.phase in (1, 2, 3, 4, 5, 6, 7, 8)


def _tee() -> Intersection:
    mv = (
        Movement("a", "W", "E", "T"),
        Movement("b", "W", "N", "L"),
        Movement("c", "E", "W", "T"),
        Movement("d", "N", "E", "R"),
    )
    phases = (
        Phase(1, ("a", "c"), ("b",), min_green_s=10.0),
        Phase(2, ("d", "a"), (), min_green_s=8.0),
    )
    return Intersection(
        "A", ("n",), mv, phases, frozenset({("b", "c"), ("c", "d")}), frozenset({("b", "c")})
    )


def test_movement_states_carry_over_clearance() -> None:
    isec = _tee()
    plan = TimingPlan(
        "A",
        40.0,
        0.0,
        (PhaseTiming(1, 20.0, 3.0, 1.0), PhaseTiming(2, 12.0, 3.0, 1.0)),
        ((1, 2),),
        ((1, 2),),
    )
    assert movement_states(isec, plan, 5.0) == {"a": "G", "b": "g", "c": "G", "d": "r"}
    assert movement_states(isec, plan, 21.0) == {"a": "G", "b": "y", "c": "y", "d": "r"}
    assert movement_states(isec, plan, 23.5) == {"a": "G", "b": "r", "c": "r", "d": "r"}
    assert movement_states(isec, plan, 25.0) == {"a": "G", "b": "r", "c": "r", "d": "G"}
    # "a" runs in both phases, so it never sees yellow
    assert movement_states(isec, plan, 37.0) == {"a": "G", "b": "r", "c": "r", "d": "y"}


def test_check_limits() -> None:
    isec = _tee()
    plan = TimingPlan(
        "A",
        30.0,
        0.0,
        (PhaseTiming(1, 15.0, 3.0, 1.0), PhaseTiming(2, 5.0, 2.0, 4.0)),
        ((1, 2),),
        ((1, 2),),
    )
    problems = plan.check(isec)
    text = " ".join(str(p) for p in problems)
    assert "shorter than the minimum 8" in text
    assert "yellow" in text
    assert len(problems) == 2


@pytest.mark.parametrize("method", ["webster", "transyt"])
def test_a_plan_clears_each_movement_by_its_longest_phase(method: str) -> None:
    """A movement served by two phases with different clearances is cleared by the monitor and
    the audit with the longer one; a plan that ended it with the shorter phase's all-red cut
    the all-red short (a SUMO network with pedestrian crossings: 678 short all-reds in 360 s
    of its optimised program)."""
    from dataclasses import replace

    from signalbrain.control._rules import MovementClearances
    from signalbrain.demand import Demand
    from signalbrain.network.generate import grid
    from signalbrain.timing.optimize import optimize_network

    net = grid(1, 1)
    isec = net.intersections[0]
    longer = {1: 3.0, 5: 2.5}  # protected lefts, which the through phases also serve permitted
    phases = tuple(replace(p, all_red_s=longer.get(p.number, p.all_red_s)) for p in isec.phases)
    isec = replace(isec, phases=phases)
    net = replace(net, intersections=(isec,))
    rules = MovementClearances.of(isec)
    flows = {m.id: 200.0 for m in isec.movements if m.turn != "P"}
    plan = optimize_network(net, Demand(flows), method=method).plans[isec.id]
    for pt in plan.phases:
        ph = isec.phase(pt.number)
        assert pt.all_red_s >= max(rules.all_red_s[m] for m in ph.movements) - 1e-9, pt
        assert pt.yellow_s >= max(rules.yellow_s[m] for m in ph.movements) - 1e-9, pt
