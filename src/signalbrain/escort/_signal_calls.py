"""Serving the escorts at the signals: which escort holds each signal's call, when it is placed
and how it ends.

:class:`_SignalCalls` is the signal side of :class:`~signalbrain.escort.manager.EscortManager`
(which keeps the vehicles: requests, fixes, routes and their windows). Each step it resolves the
windows of all escorts per signal (priority, then arrival order), places a call as late as still
gives green in time from the monitor's display, or waits for the plan's own green when it comes
soon enough; holds the call until the vehicle has passed, hands the signal to an escort that goes
first, ends the call at maximum presence, and steers the signal back to its plan
(:mod:`~signalbrain.escort.recovery`). Every call, entry, flush, dwell, exit and recovery is
logged as an Indiana hi-res event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from signalbrain._numbers import finite_or_none
from signalbrain.control.base import Request
from signalbrain.errors import InputError, Problem
from signalbrain.escort.audit import COORD_STATE, AuditEvent, EventCode, preempt_number
from signalbrain.escort.live import LiveSignal
from signalbrain.escort.model import EscortConfig
from signalbrain.escort.recovery import Recovery, plan_recovery
from signalbrain.escort.routing import RoutingGraph
from signalbrain.escort.signal import PlanLike
from signalbrain.escort.windows import PreemptionWindow, resolve_windows
from signalbrain.network import Network

if TYPE_CHECKING:
    from signalbrain.escort.manager import _Escort

__all__ = ["TAKEOVER_MARGIN_S"]

TAKEOVER_MARGIN_S = 2.0
"""An escort of equal priority takes a signal from another's running call only when it arrives
this much earlier than the other [s] (see ``EscortManager._goes_first``)."""


@dataclass
class _Call:
    window: PreemptionWindow
    slot: int
    called_s: float
    green_s: float | None = None
    dwell: bool = False


class _SignalCalls:
    """The calls of every signal, served from the escorts' windows (the base of
    :class:`~signalbrain.escort.manager.EscortManager`, which sets the attributes below)."""

    network: Network
    plans: Mapping[str, PlanLike] | None
    config: EscortConfig
    graph: RoutingGraph
    events: list[AuditEvent]
    _escorts: dict[str, _Escort]
    _live: dict[str, LiveSignal]
    _companions: dict[str, dict[int, tuple[int, ...]]]
    _worst: dict[str, dict[int, float]]
    _phased: dict[str, frozenset[str]]
    _calls: dict[str, _Call]
    _recoveries: dict[str, Recovery]
    _expired: set[tuple[str, str]]
    _resolved: dict[str, list[PreemptionWindow]]
    _gone: dict[str, str]
    _dirty: bool

    def _resolve(self) -> None:
        if not self._dirty:
            return
        windows = [
            w
            for esc in self._escorts.values()
            for w in esc.windows
            if (w.vehicle_id, w.intersection) not in self._expired
        ]
        self._resolved = {}
        for w in resolve_windows(windows, self.network):
            self._resolved.setdefault(w.intersection, []).append(w)
        for ws in self._resolved.values():
            ws.sort(key=lambda w: (-w.priority, w.eta_s, w.vehicle_id))
        self._dirty = False

    # ------------------------------------------------------------------ output
    def step(self, t_s: float, dt_s: float) -> dict[str, Request]:
        """The requests the escorts need from ``t_s`` to ``t_s + dt_s``, by intersection id.

        Raises
        ------
        InputError
            ``t_s`` not a finite time, or ``dt_s`` not a finite step >= 0 [s] (a NaN time
            would be written into the audit log and stall every call's timing).
        """
        step = finite_or_none(dt_s)
        if finite_or_none(t_s) is None or step is None or step < 0:
            raise InputError(
                [
                    Problem(
                        "step",
                        f"t_s = {t_s!r}, dt_s = {dt_s!r}: expected a finite time and a "
                        "finite step >= 0 [s]",
                    )
                ]
            )
        self._resolve()
        out: dict[str, Request] = {}
        for isec_id in set(self._calls) | set(self._resolved):
            self._serve(isec_id, t_s, dt_s, out)
        for isec_id, rec in list(self._recoveries.items()):
            if isec_id in self._calls:
                continue
            if t_s >= rec.sync_s - 1e-9:
                self._log(t_s, isec_id, EventCode.COORD_CYCLE_STATE, COORD_STATE["in_step"])
                del self._recoveries[isec_id]
                continue
            phase = rec.phase_at(t_s)
            if phase is not None:
                out[isec_id] = Request(phases=(phase, *self._companions[isec_id].get(phase, ())))
        return out

    def _due(self, w: PreemptionWindow, t_s: float, dt_s: float) -> bool:
        """Whether waiting one more step could make the green late: the transition from the
        display now, plus (when another phase could turn green during the step) that phase's
        minimum green and clearance, plus a step for the monitor's step-wise timing."""
        live = self._live[w.intersection]
        if not live.known:
            return t_s + dt_s >= w.call_s - 1e-9
        need = live.transition_s(w.phase, t_s)
        if live.may_start_green_within(w.phase, t_s, dt_s):
            need += self._worst[w.intersection][w.phase]
        if t_s + 2.0 * dt_s + need < w.open_s - 1e-9:
            return False
        # due by the display; the plan's own green may still come soon enough (checked only
        # now: this runs every step for every window ahead)
        return not self._plan_green_soon(w, t_s, dt_s)

    def _plan_green_soon(self, w: PreemptionWindow, t_s: float, dt_s: float) -> bool:
        """Whether the signal, in step with its plan, turns ``w.phase`` green by itself no later
        than ``plan_slack_s`` after the window opens: then the call waits for that green rather
        than cut the phase in service short (no forced transition, nothing to recover).

        In step means no call or recovery at the signal and the movements showing green are the
        ones the plan shows green now or one step ago (the monitor times in steps). A phase the
        plan shows green now is left to the normal call, which holds it.
        """
        slack = self.config.plan_slack_s
        isec_id = w.intersection
        if slack <= 0 or self.plans is None or isec_id in self._calls:
            return False
        if isec_id in self._recoveries:
            return False
        plan = self.plans.get(isec_id)
        window = getattr(plan, "green_window_s", None)
        if plan is None or window is None or plan.cycle_s <= 0:
            return False
        if all(pt.number != w.phase for pt in plan.phases):
            return False  # an escort phase (signalbrain.escort.phases): the plan never runs it
        isec = self.network.intersection(isec_id)
        phased = self._phased[isec_id]
        shown = self._live[isec_id].green_movements() & phased
        in_step = False
        for t in (t_s, t_s - dt_s):
            planned: set[str] = set()
            for iv in plan.phase_at(t):
                if iv.kind != "green" or not iv.phase:
                    continue
                if iv.phase == w.phase and t == t_s:
                    return False  # green now: the call holds it when due
                try:
                    planned.update(isec.phase(iv.phase).movements)
                except KeyError:
                    return False  # a plan that does not fit the intersection: no prediction
            if planned & phased == shown:
                in_step = True
                break
        if not in_step:
            return False
        start = float(window(w.phase)[0])
        cycle = float(plan.cycle_s)
        next_green = start + math.ceil((t_s - start) / cycle - 1e-9) * cycle
        return next_green <= w.open_s + slack

    def _serve(self, isec_id: str, t_s: float, dt_s: float, out: dict[str, Request]) -> None:
        windows = self._resolved.get(isec_id, [])
        call = self._calls.get(isec_id)
        current = None
        recovery_event: AuditEvent | None = None
        if call is not None:
            # the call's crossing: its vehicle from its approach (a route may cross the signal
            # again from another approach; that crossing gets a call of its own when due)
            current = next(
                (
                    w
                    for w in windows
                    if w.vehicle_id == call.window.vehicle_id
                    and w.approach_link == call.window.approach_link
                ),
                None,
            )
            if current is None:
                vid = call.window.vehicle_id
                why = "passed" if vid in self._escorts else self._gone.get(vid, "passed")
                # logged below unless another escort's call follows at once (then the
                # recovery never runs)
                recovery_event = self._end_call(isec_id, call, t_s, why)
                call = None
            elif t_s - call.called_s > self.config.max_presence_s:
                self._log(
                    t_s, isec_id, EventCode.PREEMPT_MAX_PRESENCE, call.slot, call.window.vehicle_id
                )
                self._expired.add((call.window.vehicle_id, isec_id))
                self._dirty = True
                event = self._end_call(isec_id, call, t_s, "max presence")
                if event is not None:
                    self.events.append(event)
                return
        due = next((w for w in windows if self._due(w, t_s, dt_s)), None)
        if call is not None and current is not None:
            if (
                due is not None
                and due.vehicle_id != current.vehicle_id
                and self._goes_first(due, current)
            ):
                # straight into the next call: no recovery to log (it would never run)
                self._end_call(isec_id, call, t_s, f"pre-empted by {due.vehicle_id}", recover=False)
                call = None
            else:
                call.window = current
        if call is None and due is not None:
            slot = self._escorts[due.vehicle_id].slot
            call = _Call(due, preempt_number(slot), t_s)
            self._calls[isec_id] = call
            self._recoveries.pop(isec_id, None)
            self._log(
                t_s,
                isec_id,
                EventCode.PREEMPT_CALL_ON,
                call.slot,
                due.vehicle_id,
                f"eta {due.eta_s:.1f} s, open {due.open_s:.1f} s",
            )
            self._log(t_s, isec_id, EventCode.PREEMPT_ENTRY_STARTED, call.slot, due.vehicle_id)
        elif recovery_event is not None:
            self.events.append(recovery_event)
        if call is None:
            return
        w = call.window
        live = self._live[isec_id]
        phase = self.network.intersection(isec_id).phase(w.phase)
        green_now = live.green(phase.movements) if live.known else t_s >= w.open_s
        if call.green_s is None and green_now:
            call.green_s = t_s
            self._log(
                t_s,
                isec_id,
                EventCode.PREEMPT_TRACK_CLEARANCE,
                call.slot,
                w.vehicle_id,
                f"flush {w.queue_veh:g} veh",
            )
        if call.green_s is not None and not call.dwell and t_s >= call.green_s + w.flush_s:
            call.dwell = True
            self._log(t_s, isec_id, EventCode.PREEMPT_DWELL, call.slot, w.vehicle_id)
        out[isec_id] = Request(
            phases=(w.phase, *self._companions[isec_id].get(w.phase, ())), force=True
        )

    @staticmethod
    def _goes_first(due: PreemptionWindow, current: PreemptionWindow) -> bool:
        """Whether ``due`` takes the signal from the call of ``current``: a higher priority,
        or the same priority and an arrival before ``current``'s own (as
        :func:`~signalbrain.escort.windows.resolve_windows` orders them) by more than
        ``TAKEOVER_MARGIN_S``, so that two nearly simultaneous arrivals with noisy ETAs do not
        pass the signal back and forth."""
        if due.priority != current.priority:
            return due.priority > current.priority
        own_eta = current.eta_s - current.delay_s  # before resolve_windows moved it
        return due.eta_s < own_eta - TAKEOVER_MARGIN_S

    def _end_call(
        self, isec_id: str, call: _Call, t_s: float, why: str, *, recover: bool = True
    ) -> AuditEvent | None:
        """Log the call's end and start the signal's recovery to its plan (``recover``);
        returns the recovery's event (code 150) for the caller to log."""
        w = call.window
        self._log(t_s, isec_id, EventCode.PREEMPT_CALL_OFF, call.slot, w.vehicle_id, why)
        self._log(t_s, isec_id, EventCode.PREEMPT_EXIT, call.slot, w.vehicle_id)
        del self._calls[isec_id]
        plan = self.plans.get(isec_id) if self.plans is not None else None
        if plan is None or not recover:
            return None
        rec = plan_recovery(
            self.network.intersection(isec_id),
            plan,
            w.phase,
            t_s,
            self.config,
            coordinated=isec_id in self.graph.coordinated,
        )
        if rec.method == "none":
            return AuditEvent(
                t_s, isec_id, int(EventCode.COORD_CYCLE_STATE), COORD_STATE["in_step"]
            )
        self._recoveries[isec_id] = rec
        return AuditEvent(
            t_s,
            isec_id,
            int(EventCode.COORD_CYCLE_STATE),
            COORD_STATE[rec.method],
            "",
            f"{rec.method}: offset error {rec.offset_error_s:.1f} s",
        )

    def _log(
        self, t_s: float, isec_id: str, code: int, param: int, vehicle_id: str = "", note: str = ""
    ) -> None:
        self.events.append(AuditEvent(t_s, isec_id, int(code), param, vehicle_id, note))
