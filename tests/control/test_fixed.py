"""The fixed controller runs signalbrain's optimised (coordinated) plans."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from signalbrain.control import make_controller
from signalbrain.control.core import coordinated_plans
from signalbrain.control.fixed import FixedTime
from signalbrain.control.plans import default_plan
from signalbrain.demand.model import Demand
from signalbrain.errors import InputError
from signalbrain.network import Network
from signalbrain.timing.optimize import optimize_network

from .conftest import ToyResult, corridor


def _flows(net: Network) -> dict[str, float]:
    return {
        m.id: (500.0 if m.turn == "T" else 120.0) * (1.6 if m.from_link[-1] in "02" else 1.0)
        for isec in net.intersections
        for m in isec.movements
    }


def test_given_demand_gives_the_plans_signalbrain_optimize_writes() -> None:
    net = corridor(3)
    flows = _flows(net)
    ctrl = FixedTime(net, demand=flows)
    ctrl.start(net, 0.0)
    want = optimize_network(net, Demand(flows), method="transyt", phase_selection=True).plans
    got = {k: u.fallback for k, u in ctrl.units.items()}
    assert got == dict(want)


def test_measured_flows_replace_the_default_plans_after_warmup(
    run_toy: Callable[..., ToyResult],
) -> None:
    net = corridor(2)
    ctrl = FixedTime(net, warmup_s=300.0)
    before = {i.id: default_plan(i) for i in net.intersections}
    r = run_toy(net, ctrl, _flows(net), duration_s=600.0)
    assert r.served_veh > 0
    after = {k: u.fallback for k, u in ctrl.units.items()}
    assert after != before
    for k, plan in after.items():
        assert not plan.check(net.intersection(k))
        assert plan.cycle_s >= net.intersection(k).cycle_min_s


def test_coordinated_plans_ignore_unknown_and_bad_flows() -> None:
    net = corridor(1)
    flows = {**_flows(net), "nowhere": 100.0, next(iter(_flows(net))): float("nan")}
    plans = coordinated_plans(net, flows)
    assert set(plans) == {i.id for i in net.intersections}


def test_isolated_method_is_kept_and_bad_methods_are_input_errors() -> None:
    net = corridor(2)
    ctrl = FixedTime(net, demand=_flows(net), method="isolated")
    ctrl.start(net, 0.0)
    offsets = {u.fallback.offset_s for u in ctrl.units.values()}
    assert offsets == {0.0}
    with pytest.raises(InputError, match="coordinated"):
        make_controller("fixed", net, method="green-wave")


def test_each_replan_uses_only_the_flows_counted_since_the_last_one() -> None:
    net = corridor(1)
    ctrl = FixedTime(net, warmup_s=600.0, replan_s=600.0)
    ctrl.start(net, 0.0)
    unit = next(iter(ctrl.units.values()))
    unit.counted_veh[:] = [10.0] * len(unit.counted_veh)
    unit.counted_s = 600.0
    first, counted = ctrl._window_flows_vph()
    assert counted == {unit.intersection.id}
    assert set(first.values()) == {60.0}
    unit.counted_veh[:] = [40.0] * len(unit.counted_veh)  # 30 more in the next 600 s
    unit.counted_s = 1200.0
    second, _ = ctrl._window_flows_vph()
    assert set(second.values()) == {180.0}


def test_warmup_runs_max_pressure_then_the_plan(run_toy: Callable[..., ToyResult]) -> None:
    net = corridor(1)
    warm = FixedTime(net, warmup_s=300.0)
    plain = FixedTime(net, warmup_s=300.0, warmup_control="plan")
    r_warm = run_toy(net, warm, _flows(net), duration_s=290.0)
    r_plain = run_toy(net, plain, _flows(net), duration_s=290.0)
    isec = net.intersections[0].id
    shown = [tuple(sorted(s.movements.items())) for s in r_warm.states[isec]]
    shown_plain = [tuple(sorted(s.movements.items())) for s in r_plain.states[isec]]
    assert shown != shown_plain  # the warm-up answers the detectors, the plan does not
    assert warm._warm is not None
    assert plain._warm is None
