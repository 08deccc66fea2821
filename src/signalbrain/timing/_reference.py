"""Plain-numpy twins of the numba kernels in :mod:`signalbrain.timing._kernels`.

Slow and written to be obviously right; the tests use them as the oracle (kernel and twin must
agree), and the benchmarks measure the kernels against them. The water-filling step here is solved
exactly from the breakpoints of the piecewise-linear sum instead of by bisection.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from signalbrain.demand.saturation import permitted_left_sat_vph
from signalbrain.timing._kernels import (
    FLAG_MAX_GREEN,
    FLAG_MIN_EXCEEDS_MAX_CYCLE,
    FLAG_OVERSATURATED,
    FLAG_SHORT_CYCLE,
    WEIGHT_EPS,
    Y_WEBSTER_MAX,
)
from signalbrain.timing._pack import TimingArrays

__all__ = [
    "fill_reference",
    "isolated_reference",
    "movement_sat_reference",
    "phase_ratio_reference",
]

F64 = npt.NDArray[np.float64]


def fill_reference(lost: F64, w: F64, lo: F64, hi: F64, total: float) -> tuple[F64, bool]:
    """Exact equisaturation fill: ``x = clip(lost + w lam, lo, hi)`` with ``sum(x) = total``."""
    if total <= lo.sum():
        return lo.copy(), False
    if total >= hi.sum():
        extra = total - hi.sum()
        return hi + extra * w / w.sum(), bool(extra > 1e-9)
    knots = np.unique(np.concatenate([(lo - lost) / w, (hi - lost) / w]))
    sums = np.clip(lost[None, :] + w[None, :] * knots[:, None], lo, hi).sum(axis=1)
    j = int(np.searchsorted(sums, total))
    if j >= knots.size:  # bounds closer than float resolution
        lam = knots[-1]
    elif j == 0:
        lam = knots[0]
    else:
        a, b = knots[j - 1], knots[j]
        fa, fb = sums[j - 1], sums[j]
        lam = a + (total - fa) * (b - a) / (fb - fa) if fb > fa else b
    return np.clip(lost + w * lam, lo, hi), False


def movement_sat_reference(ta: TimingArrays, flows: F64, heavy: F64) -> F64:
    """Adjusted saturation flow per movement [veh/h]."""
    out = ta.movement_sat_base_vph / (1.0 + heavy)
    for m in range(out.size):
        opp = ta.opp_movements[ta.opp_indptr[m] : ta.opp_indptr[m + 1]]
        if opp.size:
            out[m] = permitted_left_sat_vph(float(flows[opp].sum()), float(out[m]))
    return out


def phase_ratio_reference(ta: TimingArrays, flows: F64, heavy: F64, sat: F64) -> F64:
    """Critical flow ratio per phase."""
    y = np.zeros(ta.n_phases)
    for p in range(ta.n_phases):
        sl = slice(ta.phase_entry_indptr[p], ta.phase_entry_indptr[p + 1])
        mv, links, share = ta.entry_movement[sl], ta.entry_link[sl], ta.entry_share[sl]
        v = flows[mv] * share
        for link in np.unique(links):
            sel = links == link
            s = sat[mv[sel]]
            ratios = np.where(s > 0, v[sel] / np.where(s > 0, s, 1.0), 0.0)
            pcu = float((v[sel] * (1.0 + heavy[mv[sel]])).sum())
            y[p] = max(y[p], float(ratios.max()), pcu / ta.link_cap_vph[link])
    return y


def isolated_reference(
    ta: TimingArrays, y_phase: F64, cycle_fixed: F64
) -> tuple[F64, F64, F64, npt.NDArray[np.int64]]:
    """Cycle, split per phase, critical v/c and flags per intersection."""
    n = ta.n_intersections
    cycle = np.zeros(n)
    split = np.zeros(ta.n_phases)
    xc = np.zeros(n)
    flags = np.zeros(n, dtype=np.int64)
    for s in range(n):
        groups = range(ta.isec_group_indptr[s], ta.isec_group_indptr[s + 1])
        segs_of = [
            [
                ta.slot_phase[ta.seg_slot_indptr[sg] : ta.seg_slot_indptr[sg + 1]]
                for sg in range(ta.group_seg_indptr[g], ta.group_seg_indptr[g + 1])
            ]
            for g in groups
        ]
        f = 0
        g_lo, g_hi, g_w, g_lost = [], [], [], []
        for segs in segs_of:
            lo = max(float(ta.phase_lo_s[ph].sum()) for ph in segs)
            hi = min(float(ta.phase_hi_s[ph].sum()) for ph in segs)
            if hi < lo:
                hi = lo
                f |= FLAG_MAX_GREEN
            crit = max(
                segs, key=lambda ph: (float(y_phase[ph].sum()), float(ta.phase_lost_s[ph].sum()))
            )
            g_lo.append(lo)
            g_hi.append(hi)
            g_w.append(float(y_phase[crit].sum()))
            g_lost.append(float(ta.phase_lost_s[crit].sum()))
        Y, L = sum(g_w), sum(g_lost)
        if math.isnan(cycle_fixed[s]):
            c0 = (1.5 * L + 5.0) / (1.0 - Y) if Y < Y_WEBSTER_MAX else math.inf
            cyc = min(max(c0, ta.isec_cycle_min_s[s]), ta.isec_cycle_max_s[s])
            fixed = False
        else:
            cyc = float(cycle_fixed[s])
            fixed = True
        if cyc < sum(g_lo):
            if fixed or sum(g_lo) > ta.isec_cycle_max_s[s]:
                f |= FLAG_MIN_EXCEEDS_MAX_CYCLE
            cyc = sum(g_lo)
        if cyc > sum(g_hi):
            if fixed:
                f |= FLAG_MAX_GREEN
            else:
                cyc = sum(g_hi)
                if cyc < ta.isec_cycle_min_s[s]:
                    f |= FLAG_SHORT_CYCLE
        g_weight = np.maximum(np.array(g_w), WEIGHT_EPS)
        if not fixed and g_weight.sum() > 0:  # unusable time cut (see isolated_kernel)
            lam = (cyc - L) / float(g_weight.sum())
            glen = np.array(
                [
                    max(
                        float(
                            np.clip(
                                ta.phase_lost_s[ph] + np.maximum(y_phase[ph], WEIGHT_EPS) * lam,
                                ta.phase_lo_s[ph],
                                ta.phase_hi_s[ph],
                            ).sum()
                        )
                        for ph in segs
                    )
                    for segs in segs_of
                ]
            )
            lo_g, hi_g = np.array(g_lo), np.array(g_hi)
            glen = np.minimum(np.maximum(glen, lo_g), hi_g)
            share = np.clip(np.array(g_lost) + g_weight * lam, lo_g, hi_g)
            cut = glen < share - 1e-9
            used = float(np.minimum(glen, share).sum())
            if cut.any() and used < cyc:
                cyc = max(used, float(ta.isec_cycle_min_s[s]))
                capped = np.where(cut, glen, hi_g)
                if cyc <= capped.sum():
                    g_hi = list(capped)
        lengths, broke = fill_reference(
            np.array(g_lost), g_weight, np.array(g_lo), np.array(g_hi), cyc
        )
        f |= FLAG_MAX_GREEN if broke else 0
        for segs, length in zip(segs_of, lengths, strict=True):
            for ph in segs:
                weight = np.maximum(y_phase[ph], WEIGHT_EPS)
                out, broke = fill_reference(
                    ta.phase_lost_s[ph], weight, ta.phase_lo_s[ph], ta.phase_hi_s[ph], float(length)
                )
                f |= FLAG_MAX_GREEN if broke else 0
                split[ph] = out
        xc[s] = Y * cyc / (cyc - L) if cyc > L else math.inf
        for y_g, length, lost in zip(g_w, lengths, g_lost, strict=True):
            if y_g > 0.0:
                eff = float(length) - lost
                xc[s] = max(xc[s], y_g * cyc / eff if eff > 0.0 else math.inf)
        if xc[s] > 1.0:
            f |= FLAG_OVERSATURATED
        cycle[s] = cyc
        flags[s] = f
    return cycle, split, xc, flags
