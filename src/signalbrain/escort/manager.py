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

This module holds the vehicle side: requests, fixes, routes, re-routing and each escort's windows.
The signal side (resolving the windows per signal, placing, holding and ending calls, recovery
and the audit log: :meth:`EscortManager.step`) is its base class in :mod:`._signal_calls`.

The manager only *asks*: it returns :class:`~signalbrain.control.base.Request` objects with
``force=True`` that go through the conflict monitor like any other request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from signalbrain._numbers import real_or_nan
from signalbrain.control.base import SignalState
from signalbrain.errors import InputError, Problem
from signalbrain.escort._signal_calls import TAKEOVER_MARGIN_S, _SignalCalls
from signalbrain.escort._signal_calls import _Call as _Call
from signalbrain.escort.audit import AuditEvent
from signalbrain.escort.live import LiveSignal, companion_phases
from signalbrain.escort.model import EscortConfig, EscortRequest, LinkCondition, PositionUpdate
from signalbrain.escort.plan import route_for
from signalbrain.escort.recovery import Recovery
from signalbrain.escort.routing import Route, RoutingGraph, TravelTimes, crossings
from signalbrain.escort.signal import PlanLike, plans_problems, worst_transition_s
from signalbrain.escort.windows import PreemptionWindow, plan_windows
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
    passed: set[int] = field(default_factory=set)
    """Route indices of the signal crossings behind the vehicle (a route may cross one signal
    twice: keyed by signal, the second crossing got no window)."""
    reroutes: int = 0


class EscortManager(_SignalCalls):
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
        if isec is None or esc.index in esc.passed:
            return
        ahead = esc.route.intersections[esc.index : esc.index + 1]
        if isec.id not in ahead:
            return
        esc.passed.add(esc.index)
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
            if esc.route.intersections[j] is not None:
                esc.passed.add(j)

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
            if c.index not in esc.passed and c.eta_s - t_s <= self.config.lookahead_s
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
