"""The one-key escort plan: route, ETA at every signal, preemption windows, recovery and log.

:func:`plan_escort` is what a dispatcher's key press computes before the vehicle moves (and what
``signalbrain escort`` prints): it routes on current travel times, predicts the arrival at every
signal, opens a window per signal early enough to flush its queue, predicts the state of each
signal from its timing plan to place the call (min green, yellow and all-red of the phase running
then), plans each signal's return to coordination, and lists the audit events all this will log.
Live operation (:class:`~signalbrain.escort.manager.EscortManager`) re-plans the same way on every
position update.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Real

from signalbrain.errors import InputError, Problem
from signalbrain.escort.audit import COORD_STATE, AuditEvent, EventCode, preempt_number
from signalbrain.escort.model import EscortConfig, EscortRequest, LinkCondition
from signalbrain.escort.recovery import Recovery, plan_recovery
from signalbrain.escort.routing import Route, RoutingGraph, SignalCrossing, TravelTimes, crossings
from signalbrain.escort.signal import PlanLike, earliest_green_s, plans_problems
from signalbrain.escort.windows import PreemptionWindow, plan_windows, resolve_windows
from signalbrain.network import Network

__all__ = [
    "EscortPlan",
    "plan_escort",
    "plan_escorts",
    "predicted_events",
    "route_for",
    "routing_graph",
]

_GRAPHS: list[tuple[Network, RoutingGraph]] = []
_GRAPH_CACHE_SIZE = 4


def routing_graph(network: Network) -> RoutingGraph:
    """The :class:`RoutingGraph` of a network, built once and kept for the last few networks
    (a dispatcher's key press should not rebuild the graph)."""
    for net, graph in _GRAPHS:
        if net is network:
            return graph
    graph = RoutingGraph(network)
    _GRAPHS.insert(0, (network, graph))
    del _GRAPHS[_GRAPH_CACHE_SIZE:]
    return graph


@dataclass(frozen=True, slots=True)
class EscortPlan:
    """Everything planned for one escort at time ``t_s``.

    ``arrival_s`` is the predicted arrival at the end of the route [s]; ``free_flow_s`` the same
    trip at free speed with no signal delay [s].
    """

    request: EscortRequest
    t_s: float
    route: Route
    crossings: tuple[SignalCrossing, ...]
    windows: tuple[PreemptionWindow, ...]
    recoveries: tuple[Recovery, ...]
    events: tuple[AuditEvent, ...]
    arrival_s: float
    free_flow_s: float
    length_m: float

    def trajectory(self, network: Network) -> list[tuple[float, float]]:
        """(time [s], distance along the route [m]) at the start and end of every link, as
        planned (windows that were moved delay the vehicle at their signal)."""
        delays = {w.intersection: w.delay_s for w in self.windows}
        t = self.request.depart_s if self.t_s <= self.request.depart_s else self.t_s
        d = 0.0
        pts = [(t, d)]
        by_index = {c.index: c for c in self.crossings}
        for j, link_id in enumerate(self.route.links):
            link = network.link(link_id)
            c = by_index.get(j)
            t_end = c.eta_s + delays.get(c.intersection, 0.0) if c else t + link.free_flow_time_s
            d += link.length_m
            if c is not None and delays.get(c.intersection, 0.0) > 0:
                pts.append((c.eta_s, d))
            pts.append((max(t_end, t), d))
            t = max(t_end, t)
        return pts


def route_for(request: EscortRequest, graph: RoutingGraph, times: TravelTimes) -> Route:
    """The request's explicit route, or the least-cost route from origin to destination."""
    request.validate()
    if request.route:
        route = graph.follow(request.route, times)
        _check_route_ends(request, graph.network)
        return route
    net = graph.network
    if (
        request.destination == request.origin
        and net.has_node(request.origin)
        and not net.has_link(request.origin)
    ):
        raise InputError(
            [
                Problem(
                    "destination",
                    f"{request.destination!r} is the origin node; expected another node or "
                    "a link to end the trip at",
                )
            ],
            source=f"escort request {request.vehicle_id!r}",
        )
    return graph.shortest(request.origin, request.destination or "", times)


def _check_route_ends(request: EscortRequest, network: Network) -> None:
    """A request giving both a route and an origin or destination must agree: the route starts
    at the origin (its first link, or that link's start node) and ends at the destination (its
    last link, or that link's end node). Re-routing heads for the destination, so a route
    ending elsewhere would be abandoned at the first fix off it."""
    first, last = network.link(request.route[0]), network.link(request.route[-1])
    out: list[Problem] = []
    if request.origin and request.origin not in (first.id, first.from_node):
        out.append(
            Problem(
                "origin",
                f"{request.origin!r}: the route starts at link {first.id!r} (node "
                f"{first.from_node!r}); give that, or leave the origin out",
            )
        )
    if request.destination is not None and request.destination not in (last.id, last.to_node):
        out.append(
            Problem(
                "destination",
                f"{request.destination!r}: the route ends at link {last.id!r} (node "
                f"{last.to_node!r}); give that, or leave the destination out",
            )
        )
    if out:
        raise InputError(out, source=f"escort request {request.vehicle_id!r}")


def _not_before(
    w: PreemptionWindow, start_s: float, network: Network, plans: Mapping[str, PlanLike] | None
) -> PreemptionWindow:
    """``w`` with its call no earlier than the planning time ``start_s`` and its green no
    earlier than a call then can give it (the running phase's minimum green, yellow and
    all-red, predicted from the plan). A vehicle close to a signal with a long queue ahead of
    it needs a call in the past: it gets the call now and as much of the flush as is left
    (the schedule and the audit log showed calls before the key press, before 1970 in the
    ATSPM log when planned at 0 s)."""
    if w.call_s >= start_s:
        return w
    plan = plans.get(w.intersection) if plans is not None else None
    green_s = earliest_green_s(network.intersection(w.intersection), plan, w.phase, start_s)
    return replace(w, call_s=start_s, open_s=max(w.open_s, green_s))


def predicted_events(
    windows: Sequence[PreemptionWindow], recoveries: Sequence[Recovery], slots: Mapping[str, int]
) -> list[AuditEvent]:
    """The hi-res events the windows and recoveries will log, in time order."""
    out: list[AuditEvent] = []
    for w in windows:
        n = preempt_number(slots.get(w.vehicle_id, 0))
        v = w.vehicle_id
        out += [
            AuditEvent(w.call_s, w.intersection, EventCode.PREEMPT_CALL_ON, n, v),
            AuditEvent(w.call_s, w.intersection, EventCode.PREEMPT_ENTRY_STARTED, n, v),
            AuditEvent(
                w.open_s,
                w.intersection,
                EventCode.PREEMPT_TRACK_CLEARANCE,
                n,
                v,
                f"flush {w.queue_veh:g} veh in {w.flush_s:g} s",
            ),
        ]
        if w.open_s + w.flush_s <= w.close_s:  # no dwell when the flush outlasts the window
            out.append(
                AuditEvent(w.open_s + w.flush_s, w.intersection, EventCode.PREEMPT_DWELL, n, v)
            )
        out += [
            AuditEvent(w.close_s, w.intersection, EventCode.PREEMPT_CALL_OFF, n, v),
            AuditEvent(w.close_s, w.intersection, EventCode.PREEMPT_EXIT, n, v),
        ]
    for r in recoveries:
        if r.method == "none":
            out.append(
                AuditEvent(
                    r.exit_s,
                    r.intersection,
                    EventCode.COORD_CYCLE_STATE,
                    COORD_STATE["in_step"],
                    note="in step at exit",
                )
            )
            continue
        out += [
            AuditEvent(
                r.exit_s,
                r.intersection,
                EventCode.COORD_CYCLE_STATE,
                COORD_STATE[r.method],
                note=f"{r.method}: offset error {r.offset_error_s:.1f} s",
            ),
            AuditEvent(
                r.sync_s, r.intersection, EventCode.COORD_CYCLE_STATE, COORD_STATE["in_step"]
            ),
        ]
    # stable: a signal's events at one time keep the order they happen in (call off before
    # exit before the recovery; a dwell due as the call ends before the call off)
    out.sort(key=lambda e: (e.t_s, e.signal_id))
    return out


def _check_arguments(
    network: Network,
    requests: object,
    plans: object,
    conditions: object,
    config: object,
    t_s: object,
) -> None:
    """The types of :func:`plan_escorts`' arguments, every problem at once."""
    out: list[Problem] = []
    if not isinstance(requests, Sequence) or isinstance(requests, str):
        out.append(
            Problem("requests", f"a {type(requests).__name__}: expected a list of EscortRequest")
        )
    else:
        out += [
            Problem(f"requests[{i}]", f"a {type(r).__name__}: expected an EscortRequest")
            for i, r in enumerate(requests)
            if not isinstance(r, EscortRequest)
        ]
    out += plans_problems(plans, network=network)
    if conditions is not None:
        if not isinstance(conditions, Mapping):
            out.append(Problem("conditions", "expected a mapping of link id to LinkCondition"))
        else:
            out += [
                Problem(f"conditions.{k}", f"a {type(c).__name__}: expected a LinkCondition")
                for k, c in conditions.items()
                if not isinstance(c, LinkCondition)
            ]
    if config is not None and not isinstance(config, EscortConfig):
        out.append(Problem("config", f"a {type(config).__name__}: expected an EscortConfig"))
    if t_s is not None and not (
        isinstance(t_s, Real) and not isinstance(t_s, bool) and math.isfinite(t_s)
    ):
        out.append(Problem("t_s", f"= {t_s!r}: must be a finite time [s] or None"))
    if out:
        raise InputError(out)


def plan_escorts(
    network: Network,
    requests: Sequence[EscortRequest],
    plans: Mapping[str, PlanLike] | None = None,
    *,
    conditions: Mapping[str, LinkCondition] | None = None,
    config: EscortConfig | None = None,
    t_s: float | None = None,
    graph: RoutingGraph | None = None,
) -> list[EscortPlan]:
    """Plan several escorts together (crossing routes are served by priority, then ETA).

    Raises
    ------
    InputError
        A vehicle requested twice, a request that cannot be routed, or ``plans`` whose keys
        name no signal of ``network`` (when only some do, the others are logged as a warning:
        see :func:`~signalbrain.escort.signal.plans_problems`).
    """
    _check_arguments(network, requests, plans, conditions, config, t_s)
    seen: set[str] = set()
    for i, req in enumerate(requests):
        if req.vehicle_id in seen:
            raise InputError(
                [
                    Problem(
                        f"requests[{i}].vehicle_id",
                        f"{req.vehicle_id!r} is requested twice; one escort per vehicle",
                    )
                ]
            )
        seen.add(req.vehicle_id)
    cfg = config or EscortConfig()
    graph = graph or routing_graph(network)
    times = TravelTimes(network, cfg, conditions)
    routed = []
    for req in requests:
        route = route_for(req, graph, times)
        start = req.depart_s if t_s is None else max(t_s, req.depart_s)
        ahead = crossings(route, times, t_s=start)
        first = times.network.link(route.links[0])
        routed.append((req, route, ahead, start, first))
    windows = [
        _not_before(w, start, network, plans)
        for req, _, ahead, start, _ in routed
        for w in plan_windows(req.vehicle_id, ahead, network, plans, cfg, priority=req.priority)
    ]
    resolved = resolve_windows(windows, network)
    slots = {req.vehicle_id: i for i, req in enumerate(requests)}
    out: list[EscortPlan] = []
    for req, route, ahead, start, first in routed:
        mine = tuple(w for w in resolved if w.vehicle_id == req.vehicle_id)
        mine = tuple(sorted(mine, key=lambda w: w.eta_s))
        recoveries = tuple(
            plan_recovery(
                network.intersection(w.intersection),
                plans[w.intersection],
                w.phase,
                w.close_s,
                cfg,
                coordinated=w.intersection in graph.coordinated,
            )
            for w in mine
            if plans is not None and w.intersection in plans
        )
        links = [network.link(k) for k in route.links]
        free = sum(k.free_flow_time_s for k in links)
        drive = sum(times.drive_s[network.link_position(k.id)] for k in links[1:])
        last_delay = max((w.delay_s for w in mine), default=0.0)
        arrival = (
            start
            + first.length_m / times.speed_mps(network.link_position(first.id))
            + drive
            + last_delay
        )
        out.append(
            EscortPlan(
                req,
                start,
                route,
                tuple(ahead),
                mine,
                recoveries,
                tuple(predicted_events(mine, recoveries, slots)),
                arrival,
                free,
                sum(k.length_m for k in links),
            )
        )
    return out


def plan_escort(
    network: Network,
    request: EscortRequest,
    plans: Mapping[str, PlanLike] | None = None,
    *,
    conditions: Mapping[str, LinkCondition] | None = None,
    config: EscortConfig | None = None,
    t_s: float | None = None,
) -> EscortPlan:
    """Plan one escort: route, ETAs, windows, recoveries and the predicted audit log.

    Parameters
    ----------
    network
        The road network.
    request
        The escort request (origin and destination, or route).
    plans
        Timing plan per intersection id (e.g. ``NetworkPlan.plans``); used to predict the state
        of each signal at call time and to plan the return to coordination. Without plans the
        call is placed the worst-case transition ahead and no recovery is planned.
    conditions
        Measured queues and speeds per link id.
    config
        Planner constants.
    t_s
        Planning time [s] (default: the request's departure).
    """
    return plan_escorts(network, [request], plans, conditions=conditions, config=config, t_s=t_s)[0]
