"""Live escorts: requests, position updates, cancellations and arrivals in, forced requests out.

:class:`EscortManager` keeps every active escort. Each position update (irregular, noisy) moves
the vehicle along its route (never backwards: a fix behind the last one is noise), re-routes when
the vehicle left its route or a clearly faster route appeared on current travel times, and
re-plans the ETA and window at every signal ahead. Each step it resolves the windows of all
escorts (priority, then arrival order), places a call at a signal as late as still gives green in
time (from the monitor's actual display: remaining min green, yellow, all-red), or, where the
signal runs its plan and the plan gives the phase green soon enough anyway, waits for that green
(``EscortConfig.plan_slack_s``); it holds the call until the vehicle is inside the junction or
beyond, then steers the signal back to its plan (:mod:`~signalbrain.escort.recovery`).
Every call, entry, flush, dwell, exit and recovery is logged as an Indiana hi-res event.

The manager only *asks*: it returns :class:`~signalbrain.control.base.Request` objects with
``force=True`` that go through the conflict monitor like any other request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from signalbrain._numbers import finite_or_none, real_or_nan
from signalbrain.control.base import Request, SignalState
from signalbrain.errors import InputError, Problem
from signalbrain.escort.audit import COORD_STATE, AuditEvent, EventCode, preempt_number
from signalbrain.escort.live import LiveSignal, companion_phases
from signalbrain.escort.model import EscortConfig, EscortRequest, LinkCondition, PositionUpdate
from signalbrain.escort.plan import route_for
from signalbrain.escort.recovery import Recovery, plan_recovery
from signalbrain.escort.routing import Route, RoutingGraph, TravelTimes, crossings
from signalbrain.escort.signal import PlanLike, plans_problems, worst_transition_s
from signalbrain.escort.windows import PreemptionWindow, plan_windows, resolve_windows
from signalbrain.network import Network

__all__ = [
    "MAX_SPEED_FACTOR",
    "REROUTE_GAIN",
    "REROUTE_MIN_S",
    "TAKEOVER_MARGIN_S",
    "EscortManager",
]

REROUTE_GAIN = 0.85
"""Switch routes only when the new one costs at most this fraction of the current one ..."""
REROUTE_MIN_S = 15.0
"""... and is at least this much faster [s] (no flip-flopping between near-equal routes)."""
MAX_SPEED_FACTOR = 2.0
"""A reported speed counts at most this multiple of the link's free speed: an emergency vehicle
may exceed the limit, but a fix at twice it is noise (one 400 m/s fix would otherwise pull
every call of the route ahead, and a placed call is held until the vehicle passes)."""
TAKEOVER_MARGIN_S = 2.0
"""An escort of equal priority takes a signal from another's running call only when it arrives
this much earlier than the other [s] (see ``EscortManager._goes_first``)."""


@dataclass
class _Escort:
    request: EscortRequest
    slot: int
    route: Route
    index: int = 0
    position_m: float = 0.0
    speed_mps: float | None = None
    fix_s: float | None = None
    windows: list[PreemptionWindow] = field(default_factory=list)
    passed: set[str] = field(default_factory=set)
    reroutes: int = 0


@dataclass
class _Call:
    window: PreemptionWindow
    slot: int
    called_s: float
    green_s: float | None = None
    dwell: bool = False


class EscortManager:
    """Every active escort of a network, and the preemption requests they need now.

    Parameters
    ----------
    network
        The road network.
    plans
        Timing plan per intersection id: predicts signal states before any is observed and is
        the target of recovery (without a plan the normal controller takes over at exit).
        Keys that name no signal of ``network`` are refused when none names one, else logged
        as a warning and ignored (see :func:`~signalbrain.escort.signal.plans_problems`).
    config
        Planner constants.
    """

    def __init__(
        self,
        network: Network,
        plans: Mapping[str, PlanLike] | None = None,
        config: EscortConfig | None = None,
    ) -> None:
        problems = plans_problems(plans, network=network)
        if config is not None and not isinstance(config, EscortConfig):
            problems.append(
                Problem("config", f"a {type(config).__name__}: expected an EscortConfig")
            )
        if problems:
            raise InputError(problems)
        self.network = network
        self.plans = plans
        self.config = config or EscortConfig()
        self.graph = RoutingGraph(network)
        self.times = TravelTimes(network, self.config)
        self.events: list[AuditEvent] = []
        self._escorts: dict[str, _Escort] = {}
        self._slots = 0
        self._live = {s.id: LiveSignal(s) for s in network.intersections}
        self._companions = {s.id: companion_phases(s) for s in network.intersections}
        self._worst = {
            s.id: {p.number: worst_transition_s(s, p.number) for p in s.phases}
            for s in network.intersections
        }
        self._phased = {
            s.id: frozenset(m for p in s.phases for m in p.movements) for s in network.intersections
        }
        self._calls: dict[str, _Call] = {}
        self._recoveries: dict[str, Recovery] = {}
        self._expired: set[tuple[str, str]] = set()
        self._watched: set[str] = set()
        self._resolved: dict[str, list[PreemptionWindow]] = {}
        self._gone: dict[str, str] = {}  # why a vehicle's escort ended (note of its call off)
        self._dirty = True

    # ------------------------------------------------------------------ inputs
    def submit(self, request: EscortRequest, t_s: float | None = None) -> list[PreemptionWindow]:
        """Start escorting a vehicle (the one key); returns its windows in route order.

        ``t_s`` is the time of the key press [s] (default: the request's departure).

        Raises
        ------
        InputError
            A request that is malformed or cannot be routed, a vehicle already escorted, or a
            ``t_s`` that is not a finite time.
        """
        if not isinstance(request, EscortRequest):
            raise InputError(
                [Problem("request", f"a {type(request).__name__}: expected an EscortRequest")]
            )
        if t_s is not None and not math.isfinite(real_or_nan(t_s)):
            # a NaN time planned no window at all: the escort was accepted and never served
            raise InputError([Problem("t_s", f"= {t_s!r}: must be a finite time [s] or None")])
        if request.vehicle_id in self._escorts:
            raise InputError(f"vehicle {request.vehicle_id!r} is already escorted")
        route = route_for(request, self.graph, self.times)
        self._gone.pop(request.vehicle_id, None)
        esc = _Escort(request, self._slots, route)
        self._slots += 1
        self._escorts[request.vehicle_id] = esc
        self._replan(esc, request.depart_s if t_s is None else max(t_s, request.depart_s))
        return list(esc.windows)

    def update(self, fix: PositionUpdate) -> list[PreemptionWindow]:
        """Move an escorted vehicle to a new fix and re-plan; returns its windows ahead. A fix
        whose time is not a finite number, or whose link is not an id, is ignored like a lost
        one (a live feed's garbage never stops the escort); a position or speed that is not a
        number counts as unknown."""
        if not isinstance(fix, PositionUpdate):
            raise InputError(f"update: expected a PositionUpdate, got {type(fix).__name__}")
        esc = self._escorts.get(fix.vehicle_id) if isinstance(fix.vehicle_id, str) else None
        t_s = real_or_nan(fix.t_s)
        if esc is None or not math.isfinite(t_s) or not isinstance(fix.link, str):
            return []
        fix = replace(
            fix,
            t_s=t_s,
            position_m=real_or_nan(fix.position_m),
            speed_mps=real_or_nan(fix.speed_mps),
        )
        if esc.fix_s is not None and fix.t_s < esc.fix_s:
            return list(esc.windows)  # stale fix, out of order
        net = self.network
        if not net.has_link(fix.link):
            return list(esc.windows)  # e.g. inside a junction: keep the last fix
        links = esc.route.links
        ahead = [j for j in range(esc.index, len(links)) if links[j] == fix.link]
        behind = fix.link in links[: esc.index]
        length = net.link(fix.link).length_m
        pos = min(max(fix.position_m, 0.0), length) if math.isfinite(fix.position_m) else 0.0
        if ahead:
            j = ahead[0]
            if j > esc.index or pos > esc.position_m:
                esc.position_m = pos if j > esc.index else max(pos, esc.position_m)
            esc.index = j
        elif not behind:
            dest = esc.request.destination or links[-1]
            try:
                esc.route = self.graph.shortest(fix.link, dest, self.times)
            except InputError:
                return list(esc.windows)
            esc.index, esc.position_m = 0, pos
            esc.passed.clear()  # the new route's signals are all ahead, also one crossed before
            esc.reroutes += 1
        speed = fix.speed_mps if math.isfinite(fix.speed_mps) else None
        if speed is not None:  # a GPS spike must not pull every call ahead
            speed = min(speed, MAX_SPEED_FACTOR * net.link(fix.link).free_speed_mps)
        esc.speed_mps = speed
        esc.fix_s = fix.t_s
        self._mark_passed(esc)
        self._maybe_reroute(esc)
        self._replan(esc, fix.t_s)
        return list(esc.windows)

    def enter_junction(self, vehicle_id: str, node_id: str, t_s: float) -> None:
        """The vehicle is inside the junction ``node_id`` (past its stop line): the signal there
        has served it, so its window closes now and the call ends into yellow and all-red, which
        the vehicle clears the junction under, as every vehicle does that entered on green.
        A junction not on the route ahead, or a vehicle not escorted, is ignored (a noisy fix).

        Raises
        ------
        InputError
            An id that is not a string, or a ``t_s`` that is not a finite time [s] (a NaN time
            was ignored without a word: the call held green for a vehicle already through).
        """
        _check_event("enter_junction", vehicle_id, t_s, node_id=node_id)
        esc = self._escorts.get(vehicle_id)
        if esc is None:
            return
        isec = self.network.intersection_at(node_id)
        if isec is None or isec.id in esc.passed:
            return
        ahead = esc.route.intersections[esc.index : esc.index + 1]
        if isec.id not in ahead:
            return
        esc.passed.add(isec.id)
        self._replan(esc, t_s)

    def cancel(self, vehicle_id: str, t_s: float) -> None:
        """Stop escorting a vehicle (its calls end and the signals recover); a vehicle not
        escorted is ignored.

        Raises
        ------
        InputError
            A ``vehicle_id`` that is not a string or a ``t_s`` that is not a finite time [s].
        """
        _check_event("cancel", vehicle_id, t_s)
        self._end_escort(vehicle_id, "cancelled")

    def _end_escort(self, vehicle_id: str, why: str) -> None:
        if self._escorts.pop(vehicle_id, None) is not None:
            self._dirty = True
            self._gone[vehicle_id] = why
        # a later trip under the same id starts with every signal's maximum presence unused
        self._expired = {pair for pair in self._expired if pair[0] != vehicle_id}

    def arrive(self, vehicle_id: str, t_s: float) -> None:
        """The vehicle reached its destination; a vehicle not escorted is ignored.

        Raises
        ------
        InputError
            A ``vehicle_id`` that is not a string or a ``t_s`` that is not a finite time [s].
        """
        _check_event("arrive", vehicle_id, t_s)
        self._end_escort(vehicle_id, "arrived")

    def observe(self, conditions: Mapping[str, LinkCondition], t_s: float | None = None) -> None:
        """New measured queues and speeds per link at ``t_s`` (used at the next re-plan)."""
        self.times.update(conditions, t_s)

    def observe_states(self, states: Mapping[str, SignalState]) -> None:
        """The monitor's displays of this step, by intersection id.

        A signal left out of a step loses its display history: when it is seen again its
        greens count from then (their minimum green unserved), and until then the worst
        transition is assumed. A green seen before and after a gap may have ended and started
        again in between, and taking it for the same green would call the escort late."""
        for isec_id in self._watched - states.keys():
            self._live[isec_id].forget()
        self._watched = {i for i in states if i in self._live}
        for isec_id in self._watched:
            self._live[isec_id].observe(states[isec_id])

    # ------------------------------------------------------------------ queries
    @property
    def active(self) -> tuple[str, ...]:
        """Ids of the vehicles being escorted."""
        return tuple(self._escorts)

    def windows(self, vehicle_id: str) -> list[PreemptionWindow]:
        """The windows ahead of a vehicle as resolved at the last :meth:`step` (after priority
        and arrival order among crossing escorts), in route order."""
        out = [w for ws in self._resolved.values() for w in ws if w.vehicle_id == vehicle_id]
        return sorted(out, key=lambda w: w.eta_s)

    def signals_in_use(self) -> set[str]:
        """Intersections with a window, a call or a recovery (whose displays matter)."""
        self._resolve()
        return set(self._resolved) | set(self._calls) | set(self._recoveries)

    def route(self, vehicle_id: str) -> Route:
        """The route a vehicle is following (``KeyError`` if not escorted)."""
        return self._escorts[vehicle_id].route

    def remaining_route(self, vehicle_id: str) -> tuple[str, ...]:
        """The links still ahead of a vehicle, its current link first."""
        esc = self._escorts[vehicle_id]
        return esc.route.links[esc.index :]

    def reroutes(self, vehicle_id: str) -> int:
        """How many times a vehicle's route changed since it was submitted."""
        return self._escorts[vehicle_id].reroutes

    # ------------------------------------------------------------------ planning
    def _mark_passed(self, esc: _Escort) -> None:
        for j in range(min(esc.index, len(esc.route.intersections))):
            isec = esc.route.intersections[j]
            if isec is not None:
                esc.passed.add(isec)

    def _remaining_cost(self, esc: _Escort) -> float:
        return self.graph.follow(esc.route.links[esc.index :], self.times).cost_s

    def _maybe_reroute(self, esc: _Escort) -> None:
        if esc.request.route and esc.request.destination is None:
            return
        dest = esc.request.destination or esc.route.links[-1]
        here = esc.route.links[esc.index]
        try:
            best = self.graph.shortest(here, dest, self.times)
        except InputError:
            return
        now = self._remaining_cost(esc)
        better = best.cost_s < REROUTE_GAIN * now and now - best.cost_s > REROUTE_MIN_S
        if better and best.links != esc.route.links[esc.index :]:
            esc.route, esc.index = best, 0
            esc.passed.clear()
            esc.reroutes += 1

    def _replan(self, esc: _Escort, t_s: float) -> None:
        # a vehicle dispatched ahead of its departure waits at its origin until then
        t_s = max(t_s, esc.request.depart_s)
        ahead = crossings(
            esc.route,
            self.times,
            t_s=t_s,
            index=esc.index,
            position_m=esc.position_m,
            speed_mps=esc.speed_mps,
        )
        ahead = [
            c
            for c in ahead
            if c.intersection not in esc.passed and c.eta_s - t_s <= self.config.lookahead_s
        ]
        esc.windows = plan_windows(
            esc.request.vehicle_id,
            ahead,
            self.network,
            self.plans,
            self.config,
            priority=esc.request.priority,
        )
        self._dirty = True

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
            current = next((w for w in windows if w.vehicle_id == call.window.vehicle_id), None)
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


def _check_event(method: str, vehicle_id: object, t_s: object, **ids: object) -> None:
    """Raise :class:`InputError` naming each argument of ``method`` that is not what it must
    be: ``vehicle_id`` and every one of ``ids`` a string, ``t_s`` a finite time [s]."""
    problems = [
        Problem(name, f"= {value!r}: expected an id (str)")
        for name, value in (("vehicle_id", vehicle_id), *ids.items())
        if not isinstance(value, str)
    ]
    if not math.isfinite(real_or_nan(t_s)):
        problems.append(Problem("t_s", f"= {t_s!r}: must be a finite time [s]"))
    if problems:
        raise InputError(problems, source=method)
