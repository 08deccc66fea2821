"""HCM control delay and level of service of a plan, per movement and per intersection.

Control delay per vehicle ``d = d1 PF + d2 + d3`` [s/veh] (HCM 7th ed., ch. 19, eq. 19-18; the
initial-queue term as in HCM 2000, appendix F of ch. 16):

uniform delay
    ``d1 = 0.5 C (1 - g/C)^2 / (1 - min(1, X) g/C)``
incremental delay
    ``d2 = 900 T [(X - 1) + sqrt((X - 1)^2 + 8 k I X / (c T))]`` with analysis period ``T`` [h],
    ``k = 0.5`` (pretimed), ``I = 1`` (isolated)
initial-queue delay
    ``d3 = 1800 Qb (1 + u) t / (c T)`` with ``t = min(T, Qb / (c (1 - min(1, X))))`` and
    ``u = 0`` if ``t < T`` else ``1 - c T / (Qb (1 - min(1, X)))``

Level of service for signalized movements: A <= 10 s, B <= 20, C <= 35, D <= 55, E <= 80, F
beyond, and F whenever ``X > 1`` (HCM 7th ed., exhibit 19-8).

A movement's capacity adds the share of the cycle each serving phase gives it, at that phase's
saturation flow: protected at the adjusted saturation flow, permitted-only lefts at the gap
acceptance flow across the opposing traffic of that phase (:mod:`signalbrain.demand.saturation`).
Effective green equals displayed green plus yellow and all-red minus the lost time (2 s start-up
+ clearance - 2 s extension), i.e. the displayed green with the defaults; a movement carried into
the next phase also gets the clearance between the two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from signalbrain.demand.model import Demand
from signalbrain.demand.saturation import (
    heavy_vehicle_factor,
    permitted_left_sat_vph,
    turn_factor,
)
from signalbrain.errors import InputError
from signalbrain.network.model import PERMISSIVE, Intersection, Network
from signalbrain.timing.plan import NetworkPlan, TimingPlan

__all__ = [
    "MovementDelay",
    "evaluate_plan",
    "incremental_delay_s",
    "initial_queue_delay_s",
    "intersection_delay_s",
    "level_of_service",
    "uniform_delay_s",
]

LOS_THRESHOLDS_S: tuple[tuple[str, float], ...] = (
    ("A", 10.0),
    ("B", 20.0),
    ("C", 35.0),
    ("D", 55.0),
    ("E", 80.0),
)


def uniform_delay_s(cycle_s: float, green_s: float, x: float) -> float:
    """HCM uniform delay ``d1`` [s/veh] for effective green ``green_s`` and v/c ratio ``x``."""
    if cycle_s <= 0:
        raise InputError(f"cycle_s = {cycle_s}: must be > 0")
    g = min(max(green_s, 0.0), cycle_s) / cycle_s
    return 0.5 * cycle_s * (1.0 - g) ** 2 / (1.0 - min(1.0, x) * g)


def incremental_delay_s(
    x: float, capacity_vph: float, period_h: float = 0.25, k: float = 0.5, upstream_i: float = 1.0
) -> float:
    """HCM incremental (random and oversaturation) delay ``d2`` [s/veh]."""
    if capacity_vph <= 0:
        return math.inf if x > 0 else 0.0
    a = x - 1.0
    return (
        900.0
        * period_h
        * (a + math.sqrt(a * a + 8.0 * k * upstream_i * x / (capacity_vph * period_h)))
    )


def initial_queue_delay_s(
    queue_veh: float, capacity_vph: float, x: float, period_h: float = 0.25
) -> float:
    """HCM 2000 initial-queue delay ``d3`` [s/veh] for ``queue_veh`` left from the last period."""
    if queue_veh <= 0:
        return 0.0
    if capacity_vph <= 0:
        return math.inf
    spare = capacity_vph * (1.0 - min(1.0, x))
    t = period_h if spare <= 0 else min(period_h, queue_veh / spare)
    u = (
        0.0
        if t < period_h
        else (
            1.0 if spare <= 0 else 1.0 - capacity_vph * period_h / (queue_veh * (1.0 - min(1.0, x)))
        )
    )
    return 1800.0 * queue_veh * (1.0 + u) * t / (capacity_vph * period_h)


def level_of_service(delay_s: float, x: float = 0.0) -> str:
    """Signalized level of service from control delay [s/veh] and v/c ratio."""
    if x > 1.0:
        return "F"
    for los, limit in LOS_THRESHOLDS_S:
        if delay_s <= limit:
            return los
    return "F"


@dataclass(frozen=True, slots=True)
class MovementDelay:
    """HCM figures of one movement under a plan."""

    movement: str
    flow_vph: float
    capacity_vph: float
    green_s: float
    x: float
    uniform_s: float
    incremental_s: float
    initial_queue_s: float
    delay_s: float
    los: str


def _movement_greens(isec: Intersection, plan: TimingPlan) -> dict[str, list[tuple[int, float]]]:
    """Movement -> [(phase, effective green it gets in that phase [s])]."""
    seq = plan.sequence()
    nxt: dict[int, int] = {}
    for ring in seq:
        for i, n in enumerate(ring):
            nxt[n] = ring[(i + 1) % len(ring)]
    out: dict[str, list[tuple[int, float]]] = {}
    for ph in isec.phases:
        if not plan.has_phase(ph.number):
            continue
        pt = plan.phase(ph.number)
        after = isec.phase(nxt[ph.number]).movements if nxt[ph.number] != ph.number else ()
        for mid in ph.movements:
            g = pt.green_s + (pt.clearance_s if mid in after else 0.0)
            out.setdefault(mid, []).append((ph.number, g))
    return out


def evaluate_plan(
    network: Network,
    plan: NetworkPlan | TimingPlan,
    demand: Demand,
    *,
    period_h: float = 0.25,
    initial_queue_veh: Mapping[str, float] | None = None,
) -> dict[str, MovementDelay]:
    """HCM delay and LOS of every vehicular movement with a plan (movement id -> figures)."""
    plans = {plan.intersection: plan} if isinstance(plan, TimingPlan) else dict(plan.plans)
    queues = initial_queue_veh or {}
    out: dict[str, MovementDelay] = {}
    for isec in network.intersections:
        if isec.id not in plans:
            continue
        p = plans[isec.id]
        greens = _movement_greens(isec, p)
        for mv in isec.movements:
            if mv.turn == "P":
                continue
            v = demand.flow_vph(mv.id)
            base = (
                mv.lanes
                * network.link(mv.from_link).sat_flow_vphpl
                * turn_factor(mv.turn)
                * heavy_vehicle_factor(demand.heavy(mv.id))
            )
            cap = 0.0
            g_tot = 0.0
            for number, g in greens.get(mv.id, []):
                ph = isec.phase(number)
                s = base
                if mv.id in ph.permitted and mv.turn in ("L", "U"):
                    opposing = sum(
                        demand.flow_vph(o)
                        for o in ph.protected
                        if isec.relation(mv.id, o) == PERMISSIVE
                    )
                    s = permitted_left_sat_vph(opposing, base)
                cap += s * g / p.cycle_s
                g_tot += g
            x = v / cap if cap > 0 else (math.inf if v > 0 else 0.0)
            d1 = uniform_delay_s(p.cycle_s, g_tot, x)
            d2 = incremental_delay_s(x, cap, period_h) if v > 0 else 0.0
            d3 = initial_queue_delay_s(queues.get(mv.id, 0.0), cap, x, period_h)
            d = d1 + d2 + d3
            out[mv.id] = MovementDelay(
                mv.id, v, cap, g_tot, x, d1, d2, d3, d, level_of_service(d, x)
            )
    return out


def intersection_delay_s(
    delays: Mapping[str, MovementDelay], movement_ids: list[str]
) -> tuple[float, str]:
    """Flow-weighted control delay [s/veh] and LOS over some movements (an intersection)."""
    rows = [delays[m] for m in movement_ids if m in delays]
    total = sum(r.flow_vph for r in rows)
    if total <= 0:
        return 0.0, "A"
    d = sum(r.delay_s * r.flow_vph for r in rows) / total
    x = max((r.x for r in rows if r.flow_vph > 0), default=0.0)
    return d, level_of_service(d, 0.0 if x <= 1.0 else x)
