"""Requesting an emergency vehicle's escort ahead of its departure, in SUMO.

The dispatcher presses the key with the call, :data:`DISPATCH_LEAD_S` before the vehicle
departs; the escort plans from the departure time it is given and the vehicle stands at the start
of its route, reporting a fix with no speed each step, until SUMO inserts it. A request whose
vehicle is not on the road :data:`LATE_STEPS` steps after its departure time, or whose first road
is queued full (:data:`JAMMED_FRACTION`), is withdrawn and made again when the vehicle departs.

:class:`_Dispatch` is the base of :class:`~signalbrain.escort.sumo.SumoEscort` (which sets the
attributes it names) and also builds the one-key request of an emergency vehicle from its SUMO
route (:meth:`_Dispatch._request`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import replace
from types import ModuleType

from signalbrain.errors import InputError
from signalbrain.escort.manager import EscortManager
from signalbrain.escort.model import EscortRequest, LinkCondition, PositionUpdate
from signalbrain.network import Network

__all__ = ["DISPATCH_LEAD_S", "JAMMED_FRACTION", "LATE_STEPS"]

log = logging.getLogger("signalbrain.escort.sumo")  # the hook's logger, as before the split

DISPATCH_LEAD_S = 60.0
"""How long before its departure an emergency vehicle's escort is requested in ``auto`` [s]:
the turnout time, from the crew's alert to the wheels rolling, that NFPA 1710 sets for EMS
units (60 s). The dispatcher presses the key with the call; the escort plans from the
departure time it is given."""
LATE_STEPS = 2
"""Steps after its departure time by which an emergency vehicle requested ahead must be on the
road; later, its request is withdrawn until it departs. Kept waiting, an ambulance that SUMO
could not insert into a jammed entry road held its first signals green for minutes (atlanta_1x5,
11 seeds: ambulance 116.0 -> 152.0 s, others' delay +17.5 % over no escort)."""
JAMMED_FRACTION = 0.9
"""An emergency vehicle whose first road is queued to this share of what its detectors see is
not requested ahead of its departure (and a request made is withdrawn): SUMO may not be able to
insert it for minutes. On atlanta_1x5 the ambulances, due at 600-2400 s, entered the jammed
arterial as late as 2064-2652 s (seed 1), and every early request opened all five signals'
windows for nothing."""


class _Dispatch:
    """Requests of emergency vehicles made ahead of their departure (the base of
    :class:`~signalbrain.escort.sumo.SumoEscort`)."""

    network: Network
    reroute: bool
    dispatch_lead_s: float
    _dt: float | None
    _loaded: dict[str, float]
    _waiting: dict[str, EscortRequest]
    _seen: set[str]
    _told: set[tuple[str, str]]

    def _dispatch(
        self,
        sumo: ModuleType,
        manager: EscortManager,
        conditions: Mapping[str, LinkCondition],
        t_s: float,
    ) -> None:
        """Requests for the emergency vehicles due within ``dispatch_lead_s`` whose first road
        has room; a standing fix for each dispatched one that SUMO has not inserted yet. A
        request whose vehicle is late, or whose first road has filled, is withdrawn: the vehicle
        is requested again when it departs."""
        for vid in sumo.simulation.getLoadedIDList():
            if sumo.vehicle.getVehicleClass(vid) == "emergency":
                # before departure SUMO's depart delay is the time since the planned departure
                self._loaded[vid] = t_s - float(sumo.vehicle.getDepartDelay(vid))
        for vid, depart_s in list(self._loaded.items()):
            if t_s < depart_s - self.dispatch_lead_s - 1e-9:
                continue
            del self._loaded[vid]
            request = self._request(sumo, vid, max(depart_s, t_s))
            if request is None or self._jammed(request.route[0], conditions, manager):
                continue  # requested when it departs
            submitted = request
            if _unrouted(request, manager):
                # a trip (from, its stops' edges, to): SUMO routes it when it inserts it; the
                # escort routes it now and hands it its route then (it was refused with "no
                # allowed movement joins these links; not escorted" and requested only on
                # departure)
                if not self.reroute or request.destination is None:
                    continue  # requested when it departs, on the route SUMO gives it
                submitted = replace(request, route=())
            try:
                manager.submit(self._own(submitted), t_s)
            except InputError as exc:
                self._not_escorted(vid, str(exc))
                continue
            self._seen.add(vid)
            self._waiting[vid] = request
        step_s = self._dt or 1.0
        for vid, request in list(self._waiting.items()):
            late = t_s > request.depart_s + LATE_STEPS * step_s + 1e-9
            if late or self._jammed(request.route[0], conditions, manager):
                # not on the road when it should be, or its first road is full: withdraw the
                # green wave until it moves; it is requested again when it departs
                manager.cancel(vid, t_s)
                del self._waiting[vid]
                continue
            # no speed: it has not set off, and its ETAs are those of the planning speed from
            # its departure (a reported 0 m/s would halve the speed planned on its first road,
            # and every window planned ahead would open late: bc-tyc, seed 4, by 25 s)
            manager.update(PositionUpdate(vid, t_s, request.route[0], 0.0, math.nan))

    def _jammed(
        self, link_id: str, conditions: Mapping[str, LinkCondition], manager: EscortManager
    ) -> bool:
        """Whether the standing queue on a link fills :data:`JAMMED_FRACTION` of what its
        detectors see (their reach, at most the link, times its lanes), at
        ``EscortConfig.jam_spacing_m`` per vehicle; False where nothing is measured."""
        cond = conditions.get(link_id)
        if cond is None or not self.network.has_link(link_id):
            return False
        link = self.network.link(link_id)
        reach = [ln.reach_m for ln in cond.lanes if math.isfinite(ln.reach_m) and ln.reach_m > 0]
        seen_m = min(min(reach), link.length_m) if reach else link.length_m
        queue = cond.queue_veh if math.isfinite(cond.queue_veh) else 0.0
        places = seen_m * link.lanes / manager.config.jam_spacing_m
        return queue >= JAMMED_FRACTION * places

    def _request(self, sumo: ModuleType, vid: str, depart_s: float) -> EscortRequest | None:
        """The one-key request of an emergency vehicle from its SUMO route (its own route only
        for a round trip, which ends on the edge it starts on, and for a vehicle with stops to
        make), or None when the route leaves the network."""
        route = [str(e) for e in sumo.vehicle.getRoute(vid)]
        if not route or not all(self.network.has_link(e) for e in (route[0], route[-1])):
            self._not_escorted(vid, f"route {route} is not in the network")
            return None
        if len(route) > 1 and route[-1] == route[0]:
            # a round trip: the least-cost route from its first edge to its last is that edge
            # alone, and the escort handed it that, ending the trip where it began; it drives
            # its own route
            return EscortRequest(vid, route[0], None, route=tuple(route), depart_s=depart_s)
        if sumo.vehicle.getStops(vid):
            # stops to make (a patient to pick up): a route of the escort's own dropped those
            # off it, and SUMO let them go with no word; it drives its own route
            return EscortRequest(vid, route[0], None, route=tuple(route), depart_s=depart_s)
        return EscortRequest(vid, route[0], route[-1], route=tuple(route), depart_s=depart_s)

    def _not_escorted(self, vid: str, why: str) -> None:
        """Log that a vehicle is not escorted, and why, once: a vehicle refused when requested
        ahead of its departure is requested again when it departs (it was logged twice)."""
        if (vid, why) not in self._told:
            self._told.add((vid, why))
            log.warning("emergency vehicle %s: %s; not escorted", vid, why)

    def _own(self, request: EscortRequest) -> EscortRequest:
        """What the manager is given: without rerouting, the vehicle's own route only."""
        return request if self.reroute else replace(request, destination=None)


def _unrouted(request: EscortRequest, manager: EscortManager) -> bool:
    """Whether a request's route, read before SUMO inserted the vehicle, is a trip SUMO has
    not routed yet: its edges (origin, the edges of its stops, destination) not joined by
    movements. SUMO checks a route it loads, so one that cannot be followed is not routed yet."""
    route = request.route or ()
    if len(route) < 2:
        return False
    try:
        manager.graph.follow(route, manager.times)
    except InputError:
        return True
    return False
