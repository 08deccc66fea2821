"""A signalled pedestrian crossing keeps the clearance of the original program.

netconvert ends a crossing's green with a phase in which the crossing shows red while the
parallel vehicles keep green (5 s), then the vehicles' 3 s yellow: 8 s before any vehicle
crossing its path may go. The import gave the crossing 3 s yellow and 1 s all-red, and plans
skipped the vehicle-only phase (its movements are served by the crossing's phase): conflicting
vehicles got green 4 s after the crossing's green ended.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.control.base import Observation
from signalbrain.io.sumo_net import read_sumo_net
from signalbrain.io.sumo_tls import SumoLink, build_intersection
from signalbrain.network.model import NONE, Intersection, SumoPhase, SumoProgram
from signalbrain.sim.run import run_sumo

from .conftest import random_trips, write_config

pytest.importorskip("sumolib")

GREEN = frozenset("GgoO")
END_S = 300


def _foe_links(isec: Intersection, crossing: str) -> list[int]:
    """Link indices of the movements conflicting with ``crossing`` in the model."""
    return [
        i
        for m in isec.movements
        if m.id != crossing and isec.relation(crossing, m.id) != NONE
        for i in m.sumo_link_indices
    ]


def _original_clearances_s(isec: Intersection) -> dict[str, float]:
    """Per crossing: from the end of its green to the first phase that turns a conflicting link
    green, running the original program in file order (it has no ``next`` attributes)."""
    program = isec.sumo
    if program is None:
        raise ValueError(f"{isec.id}: not imported from SUMO")
    phases = program.phases
    n = len(phases)
    out: dict[str, float] = {}
    for mv in isec.movements:
        if mv.turn != "P":
            continue
        c = mv.sumo_link_indices[0]
        foes = _foe_links(isec, mv.id)
        worst = 0.0
        for k in range(n):
            if phases[k].state[c] not in GREEN or phases[(k + 1) % n].state[c] in GREEN:
                continue  # not the last phase of a crossing green
            total = 0.0
            for step in range(1, n):
                prev, cur = phases[(k + step - 1) % n].state, phases[(k + step) % n].state
                if any(cur[f] in GREEN and prev[f] not in GREEN for f in foes):
                    break
                total += phases[(k + step) % n].duration_s
            worst = max(worst, total)
        out[mv.id] = worst
    return out


def _earliest_conflicting_greens_s(
    isec: Intersection, states: list[tuple[float, str]]
) -> dict[str, float]:
    """Per crossing: the shortest time from the end of its green to a conflicting link turning
    green, in a sequence of (time, SUMO state) samples."""
    out: dict[str, float] = {}
    for mv in isec.movements:
        if mv.turn != "P":
            continue
        c = mv.sumo_link_indices[0]
        foes = _foe_links(isec, mv.id)
        ended: float | None = None
        for (_, prev), (t, cur) in itertools.pairwise(states):
            if prev[c] in GREEN and cur[c] not in GREEN:
                ended = t
            elif cur[c] in GREEN:
                ended = None
            if ended is not None and any(cur[f] in GREEN and prev[f] not in GREEN for f in foes):
                out[mv.id] = min(out.get(mv.id, float("inf")), t - ended)
                ended = None
    return out


def test_imported_crossing_clearance_is_the_original_programs(crossing_net: Path) -> None:
    net = read_sumo_net(crossing_net)
    checked = 0
    for isec in net.intersections:
        yellow, all_red = isec.movement_clearances()
        for mid, original_s in _original_clearances_s(isec).items():
            assert original_s == pytest.approx(8.0)  # netconvert: 5 s + the vehicles' 3 s
            assert yellow[mid] + all_red[mid] == pytest.approx(max(original_s, 4.0)), mid
            checked += 1
        clear = isec.phase_clearances()
        for ph in isec.phases:
            if any(isec.movement(m).turn == "P" for m in ph.movements):
                assert sum(clear[ph.number]) >= 8.0 - 1e-9
    assert checked > 0


@pytest.fixture(scope="module")
def crossing_config(
    sumo_home: Path, crossing_net: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A ``.sumocfg`` of the crossings grid with random trips, and its network."""
    net_file = crossing_net
    routes = random_trips(sumo_home, net_file, end_s=END_S, period_s=1.5)
    cfg = write_config(
        tmp_path_factory.mktemp("crossing_cfg") / "crossings.sumocfg", net_file, routes, END_S
    )
    return cfg, net_file


def _check_states(net_file: Path, history: dict[str, list[tuple[float, str]]]) -> None:
    net = read_sumo_net(net_file)
    seen = 0
    for isec in net.intersections:
        wanted = _original_clearances_s(isec)
        got = _earliest_conflicting_greens_s(isec, history[isec.id])
        for mid, gap_s in got.items():
            assert gap_s >= wanted[mid] - 1e-6, (isec.id, mid, gap_s, wanted[mid])
            seen += 1
    assert seen > 0


def test_optimised_program_keeps_the_crossing_clearance(
    crossing_config: tuple[Path, Path], tmp_path: Path
) -> None:
    libsumo = pytest.importorskip("libsumo")
    cfg, net_file = crossing_config
    plan = tmp_path / "plan.add.xml"
    assert main(["optimize", str(cfg), "-o", str(plan)]) == 0
    history: dict[str, list[tuple[float, str]]] = {}
    libsumo.start(
        ["sumo", "-c", str(cfg), "-a", str(plan), "--no-step-log", "--no-warnings",
         "--end", str(END_S)]
    )  # fmt: skip
    try:
        ids = libsumo.trafficlight.getIDList()
        while libsumo.simulation.getTime() < END_S:
            libsumo.simulationStep()
            t = libsumo.simulation.getTime()
            for tls in ids:
                history.setdefault(tls, []).append(
                    (t, libsumo.trafficlight.getRedYellowGreenState(tls))
                )
    finally:
        libsumo.close()
    _check_states(net_file, history)


@pytest.mark.parametrize("controller", ["fixed", "adaptive"])
def test_controllers_keep_the_crossing_clearance(
    crossing_config: tuple[Path, Path], controller: str
) -> None:
    libsumo = pytest.importorskip("libsumo")
    cfg, net_file = crossing_config
    history: dict[str, list[tuple[float, str]]] = {}

    def record(t_s: float, observations: dict[str, Observation]) -> dict[str, Observation]:
        for tls in observations:
            history.setdefault(tls, []).append(
                (t_s, libsumo.trafficlight.getRedYellowGreenState(tls))
            )
        return observations

    result = run_sumo(cfg, controller, end_s=END_S, observation_hooks=[record])
    assert result.safety.ok, result.safety
    assert result.signals > 0
    _check_states(net_file, history)


@pytest.mark.parametrize(
    ("successors", "clearance_s"),
    [
        ((5, 2, 3, 4, 0, 1), 11.0),  # 'next': crossing red 6 s, yellow 3 s, all-red 2 s
        (None, 5.0),  # file order: yellow 3 s, all-red 2 s
    ],
)
def test_crossing_clearance_follows_the_program_order(
    successors: tuple[int, ...] | None, clearance_s: float
) -> None:
    """Link 0 runs north-south, link 1 east-west, crossing 2 alongside link 0 (a foe of link 1
    only)."""
    states = [("GrG", 30.0), ("yrr", 3.0), ("rrr", 2.0), ("rGr", 30.0), ("ryr", 3.0), ("Grr", 6.0)]
    program = SumoProgram(
        "J", "0", "static", 0.0, tuple(SumoPhase(d, s) for s, d in states), link_count=3
    )
    links = [
        SumoLink(0, "n", "s", 0, "T", "J"),
        SumoLink(1, "e", "w", 0, "T", "J"),
        SumoLink(2, "J_c0", "J_c0", 0, "P", "J"),
    ]
    isec = build_intersection("J", ["J"], links, [(0, 1), (1, 2)], set(), program, successors)
    crossing = next(m.id for m in isec.movements if m.turn == "P")
    (served,) = (ph for ph in isec.phases if crossing in ph.movements)
    assert served.yellow_s == 3.0
    assert served.clearance_s == clearance_s
    yellow, all_red = isec.movement_clearances()
    assert yellow[crossing] + all_red[crossing] == clearance_s
