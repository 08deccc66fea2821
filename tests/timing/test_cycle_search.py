"""The coordinated re-plan's cycle sweep and the terms it adds to the platoon model."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from signalbrain.network import Network
from signalbrain.network.generate import Limits, arterial, grid
from signalbrain.timing.coordination import (
    CYCLE_GAIN,
    CYCLE_SEARCH_EXTENSION_S,
    CYCLE_SPAN,
    EXTENSION_S,
    Coordinator,
    overflow_delay_vehh,
)
from signalbrain.timing.hcm import incremental_delay_s
from signalbrain.timing.isolated import SplitResult

from .conftest import uniform_demand

F64 = npt.NDArray[np.float64]

LOW_FLOOR = Limits(
    min_green_s=5.0, left_min_green_s=5.0, yellow_s=3.0, all_red_s=0.0, cycle_min_s=16.0
)


@pytest.mark.parametrize(
    ("x", "capacity_vph"), [(0.1, 900.0), (0.5, 1800.0), (0.95, 600.0), (1.2, 700.0)]
)
def test_overflow_delay_is_hcm_incremental_delay(x: float, capacity_vph: float) -> None:
    flow = x * capacity_vph
    got = overflow_delay_vehh(np.array([flow]), np.array([capacity_vph]))
    assert got[0] == pytest.approx(incremental_delay_s(x, capacity_vph) * flow / 3600.0)


def test_overflow_delay_without_capacity_or_flow() -> None:
    got = overflow_delay_vehh(np.array([0.0, 100.0]), np.array([0.0, 0.0]), period_h=0.25)
    assert got[0] == 0.0
    assert got[1] == pytest.approx(0.5 * 100.0 * 0.25)  # the queue grows all period


def _permitted(cycle_s: float, opposing_vph: float) -> tuple[float, float]:
    """Capacity of one permitted left with and without the opposing-queue correction."""
    net = grid(1, 1, phasing="two-phase", limits=LOW_FLOOR)
    co = Coordinator(net, steps=40)
    ids = co.solver.arrays.movement_ids
    flows = np.array(
        [opposing_vph if m.endswith(".T") else 0.0 if m.endswith(".R") else 60.0 for m in ids]
    )
    split = co.solver.solve(flows, None, np.array([cycle_s]))
    model = co._model(split, np.array([cycle_s]))
    cap = co.capacity_vph(model, flows)
    plain = model.cap.sum(axis=1) / cycle_s * 3600.0
    opp = np.diff(co.solver.arrays.opp_indptr) > 0
    assert opp.any()
    m = int(np.argmax(opp))
    return float(cap[m]), float(plain[m])


@pytest.mark.parametrize("opposing_vph", [200.0, 500.0])
def test_permitted_left_waits_for_the_opposing_queue(opposing_vph: float) -> None:
    short, short_plain = _permitted(20.0, opposing_vph)
    long, long_plain = _permitted(60.0, opposing_vph)
    assert short < short_plain  # the opposing queue takes part of the green
    assert long < long_plain
    # ... a larger part of a short green
    assert short / short_plain < long / long_plain


def test_no_opposing_flow_keeps_the_profile_capacity() -> None:
    cap, plain = _permitted(30.0, 0.0)
    assert cap == pytest.approx(plain)


def _search(net: Network, flows: F64) -> tuple[Coordinator, SplitResult, F64, F64, SplitResult]:
    co = Coordinator(net, steps=40)
    free = co.solver.solve(flows)
    own, gc = co.cycles(free, None, flows)
    own, gc, split = co._fit(free, own, gc, flows, None)
    _own2, gc2, split2 = co.search_cycles(free, gc, split, flows)
    return co, free, gc, gc2, split2


def _objective(co: Coordinator, split: SplitResult, gc: F64, flows: F64) -> float:
    """The sweep's objective of a plan with offsets searched as in the sweep."""
    coarse = co._coarse
    assert coarse is not None
    own = split.cycle_s
    model = coarse._model(split, gc)
    offsets = np.zeros(co.network.signal_count, dtype=np.int64)
    coarse.search_offsets(model, own, gc, flows, offsets, True, 1, 4)
    return float(coarse.group_pi(model, flows, offsets, True).sum())


def test_sweep_finds_a_progression_cycle_on_a_light_grid() -> None:
    """Blocks of 250 m at 13.9 m/s: Webster's cycle sits on the 16 s floor, but a cycle near
    the block travel time lets all four directions progress; the sweep must find a cycle the
    model rates clearly better, inside the allowed range, in whole seconds."""
    net = grid(3, 3, spacing_m=250.0, phasing="two-phase", limits=LOW_FLOOR)
    flows = uniform_demand(net, 150.0, 30.0).flows_array(
        Coordinator(net).solver.arrays.movement_ids
    )
    co, free, gc, gc2, split2 = _search(net, flows)
    assert gc[0] == pytest.approx(16.0)
    assert gc2[0] != pytest.approx(gc[0])
    assert 16.0 <= gc2[0] <= CYCLE_SPAN * gc[0] + 1e-9
    assert gc2[0] == pytest.approx(round(gc2[0]))
    _own0, gc0, split0 = co._fit(free, gc.copy(), gc, flows, None)
    assert _objective(co, split2, gc2, flows) < (1.0 - CYCLE_GAIN) * _objective(
        co, split0, gc0, flows
    )
    res = co.solve(flows)
    assert res.group_cycle_s[0] == pytest.approx(gc2[0])
    assert co.solve(flows, cycle_search=False).group_cycle_s[0] == pytest.approx(gc[0])


def test_lone_signal_not_below_webster() -> None:
    net = grid(1, 1, phasing="two-phase", limits=LOW_FLOOR)
    for through in (100.0, 400.0, 700.0):
        flows = uniform_demand(net, through, 80.0).flows_array(
            Coordinator(net).solver.arrays.movement_ids
        )
        _co, _free, gc, gc2, _split = _search(net, flows)
        assert gc2[0] >= gc[0] - 1e-9
        assert gc2[0] <= max(gc[0], CYCLE_SPAN * gc[0]) + 1e-9


@pytest.mark.parametrize("through_vph", [300.0, 600.0, 850.0])
def test_swept_plans_keep_their_limits(through_vph: float) -> None:
    net = arterial(5)
    co = Coordinator(net, steps=40)
    flows = uniform_demand(net, through_vph, 120.0).flows_array(co.solver.arrays.movement_ids)
    res = co.solve(flows)
    plan = co.plans(res)
    for isec in net.intersections:
        assert plan[isec.id].check(isec) == []
    assert res.pi <= res.pi_start + 1e-9


def test_sweep_model_gives_no_yellow_back_as_green() -> None:
    """SUMO's drivers stop at yellow: the sweep's coarse model ends each green where the yellow
    starts, the final model (``EXTENSION_S``) 2 s into it; both run the same layout."""
    net = grid(3, 3, spacing_m=250.0, phasing="two-phase", limits=LOW_FLOOR)
    flows = uniform_demand(net, 150.0, 30.0).flows_array(
        Coordinator(net).solver.arrays.movement_ids
    )
    co, _free, _gc, gc2, split2 = _search(net, flows)
    coarse = co._coarse
    assert coarse is not None
    assert coarse.extension_s == CYCLE_SEARCH_EXTENSION_S == 0.0
    assert co.extension_s == EXTENSION_S > 0.0
    final = Coordinator(net, steps=coarse.steps, solver=co.solver)
    short, long = coarse.green_mask(split2, gc2), final.green_mask(split2, gc2)
    served = long.sum(axis=1) > 0
    assert served.any()
    assert np.all(long >= short - 1e-12)
    # each movement of the two-phase grid is green once per cycle: 2 s more of it in the final
    lost_s = (long - short).sum(axis=1)[served] * gc2[0] / coarse.steps
    greens_per_group_cycle = gc2[0] / split2.cycle_s[0]
    assert lost_s == pytest.approx(EXTENSION_S * greens_per_group_cycle)


def test_sweep_model_keeps_the_extension_of_a_lone_signal() -> None:
    """A signal that runs alone keeps HCM's extension in the sweep's model: its sweep only
    lengthens Webster's cycle, and there no extension gave mixed results in SUMO."""
    net = grid(1, 1, phasing="two-phase", limits=LOW_FLOOR)
    flows = uniform_demand(net, 400.0, 80.0).flows_array(
        Coordinator(net).solver.arrays.movement_ids
    )
    co, _free, _gc, gc2, split2 = _search(net, flows)
    coarse = co._coarse
    assert coarse is not None
    assert coarse.extension_s == 0.0
    final = Coordinator(net, steps=coarse.steps, solver=co.solver)
    np.testing.assert_array_equal(coarse.green_mask(split2, gc2), final.green_mask(split2, gc2))
