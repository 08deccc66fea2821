"""Webster cycle, equisaturation splits, limits and infeasible requests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.demand import Demand
from signalbrain.errors import InputError
from signalbrain.network.generate import Limits, grid
from signalbrain.timing._reference import (
    fill_reference,
    isolated_reference,
    movement_sat_reference,
    phase_ratio_reference,
)
from signalbrain.timing.isolated import (
    IsolatedSolver,
    isolated_plan,
    isolated_plans,
    webster_cycle_s,
)

from .conftest import uniform_demand


@pytest.mark.parametrize(
    ("lost", "y", "expected"),
    [
        (10.0, 0.6, 50.0),  # (1.5*10 + 5) / 0.4
        (16.0, 0.5, 58.0),  # (24 + 5) / 0.5
        (12.0, 0.0, 23.0),
        (12.0, 1.0, math.inf),
    ],
)
def test_webster_cycle(lost: float, y: float, expected: float) -> None:
    assert webster_cycle_s(lost, y) == pytest.approx(expected)


def test_two_phase_worked_example() -> None:
    """One signal, two phases; hand-computed Webster plan.

    Two-phase grid signal with 2-lane approaches at 1900 veh/h/ln: a through lane group of 2
    lanes, turns of one lane at 0.85 (right) and 0.95 (left). EW throughs 1140 veh/h give
    y = 1140 / 3800 = 0.30 on the approach (the approach total also counts); NS 760 -> 0.20.
    Lost time 5 s per phase (3.5 + 1.5), so L = 10, Y = 0.5 and C0 = (15 + 5) / 0.5 = 40 s.
    Effective greens share C - L = 30 s as 0.3 : 0.2 -> 18 s and 12 s.
    """
    net = grid(1, 1, phasing="two-phase")
    isec = net.intersections[0]
    flows = {}
    for m in isec.movements:
        ew = net.link(m.from_link).from_node.startswith("B0_")
        flows[m.id] = (1140.0 if ew else 760.0) if m.turn == "T" else 0.0
    plan = isolated_plan(net, isec.id, Demand(flows))
    assert plan.cycle_s == pytest.approx(40.0, abs=1e-6)
    assert plan.phase(2).green_s == pytest.approx(18.0, abs=1e-6)
    assert plan.phase(4).green_s == pytest.approx(12.0, abs=1e-6)
    assert plan.check(isec) == []
    assert plan.notes == ()


def test_min_green_and_ped_kept_for_light_demand() -> None:
    net = grid(1, 1, limits=Limits(ped_min_s=20.0))
    plan = isolated_plans(net, uniform_demand(net, 50.0, 10.0))["I0_0"]
    isec = net.intersections[0]
    assert plan.check(isec) == []
    for number in (2, 4, 6, 8):
        assert plan.phase(number).green_s >= 20.0 - 1e-9


def test_oversaturated_keeps_limits_and_says_why() -> None:
    net = grid(1, 1)
    plan = isolated_plans(net, uniform_demand(net, 4000.0, 900.0))["I0_0"]
    assert plan.cycle_s == pytest.approx(150.0)
    assert plan.check(net.intersections[0]) == []
    assert any("exceeds capacity" in n for n in plan.notes)


def test_min_greens_beyond_max_cycle_lengthen_cycle() -> None:
    limits = Limits(min_green_s=40.0, max_green_s=60.0, cycle_max_s=100.0)
    net = grid(1, 1, limits=limits)
    plan = isolated_plans(net, uniform_demand(net))["I0_0"]
    # ring 1: 2 lefts at 5 + 3 throughs... each barrier: left 5+5 and through 40+5 -> 55; two -> 110
    assert plan.cycle_s == pytest.approx(110.0)
    problems = plan.check(net.intersections[0])
    assert [p.path.rsplit(".", 1)[-1] for p in problems] == ["cycle_s"]
    assert any("lengthened" in n for n in plan.notes)


def test_forced_cycle_and_errors() -> None:
    net = grid(2, 2)
    plans = isolated_plans(net, uniform_demand(net), cycle_s=90.0)
    assert {p.cycle_s for p in plans.plans.values()} == {90.0}
    with pytest.raises(InputError, match="unknown intersection"):
        isolated_plans(net, uniform_demand(net), cycle_s={"nope": 80.0})
    with pytest.raises(InputError, match="no intersection"):
        isolated_plan(net, "nope", uniform_demand(net))


def test_fill_reference_exact() -> None:
    out, broke = fill_reference(
        np.array([5.0, 5.0]),
        np.array([0.3, 0.2]),
        np.array([12.0, 12.0]),
        np.array([65.0, 65.0]),
        40.0,
    )
    assert out.tolist() == pytest.approx([23.0, 17.0])
    assert not broke


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000),
    st.sampled_from(["nema", "two-phase"]),
    st.floats(0.0, 1500.0),
    st.booleans(),
)
def test_kernel_matches_reference(seed: int, phasing: str, scale: float, fixed: bool) -> None:
    net = grid(2, 3, phasing=phasing)
    solver = IsolatedSolver(net)
    rng = np.random.default_rng(seed)
    n_m = len(solver.arrays.movement_ids)
    flows = rng.uniform(0.0, 1.0, n_m) * scale
    heavy = rng.uniform(0.0, 0.2, n_m)
    cycle = np.full(net.signal_count, rng.uniform(50.0, 160.0) if fixed else np.nan)
    res = solver.solve(flows, heavy, cycle)
    ta = solver.arrays
    sat = movement_sat_reference(ta, flows, heavy)
    np.testing.assert_allclose(res.sat_vph, sat, rtol=1e-12)
    y = phase_ratio_reference(ta, flows, heavy, sat)
    np.testing.assert_allclose(res.y, y, rtol=1e-12)
    cyc, split, _xc, flags = isolated_reference(ta, y, cycle)
    np.testing.assert_allclose(res.cycle_s, cyc, rtol=1e-9)
    np.testing.assert_allclose(res.split_s, split, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(res.flags, flags)
    plans = solver.plans(res)  # TimingPlan invariants hold
    for isec in net.intersections:
        for p in plans[isec.id].check(isec):
            assert p.path.endswith(("cycle_s", "green_s"))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 8.0), st.floats(1e-3, 1.0), st.floats(0.0, 40.0), st.floats(0.0, 60.0)
        ),
        min_size=1,
        max_size=6,
    ),
    st.floats(0.0, 1.0),
)
def test_fill_kernel_matches_exact(
    items: list[tuple[float, float, float, float]], where: float
) -> None:
    """Variable fixing (kernel) and breakpoint search (twin) solve the same bounded
    equisaturation problem."""
    from signalbrain.timing._kernels import _fill

    lost = np.array([i[0] for i in items])
    w = np.array([i[1] for i in items])
    lo = np.array([i[2] for i in items])
    hi = lo + np.array([i[3] for i in items])
    total = float(lo.sum() + where * (hi.sum() - lo.sum()))
    out = np.empty(len(items))
    broke = _fill(lost, w, lo, hi, total, out)
    ref, ref_broke = fill_reference(lost, w, lo, hi, total)
    assert bool(broke) == ref_broke
    np.testing.assert_allclose(out, ref, atol=1e-6)
    assert out.sum() == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize("method", ["webster", "transyt"])
def test_time_a_max_green_cannot_use_is_cut_not_given_to_the_side_street(method: str) -> None:
    """A main street over capacity held at its 55 s maximum green: Webster's cycle (150 s, the
    maximum) left its unusable time to the phases beside it, the side street's through 46 s
    of green for 100 veh/h and the main street's lefts their 25 s maximum for 50 veh/h, while
    the main through's v/c rose to 2.2 and no note said the demand exceeds capacity. The cycle
    is now cut by that time (92 s): the other phases keep their own shares and the note names
    the oversaturation."""
    from signalbrain.demand import Demand
    from signalbrain.network.generate import Limits, grid
    from signalbrain.timing.optimize import optimize_network

    net = grid(1, 1, limits=Limits(max_green_s=55, left_max_green_s=25))
    isec = net.intersections[0]
    flows = {}
    for m in isec.movements:
        if m.turn != "P":
            main = m.from_link.split("_")[1] in ("E", "W")
            flows[m.id] = (
                (3000.0 if m.turn == "T" else 50.0) if main else (100.0 if m.turn == "T" else 10.0)
            )
    result = optimize_network(net, Demand(flows), method=method, whole_seconds=False)
    plan = result.plans[isec.id]
    main_through = [ph for ph in isec.phases if any(".T" in m and "_E_" in m for m in ph.protected)]
    side_through = [ph for ph in isec.phases if any(".T" in m and "_N_" in m for m in ph.protected)]
    split = {ph.number: ph.split_s for ph in plan.phases}
    assert plan.cycle_s < 100.0, plan.cycle_s
    for ph in main_through:
        assert split[ph.number] - ph.yellow_s - ph.all_red_s >= ph.max_green_s - 1e-9
    for ph in side_through:
        assert split[ph.number] - ph.yellow_s - ph.all_red_s <= ph.min_green_s + 2.0
    assert any("demand exceeds capacity" in n for n in plan.notes), plan.notes
