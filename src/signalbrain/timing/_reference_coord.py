"""Plain-numpy twins of :mod:`signalbrain.timing._kernels_coord` (test oracle, benchmark base).

Written for clarity: one movement or arc at a time, numpy over the steps of a cycle where it is
natural (``np.roll`` for shifts, interval overlaps for green shares).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from signalbrain.timing._coord_pack import ArcArrays
from signalbrain.timing._pack import TimingArrays

__all__ = [
    "arc_profile_reference",
    "arc_table_reference",
    "arrivals_reference",
    "green_mask_reference",
    "offset_search_reference",
    "queue_reference",
    "red_start_reference",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def _coverage(a: float, b: float, dt: float, n: int) -> F64:
    """Share of each of ``n`` steps of length ``dt`` inside the cyclic window [a, b)."""
    period = dt * n
    if b - a <= 0:
        return np.zeros(n)
    if b - a >= period:
        return np.ones(n)
    a = a % period
    b = a + (b - a)
    lo = np.arange(n) * dt
    out = np.zeros(n)
    for shift in (0.0, period):
        out += np.clip(np.minimum(lo + dt + shift, b) - np.maximum(lo + shift, a), 0, None) / dt
    return out


def green_mask_reference(
    ta: TimingArrays,
    split: F64,
    green: F64,
    cycle: F64,
    group_cycle: F64,
    n: int,
    start_lost_s: float,
    extension_s: float,
) -> F64:
    """Effective-green share per movement and step (signal local time)."""
    starts = np.zeros(split.size)
    for s in range(ta.n_intersections):
        t0 = 0.0
        for g in range(ta.isec_group_indptr[s], ta.isec_group_indptr[s + 1]):
            glen = 0.0
            for sg in range(ta.group_seg_indptr[g], ta.group_seg_indptr[g + 1]):
                phases = ta.slot_phase[ta.seg_slot_indptr[sg] : ta.seg_slot_indptr[sg + 1]]
                cum = np.concatenate([[0.0], np.cumsum(split[phases])])
                starts[phases] = t0 + cum[:-1]
                glen = max(glen, float(cum[-1]))
            t0 += glen
    isec = ta.net.movement_intersection
    mask = np.zeros((len(ta.movement_ids), n))
    for m in range(mask.shape[0]):
        s = isec[m]
        c, cg = cycle[s], group_cycle[s]
        reps = max(1, round(cg / c))
        for k in range(ta.mp_indptr[m], ta.mp_indptr[m + 1]):
            p = ta.mp_phase[k]
            a = starts[p] + start_lost_s
            b = (
                starts[p] + split[p] + start_lost_s
                if ta.mp_carry[k]
                else starts[p] + green[p] + min(extension_s, ta.phase_clear_s[p])
            )
            for r in range(reps):
                mask[m] += _coverage(a + r * c, b + r * c, cg / n, n)
    return np.minimum(mask, 1.0)


def red_start_reference(mask: F64) -> I64:
    """Start step of each row's longest run of steps that are not fully green (cyclic)."""
    out = np.zeros(mask.shape[0], dtype=np.int64)
    n = mask.shape[1]
    for m in range(mask.shape[0]):
        red = mask[m] < 1.0 - 1e-9  # round-off in a full green share
        best, best_len = 0, -1
        for i in range(n):
            if not red[i] or (i != 0 and red[i - 1]):
                continue
            length = 0
            while length < n and red[(i + length) % n]:
                length += 1
            if length > best_len:
                best, best_len = i, length
        out[m] = best
    return out


def queue_reference(arrivals: F64, cap: F64, red_start: I64) -> tuple[F64, F64, F64, F64]:
    """Departures, departures from a standing queue, queue-steps and stops per cycle (see the
    kernel)."""
    n_mov, n = arrivals.shape
    dep = np.zeros_like(arrivals)
    dep_q = np.zeros_like(arrivals)
    qsum = np.zeros(n_mov)
    stops = np.zeros(n_mov)
    for m in range(n_mov):
        order = np.roll(np.arange(n), -int(red_start[m]))
        q = 0.0
        for _ in range(2):
            qs = st = 0.0
            for i in order:
                a, c = arrivals[m, i], cap[m, i]
                st += a if (q > 1e-9 or c <= 0.0) else 0.0
                d = min(q + a, c)
                dep[m, i] = d
                dep_q[m, i] = min(q, d)
                q = q + a - d
                qs += q
            if q <= 1e-9:
                break
        qsum[m], stops[m] = qs, st
    return dep, dep_q, qsum, stops


def _robertson(up: F64, t: float, alpha: float, beta: float) -> F64:
    n = up.size
    big_t = beta * t
    f = 1.0 / (1.0 + alpha * big_t)
    shifted = np.roll(up, int(big_t + 0.5))
    out = np.zeros(n)
    prev = up.mean()
    for rep in range(4):
        for i in range(n):
            prev = f * shifted[i] + (1.0 - f) * prev
            if rep == 3:
                out[i] = prev
    return out


def arc_profile_reference(
    dep: F64,
    dep_queued: F64,
    arcs: ArcArrays,
    travel_steps: F64,
    lag_steps: F64,
    alpha: float,
    beta: float,
) -> F64:
    """Robertson-dispersed platoon of every arc; queued departures ``lag_steps`` later."""
    n = dep.shape[1]
    out = np.zeros((arcs.n_arcs, n))
    for a in range(arcs.n_arcs):
        feed = arcs.arc_feed[arcs.arc_feed_indptr[a] : arcs.arc_feed_indptr[a + 1]]
        queued = dep_queued[feed].sum(axis=0)
        moving = dep[feed].sum(axis=0) - queued
        out[a] = _robertson(moving, travel_steps[a], alpha, beta) + _robertson(
            queued, travel_steps[a] + lag_steps[a], alpha, beta
        )
    return out


def _approach(
    ta: TimingArrays, a: int, prof: F64, arcs: ArcArrays, flows: F64, dt_mov: F64
) -> tuple[npt.NDArray[np.int32], float, float, float]:
    link = arcs.arc_link[a]
    net = ta.net
    movers = net.link_down_movements[net.link_down_indptr[link] : net.link_down_indptr[link + 1]]
    if movers.size == 0:
        return movers, 0.0, 0.0, 0.0
    n = prof.shape[1]
    q_v = float(flows[movers].sum())
    per_cycle = q_v * dt_mov[movers[-1]] * n / 3600.0
    up_total = float(prof[a].sum())
    scale = min(1.0, per_cycle / up_total) if up_total > 0 else 0.0
    return movers, q_v, scale, max(0.0, per_cycle - up_total) / n


def arc_table_reference(
    ta: TimingArrays,
    arcs: ArcArrays,
    prof: F64,
    flows: F64,
    cap: F64,
    red_start: I64,
    dt_mov: F64,
    stop_penalty_s: float,
) -> F64:
    """PI of each arc's downstream movements for every relative offset."""
    n = prof.shape[1]
    table = np.zeros((arcs.n_arcs, n))
    for a in range(arcs.n_arcs):
        movers, q_v, scale, extra = _approach(ta, a, prof, arcs, flows, dt_mov)
        if q_v <= 0:
            continue
        base = scale * prof[a] + extra
        for delta in range(n):
            shifted = np.roll(base, -delta)
            for m in movers:
                share = flows[m] / q_v
                if share <= 0:
                    continue
                _, _, qs, st = queue_reference(
                    (share * shifted)[None, :], cap[m][None, :], red_start[m : m + 1]
                )
                table[a, delta] += qs[0] * dt_mov[m] + stop_penalty_s * st[0]
    return table


def arrivals_reference(
    ta: TimingArrays, arcs: ArcArrays, prof: F64, offsets: I64, flows: F64, dt_mov: F64
) -> F64:
    """Arrival profile of every movement given offsets [steps]."""
    n = prof.shape[1]
    out = np.repeat((flows * dt_mov / 3600.0)[:, None], n, axis=1)
    for m in range(flows.size):
        link = ta.net.movement_from_link[m]
        a = arcs.link_arc[link] if link >= 0 else -1
        if a < 0:
            continue
        _, q_v, scale, extra = _approach(ta, a, prof, arcs, flows, dt_mov)
        share = flows[m] / q_v if q_v > 0 else 0.0
        delta = (offsets[arcs.arc_v[a]] - offsets[arcs.arc_u[a]]) % n
        out[m] = share * (scale * np.roll(prof[a], -delta) + extra)
    return out


def offset_search_reference(
    table: F64,
    arcs: ArcArrays,
    period: I64,
    order: npt.NDArray[np.int32],
    offsets: I64,
    greedy: bool,
    max_sweeps: int,
) -> int:
    """Greedy placement then coordinate descent (see the kernel); updates ``offsets``."""
    n = table.shape[1]
    n_sig = offsets.size
    placed = np.zeros(n_sig, dtype=bool)

    def costs(s: int) -> F64:
        cand = np.arange(period[s])
        c = np.zeros(cand.size)
        for a in arcs.sig_in[arcs.sig_in_indptr[s] : arcs.sig_in_indptr[s + 1]]:
            u = arcs.arc_u[a]
            if placed[u]:
                c += table[a, (cand - offsets[u]) % n]
        for a in arcs.sig_out[arcs.sig_out_indptr[s] : arcs.sig_out_indptr[s + 1]]:
            v = arcs.arc_v[a]
            if placed[v]:
                c += table[a, (offsets[v] - cand) % n]
        return c

    if greedy:
        for s in order:
            c = costs(int(s))
            best, best_c = 0, np.inf
            for o in range(c.size):
                if c[o] < best_c - 1e-12:
                    best, best_c = o, c[o]
            offsets[s] = best
            placed[s] = True
    placed[:] = True
    dirty = np.ones(n_sig, dtype=bool)
    sweeps = 0
    for _ in range(max_sweeps):
        sweeps += 1
        changed = False
        for s in order:
            if not dirty[s]:
                continue
            dirty[s] = False
            c = costs(int(s))
            cur = int(offsets[s])
            best, best_c = cur, c[cur]
            for o in range(c.size):
                if c[o] < best_c - 1e-9:
                    best, best_c = o, c[o]
            if best != cur:
                offsets[s] = best
                changed = True
                dirty[
                    arcs.arc_u[arcs.sig_in[arcs.sig_in_indptr[s] : arcs.sig_in_indptr[s + 1]]]
                ] = True
                dirty[
                    arcs.arc_v[arcs.sig_out[arcs.sig_out_indptr[s] : arcs.sig_out_indptr[s + 1]]]
                ] = True
        if not changed:
            break
    return sweeps
