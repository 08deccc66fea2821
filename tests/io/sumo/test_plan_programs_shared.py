"""Programs of a whole network are built once per layout and plan: the result must equal
building each intersection's program on its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import signalbrain.io.plan_sumo as plan_sumo
from signalbrain.io.demand import read_sumo_routes
from signalbrain.io.plan_sumo import plan_program, plan_programs
from signalbrain.io.sumo_net import read_sumo_net
from signalbrain.io.sumo_programs import DEFAULT_PROGRAM_ID
from signalbrain.network import Intersection, SumoProgram
from signalbrain.timing.optimize import optimize_network
from signalbrain.timing.plan import NetworkPlan, TimingPlan

pytest.importorskip("sumolib")


def _one_by_one(net_path: Path, plan: NetworkPlan) -> None:
    net = read_sumo_net(net_path)
    want = {
        s.id: plan_program(s, plan.plans[s.id]) for s in net.intersections if s.id in plan.plans
    }
    assert plan_programs(net, plan) == want


def test_optimised_plans_equal_one_by_one(
    grid_net: Path, trips_for: Callable[[Path], Path]
) -> None:
    net = read_sumo_net(grid_net)
    plan = optimize_network(net, read_sumo_routes(trips_for(grid_net), net))
    _one_by_one(grid_net, plan)


def test_one_plan_at_many_offsets_is_built_once(
    make_net: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_net(
        "shared_programs",
        "--grid.number",
        "3",
        "--grid.length",
        "150",
        "-L",
        "2",
        "--tls.guess",
        "true",
        "--no-turnarounds",
        "true",
    )
    net = read_sumo_net(path)
    isolated = optimize_network(net, read_sumo_routes(_routes(path), net), method="webster")
    first = isolated.plans[net.intersections[0].id]
    same = {
        s.id: replace(first, intersection=s.id, offset_s=float(k % int(first.cycle_s)))
        for k, s in enumerate(net.intersections)
    }
    plan = NetworkPlan(same)
    calls: list[str] = []
    real = plan_sumo.plan_program

    def counting(
        intersection: Intersection, timing: TimingPlan, program_id: str = DEFAULT_PROGRAM_ID
    ) -> SumoProgram:
        calls.append(intersection.id)
        return real(intersection, timing, program_id)

    monkeypatch.setattr(plan_sumo, "plan_program", counting)
    got = plan_programs(net, plan)
    assert len(calls) < len(net.intersections)
    monkeypatch.undo()
    assert got == {s.id: plan_program(s, same[s.id]) for s in net.intersections}
    assert {p.offset_s for p in got.values()} == {
        float(k % int(first.cycle_s)) for k in range(len(net.intersections))
    }


def _routes(net: Path) -> Path:
    routes = net.with_name("shared_programs.rou.xml")
    routes.write_text("""<routes>
    <vehicle id="v0" depart="0"><route edges="A0A1 A1A2"/></vehicle>
    <vehicle id="v1" depart="600"><route edges="A1B1 B1C1"/></vehicle>
</routes>
""")
    return routes
