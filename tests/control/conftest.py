"""Factories for control tests: intersections and small networks built in code.

Geometry-inferred movements and conflicts (:mod:`signalbrain.network.geometry`) with either NEMA
dual-ring phases (four legs) or single-ring phases packed greedily from compatible movements (any
number of legs, any angles).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from signalbrain.control import (
    ApproachObservation,
    ConflictMonitor,
    Controller,
    LaneObservation,
    Observation,
    Request,
    SignalState,
)
from signalbrain.network import Intersection, Link, Movement, Network, Node, Phase
from signalbrain.network.geometry import infer_conflicts, infer_movements, movement_legs


def _legs(
    center: str, angles_deg: Sequence[float], length_m: float, lanes: int, x0: float = 0.0
) -> tuple[list[Node], list[Link], dict[str, str]]:
    nodes = [Node(center, x0, 0.0)]
    links: list[Link] = []
    names: dict[str, str] = {}
    for k, a in enumerate(angles_deg):
        leg = f"{center}{k}"
        names[leg] = f"{a:.0f}"
        nodes.append(
            Node(
                leg, x0 + length_m * math.cos(math.radians(a)), length_m * math.sin(math.radians(a))
            )
        )
        links.append(Link(f"{leg}_{center}", leg, center, lanes, length_m, 13.9))
        links.append(Link(f"{center}_{leg}", center, leg, lanes, length_m, 13.9))
    return nodes, links, names


def _movements(
    center: str, nodes: list[Node], links: list[Link]
) -> tuple[list[Movement], frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    node_map = {n.id: n for n in nodes}
    link_map = {k.id: k for k in links}
    movements = infer_movements([center], link_map, node_map)
    legs = movement_legs(movements, link_map, node_map, [center])
    conflicts, permissive = infer_conflicts(movements, legs)
    return movements, conflicts, permissive


def nema_intersection(
    center: str = "A",
    *,
    min_green_s: float = 7.0,
    left_min_s: float = 5.0,
    yellow_s: float = 4.0,
    all_red_s: float = 1.5,
    ped_min_s: float = 0.0,
    x0: float = 0.0,
) -> tuple[Intersection, list[Node], list[Link]]:
    """A four-leg intersection with eight NEMA phases in a dual ring (2/6 east-west)."""
    nodes, links, _ = _legs(center, (0.0, 90.0, 180.0, 270.0), 300.0, 2, x0)
    movements, conflicts, permissive = _movements(center, nodes, links)
    by = {(m.from_link, m.turn): m.id for m in movements}
    e, n, w, s = (f"{center}{k}_{center}" for k in range(4))

    def through(num: int, leg: str) -> Phase:
        return Phase(
            num,
            (by[leg, "T"], by[leg, "R"]),
            (by[leg, "L"],),
            min_green_s,
            55.0,
            yellow_s,
            all_red_s,
            ped_min_s,
        )

    def left(num: int, leg: str) -> Phase:
        return Phase(num, (by[leg, "L"],), (), left_min_s, 30.0, yellow_s, all_red_s)

    phases = (
        left(1, e),
        through(2, w),
        left(3, n),
        through(4, s),
        left(5, w),
        through(6, e),
        left(7, s),
        through(8, n),
    )
    isec = Intersection(
        center,
        (center,),
        tuple(movements),
        phases,
        conflicts,
        permissive,
        rings=((1, 2, 3, 4), (5, 6, 7, 8)),
        barriers=((1, 2, 5, 6), (3, 4, 7, 8)),
    )
    return isec, nodes, links


def greedy_intersection(angles_deg: Sequence[float], seed: int, center: str = "A") -> Intersection:
    """An intersection of any geometry with single-ring phases packed from compatible movements,
    random permitted movements and random timing limits."""
    rng = random.Random(seed)
    nodes, links, _ = _legs(center, angles_deg, 200.0, 1)
    movements, conflicts, permissive = _movements(center, nodes, links)
    probe = Intersection(center, (center,), tuple(movements), (), conflicts, permissive)
    order = list(movements)
    rng.shuffle(order)
    groups: list[list[str]] = []
    for m in order:
        for g in groups:
            if not probe.unsafe_pairs([*g, m.id]):
                g.append(m.id)
                break
        else:
            groups.append([m.id])
    phases = []
    for k, g in enumerate(groups):
        permitted = [
            m.id
            for m in movements
            if m.id not in g and rng.random() < 0.5 and not probe.unsafe_pairs(g, [m.id])
        ]
        chosen: list[str] = []
        for p in permitted:
            if not probe.unsafe_pairs(g, [*chosen, p]):
                chosen.append(p)
        phases.append(
            Phase(
                k + 1,
                tuple(g),
                tuple(chosen),
                rng.choice((0.0, 2.0, 5.0, 7.5)),
                60.0,
                rng.choice((3.0, 3.5, 4.0)),
                rng.choice((0.0, 1.0, 2.5)),
                rng.choice((0.0, 0.0, 9.0)),
            )
        )
    return Intersection(center, (center,), tuple(movements), tuple(phases), conflicts, permissive)


def corridor(n: int, *, spacing_m: float = 300.0) -> Network:
    """``n`` NEMA intersections in a row, west to east, joined by two-way links."""
    nodes: list[Node] = []
    links: list[Link] = []
    isecs: list[Intersection] = []
    for k in range(n):
        isec, nn, ll = nema_intersection(f"I{k}", x0=k * spacing_m * 2)
        nodes += nn
        links += ll
        isecs.append(isec)
    return Network("corridor", tuple(nodes), tuple(links), tuple(isecs))


@pytest.fixture(scope="session")
def make_nema() -> Callable[..., Intersection]:
    """Factory of NEMA dual-ring intersections (keyword timing limits)."""
    return lambda **kw: nema_intersection(**kw)[0]


@pytest.fixture(scope="session")
def make_greedy() -> Callable[[Sequence[float], int], Intersection]:
    """Factory of single-ring intersections of any geometry."""
    return greedy_intersection


@pytest.fixture(scope="session")
def make_corridor() -> Callable[..., Network]:
    """Factory of NEMA corridors."""
    return corridor


# ---------------------------------------------------------------------- a toy queue simulator
@dataclass
class ToyResult:
    """What a toy run produced: states per intersection, total queueing [veh s], served [veh]."""

    states: dict[str, list[SignalState]]
    queued_veh_s: float
    served_veh: float
    served_by_movement: dict[str, float]


def toy_run(
    network: Network,
    controller: Controller,
    flows_vph: dict[str, float],
    *,
    duration_s: float = 900.0,
    dt_s: float = 1.0,
    seed: int = 0,
    reach_m: float = 120.0,
    hook: Callable[[float, dict[str, Observation]], dict[str, Observation]] | None = None,
) -> ToyResult:
    """Run ``controller`` on a point-queue model of ``network`` (each intersection isolated).

    Vehicles of each movement arrive at random (Bernoulli per step at the movement's flow),
    travel ``reach_m`` at the link's free speed inside detector view, queue at the stop line and
    leave at saturation flow while the movement is green (permitted green at 40 %). Each movement
    has its own lane detector. ``hook`` may alter the observations (fault injection).
    """
    rng = random.Random(seed)
    links = {k.id: k for k in network.links}
    monitors = {s.id: ConflictMonitor(s) for s in network.intersections}
    states: dict[str, list[SignalState]] = {s.id: [] for s in network.intersections}
    queue = {m.id: 0.0 for s in network.intersections for m in s.movements}
    moving: dict[str, list[float]] = {m: [] for m in queue}  # distance to stop line
    credit = dict.fromkeys(queue, 0.0)
    served = dict.fromkeys(queue, 0.0)
    last_count = dict.fromkeys(queue, 0.0)
    shown = {s.id: dict.fromkeys((m.id for m in s.movements), "r") for s in network.intersections}
    controller.start(network, 0.0)
    queued = 0.0
    t = 0.0
    while t < duration_s - 1e-9:
        obs: dict[str, Observation] = {}
        for s in network.intersections:
            approaches = {}
            for link in s.approach_links:
                lanes = []
                for m in s.movements:
                    if m.from_link != link:
                        continue
                    fits = m.lanes * reach_m / 7.5  # a detector sees only its zone
                    seen_q = float(min(int(queue[m.id]), int(fits)))
                    seen_moving = len(moving[m.id]) if seen_q < fits else 0
                    lanes.append(
                        LaneObservation(
                            f"{m.id}_0",
                            (m.id,),
                            count_veh=last_count[m.id],
                            occupancy=min(1.0, seen_q * 7.5 / (m.lanes * reach_m)),
                            queue_veh=seen_q,
                            vehicles_veh=seen_q + seen_moving,
                            speed_mps=links[link].free_speed_mps if moving[m.id] else math.nan,
                            reach_m=reach_m,
                            arrivals_m=tuple(sorted(moving[m.id])),
                        )
                    )
                approaches[link] = ApproachObservation.from_lanes(link, tuple(lanes))
            obs[s.id] = Observation(t, approaches)
        if hook is not None:
            obs = hook(t, obs)
        requests = controller.step(t, dt_s, obs)
        for s in network.intersections:
            st = monitors[s.id].step(t, dt_s, requests.get(s.id, Request(hold=True)))
            states[s.id].append(st)
            shown[s.id] = dict(st.movements)
        for s in network.intersections:
            for m in s.movements:
                mid = m.id
                link = links[m.from_link]
                rate = flows_vph.get(mid, 0.0) / 3600.0 * dt_s
                if rng.random() < rate:
                    moving[mid].append(reach_m)
                step_m = link.free_speed_mps * dt_s
                still = []
                for d in moving[mid]:
                    d -= step_m
                    if d <= 0:
                        queue[mid] += 1
                    else:
                        still.append(d)
                moving[mid] = still
                display = shown[s.id][mid]
                last_count[mid] = 0.0
                if display in "Gg":
                    factor = 1.0 if display == "G" else 0.4
                    credit[mid] += link.sat_flow_vphpl * m.lanes / 3600.0 * dt_s * factor
                    go = min(queue[mid], math.floor(credit[mid]))
                    queue[mid] -= go
                    credit[mid] -= go
                    served[mid] += go
                    last_count[mid] = go
                    if queue[mid] == 0:
                        credit[mid] = min(credit[mid], 1.0)
                else:
                    credit[mid] = 0.0
                queued += queue[mid] * dt_s
        t += dt_s
    return ToyResult(states, queued, sum(served.values()), served)


@pytest.fixture(scope="session")
def run_toy() -> Callable[..., ToyResult]:
    """The toy queue simulator (see :func:`toy_run`)."""
    return toy_run
