"""Running a fixed timing plan through the conflict monitor, and the default plan of a signal.

A :class:`~signalbrain.timing.plan.TimingPlan` says, per ring, which phase is green, yellow or
all-red at any time. :func:`plan_request` turns that into a request: during a phase's green it asks
for that phase; during its yellow and all-red it already asks for the next phase of the ring, so
the monitor runs the change interval (its own yellow and all-red) while the plan does, and the
next green starts on time when the plan's clearances are at least the phases'.

:func:`default_plan` is the plan a signal falls back to when nothing better is known (detector
fault before any demand was measured): the greens of the imported field program when there is
one, else every phase's minimum green stretched to ``default_green_s``; always within the phase
limits, with ring totals equalised per barrier group.
"""

from __future__ import annotations

from signalbrain.control.base import Request
from signalbrain.control.monitor import phase_min_green_s
from signalbrain.network.model import Intersection
from signalbrain.timing.plan import PhaseTiming, TimingPlan

__all__ = ["default_plan", "plan_request"]


def default_plan(isec: Intersection, default_green_s: float = 20.0) -> TimingPlan:
    """A plain fixed plan: each phase green for ``default_green_s`` clipped to its limits,
    shorter rings padded in their last phase of each barrier group so that rings cross barriers
    together; the cycle is raised to the intersection's minimum cycle if needed."""
    field_greens = _program_greens(isec)
    green = {
        p.number: min(
            max(field_greens.get(p.number, default_green_s), phase_min_green_s(p)), p.max_green_s
        )
        for p in isec.phases
    }
    clear = isec.phase_clearances()  # a movement clears as its longest phase does
    split = {p.number: green[p.number] + sum(clear[p.number]) for p in isec.phases}
    known = set(green)
    rings = tuple(tuple(n for n in ring if n in known) for ring in isec.rings)
    barriers = tuple(tuple(n for n in g if n in known) for g in isec.barriers)
    for group in barriers:
        members = set(group)
        per_ring = [[n for n in ring if n in members] for ring in rings]
        totals = [sum(split[n] for n in r) for r in per_ring if r]
        if not totals:
            continue
        top = max(totals)
        for r in per_ring:
            if r:
                pad = top - sum(split[n] for n in r)
                green[r[-1]] += pad
                split[r[-1]] += pad
    cycle = sum(max(sum(split[n] for n in ring if n in set(g)) for ring in rings) for g in barriers)
    if cycle < isec.cycle_min_s:  # stretch the greens of the first ring's phases evenly
        extra = isec.cycle_min_s - cycle
        for group in barriers:
            members = set(group)
            length = max(sum(split[n] for n in ring if n in members) for ring in rings)
            share = extra * length / cycle
            for ring in rings:
                r = [n for n in ring if n in members]
                if r:
                    green[r[-1]] += share
        cycle = isec.cycle_min_s
    phases = tuple(PhaseTiming(p.number, green[p.number], *clear[p.number]) for p in isec.phases)
    note = (
        "default plan: the imported program's greens within the limits"
        if field_greens
        else f"default plan: {default_green_s:g} s greens within the limits"
    )
    return TimingPlan(isec.id, cycle, 0.0, phases, rings, barriers, (note,))


def _program_greens(isec: Intersection) -> dict[int, float]:
    """Green times of an imported SUMO program by phase number, when its green phases map one
    to one onto the intersection's single-ring phases (numbered in program order)."""
    if isec.sumo is None or len(isec.rings) != 1:
        return {}
    greens = [
        ph.duration_s
        for ph in isec.sumo.phases
        if "y" not in ph.state.lower() and any(c in "Gg" for c in ph.state)
    ]
    if len(greens) != len(isec.phases):
        return {}
    return {
        p.number: g
        for p, g in zip(sorted(isec.phases, key=lambda p: p.number), greens, strict=True)
    }


def plan_request(plan: TimingPlan, t_s: float) -> Request:
    """The request that makes the monitor follow ``plan`` at absolute time ``t_s``."""
    wanted: list[int] = []
    for interval in plan.phase_at(t_s):
        if interval.phase == 0:
            continue
        wanted.append(
            interval.phase if interval.kind == "green" else plan.next_phase(interval.phase)
        )
    return Request(phases=tuple(dict.fromkeys(wanted)))
