"""One closed-loop step: sense, decide, override, check, write (see :mod:`signalbrain.sim.run`).

:class:`ControlLoop` holds a run's conflict monitors, the display changes they produced (for the
audit) and the controller's CPU time; hooks let tests inject detector faults
(:data:`ObservationHook`) and the escort replace requests before the monitors
(:data:`RequestHook`).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from signalbrain.control.audit import record as record_state
from signalbrain.control.base import Controller, Observation, Request, SafetyCounts, SignalState
from signalbrain.network import Intersection, Network
from signalbrain.network.displays import movement_display
from signalbrain.sim.sensing import DetectorReader

__all__ = ["ControlLoop", "ObservationHook", "RequestHook", "StateRecorder"]

log = logging.getLogger(__name__)

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
    failure: str | None = None
    backup: dict[str, Any] = field(default_factory=dict)
    failed_hooks: dict[int, str] = field(default_factory=dict)

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
        requests: MutableMapping[str, Request]
        if self.failure is None:
            try:
                requests = dict(self.controller.step(t_s, dt_s, obs))
            except Exception as exc:  # the watchdog: signals never stop, a bug is reported
                self.failure = f"t = {t_s:g} s: {type(exc).__name__}: {exc}"
                # the message always, the traceback with --debug (as for any internal error)
                log.error(
                    "controller %s failed at t=%.1f s (%s: %s); every signal runs its backup "
                    "plan from now on",
                    getattr(self.controller, "name", type(self.controller).__name__),
                    t_s,
                    type(exc).__name__,
                    exc,
                )
                log.debug("the controller's traceback", exc_info=True)
                requests = self._backup_requests(t_s)
        else:
            requests = self._backup_requests(t_s)
        for k, rhook in enumerate(self.request_hooks):
            if k in self.failed_hooks:
                continue
            try:
                rhook(t_s, obs, requests)
            except Exception as exc:  # e.g. the escort: the signals go on without it
                self.failed_hooks[k] = f"t = {t_s:g} s: {type(exc).__name__}: {exc}"
                log.error(
                    "request hook %s failed at t=%.1f s (%s: %s); the run goes on without it",
                    getattr(rhook, "__qualname__", type(rhook).__name__),
                    t_s,
                    type(exc).__name__,
                    exc,
                )
                log.debug("the request hook's traceback", exc_info=True)
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
            record_state(self.states[isec.id], state)
            text = self._state_string(isec, state)
            if self.written.get(isec.id) != text:
                self.sumo.trafficlight.setRedYellowGreenState(self.tls_of[isec.id], text)
                self.written[isec.id] = text

    def _backup_requests(self, t_s: float) -> dict[str, Request]:
        """After a controller failure: each signal's plain fixed plan (what a field controller
        falls back to when its adaptive system fails), through the monitors as always."""
        plans = importlib.import_module("signalbrain.control.plans")
        out: dict[str, Request] = {}
        for isec in self.intersections:
            plan = self.backup.get(isec.id)
            if plan is None:
                plan = self.backup[isec.id] = plans.default_plan(isec)
            out[isec.id] = plans.plan_request(plan, t_s)
        return out

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

    def finish(self, t_s: float) -> None:
        """Close the last state at the end of the run (see :meth:`StateRecorder.finish`)."""
        for states in self.states.values():
            if states and states[-1].t_s < t_s:
                last = states[-1]
                states.append(
                    SignalState(t_s, last.movements, last.phase, last.phases, last.forced)
                )

    def audit(self) -> SafetyCounts:
        audit = importlib.import_module("signalbrain.control.monitor").audit
        total = SafetyCounts()
        for isec in self.intersections:
            total = total + audit(isec, self.states[isec.id])
        return total


class StateRecorder:
    """Reads back the displays SUMO shows at an intersection's link indices (SUMO's own or
    converted programs) so they can be audited by the same rules as signalbrain's states.

    A movement shows ``G`` when all its links show ``G``, ``g`` when any shows green or is off
    (``g``, ``o``, ``O``: the movement enters uncontrolled), ``y`` when any shows yellow
    (``y``, ``Y``), else ``r`` (``r``, ``u`` red-yellow, ``s`` right on red after a stop): each
    letter read as :data:`~signalbrain.network.displays.DISPLAYS` says, as the SUMO import reads it.
    A letter SUMO does not document is kept, so the audit refuses it by name instead of
    reading it as red.
    """

    def __init__(self, sumo: ModuleType, intersections: Sequence[Intersection]) -> None:
        self.sumo = sumo
        self.intersections = tuple(i for i in intersections if i.sumo is not None)
        self.states: dict[str, list[SignalState]] = {i.id: [] for i in self.intersections}
        self._last: dict[str, str] = {}
        self._cache: dict[tuple[str, str], dict[str, str]] = {}

    def record(self, t_s: float) -> None:
        """Record the displays in force from ``t_s`` (call before the step)."""
        for isec in self.intersections:
            tls = isec.sumo.tls_id if isec.sumo is not None else ""
            text = str(self.sumo.trafficlight.getRedYellowGreenState(tls))
            if self._last.get(isec.id) == text:
                continue
            self._last[isec.id] = text
            shown = self._cache.get((isec.id, text))
            if shown is None:
                shown = {
                    m.id: movement_display(text, m.sumo_link_indices)
                    for m in isec.movements
                    if m.sumo_link_indices
                }
                self._cache[(isec.id, text)] = shown
            self.states[isec.id].append(SignalState(t_s, shown))

    def finish(self, t_s: float) -> None:
        """Close the last display at the end of the run (the audit counts a display's time only
        up to the next state)."""
        for states in self.states.values():
            if states and states[-1].t_s < t_s:
                states.append(SignalState(t_s, states[-1].movements))

    def audit(self) -> SafetyCounts:
        """Violations of signalbrain's safety rules in the recorded displays (recorded from the
        simulation's begin, which may fall in the middle of a program's phase: what shows
        then is not judged as starting there)."""
        audit = importlib.import_module("signalbrain.control.monitor").audit
        total = SafetyCounts()
        for isec in self.intersections:
            total = total + audit(isec, self.states[isec.id], from_start=False)
        return total
