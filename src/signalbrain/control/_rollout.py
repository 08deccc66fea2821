"""Rollout kernel: the queueing cost of each first decision of a signal, followed by a base
policy, over a short horizon (numba; ``rollout_costs.py_func`` is the plain-Python twin).

For every candidate stage ``k`` (``k`` = the current stage means: keep it), a point-queue model of
the intersection's movements is run forward in 1 s slots: the known arrivals (binned per slot)
join the queues, the green stage discharges them at saturation flow (scaled for permitted
movements and blocked exits), and the cost grows by the vehicles queued per slot, plus
``stop_s`` for every arrival that meets a red or a queue (the time lost braking and starting
again, which a point queue does not see). After the first decision the *base policy* runs,
either *clearing* (a green is kept until its queues clear or its maximum green is reached, then
the stage with the most queued vehicles follows), *gap-out* (as clearing, but the green is also
kept while a vehicle the detectors see is about to reach its stop line, as an actuated
controller's passage time does) or *max pressure* (after each minimum green, the stage of
largest saturation-weighted queue), each change taking the change interval (movements green in
both stages keep going). A vehicle still queued at the horizon costs ``terminal_s`` plus half
its queue's discharge time at saturation flow (long leftover queues cost more than in
proportion, which keeps throughput up when demand exceeds capacity).

This is one step of policy iteration over the base policy (a rollout, Bertsekas 2005), which
never does worse than the base policy under the model.

References
----------
Bertsekas, D. P. (2005). Dynamic Programming and Optimal Control, vol. 1, 3rd ed., sec. 6.4
(rollout algorithms).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["arrival_slots", "rollout_costs"]

F64 = npt.NDArray[np.float64]


@njit(cache=True)
def _most_queued(level: F64, q: F64, stage: int) -> int:  # pragma: no cover - jitted
    """The stage with the most vehicles queued on movements red now (-1: none has half a one)."""
    n_stage, n_mov = level.shape
    best = -1
    best_v = 0.5
    for j in range(n_stage):
        if j == stage:
            continue
        v = 0.0
        for m in range(n_mov):
            if level[j, m] > 0.0 and level[stage, m] == 0.0:
                v += q[m]
        if v > best_v:
            best_v = v
            best = j
    return best


@njit(cache=True)
def rollout_costs(
    level: F64,
    sat_vps: F64,
    queue0: F64,
    arrivals: F64,
    current: int,
    elapsed_s: float,
    min_green: F64,
    max_green: F64,
    clear_s: F64,
    lost_s: float,
    terminal_s: float,
    base: int,
    stop_s: float,
    gap_slots: int,
    gap_until: int,
) -> F64:  # pragma: no cover - jitted
    """Cost [veh s] of each first decision.

    Parameters
    ----------
    level
        (stages, movements): service factor of each movement in each stage (0 = red).
    sat_vps
        (movements,): saturation flow, times the exit's free share [veh/s].
    queue0
        (movements,): vehicles queued now.
    arrivals
        (movements, slots): vehicles reaching the stop line in each 1 s slot.
    current
        Index of the stage green now (-1: none).
    elapsed_s
        Seconds the current stage has been green.
    min_green, max_green, clear_s
        (stages,): minimum and maximum green, and change interval (yellow + all-red) [s].
    lost_s
        Start-up lost time of a new green [s].
    terminal_s
        Flat cost of a vehicle still queued at the horizon [s] (plus half its queue's discharge
        time).
    base
        Base policy after the first decision: 0 clearing, 1 max pressure, 2 gap-out.
    stop_s
        Extra cost of each vehicle that has to stop (arrives at red or behind a queue) [s]:
        braking and accelerating cost time that a point queue does not see.
    gap_slots, gap_until
        Gap-out base policy only: a green is also kept while a vehicle reaches its movements
        within the next ``gap_slots`` slots, counting only slots before ``gap_until`` (the end of
        what the detectors see; beyond it the arrivals are an average rate, not vehicles).

    Returns
    -------
    (stages,) cost of switching to each stage now (keeping it, for the current one).
    """
    n_stage, n_mov = level.shape
    n_slot = arrivals.shape[1]
    out = np.empty(n_stage)
    q = np.empty(n_mov)
    for k in range(n_stage):
        for m in range(n_mov):
            q[m] = queue0[m]
        stage = k
        prev = current
        if k == current:
            wait = 0.0
            green_t = elapsed_s
        else:
            wait = lost_s + (clear_s[current] if current >= 0 else 0.0)
            green_t = 0.0
        cost = 0.0
        for t in range(n_slot):
            for m in range(n_mov):
                a = arrivals[m, t]
                if a > 0.0:
                    # a vehicle that meets red or a standing queue stops: it pays the stop
                    moving = q[m] < 1.0 and (
                        (wait <= 0.0 and level[stage, m] > 0.0)
                        or (
                            wait > 0.0
                            and prev >= 0
                            and level[prev, m] > 0.0
                            and level[stage, m] > 0.0
                        )
                    )
                    if not moving:
                        cost += stop_s * a
                    q[m] += a
            if wait > 0.0:
                # change interval: movements green in both stages keep moving
                if prev >= 0:
                    for m in range(n_mov):
                        f = min(level[prev, m], level[stage, m])
                        if f > 0.0:
                            q[m] -= min(q[m], f * sat_vps[m])
                wait -= 1.0
            else:
                for m in range(n_mov):
                    f = level[stage, m]
                    if f > 0.0:
                        q[m] -= min(q[m], f * sat_vps[m])
                green_t += 1.0
                if green_t >= min_green[stage]:
                    best = -1
                    if base == 1:  # max pressure: the stage of largest sat-weighted queue
                        best_v = 0.0
                        for m in range(n_mov):
                            best_v += level[stage, m] * sat_vps[m] * q[m]
                        if green_t >= max_green[stage]:
                            best_v = 0.0
                        best_v += 1e-9
                        for j in range(n_stage):
                            if j == stage:
                                continue
                            v = 0.0
                            for m in range(n_mov):
                                v += level[j, m] * sat_vps[m] * q[m]
                            if v > best_v:
                                best_v = v
                                best = j
                    else:
                        # clearing keeps the green until its queues clear; gap-out also while a
                        # vehicle the detectors see reaches it within gap_slots
                        last = min(t + 1 + gap_slots, n_slot, gap_until) if base == 2 else t + 1
                        left = 0.0
                        for m in range(n_mov):
                            if level[stage, m] > 0.0:
                                left += q[m]
                                for u in range(t + 1, last):
                                    left += arrivals[m, u]
                        if left < 0.5 or green_t >= max_green[stage]:
                            best = _most_queued(level, q, stage)
                    if best >= 0:
                        prev = stage
                        wait = lost_s + clear_s[stage]
                        stage = best
                        green_t = 0.0
            for m in range(n_mov):
                cost += q[m]
        for m in range(n_mov):
            # a queue left over still has to discharge: its vehicles wait on average half its
            # discharge time on top of the flat terminal cost
            cost += q[m] * (terminal_s + 0.5 * q[m] / max(sat_vps[m], 1e-3))
        out[k] = cost
    return out


@njit(cache=True)
def arrival_slots(
    n_mov: int,
    n_slot: int,
    seen_mov: npt.NDArray[np.int64],
    seen_eta: F64,
    seen_w: F64,
    first: npt.NDArray[np.int64],
    rate_vps: F64,
    until: npt.NDArray[np.int64],
    fed_mov: npt.NDArray[np.int64],
    fed_eta: F64,
    fed_w: F64,
) -> F64:  # pragma: no cover - jitted
    """Vehicles reaching each movement's stop line per 1 s slot.

    Seen vehicles (``seen_*``: movement, seconds from now, weight) fill their slots; vehicles sent
    by upstream signals (``fed_*``) fill slots from ``first`` (the end of the detectors' view)
    until ``until`` (the link's travel time); the average rate fills the rest of the horizon.
    """
    out = np.zeros((n_mov, n_slot))
    for k in range(seen_mov.shape[0]):
        slot = int(seen_eta[k])
        if 0 <= slot < n_slot:
            out[seen_mov[k], slot] += seen_w[k]
    for k in range(fed_mov.shape[0]):
        i = fed_mov[k]
        if fed_eta[k] < 0.0:
            continue
        slot = int(fed_eta[k])
        if first[i] <= slot < until[i]:
            out[i, slot] += fed_w[k]
    for i in range(n_mov):
        start = max(first[i], until[i])
        for s in range(start, n_slot):
            out[i, s] += rate_vps[i]
    return out
