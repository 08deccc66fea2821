"""Phase selection: which phases of a single-ring controller a fixed-time plan should run.

Imported SUMO programs often list more green phases than a fixed-time plan needs (the same
movements appear in several phases, e.g. "both throughs", then "through and left" of each
approach, or a protected left phase next to a phase where the left is permitted). Each phase run
costs a yellow and an all-red. :func:`select_phases` tries, for every single-ring intersection,
each subset of its phases (in their original order) that still serves every movement, times it
with Webster's cycle and equisaturation greens, and keeps the subset with the least total HCM
control delay (uniform plus incremental, flow-weighted; :mod:`signalbrain.timing.hcm`). A left
turn that only yields in a subset gets the gap-acceptance saturation flow across the opposing
movements of its phase. Dual-ring (NEMA) controllers are left as they are. Skipping a phase is
safe: the kept phases carry their own clearances and the conflict matrix does not change.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

from signalbrain.demand.model import Demand
from signalbrain.demand.saturation import permitted_left_sat_vph
from signalbrain.network.model import Intersection, Network, pair
from signalbrain.timing.hcm import incremental_delay_s, uniform_delay_s
from signalbrain.timing.isolated import IsolatedSolver

__all__ = ["MAX_PHASES_SEARCHED", "select_phases"]

MAX_PHASES_SEARCHED = 12
"""Single-ring controllers with more phases than this keep all of them (2^n subsets)."""


@dataclass(frozen=True, slots=True)
class _Inputs:
    flow: dict[str, float]  # veh/h
    sat: dict[str, float]  # protected saturation flow, veh/h


def _subset_delay(isec: Intersection, subset: tuple[int, ...], data: _Inputs) -> float:
    """Total control delay [veh s/h] of a Webster plan running only ``subset``."""
    phases = [isec.phase(n) for n in subset]
    prot: dict[str, int] = {}
    perm: dict[str, int] = {}
    for p in phases:
        for m in p.protected:
            prot[m] = prot.get(m, 0) + 1
        for m in p.permitted:
            perm[m] = perm.get(m, 0) + 1
    # saturation flow of each (phase, movement) service and the phase flow ratios
    service: list[list[tuple[str, float]]] = []
    y = []
    for p in phases:
        items = [(m, data.sat.get(m, 0.0)) for m in p.protected]
        for m in p.permitted:
            s = data.sat.get(m, 0.0)
            if isec.movement(m).turn in ("L", "U"):
                opposing = sum(
                    data.flow.get(o, 0.0) for o in p.protected if pair(m, o) in isec.permissive
                )
                s = permitted_left_sat_vph(opposing, s)
            items.append((m, s))
        service.append(items)
        yp = 0.0
        for m, s in items:
            share = prot.get(m) or perm.get(m, 1)
            if m in prot and m not in p.protected:
                continue  # a protected movement counts where it is protected
            if s > 0:
                yp = max(yp, data.flow.get(m, 0.0) / share / s)
        y.append(yp)
    lost = sum(p.clearance_s for p in phases)
    total_y = sum(y)
    min_cycle = sum(p.min_split_s for p in phases)
    c0 = (1.5 * lost + 5.0) / (1.0 - total_y) if total_y < 0.95 else math.inf
    cycle = max(min(max(c0, isec.cycle_min_s), isec.cycle_max_s), min_cycle)
    avail = cycle - lost
    weights = [max(v, 1e-3) for v in y]
    wsum = sum(weights)
    greens = [
        max(avail * w / wsum, max(p.min_green_s, p.ped_min_s))
        for w, p in zip(weights, phases, strict=True)
    ]
    cap: dict[str, float] = {}
    g_tot: dict[str, float] = {}
    for g, items in zip(greens, service, strict=True):
        for m, s in items:
            cap[m] = cap.get(m, 0.0) + s * g / cycle
            g_tot[m] = g_tot.get(m, 0.0) + g
    delay = 0.0
    for mv in isec.movements:
        v = data.flow.get(mv.id, 0.0)
        if v <= 0 or mv.turn == "P":
            continue
        c = cap.get(mv.id, 0.0)
        if c <= 0:
            return math.inf
        x = v / c
        delay += v * (uniform_delay_s(cycle, g_tot[mv.id], x) + incremental_delay_s(x, c))
    return delay


def _best_subset(isec: Intersection, data: _Inputs) -> tuple[int, ...] | None:
    numbers = [p.number for p in isec.phases]
    movements = [m.id for m in isec.movements]
    best: tuple[float, tuple[int, ...]] | None = None
    for size in range(1, len(numbers) + 1):
        for subset in itertools.combinations(numbers, size):
            served = {m for n in subset for m in isec.phase(n).movements}
            if any(m not in served for m in movements):
                continue
            d = _subset_delay(isec, subset, data)
            if best is None or d < best[0] - 1e-9:
                best = (d, subset)
    return None if best is None else best[1]


def select_phases(
    network: Network, demand: Demand, *, solver: IsolatedSolver | None = None
) -> Network:
    """A network whose single-ring intersections keep only the phases worth running.

    Intersection ids, movement ids and phase numbers are unchanged, so plans computed on the
    result apply to ``network``; an intersection that loses phases gets a note naming them.
    """
    solver = solver or IsolatedSolver(network)
    flows, heavy = solver.flows(demand)
    ta = solver.arrays
    sat = ta.movement_sat_base_vph / (1.0 + heavy)
    data = _Inputs(
        dict(zip(ta.movement_ids, flows.tolist(), strict=True)),
        dict(zip(ta.movement_ids, sat.tolist(), strict=True)),
    )
    changed = False
    out = []
    for isec in network.intersections:
        if len(isec.rings) != 1 or len(isec.phases) <= 2 or len(isec.phases) > MAX_PHASES_SEARCHED:
            out.append(isec)
            continue
        keep = _best_subset(isec, data)
        if keep is None or len(keep) == len(isec.phases):
            out.append(isec)
            continue
        kept = set(keep)
        ring = tuple(n for n in isec.rings[0] if n in kept)
        dropped = [n for n in isec.rings[0] if n not in kept]
        # the kept phases clear their movements as the whole intersection does (the monitor
        # and the audit judge by every phase): a vehicle-only phase kept without the
        # pedestrian phase that served its movements had kept its own 0 s all-red
        clear = isec.phase_clearances()
        out.append(
            replace(
                isec,
                phases=tuple(
                    replace(p, yellow_s=clear[p.number][0], all_red_s=clear[p.number][1])
                    for p in isec.phases
                    if p.number in kept
                ),
                rings=(ring,),
                barriers=(ring,),
                notes=(
                    *isec.notes,
                    f"fixed-time plan skips phases {dropped}: their "
                    "movements are served by the others",
                ),
            )
        )
        changed = True
    return replace(network, intersections=tuple(out)) if changed else network
