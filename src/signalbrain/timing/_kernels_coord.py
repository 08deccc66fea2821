# mypy: allow-untyped-defs
"""numba kernels of the platoon-progression (TRANSYT-style) model, on CSR arrays.

Plain Python marked ``@kernel``, compiled in place by the last line, as in
:mod:`signalbrain.timing._kernels` (:func:`signalbrain.timing._compiled.compile_kernels`).

Time is discretised into ``N`` steps per coordination-group cycle (``dt = C_group / N`` per
signal). Flows are vehicles per step. Plain-numpy twins are in
:mod:`signalbrain.timing._reference_coord`.

Model (Robertson 1969; TRANSYT, Vincent, Mitchell & Robertson 1980):

* a movement discharges at its saturation flow while its effective green shows and it has a queue,
  otherwise it passes its arrivals (cyclic steady state: one warm-up cycle, one measured);
* vehicles that left a standing queue start from rest and reach the next signal a start-up lag
  later than those that passed without stopping;
* platoons leaving a signal disperse on the way to the next one:
  ``q_d(i) = F q_u(i - T) + (1 - F) q_d(i - 1)`` with ``T = beta t`` and
  ``F = 1 / (1 + alpha beta t)``, ``t`` the travel time in steps (``alpha`` and ``beta`` are
  given; :mod:`signalbrain.timing.coordination` explains its values);
* performance index ``PI = delay + K x stops`` with delay in vehicle-seconds per cycle and ``K``
  the delay equivalent of one stop [s]; a vehicle is stopped when it arrives to a queue or a red.
"""

from __future__ import annotations

import numpy as np

from signalbrain.timing._compiled import compile_kernels, kernel

FULL_GREEN_TOL = 1e-9

__all__ = [
    "arc_profile_kernel",
    "arc_table_kernel",
    "arrivals_kernel",
    "green_mask_kernel",
    "offset_search_kernel",
    "queue_kernel",
    "red_start_kernel",
]


@kernel
def _add_window(row, a, b, dt, n):  # pragma: no cover
    """Add the coverage of the cyclic window [a, b) [s] to the steps of ``row``."""
    period = dt * n
    length = b - a
    if length <= 0.0:
        return
    if length >= period:
        for i in range(n):
            row[i] += 1.0
        return
    a = a % period
    b = a + length
    for i in range(n):
        s0 = i * dt
        s1 = s0 + dt
        for shift in (0.0, period):
            lo = max(s0 + shift, a)
            hi = min(s1 + shift, b)
            if hi > lo:
                row[i] += (hi - lo) / dt


@kernel
def green_mask_kernel(
    split,
    green,
    clear,
    isec_group_indptr,
    group_seg_indptr,
    seg_slot_indptr,
    slot_phase,
    mp_indptr,
    mp_phase,
    mp_carry,
    movement_isec,
    isec_cycle,
    isec_group_cycle,
    start_lost_s,
    extension_s,
    out_mask,
):  # pragma: no cover
    """Share of each step that each movement has effective green, in its signal's local time."""
    n_mov, n = out_mask.shape
    starts = np.zeros(split.size)
    for s in range(isec_group_indptr.size - 1):
        t0 = 0.0
        for g in range(isec_group_indptr[s], isec_group_indptr[s + 1]):
            glen = 0.0
            for sg in range(group_seg_indptr[g], group_seg_indptr[g + 1]):
                t = t0
                for k in range(seg_slot_indptr[sg], seg_slot_indptr[sg + 1]):
                    p = slot_phase[k]
                    starts[p] = t
                    t += split[p]
                glen = max(glen, t - t0)
            t0 += glen
    for m in range(n_mov):
        s = movement_isec[m]
        c = isec_cycle[s]
        cg = isec_group_cycle[s]
        dt = cg / n
        reps = max(1, int(cg / c + 0.5))
        for i in range(n):
            out_mask[m, i] = 0.0
        for k in range(mp_indptr[m], mp_indptr[m + 1]):
            p = mp_phase[k]
            a = starts[p] + start_lost_s
            if mp_carry[k]:
                b = starts[p] + split[p] + start_lost_s
            else:
                b = starts[p] + green[p] + min(extension_s, clear[p])
            for r in range(reps):
                _add_window(out_mask[m], a + r * c, b + r * c, dt, n)
        for i in range(n):
            if out_mask[m, i] > 1.0:
                out_mask[m, i] = 1.0


@kernel
def _red_start(mask):  # pragma: no cover
    """First step of the longest stretch without full green (where a queue starts to form);
    shares within ``FULL_GREEN_TOL`` of 1 are full (sums of window pieces carry round-off)."""
    n = mask.size
    full = 1.0 - FULL_GREEN_TOL
    best = 0
    best_len = -1
    for i in range(n):
        if mask[i] >= full or (mask[(i - 1) % n] < full and i != 0):
            continue
        j = 0
        while j < n and mask[(i + j) % n] < full:
            j += 1
        if j > best_len:
            best_len = j
            best = i
    return best


@kernel
def _queue(arr, cap, start, dep, dep_queued, record):  # pragma: no cover
    """Cyclic point queue from ``start`` (the red start, queue taken as empty there); a second
    cycle runs only if the queue does not clear. Returns (queue-steps, stops) of the last cycle.

    ``cap`` is the discharge capacity of each step [veh]; a vehicle that arrives to a queue, or in
    the red part of a step, stops. With ``record``, ``dep`` gets the departures of each step and
    ``dep_queued`` the part of them that stood in the queue at the start of the step."""
    n = arr.size
    q = 0.0
    qsum = 0.0
    stops = 0.0
    for _rep in range(2):
        qsum = 0.0
        stops = 0.0
        i = start
        for _j in range(n):
            a = arr[i]
            c = cap[i]
            if q > 1e-9 or c <= 0.0:
                stops += a
            avail = q + a
            d = avail if avail < c else c
            if record:
                dep[i] = d
                dep_queued[i] = q if q < d else d
            q = avail - d
            qsum += q
            i += 1
            if i == n:
                i = 0
        if q <= 1e-9:
            break
    return qsum, stops


@kernel
def red_start_kernel(mask, out_start):  # pragma: no cover
    """Per movement, the step where its longest red (not fully green) stretch begins."""
    for m in range(mask.shape[0]):
        out_start[m] = _red_start(mask[m])


@kernel
def queue_kernel(
    arrivals, cap, red_start, out_dep, out_dep_queued, out_delay_steps, out_stops
):  # pragma: no cover
    """Departures (veh/step), the part of them that left a standing queue, queue-steps and stops
    per cycle of every movement; ``cap`` is the discharge capacity per step [veh] (saturation
    flow x effective green share)."""
    for m in range(arrivals.shape[0]):
        qs, st = _queue(arrivals[m], cap[m], red_start[m], out_dep[m], out_dep_queued[m], True)
        out_delay_steps[m] = qs
        out_stops[m] = st


@kernel
def _disperse(up, t, alpha, beta, out, add):  # pragma: no cover
    """Robertson's recurrence on the cyclic profile ``up`` over ``t`` steps, into ``out``
    (added to it when ``add``)."""
    n = up.size
    big_t = beta * t
    f = 1.0 / (1.0 + alpha * big_t)
    shift = int(big_t + 0.5)
    mean = 0.0
    for i in range(n):
        mean += up[i]
    prev = mean / n
    for rep in range(4):
        for i in range(n):
            x = f * up[(i - shift) % n] + (1.0 - f) * prev
            if rep == 3:
                out[i] = out[i] + x if add else x
            prev = x


@kernel
def arc_profile_kernel(
    dep,
    dep_queued,
    arc_feed_indptr,
    arc_feed,
    arc_travel_steps,
    arc_lag_steps,
    alpha,
    beta,
    out_prof,
):  # pragma: no cover
    """Dispersed platoon arriving at each arc's downstream stop line (upstream local time).

    Vehicles that left a standing queue (``dep_queued``, part of ``dep``) start from rest and
    arrive ``arc_lag_steps`` later than the others."""
    n_arc, n = out_prof.shape
    up = np.zeros(n)
    upq = np.zeros(n)
    for a in range(n_arc):
        for i in range(n):
            up[i] = 0.0
            upq[i] = 0.0
        for k in range(arc_feed_indptr[a], arc_feed_indptr[a + 1]):
            m = arc_feed[k]
            for i in range(n):
                up[i] += dep[m, i] - dep_queued[m, i]
                upq[i] += dep_queued[m, i]
        t = arc_travel_steps[a]
        _disperse(up, t, alpha, beta, out_prof[a], False)
        _disperse(upq, t + arc_lag_steps[a], alpha, beta, out_prof[a], True)


@kernel
def _approach(
    a, prof, arc_link, link_down_indptr, link_down_movements, flows, dt_mov
):  # pragma: no cover
    """Scale of the platoon and uniform extra [veh/step] of an arc's approach."""
    link = arc_link[a]
    q_v = 0.0
    m0 = -1
    for k in range(link_down_indptr[link], link_down_indptr[link + 1]):
        m = link_down_movements[k]
        q_v += flows[m]
        m0 = m
    if m0 < 0:
        return 0.0, 0.0, 0.0
    n = prof.shape[1]
    per_cycle = q_v * dt_mov[m0] * n / 3600.0
    up_total = 0.0
    for i in range(n):
        up_total += prof[a, i]
    scale = min(1.0, per_cycle / up_total) if up_total > 0.0 else 0.0
    extra = max(0.0, per_cycle - up_total) / n
    return q_v, scale, extra


@kernel
def _queue_shifts(base, share, cap, start, q, qsum, stops):  # pragma: no cover
    """The first cycle of :func:`_queue` for the arrivals ``share * base[i + d]`` of every shift
    ``d`` at once (``q``, ``qsum``, ``stops`` per shift): the same operations in the same order
    per shift, with the shifts in the inner loop."""
    n = q.size
    for d in range(n):
        q[d] = 0.0
        qsum[d] = 0.0
        stops[d] = 0.0
    i = start
    for _j in range(n):
        c = cap[i]
        if c <= 0.0:  # a red step: every arrival stops, nothing leaves
            for d in range(n):
                a = share * base[i + d]
                stops[d] += a
                qd = q[d] + a
                qd = qd - (qd if qd < c else c)
                q[d] = qd
                qsum[d] += qd
        else:
            for d in range(n):
                a = share * base[i + d]
                qd = q[d]
                # a select, not a branch (adding 0.0 leaves a sum unchanged): the loop vectorises
                stops[d] += a if qd > 1e-9 else 0.0
                avail = qd + a
                qd = avail - (avail if avail < c else c)
                q[d] = qd
                qsum[d] += qd
        i += 1
        if i == n:
            i = 0


@kernel
def arc_table_kernel(
    prof,
    arc_link,
    link_down_indptr,
    link_down_movements,
    flows,
    cap,
    red_start,
    dt_mov,
    stop_penalty_s,
    out_table,
):  # pragma: no cover
    """PI [veh s per cycle] of each arc's downstream movements for every relative offset.

    Per movement, the queues of all offsets run together (:func:`_queue_shifts`); an offset
    whose queue does not clear in one cycle is run again alone by :func:`_queue`, which adds
    the second cycle: the result is :func:`_queue`'s for every offset, bit for bit."""
    n_arc, n = out_table.shape
    arr = np.zeros(n)
    dummy = np.zeros(n)
    base = np.zeros(2 * n)
    q = np.zeros(n)
    qsum = np.zeros(n)
    stops = np.zeros(n)
    cost = np.zeros(n)
    for a in range(n_arc):
        q_v, scale, extra = _approach(
            a, prof, arc_link, link_down_indptr, link_down_movements, flows, dt_mov
        )
        for i in range(n):
            base[i] = scale * prof[a, i] + extra
            base[i + n] = base[i]
        link = arc_link[a]
        for delta in range(n):
            cost[delta] = 0.0
        if q_v > 0.0:
            for k in range(link_down_indptr[link], link_down_indptr[link + 1]):
                m = link_down_movements[k]
                share = flows[m] / q_v
                if share <= 0.0:
                    continue
                _queue_shifts(base, share, cap[m], red_start[m], q, qsum, stops)
                for delta in range(n):
                    qs = qsum[delta]
                    st = stops[delta]
                    if not q[delta] <= 1e-9:  # not cleared (or NaN): _queue's second cycle
                        for i in range(n):
                            arr[i] = share * base[i + delta]
                        qs, st = _queue(arr, cap[m], red_start[m], dummy, dummy, False)
                    cost[delta] += qs * dt_mov[m] + stop_penalty_s * st
        for delta in range(n):
            out_table[a, delta] = cost[delta]


@kernel
def arrivals_kernel(
    prof,
    offsets,
    arc_u,
    arc_v,
    link_arc,
    arc_link,
    link_down_indptr,
    link_down_movements,
    movement_from_link,
    flows,
    dt_mov,
    out_arr,
):  # pragma: no cover
    """Arrival profile of every movement (its signal's local time) given offsets [steps]."""
    n_mov, n = out_arr.shape
    for m in range(n_mov):
        link = movement_from_link[m]
        a = link_arc[link] if link >= 0 else -1
        if a < 0:
            u = flows[m] * dt_mov[m] / 3600.0
            for i in range(n):
                out_arr[m, i] = u
            continue
        q_v, scale, extra = _approach(
            a, prof, arc_link, link_down_indptr, link_down_movements, flows, dt_mov
        )
        share = flows[m] / q_v if q_v > 0.0 else 0.0
        j = (offsets[arc_v[a]] - offsets[arc_u[a]]) % n  # (i + delta) % n at i = 0
        for i in range(n):
            out_arr[m, i] = share * (scale * prof[a, j] + extra)
            j += 1
            if j == n:
                j = 0


@kernel
def _signal_cost(
    s,
    o,
    offsets,
    table,
    arc_u,
    arc_v,
    sig_in_indptr,
    sig_in,
    sig_out_indptr,
    sig_out,
    placed,
):  # pragma: no cover
    n = table.shape[1]
    c = 0.0
    for k in range(sig_in_indptr[s], sig_in_indptr[s + 1]):
        a = sig_in[k]
        u = arc_u[a]
        if placed[u]:
            c += table[a, (o - offsets[u]) % n]
    for k in range(sig_out_indptr[s], sig_out_indptr[s + 1]):
        a = sig_out[k]
        v = arc_v[a]
        if placed[v]:
            c += table[a, (offsets[v] - o) % n]
    return c


@kernel
def _signal_costs(
    s,
    p,
    offsets,
    table,
    arc_u,
    arc_v,
    sig_in_indptr,
    sig_in,
    sig_out_indptr,
    sig_out,
    placed,
    out,
):  # pragma: no cover
    """``out[o] = _signal_cost(s, o, ...)`` for every offset ``o < p``: the same terms added in
    the same order per offset, the table rows walked once per arc instead of once per offset
    (no modulo per term)."""
    n = table.shape[1]
    for o in range(p):
        out[o] = 0.0
    for k in range(sig_in_indptr[s], sig_in_indptr[s + 1]):
        a = sig_in[k]
        u = arc_u[a]
        if placed[u]:
            i = (0 - offsets[u]) % n  # (o - offsets[u]) % n at o = 0, then one step up
            for o in range(p):
                out[o] += table[a, i]
                i += 1
                if i == n:
                    i = 0
    for k in range(sig_out_indptr[s], sig_out_indptr[s + 1]):
        a = sig_out[k]
        v = arc_v[a]
        if placed[v]:
            i = offsets[v] % n  # (offsets[v] - o) % n at o = 0, then one step down
            for o in range(p):
                out[o] += table[a, i]
                i -= 1
                if i < 0:
                    i = n - 1


@kernel
def offset_search_kernel(
    table,
    arc_u,
    arc_v,
    sig_in_indptr,
    sig_in,
    sig_out_indptr,
    sig_out,
    period,
    order,
    offsets,
    greedy,
    max_sweeps,
):  # pragma: no cover
    """Offsets [steps] minimising the sum of arc tables: greedy placement in ``order`` (when
    ``greedy``), then coordinate descent sweeps until no signal improves. Returns sweeps run."""
    n_sig = offsets.size
    placed = np.zeros(n_sig, dtype=np.bool_)
    max_period = 0
    for s in range(n_sig):
        max_period = max(max_period, period[s])
    costs = np.zeros(max_period)
    if greedy:
        for j in range(order.size):
            s = order[j]
            best = 0
            best_c = np.inf
            _signal_costs(
                s,
                period[s],
                offsets,
                table,
                arc_u,
                arc_v,
                sig_in_indptr,
                sig_in,
                sig_out_indptr,
                sig_out,
                placed,
                costs,
            )
            for o in range(period[s]):
                c = costs[o]
                if c < best_c - 1e-12:
                    best_c = c
                    best = o
            offsets[s] = best
            placed[s] = True
    for s in range(n_sig):
        placed[s] = True
    dirty = np.ones(n_sig, dtype=np.bool_)
    sweeps = 0
    for _ in range(max_sweeps):
        sweeps += 1
        changed = False
        for j in range(order.size):
            s = order[j]
            if not dirty[s]:
                continue
            dirty[s] = False
            cur = offsets[s]
            best = cur
            best_c = _signal_cost(
                s,
                cur,
                offsets,
                table,
                arc_u,
                arc_v,
                sig_in_indptr,
                sig_in,
                sig_out_indptr,
                sig_out,
                placed,
            )
            _signal_costs(
                s,
                period[s],
                offsets,
                table,
                arc_u,
                arc_v,
                sig_in_indptr,
                sig_in,
                sig_out_indptr,
                sig_out,
                placed,
                costs,
            )
            for o in range(period[s]):
                c = costs[o]
                if c < best_c - 1e-9:
                    best_c = c
                    best = o
            if best != cur:
                offsets[s] = best
                changed = True
                for k in range(sig_in_indptr[s], sig_in_indptr[s + 1]):
                    dirty[arc_u[sig_in[k]]] = True
                for k in range(sig_out_indptr[s], sig_out_indptr[s + 1]):
                    dirty[arc_v[sig_out[k]]] = True
        if not changed:
            break
    return sweeps


MODE = compile_kernels(globals())
"""``"aot"`` or ``"jit"``: how the functions above were compiled."""
