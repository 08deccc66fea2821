"""Phase selection for single-ring controllers and optimize_network options."""

from __future__ import annotations

from dataclasses import replace

import pytest

from signalbrain.demand import Demand
from signalbrain.errors import InputError
from signalbrain.network import Network, Phase
from signalbrain.network.generate import grid
from signalbrain.timing import optimize_network, select_phases


def _with_left_phase() -> tuple[Network, tuple[str, ...]]:
    """A two-phase signal plus a protected east-west left phase (3 phases, one ring)."""
    net = grid(1, 1, phasing="two-phase")
    isec = net.intersections[0]
    ew = isec.phase(2)
    lefts = ew.permitted
    extra = Phase(6, lefts, (), 5.0, 30.0, 3.5, 1.5, 0.0, "EWL")
    isec = replace(isec, phases=(*isec.phases, extra), rings=((2, 6, 4),), barriers=((2, 6, 4),))
    return replace(net, intersections=(isec,)), lefts


def _demand(net: Network, left_vph: float) -> Demand:
    isec = net.intersections[0]
    return Demand(
        {
            m.id: (700.0 if m.turn == "T" else left_vph if m.turn == "L" else 60.0)
            for m in isec.movements
        }
    )


def test_light_lefts_skip_the_protected_phase() -> None:
    net, _ = _with_left_phase()
    out = select_phases(net, _demand(net, 20.0))
    assert [p.number for p in out.intersections[0].phases] == [2, 4]
    assert any("skips phases [6]" in n for n in out.intersections[0].notes)


def test_heavy_lefts_keep_the_protected_phase() -> None:
    net, _ = _with_left_phase()
    out = select_phases(net, _demand(net, 600.0))  # beyond the permitted capacity
    assert [p.number for p in out.intersections[0].phases] == [2, 4, 6]
    assert out is net  # unchanged network object


def test_plan_of_selected_phases_checks_against_original() -> None:
    net, _ = _with_left_phase()
    plan = optimize_network(net, _demand(net, 20.0))
    p = plan["I0_0"]
    assert [ph.number for ph in p.phases] == [2, 4]
    assert [x for x in p.check(net.intersections[0]) if not x.path.endswith("cycle_s")] == []


def test_cycle_limit_overrides_and_errors() -> None:
    net = grid(2, 2)
    d = Demand({m.id: 50.0 for s in net.intersections for m in s.movements})
    plan = optimize_network(net, d, method="webster", cycle_min_s=90.0, cycle_max_s=120.0)
    assert all(90.0 <= p.cycle_s <= 120.0 for p in plan.plans.values())
    with pytest.raises(InputError, match="method"):
        optimize_network(net, d, method="magic")
    with pytest.raises(InputError, match="cycle_min_s = 100: must be <= cycle_max_s = 50"):
        optimize_network(net, d, cycle_min_s=100.0, cycle_max_s=50.0)
    with pytest.raises(InputError, match="unknown movement ids"):
        optimize_network(net, Demand({"nope": 3.0}))
