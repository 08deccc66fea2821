"""The common cycle of each coordination group, for
:class:`~signalbrain.timing.coordination.Coordinator` (step 2 of its solve).

A group runs the longest Webster cycle of its members (or the one requested), held to the
*storage cycle* (:func:`storage_cycle_s`); members that fit in half of it run half cycles
(:func:`common_cycles`), and the splits follow by equisaturation (:func:`fit`). The cycle sweep
(:func:`search_cycles`) tries a few whole-second cycles per group on the platoon model and keeps
a better one; :func:`whole_cycles` makes every group's cycle one its members can all run in
whole seconds. The functions work on a coordinator's packed network and model.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from signalbrain.timing._kernels import FLAG_MIN_EXCEEDS_MAX_CYCLE
from signalbrain.timing.isolated import SplitResult
from signalbrain.timing.rounding import least_whole_cycle

if TYPE_CHECKING:
    from signalbrain.timing.coordination import Coordinator

__all__ = [
    "CYCLE_CANDIDATES",
    "CYCLE_GAIN",
    "CYCLE_SEARCH_EXTENSION_S",
    "CYCLE_SEARCH_STEPS",
    "CYCLE_SEARCH_SWEEPS",
    "CYCLE_SPAN",
    "at_cycles",
    "common_cycles",
    "fit",
    "search_cycles",
    "storage_cycle_s",
    "whole_cycles",
]

F64 = npt.NDArray[np.float64]

CYCLE_CANDIDATES = 6
"""Most common cycles tried per coordination group by :func:`search_cycles`."""
CYCLE_SPAN = 1.5
"""Longest cycle tried, as a multiple of the group's Webster/storage cycle."""
CYCLE_GAIN = 0.02
"""Share by which a tried cycle must lower a group's performance index to replace the
Webster/storage cycle (the model's ranking of nearby cycles is not finer than that)."""
CYCLE_SEARCH_STEPS = 24
"""Profile steps per cycle while sweeping cycles (coarser than the final offset search)."""
CYCLE_SEARCH_SWEEPS = 4
"""Offset-search sweeps per tried cycle."""
CYCLE_SEARCH_EXTENSION_S = 0.0
"""The green extension into the yellow at coordinated signals while sweeping cycles: none.
SUMO's drivers stop at yellow where they can, so a short cycle loses each phase's whole yellow,
and the 2 s per phase the model would give back flatter short cycles most. SUMO, with the floors
of coordinated signals at two phases' minimum splits: ingolstadt7 44.0 s mean time loss with
2 s (its 4-signal group at 34 s), 37.5-39.8 s with none (44 s, one member on half of it); grid5
28.4 s with either.

Signals that run alone keep ``EXTENSION_S``: their sweep only lengthens Webster's cycle, and no
extension there (ingolstadt1 30 -> 45 s, cologne1 38 -> 41 s, kn-hz 82 -> 76 s) was better with
route demand (6 SUMO seeds, paired: cologne1 -1.2 +- 0.3 s, ingolstadt1 -1.3 +- 0.4 s, kn-hz
-0.1 +- 0.3 s) but not in closed loop under the ``fixed`` controller's measured demand (11 seeds
with ambulances, no escort: kn-hz 29.3 -> 31.0 s, ingolstadt1 20.0 -> 21.5 s, cologne1 33.7 ->
30.8 s leaving out one seed's jam), so lone signals keep the plans they had. The offset search
at the chosen cycle keeps ``EXTENSION_S`` everywhere."""


def storage_cycle_s(co: Coordinator, free: SplitResult, flows_vph: F64) -> F64:
    """Per group, the longest cycle [s] whose red-time arrivals on every arc fit the approach
    link (``inf`` where no arc carries traffic); red shares are those of ``free``."""
    ta = co.solver.arrays
    arr = ta.net
    out = np.full(max(co.n_groups, 1), np.inf)
    if not co.arcs.n_arcs:
        return out
    mask = co.green_mask(free, free.cycle_s)
    red_share = 1.0 - mask.mean(axis=1)
    from_link = arr.movement_from_link
    arc_of = np.where(from_link >= 0, co.arcs.link_arc[np.maximum(from_link, 0)], -1)
    on_arc = arc_of >= 0
    rate = np.bincount(
        arc_of[on_arc],
        weights=(flows_vph * red_share)[on_arc] / 3600.0,
        minlength=co.arcs.n_arcs,
    )
    cap = np.full(co.arcs.n_arcs, np.inf)
    busy = rate > 0.0
    cap[busy] = co._storage_veh[busy] / rate[busy]
    np.minimum.at(out, co.group[co.arcs.arc_v], cap)
    return out


def common_cycles(
    co: Coordinator, free: SplitResult, cycle_s: float | None = None, flows_vph: F64 | None = None
) -> tuple[F64, F64]:
    """Per signal: its own cycle and its group's common cycle [s]; with ``flows_vph`` the
    common cycle is held to the storage cycle (:func:`storage_cycle_s`)."""
    n_sig = co.network.signal_count
    group_cycle = np.zeros(max(co.n_groups, 1))
    np.maximum.at(group_cycle, co.group, free.cycle_s)
    if cycle_s is not None:
        group_cycle[:] = cycle_s
    elif flows_vph is not None and n_sig:
        lowest = np.zeros_like(group_cycle)
        np.maximum.at(lowest, co.group, co.solver.arrays.isec_cycle_min_s)
        storage = storage_cycle_s(co, free, flows_vph)
        group_cycle = np.minimum(group_cycle, np.maximum(storage, lowest))
    gc = group_cycle[co.group] if n_sig else np.zeros(0)
    return halved(co, free, gc), gc


def halved(co: Coordinator, free: SplitResult, gc: F64) -> F64:
    """Each signal's own cycle on its group's cycle ``gc``: half of it where its own Webster
    cycle fits in half (double cycling), the whole of it otherwise and for a signal alone in
    its group (a lone signal given ``--cycle 60`` runs 60 s, not 30 s: nothing to keep in step
    with)."""
    own = gc.copy()
    half = (free.cycle_s <= 0.5 * gc) & ~co.lone
    own[half] = 0.5 * gc[half]
    return own


def fit(
    co: Coordinator, free: SplitResult, own: F64, group_cycle: F64, flows: F64, heavy: F64 | None
) -> tuple[F64, F64, SplitResult]:
    """Splits at the signals' cycles ``own``; a half cycle that cannot hold its minimum greens
    goes back to the full cycle, and a group whose minimum greens need a longer cycle than
    asked follows its most demanding member."""
    own = own.copy()
    split = co.solver.solve(flows, heavy, own)
    bad = (split.flags & FLAG_MIN_EXCEEDS_MAX_CYCLE).astype(bool) & (own < group_cycle)
    if np.any(bad):
        own[bad] = group_cycle[bad]
        split = co.solver.solve(flows, heavy, own)
    if np.any(split.cycle_s > own + 1e-9):
        half = own < group_cycle - 1e-9
        need = np.where(half, 2.0 * split.cycle_s, split.cycle_s)
        g_cycle = np.zeros(co.n_groups)
        np.maximum.at(g_cycle, co.group, need)
        group_cycle = g_cycle[co.group]
        own = np.where(half, 0.5 * group_cycle, group_cycle)
        split = co.solver.solve(flows, heavy, own)
    return own, group_cycle, split


def at_cycles(
    co: Coordinator, free: SplitResult, g_cycle: F64, flows: F64, heavy: F64 | None
) -> tuple[F64, F64, SplitResult]:
    """Own cycles, group cycles and splits with each group on the cycle ``g_cycle[g]``."""
    gc = g_cycle[co.group]
    return fit(co, free, halved(co, free, gc), gc, flows, heavy)


def whole_cycles(
    co: Coordinator,
    free: SplitResult,
    own: F64,
    group_cycle: F64,
    split: SplitResult,
    flows: F64,
    heavy: F64 | None = None,
    *,
    requested: bool = False,
) -> tuple[F64, F64, SplitResult]:
    """Own cycles, group cycles and splits where every group of two or more signals runs
    one whole-second common cycle that each member can keep in whole seconds.

    Rounding each member's plan on its own (:func:`~signalbrain.timing.rounding.round_plan`)
    lets members of one group run different cycles, and then their offsets drift apart by
    the difference every cycle: a fractional common cycle (80.4 s) whose members' barrier
    groups round to 80 s at one signal and 81 s at the next, or a half cycle of an odd
    common cycle (52.5 s of 105 s, run as 52 or 53 s). So the group's cycle is fixed first:
    the whole second nearest its cycle within every member's cycle limits (the next whole
    second of a requested fractional cycle, as lone signals get); where a member runs half
    cycles, the nearest even second instead (a requested odd cycle is kept, and its half
    cycle members run the full cycle). The splits follow by equisaturation at those cycles.
    """
    n_sig = co.network.signal_count
    if not n_sig:
        return own, group_cycle, split
    ta = co.solver.arrays
    own = own.copy()
    gc = group_cycle.copy()
    sizes = np.bincount(co.group, minlength=co.n_groups)
    changed = False
    least = np.array(
        [least_whole_cycle(isec) for isec in co.network.intersections], dtype=np.float64
    )
    for g in np.flatnonzero(sizes >= 2):
        members = co.group == g
        cycle = float(np.max(gc[members]))
        half = members & (own < gc - 1e-9)
        lo = max(
            math.ceil(float(np.max(ta.isec_cycle_min_s[members])) - 1e-9),
            int(np.max(least[members])),
        )
        hi = max(math.floor(float(np.min(ta.isec_cycle_max_s[members])) + 1e-9), lo)
        nearest = round(cycle)
        if abs(cycle - nearest) > 1e-9:  # fractional
            nearest = math.ceil(cycle - 1e-9) if requested else min(max(nearest, lo), hi)
        whole = nearest
        if np.any(half) and whole % 2:
            evens = [c for c in (whole - 1, whole + 1) if lo <= c <= hi and not requested]
            # the nearer even second (the longer one on a tie); none: no half cycles
            whole = min(evens, key=lambda c: (abs(c - cycle), -c)) if evens else 0
        keep = half & (2.0 * least <= whole)  # half cycles that hold their minimums
        if not np.any(keep):
            whole = nearest
        if whole != cycle or not np.array_equal(keep, half):
            changed = True
        gc[members] = whole
        own[members] = np.where(keep, 0.5 * whole, float(whole))[members]
    if not changed:
        return own, group_cycle, split
    return fit(co, free, own, gc, flows, heavy)


def search_cycles(
    co: Coordinator,
    free: SplitResult,
    group_cycle: F64,
    split: SplitResult,
    flows: F64,
    heavy: F64 | None = None,
) -> tuple[F64, F64, SplitResult]:
    """Each coordination group's common cycle by the model (TRANSYT's cycle sweep).

    Candidates run in whole seconds from the group's floor (the largest ``cycle_min_s`` of
    its members) to ``CYCLE_SPAN`` times its Webster/storage cycle ``C0`` (no further than
    the storage cycle or the members' ``cycle_max_s``), at most ``CYCLE_CANDIDATES`` of them
    evenly spaced, on a coarser profile (``CYCLE_SEARCH_STEPS``). At each the splits follow
    by equisaturation (members that fit in half the cycle run half cycles) and the offsets
    are optimised with a short search; the objective is the performance index plus the
    random and overflow delay (:func:`~signalbrain.timing._coord_model.overflow_delay_vehh`)
    at capacities that charge permitted movements for the opposing queue
    (:meth:`~signalbrain.timing._coord_model.PlatoonModel.capacity_vph`): the deterministic
    profiles alone would always prefer the shortest cycle. A group takes the candidate with
    the lowest objective if it beats ``C0`` by more than ``CYCLE_GAIN``.

    Why: a common cycle that matches the platoons' travel time between signals lets every
    direction of a grid progress at once (SUMO, grid5 with 250 m blocks and an 18 s floor:
    18 s cycle 29.0 s mean time loss, 20 s 31.3 s, 30 s 33.8 s), which no formula of the
    isolated signals sees; and a permitted left that must wait for the opposing queue gets
    little of a short green (cologne1: Webster's 32 s -> 37 s, 30.5 -> 26.3 s).

    A group of one signal is not tried below its Webster cycle: without progression to gain,
    shorter cycles only trade the model's lost time, which SUMO's drivers (who stop at
    yellow) exceed (cologne3 at 20 s instead of 30 s: 20.5 -> 26.3 s).

    Returns own cycles, group cycles (per signal) and splits.
    """
    n_sig = co.network.signal_count
    if not n_sig:
        return split.cycle_s, group_cycle, split
    ta = co.solver.arrays
    own0 = split.cycle_s
    g0 = np.zeros(co.n_groups)
    np.maximum.at(g0, co.group, group_cycle)
    lo = np.zeros(co.n_groups)
    np.maximum.at(lo, co.group, ta.isec_cycle_min_s)
    hi = np.full(co.n_groups, np.inf)
    np.minimum.at(hi, co.group, ta.isec_cycle_max_s)
    storage = storage_cycle_s(co, free, flows)[: co.n_groups]
    hi = np.minimum(hi, np.minimum(np.maximum(storage, g0), CYCLE_SPAN * g0))
    alone = np.bincount(co.group, minlength=co.n_groups) == 1
    lo[alone] = g0[alone]
    lo = np.ceil(lo - 1e-9)
    hi = np.floor(hi + 1e-9)
    active = hi > lo
    if not np.any(active):
        return own0, group_cycle, split
    coarse = co._coarse_coordinator()
    n_cand = int(min(CYCLE_CANDIDATES, np.max(hi[active] - lo[active]) + 1))
    frac = np.linspace(0.0, 1.0, n_cand)
    best_g = g0.copy()
    best_pi = np.full(co.n_groups, np.inf)
    base_pi = np.zeros(co.n_groups)
    # where every group's C0 is its floor, the first candidate is C0 itself
    first = 0 if np.array_equal(lo[active], g0[active]) else -1
    for k in range(first, n_cand):
        trial = g0.copy()
        if k >= 0:
            trial[active] = np.round(lo[active] + frac[k] * (hi[active] - lo[active]))
        own, gc, sp = at_cycles(co, free, trial, flows, heavy)
        model = coarse._model(sp, gc)
        offsets = np.zeros(n_sig, dtype=np.int64)
        _sweeps, arrivals = coarse._search(
            model, own, gc, flows, offsets, True, 1, CYCLE_SEARCH_SWEEPS
        )
        pi = coarse.group_pi(model, flows, offsets, True, arrivals)[: co.n_groups]
        g_eff = np.zeros(co.n_groups)
        np.maximum.at(g_eff, co.group, gc)
        if k == first:
            base_pi = pi
            best_pi = pi.copy()
            continue
        better = active & (pi < best_pi - 1e-12)
        best_pi[better] = pi[better]
        best_g[better] = g_eff[better]
    keep = ~(best_pi < (1.0 - CYCLE_GAIN) * base_pi)
    best_g[keep] = g0[keep]
    if np.allclose(best_g, g0):
        return own0, group_cycle, split
    return at_cycles(co, free, best_g, flows, heavy)
