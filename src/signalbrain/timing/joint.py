"""Splits and offsets together: a hill climb on the splits of coordinated signals (TRANSYT's
split optimisation) on top of the offsets of :mod:`signalbrain.timing.coordination`.

Equisaturation splits are right for isolated signals; in a coordinated system moving a few
seconds of green between the phases of one ring segment can let a platoon through or shorten a
side-street queue at little cost. :func:`tune_splits` visits the coordinated signals in the
search order and tries moving ``delta_s`` seconds between every ordered pair of phases of each
ring segment (the barrier group keeps its length, so the other rings and the cycle do not
change; minimum, pedestrian and maximum greens are kept). A move stays if it lowers the network
performance index of the platoon model; after each sweep the offsets are searched again from
the current ones. It pays on small systems (corridors, a few dozen signals); each trial is one
model evaluation, so larger networks skip it (``max_signals``).

Reference: Vincent, R. A., Mitchell, A. I., Robertson, D. I. (1980). User guide to TRANSYT
version 8. TRRL Report LR 888 (hill-climbing on stage change times).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from signalbrain.timing.coordination import CoordinationResult, Coordinator

__all__ = ["tune_splits"]

F64 = npt.NDArray[np.float64]


def tune_splits(
    co: Coordinator,
    result: CoordinationResult,
    flows_vph: F64,
    *,
    delta_s: float = 2.0,
    sweeps: int = 2,
    max_signals: int = 60,
) -> CoordinationResult:
    """``result`` with splits (and then offsets) improved by a hill climb; unchanged when the
    network has more than ``max_signals`` signals or nothing improves."""
    n_sig = co.network.signal_count
    if n_sig > max_signals or co.arcs.n_arcs == 0 or delta_s <= 0:
        return result
    ta = co.solver.arrays
    flows = np.ascontiguousarray(flows_vph, dtype=np.float64)
    own = result.split.cycle_s
    gc = result.group_cycle_s
    offsets = result.offset_steps.copy()
    split = result.split.split_s.copy()

    def evaluate(sp: F64) -> float:
        res = dataclasses.replace(result.split, split_s=sp, green_s=sp - ta.phase_clear_s)
        return co._evaluate(co._model(res, gc), flows, offsets, 1)[0]

    best = evaluate(split)
    has_arcs = np.zeros(n_sig, dtype=bool)
    has_arcs[co.arcs.arc_u] = True
    has_arcs[co.arcs.arc_v] = True
    total_sweeps = result.sweeps
    improved_any = False
    for _ in range(sweeps):
        improved = False
        for s in co.order.tolist():
            if not has_arcs[s]:
                continue
            for g in range(ta.isec_group_indptr[s], ta.isec_group_indptr[s + 1]):
                for sg in range(ta.group_seg_indptr[g], ta.group_seg_indptr[g + 1]):
                    phases = ta.slot_phase[ta.seg_slot_indptr[sg] : ta.seg_slot_indptr[sg + 1]]
                    for i in phases.tolist():
                        for j in phases.tolist():
                            if i == j:
                                continue
                            if split[i] + delta_s > ta.phase_hi_s[i] + 1e-9:
                                continue
                            if split[j] - delta_s < ta.phase_lo_s[j] - 1e-9:
                                continue
                            trial = split.copy()
                            trial[i] += delta_s
                            trial[j] -= delta_s
                            pi = evaluate(trial)
                            if pi < best - 1e-9:
                                best, split = pi, trial
                                improved = True
        if not improved:
            break
        improved_any = True
        res = dataclasses.replace(result.split, split_s=split, green_s=split - ta.phase_clear_s)
        model = co._model(res, gc)
        trial_offsets = offsets.copy()
        total_sweeps += co.search_offsets(model, own, gc, flows, trial_offsets, False, 1, 30)
        pi = co._evaluate(model, flows, trial_offsets, 1)[0]
        if pi < best:
            best, offsets = pi, trial_offsets
    if not improved_any:
        return result
    res = dataclasses.replace(result.split, split_s=split, green_s=split - ta.phase_clear_s)
    pi, delay, stops = co._evaluate(co._model(res, gc), flows, offsets, 1)
    offset_s = (offsets * (gc / co.steps)) % own
    return dataclasses.replace(
        result,
        split=res,
        offset_s=offset_s,
        pi=pi,
        delay_vehh=delay,
        stops_vph=stops,
        sweeps=total_sweeps,
        offset_steps=offsets,
    )
