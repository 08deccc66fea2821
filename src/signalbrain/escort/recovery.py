"""Exit from preemption back into coordination: the shortest transition to the plan's offset.

When a window closes, the escort's phase ``p`` ends (its yellow starts at ``exit_s``) at a point of
the cycle that generally differs from where the coordinated plan is. Let ``tau`` be the time since
the plan last started ``p``'s yellow: the signal lags the plan by ``tau`` (or leads it by
``C - tau``). The classic coordinator transitions are compared [1]_ [2]_:

``resume``
    rejoin the plan where it is now: after ``p``'s yellow and all-red the controller that runs
    the plan drives the signal again (the conflict monitor gives the phase it enters at least its
    minimum green), so the signal is in step at once and the phases the window skipped lose
    this cycle's turn;
``dwell``
    hold ``p`` green for ``C - tau`` more seconds, then continue in step;
``shortway``
    run the next one or two cycles shorter by ``tau`` in all (never below any phase's minimum
    green, at most ``max_adjust_fraction`` of a cycle per cycle) or longer by ``C - tau`` (at most
    that fraction per cycle), whichever gets in step sooner.

``resume`` is always the shortest way back, so a coordinated signal takes it whenever allowed
(the default: in one 1800 s SUMO run of a congested generated 5 x 3 grid with nine escorts under
the ``fixed`` controller, dwell/shortway kept five signals per escort out of step with their
neighbours for up to two cycles and cost everyone else 4.3 % more delay, resuming 0.3 %; with
``benchmarks/escort`` on 2026-12-06, 8 grid seeds: shortway alone +4.2 % against +0.8 %). A
signal that runs alone (no signalised neighbour within the platoon model's reach,
:attr:`signalbrain.escort.routing.RoutingGraph.coordinated`) has no neighbour to keep in step
with, while resuming skips the phases the window passed over; it is brought back by
``shortway`` where that is allowed. Measured with ``benchmarks/escort`` on 2026-12-07 (11 SUMO
seeds, others' delay, lone-signal shortway minus resume, paired by seed, mean +- standard
error): ingolstadt1 -0.68 +- 0.52 s, hangzhou bc-tyc -1.7 +- 3.1 s, cologne3 +0.03 +- 0.07 s,
cologne1 and hangzhou kn-hz unchanged, ingolstadt7 (one of its seven signals alone) +0.44 +-
0.57 s: no difference beyond the noise either way, so the rule rests on the argument above.
Otherwise recovery must be over within
``max_recovery_cycles`` plain cycle lengths of the window's end
(``sync_s - exit_s <= max_recovery_cycles * C``): ``subtract`` over ``n`` cycles ends at
``n C - tau`` and ``add`` at ``n C + (C - tau)``, so ``add`` fits only in fewer cycles than the
limit (one, with the default two), while ``dwell`` always ends within one cycle. Of the methods
that fit, the one that gets in step soonest wins (``shortway`` on ties, since it serves every
phase). ``dwell`` is considered only when it is short (at most ``max_dwell_fraction`` of a cycle:
a long dwell starves the cross street) or when no ``shortway`` fits; then it is the shortest way
back. The result lists the green intervals to run until the signal is in step, so a controller
can follow it exactly.

Only the ring that carries ``p`` is re-timed; the other rings follow the conflict monitor.

References
----------
.. [1] Shelby, S. G., Bullock, D. M., Gettman, D. and Ghaman, R. S. (2006). An overview and
   performance evaluation of ACS Lite. TRB 85th Annual Meeting (transition methods).
.. [2] Obenberger, J. and Collura, J. (2001). Transition strategies to exit preemption control.
   TRR 1748, 72-79.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from signalbrain.escort.model import EscortConfig
from signalbrain.escort.signal import PlanLike, plan_status
from signalbrain.network import Intersection

__all__ = ["Recovery", "RecoverySegment", "plan_recovery"]

Method = Literal["none", "resume", "dwell", "subtract", "add"]


@dataclass(frozen=True, slots=True)
class RecoverySegment:
    """One green interval of the transition: ``phase`` green from ``start_s`` to ``end_s`` [s]."""

    phase: int
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Recovery:
    """How one signal returns to its plan after a window.

    ``method`` is ``none`` (already in step), ``resume`` (the plan's controller takes over after
    the clearance, no segments), ``dwell``, or ``subtract``/``add`` (the two halves of
    ``shortway``); ``offset_error_s`` is the lag ``tau`` at exit [s]; the signal is back in
    step with the plan at ``sync_s`` after ``cycles`` re-timed cycles.
    """

    intersection: str
    phase: int
    exit_s: float
    sync_s: float
    method: Method
    offset_error_s: float
    cycles: int
    segments: tuple[RecoverySegment, ...]

    def phase_at(self, t_s: float) -> int | None:
        """The phase to request at ``t_s`` during the transition (``None`` outside it)."""
        if not self.exit_s <= t_s < self.sync_s:
            return None
        for seg in self.segments:
            if t_s < seg.end_s:
                return seg.phase
        return None


def _last_yellow_start(plan: PlanLike, phase: int, ring: int, t_s: float) -> float | None:
    """The latest time <= ``t_s`` at which the plan starts ``phase``'s yellow."""
    window = getattr(plan, "green_window_s", None)
    if window is not None:  # TimingPlan: the green of the cycle starting at the offset
        _start, end = window(phase)
        return float(end + math.floor((t_s - end) / plan.cycle_s) * plan.cycle_s)
    t = t_s
    for _ in range(4 * len(plan.phases) + 6):
        status, _end = plan_status(plan, t, ring)
        if status.phase == phase and status.kind == "yellow":
            return status.start_s
        if status.phase == phase and status.kind == "red":
            return status.start_s - _timing(plan, phase)[1]
        if not math.isfinite(status.start_s) or status.start_s > t:
            return None
        t = status.start_s - 1e-3  # beyond phase_at's boundary tolerance
    return None


def _timing(plan: PlanLike, phase: int) -> tuple[float, float, float]:
    for pt in plan.phases:
        if pt.number == phase:
            return pt.green_s, pt.yellow_s, pt.all_red_s
    raise KeyError(phase)


def _segments(
    plan: PlanLike,
    isec: Intersection,
    seq: list[int],
    phase: int,
    exit_s: float,
    cycles: int,
    change_s: float,
) -> tuple[RecoverySegment, ...]:
    """Greens of ``cycles`` cycles after ``phase`` ends at ``exit_s``, changed by ``change_s``
    in all (negative: shorter), spread over the cycles and over the phases' room to change."""
    k = seq.index(phase)
    order = seq[k + 1 :] + seq[: k + 1]
    greens = {n: _timing(plan, n)[0] for n in order}
    if change_s < 0:
        room = {n: max(greens[n] - _min_green(isec, n), 0.0) for n in order}
    else:
        room = dict(greens)
    total_room = sum(room.values()) or 1.0
    per_cycle = change_s / cycles
    t = exit_s + sum(_timing(plan, phase)[1:])
    out: list[RecoverySegment] = []
    for _ in range(cycles):
        for n in order:
            g = max(greens[n] + per_cycle * room[n] / total_room, 0.0)
            out.append(RecoverySegment(n, t, t + g))
            _, y, r = _timing(plan, n)
            t += g + y + r
    return tuple(out)


def _min_green(isec: Intersection, phase: int) -> float:
    try:
        ph = isec.phase(phase)
    except KeyError:
        return 0.0
    return max(ph.min_green_s, ph.ped_min_s)


def plan_recovery(
    isec: Intersection,
    plan: PlanLike,
    phase: int,
    exit_s: float,
    config: EscortConfig | None = None,
    *,
    coordinated: bool = True,
) -> Recovery:
    """The shortest transition back to ``plan`` after ``phase`` ends its green at ``exit_s``.

    ``coordinated``: whether the signal has signalised neighbours to keep in step with; one
    that runs alone is not resumed but brought back by ``shortway`` where allowed (every phase
    keeps its turn, and no neighbour loses progression while it is out of step)."""
    cfg = config or EscortConfig()
    methods = cfg.recovery
    if not coordinated and "shortway" in methods:
        methods = ("shortway",)
    cycle = float(plan.cycle_s)
    ring = next((r for r, members in enumerate(plan.rings) if phase in members), 0)
    seq = [int(n) for n in plan.rings[ring]] if plan.rings else [phase]
    if phase not in seq or cycle <= 0:
        return Recovery(isec.id, phase, exit_s, exit_s, "none", 0.0, 0, ())
    y0 = _last_yellow_start(plan, phase, ring, exit_s)
    if y0 is None:
        return Recovery(isec.id, phase, exit_s, exit_s, "none", 0.0, 0, ())
    tau = (exit_s - y0) % cycle
    tol = 0.5
    if tau < tol or cycle - tau < tol:
        return Recovery(isec.id, phase, exit_s, exit_s, "none", tau, 0, ())
    if "resume" in methods:
        _, yellow, all_red = _timing(plan, phase)
        sync = exit_s + yellow + all_red
        return Recovery(isec.id, phase, exit_s, sync, "resume", tau, 0, ())
    candidates: list[tuple[float, int, Recovery]] = []
    max_cycles = cfg.max_recovery_cycles
    deadline = exit_s + max_cycles * cycle + 1e-9  # in step within this many plain cycles
    if "shortway" in methods:
        slack = sum(max(_timing(plan, n)[0] - _min_green(isec, n), 0.0) for n in seq)
        sub_cap = min(cfg.max_adjust_fraction * cycle, slack)
        if sub_cap > 0:
            n = max(math.ceil(tau / sub_cap - 1e-9), 1)
            sync = exit_s + n * cycle - tau
            if sync <= deadline:
                segs = _segments(plan, isec, seq, phase, exit_s, n, -tau)
                candidates.append(
                    (sync, 0, Recovery(isec.id, phase, exit_s, sync, "subtract", tau, n, segs))
                )
        add = cycle - tau
        n = max(math.ceil(add / (cfg.max_adjust_fraction * cycle) - 1e-9), 1)
        if exit_s + n * cycle + add <= deadline:
            sync = exit_s + n * cycle + add
            segs = _segments(plan, isec, seq, phase, exit_s, n, add)
            candidates.append(
                (sync, 0, Recovery(isec.id, phase, exit_s, sync, "add", tau, n, segs))
            )
    short_dwell = cycle - tau <= cfg.max_dwell_fraction * cycle
    if ("dwell" in methods and (short_dwell or not candidates)) or not candidates:
        sync = exit_s + cycle - tau
        candidates.append(
            (
                sync,
                1,
                Recovery(
                    isec.id,
                    phase,
                    exit_s,
                    sync,
                    "dwell",
                    tau,
                    1,
                    (RecoverySegment(phase, exit_s, sync),),
                ),
            )
        )
    candidates.sort(key=lambda c: (c[0], c[1]))
    return candidates[0][2]
