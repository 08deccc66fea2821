"""Escorts as controllers: the one-key escort and the naive distance-triggered baseline.

Both wrap the controller that runs the signals normally (fixed plan, adaptive, max-pressure) and
replace its request only at the signals an escort needs now, with ``Request(force=True)``; the
simulation passes every request through the conflict monitor as usual. A simulation adapter feeds
them vehicle fixes (:meth:`update`), arrivals and, after each monitor step, the displays
(:meth:`observe_states`).

:class:`EscortController`
    the planned escort of :class:`~signalbrain.escort.manager.EscortManager`: route, ETA, windows
    that flush queues ahead, recovery to the plan.
:class:`NaivePreemption`
    plain distance-triggered preemption (Opticom style [1]_): green for the vehicle's approach
    once it is within ``distance_m`` of the stop line, until it leaves the approach; no queue
    flush ahead, no recovery beyond what the wrapped controller does by itself.

References
----------
.. [1] Nelson, E. and Bullock, D. (2000). Impact of emergency vehicle preemption on signalized
   corridor operation. TRR 1727, 1-11.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from signalbrain.control.base import Controller, Observation, Request, SignalState
from signalbrain.escort.audit import AuditEvent, EventCode, preempt_number
from signalbrain.escort.live import companion_phases
from signalbrain.escort.manager import EscortManager
from signalbrain.escort.model import EscortRequest, LinkCondition, PositionUpdate
from signalbrain.escort.windows import phase_for
from signalbrain.network import Network

__all__ = ["EscortController", "NaivePreemption", "conditions_from"]


def conditions_from(obs: Mapping[str, Observation]) -> dict[str, LinkCondition]:
    """Link conditions (queue, speed) from detector observations of every intersection."""
    out: dict[str, LinkCondition] = {}
    for o in obs.values():
        for link_id, a in o.approaches.items():
            if not a.valid:
                continue
            speed = a.speed_mps if math.isfinite(a.speed_mps) else None
            moving = max(a.vehicles_veh - a.queue_veh, 0.0)
            out[link_id] = LinkCondition(a.queue_veh, speed, moving, a.lanes)
    return out


class EscortController:
    """A controller plus the one-key escort (see the module docstring)."""

    def __init__(self, base: Controller, manager: EscortManager) -> None:
        self.base = base
        self.manager = manager
        self.name = f"{base.name}+escort"

    def start(self, network: Network, t_s: float) -> None:
        """Start the wrapped controller."""
        self.base.start(network, t_s)

    def submit(self, request: EscortRequest, t_s: float | None = None) -> None:
        """Start an escort (see :meth:`EscortManager.submit`)."""
        self.manager.submit(request, t_s)

    def update(self, fix: PositionUpdate) -> None:
        """A position fix of an escorted vehicle."""
        self.manager.update(fix)

    def enter_junction(self, vehicle_id: str, node_id: str, t_s: float) -> None:
        """The vehicle is inside a junction (see :meth:`EscortManager.enter_junction`)."""
        self.manager.enter_junction(vehicle_id, node_id, t_s)

    def arrive(self, vehicle_id: str, t_s: float) -> None:
        """The vehicle has arrived (or left the network)."""
        self.manager.arrive(vehicle_id, t_s)

    def observe_states(self, states: Mapping[str, SignalState]) -> None:
        """The monitor's displays after a step."""
        self.manager.observe_states(states)

    @property
    def events(self) -> list[AuditEvent]:
        """The audit log so far."""
        return self.manager.events

    def step(
        self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
    ) -> Mapping[str, Request]:
        """The wrapped controller's requests, replaced where an escort needs its signal."""
        self.manager.observe(conditions_from(obs), t_s)
        requests = dict(self.base.step(t_s, dt_s, obs))
        requests.update(self.manager.step(t_s, dt_s))
        return requests


class NaivePreemption:
    """A controller plus distance-triggered preemption (see the module docstring)."""

    def __init__(self, base: Controller, network: Network, *, distance_m: float = 250.0) -> None:
        self.base = base
        self.network = network
        self.distance_m = distance_m
        self.name = f"{base.name}+naive"
        self.events: list[AuditEvent] = []
        self._next: dict[str, str | None] = {}
        self._fix: dict[str, PositionUpdate] = {}
        self._slots: dict[str, int] = {}
        self._calls: dict[str, tuple[str, int]] = {}
        self._companions = {s.id: companion_phases(s) for s in network.intersections}

    def start(self, network: Network, t_s: float) -> None:
        """Start the wrapped controller."""
        self.base.start(network, t_s)

    def submit(self, request: EscortRequest, t_s: float | None = None) -> None:
        """Watch a vehicle (only its id and priority matter to this baseline)."""
        self._slots.setdefault(request.vehicle_id, len(self._slots))

    def update(self, fix: PositionUpdate, next_link: str | None = None) -> None:
        """A position fix; ``next_link`` (the link after the current one, when known) picks the
        movement, else the approach's through movement is served."""
        self._slots.setdefault(fix.vehicle_id, len(self._slots))
        self._fix[fix.vehicle_id] = fix
        self._next[fix.vehicle_id] = next_link

    def enter_junction(self, vehicle_id: str, node_id: str, t_s: float) -> None:
        """The vehicle is inside a junction: it has left its approach, so the call ends."""
        fix = self._fix.get(vehicle_id)
        net = self.network
        if fix is not None and net.has_link(fix.link) and net.link(fix.link).to_node == node_id:
            del self._fix[vehicle_id]

    def arrive(self, vehicle_id: str, t_s: float) -> None:
        """The vehicle has arrived (or left the network)."""
        self._fix.pop(vehicle_id, None)

    def observe_states(self, states: Mapping[str, SignalState]) -> None:
        """Not used by the baseline."""

    def _phase(self, link_id: str, next_link: str | None) -> tuple[str, int] | None:
        net = self.network
        link = net.link(link_id)
        isec = net.intersection_at(link.to_node)
        if isec is None:
            return None
        moves = [m for m in isec.movements if m.from_link == link_id and m.turn != "P"]
        if not moves:
            return None
        chosen = next((m for m in moves if m.to_link == next_link), None)
        if chosen is None:
            chosen = next((m for m in moves if m.turn == "T"), moves[0])
        return isec.id, phase_for(isec, chosen.id)

    def step(
        self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
    ) -> Mapping[str, Request]:
        """The wrapped controller's requests, replaced at signals a vehicle is close to."""
        requests = dict(self.base.step(t_s, dt_s, obs))
        requests.update(self.preempt(t_s))
        return requests

    def preempt(self, t_s: float) -> dict[str, Request]:
        """The forced requests at signals a vehicle is within ``distance_m`` of."""
        requests: dict[str, Request] = {}
        wanted: dict[str, tuple[str, int]] = {}
        for vid, fix in sorted(self._fix.items(), key=lambda kv: kv[0]):
            if not self.network.has_link(fix.link):
                continue
            to_go = self.network.link(fix.link).length_m - fix.position_m
            if not to_go <= self.distance_m:  # also a fix without a position (NaN)
                continue
            target = self._phase(fix.link, self._next.get(vid))
            if target is not None and target[0] not in wanted:
                wanted[target[0]] = (vid, target[1])
        for isec_id, (vid, _phase) in list(self._calls.items()):
            if wanted.get(isec_id, ("", 0))[0] != vid:
                n = preempt_number(self._slots.get(vid, 0))
                self.events += [
                    AuditEvent(t_s, isec_id, EventCode.PREEMPT_CALL_OFF, n, vid),
                    AuditEvent(t_s, isec_id, EventCode.PREEMPT_EXIT, n, vid),
                ]
                del self._calls[isec_id]
        for isec_id, (vid, phase) in wanted.items():
            if isec_id not in self._calls:
                n = preempt_number(self._slots.get(vid, 0))
                self.events += [
                    AuditEvent(t_s, isec_id, EventCode.PREEMPT_CALL_ON, n, vid),
                    AuditEvent(t_s, isec_id, EventCode.PREEMPT_ENTRY_STARTED, n, vid),
                ]
                self._calls[isec_id] = (vid, phase)
            requests[isec_id] = Request(
                phases=(phase, *self._companions[isec_id].get(phase, ())), force=True
            )
        return requests
