"""Phase selection: which phases of a single-ring controller a fixed-time plan should run.

Imported SUMO programs often list more green phases than a fixed-time plan needs (the same
movements appear in several phases, e.g. "both throughs", then "through and left" of each
approach). Running all of them costs a yellow and an all-red each. :func:`select_phases` keeps,
for every single-ring intersection, the subset of its phases (in their original order) that
serves every movement and needs the shortest Webster cycle ``(1.5 L + 5) / (1 - Y)``; when no
subset is below saturation it keeps the one with the smallest ``Y``. Dual-ring (NEMA) controllers
are left as they are. Skipping a phase is safe: the kept phases carry their own clearances and
the conflict matrix does not change.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from signalbrain.demand.model import Demand
from signalbrain.network.model import Intersection, Network
from signalbrain.timing.isolated import IsolatedSolver

__all__ = ["MAX_PHASES_SEARCHED", "select_phases"]

MAX_PHASES_SEARCHED = 14
"""Single-ring controllers with more phases than this keep all of them (2^n subsets)."""


def _best_subset(isec: Intersection, ratio: dict[str, float], lost: dict[int, float]
                 ) -> tuple[int, ...] | None:
    numbers = [p.number for p in isec.phases]
    movements = [m.id for m in isec.movements]
    best: tuple[float, float, tuple[int, ...]] | None = None
    for size in range(1, len(numbers) + 1):
        for subset in itertools.combinations(numbers, size):
            phases = [isec.phase(n) for n in subset]
            served = {m for p in phases for m in p.movements}
            if any(m not in served for m in movements):
                continue
            prot: dict[str, int] = {}
            perm: dict[str, int] = {}
            for p in phases:
                for m in p.protected:
                    prot[m] = prot.get(m, 0) + 1
                for m in p.permitted:
                    perm[m] = perm.get(m, 0) + 1
            y_total = 0.0
            for p in phases:
                y = 0.0
                for m in p.protected:
                    y = max(y, ratio.get(m, 0.0) / prot[m])
                for m in p.permitted:
                    if m not in prot:
                        y = max(y, ratio.get(m, 0.0) / perm[m])
                y_total += y
            lost_total = sum(lost[n] for n in subset)
            key = ((1.5 * lost_total + 5.0) / (1.0 - y_total) if y_total < 0.95 else 1e9,
                   y_total, subset)
            if best is None or key[:2] < best[:2]:
                best = key
    return None if best is None else best[2]


def select_phases(network: Network, demand: Demand, *, solver: IsolatedSolver | None = None
                  ) -> Network:
    """A network whose single-ring intersections keep only the phases worth running.

    Intersection ids, movement ids and phase numbers are unchanged, so plans computed on the
    result apply to ``network``; an intersection that loses phases gets a note naming them.
    """
    solver = solver or IsolatedSolver(network)
    flows, heavy = solver.flows(demand)
    sat = solver.solve(flows, heavy).sat_vph
    ratio_all = np.where(sat > 0, flows / np.where(sat > 0, sat, 1.0), 0.0)
    ratio = dict(zip(solver.arrays.movement_ids, ratio_all.tolist(), strict=True))
    changed = False
    out = []
    for isec in network.intersections:
        if len(isec.rings) != 1 or len(isec.phases) <= 2 or \
                len(isec.phases) > MAX_PHASES_SEARCHED:
            out.append(isec)
            continue
        lost = {p.number: p.clearance_s for p in isec.phases}
        keep = _best_subset(isec, ratio, lost)
        if keep is None or len(keep) == len(isec.phases):
            out.append(isec)
            continue
        kept = set(keep)
        ring = tuple(n for n in isec.rings[0] if n in kept)
        dropped = [n for n in isec.rings[0] if n not in kept]
        out.append(replace(isec, phases=tuple(p for p in isec.phases if p.number in kept),
                           rings=(ring,), barriers=(ring,),
                           notes=(*isec.notes, f"fixed-time plan skips phases {dropped}: their "
                                               "movements are served by the others")))
        changed = True
    return replace(network, intersections=tuple(out)) if changed else network
