# mypy: allow-untyped-defs
"""numba kernels of the timing engine, on the arrays of :mod:`signalbrain.timing._pack` and
:mod:`signalbrain.timing._coord_pack`.

The functions are plain Python marked ``@kernel``; the last line compiles them in place
(:func:`signalbrain.timing._compiled.compile_kernels`): the ahead-of-time extension when it was
built from this source, else ``numba.njit(cache=True)``.

Each kernel has a plain-numpy twin in :mod:`signalbrain.timing._reference` that the tests use as
the oracle. Kernels take contiguous typed arrays only and write into preallocated outputs; the
public wrappers in :mod:`signalbrain.timing.isolated` and :mod:`signalbrain.timing.coordination`
validate and convert.

Flag bits written per intersection by :func:`isolated_kernel`:
``FLAG_OVERSATURATED`` (critical v/c > 1 at the chosen cycle), ``FLAG_MIN_EXCEEDS_MAX_CYCLE``
(the minimum splits do not fit the maximum or requested cycle; the cycle is lengthened),
``FLAG_MAX_GREEN`` (some green had to exceed its maximum to fill a barrier group or a requested
cycle), ``FLAG_SHORT_CYCLE`` (every phase at its maximum still gives a cycle below the minimum).
"""

from __future__ import annotations

import math

import numpy as np

from signalbrain.timing._compiled import compile_kernels, kernel

__all__ = [
    "FLAG_MAX_GREEN",
    "FLAG_MIN_EXCEEDS_MAX_CYCLE",
    "FLAG_OVERSATURATED",
    "FLAG_SHORT_CYCLE",
    "isolated_kernel",
]

FLAG_OVERSATURATED = 1
FLAG_MIN_EXCEEDS_MAX_CYCLE = 2
FLAG_MAX_GREEN = 4
FLAG_SHORT_CYCLE = 8
WEIGHT_EPS = 1e-3  # smallest weight of a flow ratio, so empty phases still share fairly
Y_WEBSTER_MAX = 0.95  # above this critical flow ratio Webster's cycle is taken as infinite


@kernel
def _perm_left_sat(opposing_vph: float, protected_sat_vph: float) -> float:  # pragma: no cover
    if opposing_vph < 1e-6:
        return protected_sat_vph
    v = opposing_vph / 3600.0
    s = opposing_vph * math.exp(-v * 4.5) / (1.0 - math.exp(-v * 2.5))
    return min(protected_sat_vph, s)


@kernel
def _fill(lost, w, lo, hi, total, out):  # pragma: no cover
    """Equisaturation with bounds: out_i = clip(lost_i + w_i lam, lo_i, hi_i), sum = total.

    Returns 1 if the upper bounds had to be exceeded to reach ``total``."""
    n = lost.size
    sum_lo = 0.0
    sum_hi = 0.0
    for i in range(n):
        sum_lo += lo[i]
        sum_hi += hi[i]
    if total <= sum_lo:
        for i in range(n):
            out[i] = lo[i]
        return 0
    if total >= sum_hi:
        wsum = 0.0
        for i in range(n):
            wsum += w[i]
        extra = total - sum_hi
        for i in range(n):
            out[i] = hi[i] + extra * w[i] / wsum
        return 1 if extra > 1e-9 else 0
    # variable fixing (Kiwiel 2008): solve for lam on the free items, then fix the violators
    # of the side with the larger total violation at their bound; at most n rounds
    for i in range(n):
        out[i] = np.nan  # nan marks a free item
    for _ in range(n + 1):
        fixed_sum = 0.0
        free_l = 0.0
        free_w = 0.0
        for i in range(n):
            if math.isnan(out[i]):
                free_l += lost[i]
                free_w += w[i]
            else:
                fixed_sum += out[i]
        if free_w <= 0.0:
            break
        lam = (total - fixed_sum - free_l) / free_w
        under = 0.0
        over = 0.0
        for i in range(n):
            if math.isnan(out[i]):
                x = lost[i] + w[i] * lam
                if x < lo[i]:
                    under += lo[i] - x
                elif x > hi[i]:
                    over += x - hi[i]
        if under <= 1e-12 and over <= 1e-12:
            for i in range(n):
                if math.isnan(out[i]):
                    out[i] = lost[i] + w[i] * lam
            break
        for i in range(n):
            if math.isnan(out[i]):
                x = lost[i] + w[i] * lam
                if under >= over and x <= lo[i]:
                    out[i] = lo[i]
                elif under < over and x >= hi[i]:
                    out[i] = hi[i]
    for i in range(n):
        if math.isnan(out[i]):  # cannot happen for sum(lo) < total < sum(hi); keep safe
            out[i] = lo[i]
    return 0


@kernel
def movement_sat_kernel(
    flows,
    heavy,
    sat_base,
    opp_indptr,
    opp_movements,
    out_sat,
):  # pragma: no cover
    """Adjusted saturation flow per movement [veh/h]: heavy vehicles, and the gap-acceptance
    limit for movements with opposing flow (permitted-only lefts)."""
    for m in range(sat_base.size):
        s = sat_base[m] / (1.0 + heavy[m])
        a, b = opp_indptr[m], opp_indptr[m + 1]
        if b > a:
            vo = 0.0
            for k in range(a, b):
                vo += flows[opp_movements[k]]
            s = _perm_left_sat(vo, s)
        out_sat[m] = s


@kernel
def phase_ratio_kernel(
    flows,
    heavy,
    sat,
    phase_entry_indptr,
    entry_movement,
    entry_link,
    entry_share,
    link_cap,
    out_y,
):  # pragma: no cover
    """Critical flow ratio per phase: per approach link, the larger of the highest movement
    ratio v/s and the approach's total flow over its all-lane saturation flow."""
    for p in range(out_y.size):
        y = 0.0
        a, b = phase_entry_indptr[p], phase_entry_indptr[p + 1]
        k = a
        while k < b:
            link = entry_link[k]
            rmax = 0.0
            vsum = 0.0
            while k < b and entry_link[k] == link:
                m = entry_movement[k]
                v = flows[m] * entry_share[k]
                if sat[m] > 0.0:
                    r = v / sat[m]
                    if r > rmax:
                        rmax = r
                vsum += v * (1.0 + heavy[m])
                k += 1
            r2 = vsum / link_cap[link] if link_cap[link] > 0.0 else 0.0
            y = max(y, max(rmax, r2))
        out_y[p] = y


@kernel
def isolated_kernel(
    y_phase,
    isec_group_indptr,
    group_seg_indptr,
    seg_slot_indptr,
    slot_phase,
    phase_lo,
    phase_hi,
    phase_lost,
    cycle_min,
    cycle_max,
    cycle_fixed,
    out_cycle,
    out_split,
    out_xc,
    out_flags,
):  # pragma: no cover
    """Webster cycle and equisaturation splits with min/max bounds, ring-barrier aware.

    ``cycle_fixed[s]`` forces the cycle of intersection ``s`` (NaN: choose by Webster)."""
    n_isec = isec_group_indptr.size - 1
    max_ng = 1
    for s in range(n_isec):
        max_ng = max(max_ng, isec_group_indptr[s + 1] - isec_group_indptr[s])
    max_seg = 1
    for sg in range(seg_slot_indptr.size - 1):
        max_seg = max(max_seg, seg_slot_indptr[sg + 1] - seg_slot_indptr[sg])
    g_lost_buf = np.zeros(max_ng)
    g_w_buf = np.zeros(max_ng)
    g_lo_buf = np.zeros(max_ng)
    g_hi_buf = np.zeros(max_ng)
    g_y_buf = np.zeros(max_ng)
    g_cut_buf = np.zeros(max_ng)
    g_len_buf = np.zeros(max_ng)
    lost_buf = np.zeros(max_seg)
    w_buf = np.zeros(max_seg)
    lo_buf = np.zeros(max_seg)
    hi_buf = np.zeros(max_seg)
    out_buf = np.zeros(max_seg)
    for s in range(n_isec):
        g0, g1 = isec_group_indptr[s], isec_group_indptr[s + 1]
        ng = g1 - g0
        g_lost = g_lost_buf[:ng]
        g_w = g_w_buf[:ng]
        g_lo = g_lo_buf[:ng]
        g_hi = g_hi_buf[:ng]
        g_y = g_y_buf[:ng]
        g_cut = g_cut_buf[:ng]
        flags = 0
        for gi in range(ng):
            g = g0 + gi
            bmin = 0.0
            bmax = 1e300
            ycrit = -1.0
            lcrit = 0.0
            for sg in range(group_seg_indptr[g], group_seg_indptr[g + 1]):
                slo = 0.0
                shi = 0.0
                sy = 0.0
                sl = 0.0
                for k in range(seg_slot_indptr[sg], seg_slot_indptr[sg + 1]):
                    p = slot_phase[k]
                    slo += phase_lo[p]
                    shi += phase_hi[p]
                    sy += y_phase[p]
                    sl += phase_lost[p]
                bmin = max(bmin, slo)
                bmax = min(bmax, shi)
                if sy > ycrit or (sy == ycrit and sl > lcrit):
                    ycrit = sy
                    lcrit = sl
            if bmax < bmin:
                bmax = bmin
                flags |= FLAG_MAX_GREEN
            g_lo[gi] = bmin
            g_hi[gi] = bmax
            g_w[gi] = max(ycrit, WEIGHT_EPS)
            g_y[gi] = ycrit
            g_lost[gi] = lcrit
        Y = 0.0
        L = 0.0
        sum_lo = 0.0
        sum_hi = 0.0
        sum_w = 0.0
        for gi in range(ng):
            Y += g_y[gi]
            L += g_lost[gi]
            sum_lo += g_lo[gi]
            sum_hi += g_hi[gi]
            sum_w += g_w[gi]
        fixed = not math.isnan(cycle_fixed[s])
        if fixed:
            cyc = cycle_fixed[s]
        else:
            C0 = (1.5 * L + 5.0) / (1.0 - Y) if Y < Y_WEBSTER_MAX else math.inf
            cyc = min(max(C0, cycle_min[s]), cycle_max[s])
        if cyc < sum_lo:
            if fixed or sum_lo > cycle_max[s]:
                flags |= FLAG_MIN_EXCEEDS_MAX_CYCLE
            cyc = sum_lo
        if cyc > sum_hi:
            if fixed:
                flags |= FLAG_MAX_GREEN
            else:
                cyc = sum_hi
                if cyc < cycle_min[s]:
                    flags |= FLAG_SHORT_CYCLE
        if not fixed and sum_w > 0.0:
            # The time maximum greens leave unused is cut from the cycle, not handed to phases
            # with no demand for it: a main street held at its 55 s maximum in a 121 s Webster
            # cycle left the side street 55 s for 100 veh/h. Every phase's equisaturation share
            # at the cycle, lost + y * lam, is clipped to its bounds; a barrier group is as
            # long as its longest ring segment of clipped shares; where that is less than the
            # group's own share, the group is held to it and the cycle shortened by the
            # difference (never below cycle_min), so the other groups keep the green they had.
            lam = (cyc - L) / sum_w
            used = 0.0
            cut = False
            for gi in range(ng):
                g = g0 + gi
                glen = 0.0
                for sg in range(group_seg_indptr[g], group_seg_indptr[g + 1]):
                    t = 0.0
                    for k in range(seg_slot_indptr[sg], seg_slot_indptr[sg + 1]):
                        p = slot_phase[k]
                        x = phase_lost[p] + max(y_phase[p], WEIGHT_EPS) * lam
                        t += min(max(x, phase_lo[p]), phase_hi[p])
                    glen = max(glen, t)
                glen = min(max(glen, g_lo[gi]), g_hi[gi])
                share = min(max(g_lost[gi] + g_w[gi] * lam, g_lo[gi]), g_hi[gi])
                g_cut[gi] = g_hi[gi]
                if glen < share - 1e-9:
                    g_cut[gi] = glen
                    cut = True
                used += min(glen, share)
            if cut and used < cyc:
                cyc = max(used, cycle_min[s])
                cap = 0.0
                for gi in range(ng):
                    cap += g_cut[gi]
                if cyc <= cap:
                    for gi in range(ng):
                        g_hi[gi] = g_cut[gi]
        g_len = g_len_buf[:ng]
        if _fill(g_lost, g_w, g_lo, g_hi, cyc, g_len):
            flags |= FLAG_MAX_GREEN
        for gi in range(ng):
            g = g0 + gi
            for sg in range(group_seg_indptr[g], group_seg_indptr[g + 1]):
                a, b = seg_slot_indptr[sg], seg_slot_indptr[sg + 1]
                n = b - a
                lost = lost_buf[:n]
                w = w_buf[:n]
                lo = lo_buf[:n]
                hi = hi_buf[:n]
                for k in range(n):
                    p = slot_phase[a + k]
                    lost[k] = phase_lost[p]
                    w[k] = max(y_phase[p], WEIGHT_EPS)
                    lo[k] = phase_lo[p]
                    hi[k] = phase_hi[p]
                out = out_buf[:n]
                if _fill(lost, w, lo, hi, g_len[gi], out):
                    flags |= FLAG_MAX_GREEN
                for k in range(n):
                    out_split[slot_phase[a + k]] = out[k]
        xc = Y * cyc / (cyc - L) if cyc > L else math.inf
        for gi in range(ng):  # a group held below its equisaturation share by its max green
            eff = g_len[gi] - g_lost[gi]
            if g_y[gi] > 0.0:
                xc = max(xc, g_y[gi] * cyc / eff if eff > 0.0 else math.inf)
        if xc > 1.0:
            flags |= FLAG_OVERSATURATED
        out_cycle[s] = cyc
        out_xc[s] = xc
        out_flags[s] = flags


MODE = compile_kernels(globals())
"""``"aot"`` or ``"jit"``: how the functions above were compiled."""
