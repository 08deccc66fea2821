"""One closed-loop step: sense, decide, override, check, write (see :mod:`signalbrain.sim.run`).

:class:`ControlLoop` holds a run's conflict monitors, the states they produced (for the audit)
and the controller's CPU time; hooks let tests inject detector faults
(:data:`ObservationHook`) and the escort replace requests before the monitors
(:data:`RequestHook`).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from signalbrain.control.base import Controller, Observation, Request, SafetyCounts, SignalState
from signalbrain.network import Intersection, Network
from signalbrain.sim.sensing import DetectorReader

__all__ = ["ControlLoop", "ObservationHook", "RequestHook"]

ObservationHook = Callable[[float, dict[str, Observation]], dict[str, Observation]]
"""``hook(t_s, observations) -> observations``: may alter what controllers see (fault injection)."""
RequestHook = Callable[[float, Mapping[str, Observation], MutableMapping[str, Request]], None]
"""``hook(t_s, observations, requests)``: may replace requests in place before the monitors
(escort preemption); the monitors still decide every state."""


@dataclass(slots=True)
class ControlLoop:
    """The per-run state of signalbrain's control: monitors, states written, CPU time."""

    sumo: ModuleType
    network: Network
    controller: Controller
    intersections: tuple[Intersection, ...]
    reader: DetectorReader
    observation_hooks: Sequence[ObservationHook]
    request_hooks: Sequence[RequestHook]
    tls_of: dict[str, str] = field(default_factory=dict)
    monitors: dict[str, Any] = field(default_factory=dict)
    states: dict[str, list[SignalState]] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    cache: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    controller_cpu_s: float = 0.0
    sensing_cpu_s: float = 0.0

    def start(self, t_s: float) -> None:
        monitor_cls = importlib.import_module("signalbrain.control.monitor").ConflictMonitor
        for isec in self.intersections:
            if isec.sumo is None:
                raise ValueError(f"intersection {isec.id!r} was not imported from SUMO")
            self.tls_of[isec.id] = isec.sumo.tls_id
            self.monitors[isec.id] = monitor_cls(isec)
            self.states[isec.id] = []
        c0 = time.process_time()
        self.controller.start(self.network, t_s)
        self.controller_cpu_s += time.process_time() - c0

    def step(self, t_s: float, dt_s: float) -> None:
        c0 = time.process_time()
        obs = self.reader.read(t_s)
        for ohook in self.observation_hooks:
            obs = ohook(t_s, obs)
        c1 = time.process_time()
        requests: MutableMapping[str, Request] = dict(self.controller.step(t_s, dt_s, obs))
        for rhook in self.request_hooks:
            rhook(t_s, obs, requests)
        hold = Request(hold=True)
        new_states = {
            isec.id: self.monitors[isec.id].step(t_s, dt_s, requests.get(isec.id, hold))
            for isec in self.intersections
        }
        c2 = time.process_time()
        self.sensing_cpu_s += c1 - c0
        self.controller_cpu_s += c2 - c1
        for isec in self.intersections:
            state = new_states[isec.id]
            self.states[isec.id].append(state)
            text = self._state_string(isec, state)
            if self.written.get(isec.id) != text:
                self.sumo.trafficlight.setRedYellowGreenState(self.tls_of[isec.id], text)
                self.written[isec.id] = text

    def _state_string(self, isec: Intersection, state: SignalState) -> str:
        key = (isec.id, tuple(state.movements.get(m.id, "r") for m in isec.movements))
        text = self.cache.get(key)
        if text is None:
            signal_state = importlib.import_module("signalbrain.io.sumo_state").signal_state
            # Movements without SUMO links (none in an import, but a model may add some) have
            # nothing to show in SUMO.
            shown = [
                (m, s)
                for m, s in state.movements.items()
                if isec.has_movement(m) and isec.movement(m).sumo_link_indices
            ]
            prot = [m for m, s in shown if s == "G"]
            perm = [m for m, s in shown if s == "g"]
            yellow = [m for m, s in shown if s == "y"]
            text = signal_state(isec, prot, perm, yellow)
            self.cache[key] = text
        return text

    def audit(self) -> SafetyCounts:
        audit = importlib.import_module("signalbrain.control.monitor").audit
        total = SafetyCounts()
        for isec in self.intersections:
            total = total + audit(isec, self.states[isec.id])
        return total
