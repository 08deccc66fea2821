"""``optimize_network``: the one entry point from a network and its demand to signal plans.

Methods (chosen by name; an unknown name raises an error listing these):

``webster``
    isolated plans: each signal its own Webster cycle and equisaturation splits, offsets 0.
``transyt``
    coordinated plans: common cycles per coordination group chosen by the platoon-progression
    model (a cycle sweep), equisaturation splits, offsets by the same model
    (:mod:`signalbrain.timing.coordination`). The default.
``maxband``
    common cycles from Webster and the storage limit (no sweep: the bandwidth is maximised for
    the cycle, not the cycle for the model), then as ``transyt``, and the offsets along one
    corridor (given, or the longest straight route) maximise two-way green bandwidth
    (:mod:`signalbrain.timing.maxband`).

Before timing, single-ring controllers keep only the phases worth running
(:mod:`signalbrain.timing.phasing`); after it, plans are made whole-second
(:mod:`signalbrain.timing.rounding`) unless asked not to. Every plan keeps minimum and pedestrian
greens, yellows and all-reds; notes say where a request could not be met.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from signalbrain._numbers import finite_or_none
from signalbrain.demand.model import Demand, check_demand
from signalbrain.errors import InputError, Problem, shown
from signalbrain.network.model import Intersection, Network
from signalbrain.network.validate import MAX_CYCLE_S  # longest cycle one may ask for [s]
from signalbrain.timing.coordination import Coordinator
from signalbrain.timing.corridor import find_corridor
from signalbrain.timing.isolated import IsolatedSolver
from signalbrain.timing.joint import tune_splits
from signalbrain.timing.maxband import MilpError, MixedCyclesError, NoBandError, maxband_plan
from signalbrain.timing.phasing import select_phases
from signalbrain.timing.plan import NetworkPlan
from signalbrain.timing.rounding import least_whole_cycle, round_plan

__all__ = ["METHODS", "optimize_network"]

METHODS: tuple[str, ...] = ("transyt", "webster", "maxband")


def _with_cycle_limits(network: Network, lo: float | None, hi: float | None) -> Network:
    """Every intersection with the cycle limits asked for. A limit given alone wins over the
    intersection's other one: a minimum above its maximum raises the maximum to it, a maximum
    below its minimum lowers the minimum to it (so the plan never hides the request)."""
    if lo is None and hi is None:
        return network
    problems = [
        Problem(name, f"= {v:g}: must be > 0 and <= {MAX_CYCLE_S:g} s")
        for name, v in (("cycle_min_s", lo), ("cycle_max_s", hi))
        if v is not None and not 0 < v <= MAX_CYCLE_S
    ]
    if not problems and lo is not None and hi is not None and lo > hi:
        problems.append(Problem("cycle_min_s", f"= {lo:g}: must be <= cycle_max_s = {hi:g}"))
    if problems:
        raise InputError(problems)
    out = []
    for isec in network.intersections:
        new_lo = isec.cycle_min_s if lo is None else lo
        new_hi = isec.cycle_max_s if hi is None else hi
        if hi is None:
            new_hi = max(new_hi, new_lo)
        if lo is None:
            new_lo = min(new_lo, new_hi)
        out.append(replace(isec, cycle_min_s=new_lo, cycle_max_s=new_hi))
    return replace(network, intersections=tuple(out))


def optimize_network(
    network: Network,
    demand: Demand,
    *,
    method: str = "transyt",
    cycle_s: float | None = None,
    phase_selection: bool = True,
    whole_seconds: bool = True,
    route: Sequence[str] | None = None,
    steps: int = 50,
    stop_penalty_s: float = 10.0,
    cycle_min_s: float | None = None,
    cycle_max_s: float | None = None,
    joint: bool = False,
) -> NetworkPlan:
    """Signal plans for every intersection of ``network``.

    Parameters
    ----------
    network
        The network.
    demand
        Movement flows [veh/h]; movement ids the network does not know are an error.
    method
        ``transyt`` (default), ``webster`` or ``maxband``.
    cycle_s
        Force one common cycle [s] (coordinated methods) or every cycle (``webster``).
    phase_selection
        Let single-ring controllers skip phases whose movements other phases serve.
    whole_seconds
        Round every interval to whole seconds (what SUMO and field controllers run).
    route
        Intersection ids of the ``maxband`` corridor, in order (default: the longest straight
        route).
    steps, stop_penalty_s
        Profile resolution and stop penalty of the ``transyt`` model.
    cycle_min_s, cycle_max_s
        Replace every intersection's cycle limits (e.g. for SUMO imports, whose limits are
        defaults rather than the engineer's).
    joint
        Also hill-climb the splits of small coordinated systems with the offsets
        (:mod:`signalbrain.timing.joint`). Off by default: it lowers the model's index by a
        few percent but did not lower SUMO's delays on the benchmark scenarios.
    """
    if method not in METHODS:
        raise InputError(f"method = {method!r}: must be one of {', '.join(METHODS)}")
    if cycle_s is not None and not 0 < (finite_or_none(cycle_s) or 0) <= MAX_CYCLE_S:
        raise InputError(f"cycle_s = {shown(cycle_s, 24)}: must be > 0 and <= {MAX_CYCLE_S:g} s")
    problems = check_demand(network, demand)
    if problems:
        raise InputError(problems)
    network = _with_cycle_limits(network, cycle_min_s, cycle_max_s)
    solver = IsolatedSolver(network)
    net = select_phases(network, demand, solver=solver) if phase_selection else network
    if net is not network:
        solver = IsolatedSolver(net)
    flows, heavy = solver.flows(demand)
    if method == "webster":
        fixed = None if cycle_s is None else np.full(net.signal_count, float(cycle_s))
        plan = solver.plans(solver.solve(flows, heavy, fixed), notes=("method: webster",))
    else:
        co = Coordinator(net, steps=steps, stop_penalty_s=stop_penalty_s, solver=solver)
        result = co.solve(
            flows,
            heavy,
            cycle_s=cycle_s,
            cycle_search=method == "transyt",
            whole_seconds=whole_seconds,
        )
        if joint:
            result = tune_splits(co, result, flows)
        plan = co.plans(result, notes=(f"method: {method}",))
        if method == "maxband" and (route is not None or net.signal_count >= 2):
            try:
                corridor = find_corridor(net, route)
            except InputError as exc:
                if route is not None:  # the route asked for is wrong: say so
                    raise
                corridor = None  # no straight route of two signals: as for a lone signal
                note = f"maxband found no corridor ({exc}): offsets from transyt"
                plan = NetworkPlan(plan.plans, (*plan.notes, note), plan.objective)
            try:
                if corridor is not None:
                    plan, _ = maxband_plan(net, plan, corridor)
            except (NoBandError, MilpError, MixedCyclesError) as exc:
                note = f"{exc}: offsets from transyt"
                plan = NetworkPlan(plan.plans, (*plan.notes, note), plan.objective)
        elif method == "maxband":
            note = "maxband needs a corridor of two or more signals: offsets from transyt"
            plan = NetworkPlan(plan.plans, (*plan.notes, note), plan.objective)
    skipped = tuple(n for s in net.intersections for n in s.notes if "skips phases" in n)
    if skipped:
        note = f"{len(skipped)} signals skip phases other phases already serve"
        plan = NetworkPlan(plan.plans, (*plan.notes, note), plan.objective)
    if whole_seconds:
        plans = {sid: round_plan(p, net.intersection(sid)) for sid, p in plan.plans.items()}
        plan = NetworkPlan(plans, plan.notes, plan.objective)
    return _note_long_cycles(plan, net, cycle_s, whole_seconds)


def _between_whole_seconds(isec: Intersection, cycle_s: float) -> bool:
    """Whether no whole second lies within ``isec``'s cycle limits (e.g. [90.5, 90.5] s),
    ``cycle_s`` is one of the two whole seconds next to them and the minimums fit the shorter:
    a whole-second plan outside the limits because of the rounding, not of the minimums."""
    lo, hi = math.ceil(isec.cycle_min_s - 1e-9), math.floor(isec.cycle_max_s + 1e-9)
    return lo > hi and cycle_s in (hi, lo) and least_whole_cycle(isec) <= hi


_LONG_CYCLE = "minimum greens and clearances need a"
_SHORT_CYCLE = "below cycle_min_s"


def _note_long_cycles(
    plan: NetworkPlan, net: Network, cycle_s: float | None, whole_seconds: bool
) -> NetworkPlan:
    """Every plan whose cycle is longer than its signal's maximum (or the requested cycle) says
    so: the minimums and clearances are kept and the cycle lengthened, which the engineer must
    know. The isolated solver notes it; a coordinated group re-solved at a longer common cycle
    would otherwise lose the note. Likewise a requested cycle (or its half) beyond the signal's
    limits, and a cycle below the signal's minimum because every green is at its maximum (the
    isolated solver's note, which a coordinated group solved at its common cycle would lose).
    Whole-second plans of a fractional requested cycle may run the next whole second."""
    plans = dict(plan.plans)
    changed = False
    for sid, p in plan.plans.items():
        isec = net.intersection(sid)
        notes = p.notes
        over_max = p.cycle_s > isec.cycle_max_s + 1e-6
        if whole_seconds and cycle_s is None and _between_whole_seconds(isec, p.cycle_s):
            side = "longer than cycle_max_s" if over_max else _SHORT_CYCLE
            plans[sid] = replace(
                p,
                notes=(
                    *notes,
                    f"no whole-second cycle lies within the cycle limits [{isec.cycle_min_s:g}, "
                    f"{isec.cycle_max_s:g}] s: runs {p.cycle_s:g} s, {side} (--fractional "
                    "keeps the limits)",
                ),
            )
            changed = True
            continue
        over_request = False
        if cycle_s is not None:
            allowed = math.ceil(cycle_s - 1e-9) if whole_seconds else cycle_s
            over_request = p.cycle_s > allowed + 1e-6
        if (over_request or (over_max and cycle_s is None)) and not any(
            n.startswith(_LONG_CYCLE) for n in notes
        ):
            limit = isec.cycle_max_s if cycle_s is None else min(isec.cycle_max_s, cycle_s)
            notes = (
                *notes,
                f"{_LONG_CYCLE} {p.cycle_s:.1f} s cycle, more than the maximum {limit:g} s "
                "(or the requested cycle): cycle lengthened, minimums kept",
            )
        elif cycle_s is not None and over_max and not over_request:  # as asked
            half = abs(p.cycle_s - cycle_s / 2) < abs(p.cycle_s - cycle_s)
            notes = (
                *notes,
                f"runs a {p.cycle_s:.1f} s cycle for the requested {cycle_s:g} s cycle"
                f"{' (half cycles)' if half else ''}, longer than cycle_max_s = "
                f"{isec.cycle_max_s:g} s",
            )
        if p.cycle_s < isec.cycle_min_s - 1e-6 and not any(_SHORT_CYCLE in n for n in notes):
            why = (
                f"the requested {cycle_s:g} s cycle"
                if cycle_s is not None
                else "every phase at its maximum"
            )
            notes = (
                *notes,
                f"{why} gives only {p.cycle_s:.1f} s, {_SHORT_CYCLE} = {isec.cycle_min_s:g} s",
            )
        if notes is not p.notes:
            plans[sid] = replace(p, notes=notes)
            changed = True
    return NetworkPlan(plans, plan.notes, plan.objective) if changed else plan
