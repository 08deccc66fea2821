"""An optimised program of a SUMO network with pedestrian crossings keeps every clearance.

netconvert gives the phase whose crossings end a yellow and all-red of its own, while the
vehicle-only phase after it serves the same vehicle movements with no all-red. The monitor and
the audit clear a movement by the longest clearance of the phases serving it; the fixed-time
plan skipped the pedestrian phase and ended those movements with the vehicle phase's 0 s: 678
short all-reds in 360 s of the optimised program on this network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.control.audit import audit
from signalbrain.control.base import SafetyCounts, SignalState
from signalbrain.control.plans import default_plan
from signalbrain.io.sumo_net import read_sumo_net

from .conftest import netgenerate, random_trips

pytest.importorskip("sumolib")


def test_optimised_program_with_crossings_keeps_every_all_red(
    sumo_home: Path, sumo_nets: Path, tmp_path: Path
) -> None:
    libsumo = pytest.importorskip("libsumo")
    net_file = netgenerate(
        sumo_home,
        sumo_nets,
        "crossings",
        "--grid.number",
        "3",
        "-j",
        "traffic_light",
        "--sidewalks.guess",
        "--crossings.guess",
        "--tls.layout",
        "incoming",
    )
    routes = random_trips(sumo_home, net_file, end_s=360, period_s=1.5)
    plan = tmp_path / "plan.add.xml"
    assert main(["optimize", str(net_file), "--routes", str(routes), "-o", str(plan)]) == 0
    net = read_sumo_net(net_file)
    assert any(len({p.all_red_s for p in s.phases}) > 1 for s in net.intersections)
    history: dict[str, list[SignalState]] = {s.id: [] for s in net.intersections}
    libsumo.start(
        ["sumo", "-n", str(net_file), "-r", str(routes), "-a", str(plan), "--no-step-log",
         "--no-warnings", "--end", "360"]
    )  # fmt: skip
    try:
        while libsumo.simulation.getTime() < 360:
            libsumo.simulationStep()
            t = libsumo.simulation.getTime()
            for s in net.intersections:
                text = libsumo.trafficlight.getRedYellowGreenState(s.id)
                shown = {m.id: text[m.sumo_link_indices[0]] for m in s.movements}
                if not history[s.id] or history[s.id][-1].movements != shown:
                    history[s.id].append(SignalState(t, shown))
    finally:
        libsumo.close()
    total = SafetyCounts()
    for s in net.intersections:
        total = total + audit(s, history[s.id], from_start=False)
    assert total == SafetyCounts(), total


def test_default_plan_of_a_network_with_crossings_is_a_valid_plan(crossing_net: Path) -> None:
    """The default plan (what every signalbrain controller starts from in ``sumo run``) padded
    its cycle with each phase's own clearance but timed the phases with the longest of the
    phases sharing their movements: ``sumo run --controller fixed|adaptive|max-pressure`` on
    this network ended at once with "plans.A0.cycle_s = 98: must equal the sum of the barrier
    groups (100 s)"."""
    net = read_sumo_net(crossing_net)
    assert any(len({p.all_red_s for p in s.phases}) > 1 for s in net.intersections)
    for isec in net.intersections:
        plan = default_plan(isec)
        clear = isec.phase_clearances()
        assert plan.cycle_s == pytest.approx(sum(ph.split_s for ph in plan.phases))
        for ph in plan.phases:
            assert (ph.yellow_s, ph.all_red_s) == clear[ph.number]
