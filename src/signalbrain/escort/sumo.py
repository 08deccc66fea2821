"""Escorts in SUMO: ``signalbrain sumo run ... --escort auto|naive``.

:class:`SumoEscort` is a request hook of :func:`signalbrain.sim.run.run_sumo` (called each step
after the controller, before the conflict monitors). It reads what a dispatcher and the vehicle's
GPS would give from SUMO's API and nothing else:

* a vehicle of vClass ``emergency`` becomes a one-key escort request from its departure edge to
  its arrival edge with its departure time (``auto``), pressed ``dispatch_lead_s`` before it
  departs (the dispatcher alerts the crew, the crew turns out; the request is made as soon as
  SUMO has loaded the vehicle where that is later); signalbrain routes it on current travel times
  and hands the route to the vehicle when it departs (``vehicle.setRoute``, what a navigation unit
  would do). Until its departure the vehicle stands at the start of its route and says so each
  step (a fix with no speed: its ETAs keep the planning speed); if SUMO has not inserted it
  :data:`LATE_STEPS` steps after its departure time, or its first road is queued full
  (:data:`JAMMED_FRACTION`), the request is withdrawn, its calls end, and it is made again when
  the vehicle departs (with ``dispatch_lead_s`` = 0 it is made only then);
* its edge, position on the edge and speed each step are the position fixes;
* the displays the monitors wrote (``trafficlight.getRedYellowGreenState``, read back at the
  movements' link indices) tell the manager how far each signal is from serving a phase.

The vehicle obeys the signals (no bluelight device); other traffic is unchanged. ``naive`` runs the
distance-triggered baseline (:class:`~signalbrain.escort.controller.NaivePreemption`) instead.
The hook only replaces requests; the monitors still decide every display.

The requests made ahead of departure (and the request of a vehicle from its SUMO route) are in
:mod:`._sumo_dispatch`, the base of :class:`SumoEscort`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from types import ModuleType
from typing import Any

from signalbrain.control.base import Observation, Request, SignalState
from signalbrain.errors import InputError, Problem
from signalbrain.escort._sumo_dispatch import DISPATCH_LEAD_S, _Dispatch
from signalbrain.escort._sumo_dispatch import JAMMED_FRACTION as JAMMED_FRACTION
from signalbrain.escort._sumo_dispatch import LATE_STEPS as LATE_STEPS
from signalbrain.escort.audit import AuditEvent, EventCode
from signalbrain.escort.controller import NaivePreemption, conditions_from
from signalbrain.escort.manager import EscortManager
from signalbrain.escort.model import EscortConfig, EscortRequest, PositionUpdate
from signalbrain.escort.phases import escort_network
from signalbrain.escort.signal import PlanLike
from signalbrain.io.sumo_net import constant_passages, internal_edge_junction
from signalbrain.network import Network
from signalbrain.network.displays import movement_display

__all__ = ["DISPATCH_LEAD_S", "ESCORT_MODES", "ControllerPlans", "SumoEscort", "prepare_escort"]

log = logging.getLogger(__name__)

ESCORT_MODES = ("auto", "naive")


def _read(display: str) -> str:
    """A movement's display as the escort manager takes it: a letter SUMO does not document
    (only a light left to SUMO could show one) reads as red, so no green is taken as running."""
    return display if display in ("G", "g", "y", "r") else "r"


class ControllerPlans(Mapping[str, PlanLike]):
    """The plans a running controller follows now, by intersection id (a live view).

    Reads ``controller.units[id].fallback`` (signalbrain's fixed-plan controllers), else
    ``controller.plans``; empty for controllers without plans.
    """

    def __init__(self, controller: object) -> None:
        self.controller = controller

    def _all(self) -> Mapping[str, PlanLike]:
        units = getattr(self.controller, "units", None)
        if isinstance(units, Mapping) and units:
            return {k: u.fallback for k, u in units.items() if hasattr(u, "fallback")}
        plans = getattr(self.controller, "plans", None)
        return plans if isinstance(plans, Mapping) else {}

    def __getitem__(self, key: str) -> PlanLike:
        return self._all()[key]

    def __iter__(self) -> Any:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class SumoEscort(_Dispatch):
    """Request hook for ``run_sumo``: escorts every emergency vehicle (see the module docstring).

    Parameters
    ----------
    mode
        ``auto`` (one-key escort) or ``naive`` (distance-triggered preemption).
    network
        The network model of the run (the one given to ``run_sumo``).
    sumo
        The SUMO API module of the run (``libsumo`` or ``traci``); by default the one
        :func:`signalbrain.sim.backend.load_backend` gives for ``backend``.
    plans
        Plans to recover to after each window (``auto``); without plans the controller takes
        over at exit.
    config
        Escort planner constants.
    distance_m
        Trigger distance of ``naive`` [m].
    reroute
        Whether ``auto`` hands its route to the vehicle.
    dispatch_lead_s
        How long before its departure an emergency vehicle's request is made (``auto``).
    """

    def __init__(
        self,
        mode: str,
        network: Network,
        *,
        sumo: ModuleType | None = None,
        backend: str = "libsumo",
        plans: Mapping[str, PlanLike] | None = None,
        config: EscortConfig | None = None,
        distance_m: float = 250.0,
        reroute: bool = True,
        dispatch_lead_s: float = DISPATCH_LEAD_S,
    ) -> None:
        if mode not in ESCORT_MODES:
            raise InputError(f"--escort {mode!r}: valid: {', '.join(ESCORT_MODES)}")
        self.mode = mode
        self.network = network
        self._sumo = sumo
        self._backend = backend
        self.reroute = reroute
        self.manager = EscortManager(network, plans, config) if mode == "auto" else None
        if self.manager is not None:
            # a turn the SUMO program keeps green is left out of the model: routes may take it
            # with no window there (a route through one was refused whole)
            self.manager.graph.add_passages(constant_passages(network))
        self.naive = (
            NaivePreemption(_NoController(), network, distance_m=distance_m)
            if mode == "naive"
            else None
        )
        self.dispatch_lead_s = dispatch_lead_s
        self.escorted: dict[str, EscortRequest] = {}
        self.rerouted: list[str] = []
        self._loaded: dict[str, float] = {}  # emergency vehicles loaded: planned departure [s]
        self._waiting: dict[str, EscortRequest] = {}  # dispatched, not yet in the network
        self._seen: set[str] = set()
        self._told: set[tuple[str, str]] = set()  # (vehicle, why) logged as not escorted
        self._tls = {s.id: s.sumo.tls_id for s in network.intersections if s.sumo is not None}
        self._dt: float | None = None

    def bind_sumo(self, sumo: ModuleType) -> None:
        """Use ``sumo`` as the run's API (``run_sumo`` passes its journaling wrapper when the
        run keeps checkpoints, so the routes this hook sets are replayed on resume)."""
        self._sumo = sumo

    def run_settings(self) -> dict[str, Any]:
        """What a checkpoint of a run with this hook must agree on to resume it."""
        return {
            "mode": self.mode,
            "reroute": self.reroute,
            "dispatch_lead_s": self.dispatch_lead_s,
            "naive_distance_m": None if self.naive is None else self.naive.distance_m,
        }

    # ------------------------------------------------------------------ the hook
    def __call__(
        self, t_s: float, obs: Mapping[str, Observation], requests: MutableMapping[str, Request]
    ) -> None:
        sumo = self._api()
        if self._dt is None:
            self._dt = float(sumo.simulation.getDeltaT())
        conditions = conditions_from(obs) if self.manager is not None else {}
        if self.manager is not None and self.dispatch_lead_s > 0:
            self._dispatch(sumo, self.manager, conditions, t_s)
        for vid in sumo.simulation.getDepartedIDList():
            if vid in self._waiting:
                self.escorted[vid] = self._waiting.pop(vid)
                self._push_route(sumo, vid, t_s)
            elif sumo.vehicle.getVehicleClass(vid) == "emergency":
                self._loaded.pop(vid, None)
                self._depart(sumo, vid, t_s)
        for vid in sumo.simulation.getArrivedIDList():
            if vid in self.escorted:
                self._arrive(vid, t_s)
        live = set(sumo.vehicle.getIDList())
        for vid in list(self.escorted):
            if vid not in live:
                self._arrive(vid, t_s)
                continue
            self._fix(sumo, vid, t_s)
        if self.manager is not None:
            self.manager.observe(conditions, t_s)
            self.manager.observe_states(self._states(sumo, t_s))
            requests.update(self.manager.step(t_s, self._dt))
        elif self.naive is not None:
            requests.update(self.naive.preempt(t_s))

    # ------------------------------------------------------------------ results
    @property
    def events(self) -> list[AuditEvent]:
        """The audit log of the run so far."""
        if self.manager is not None:
            return self.manager.events
        return self.naive.events if self.naive is not None else []

    def summary(self) -> dict[str, Any]:
        """The ``escort`` block of the run's JSON."""
        codes = [e.code for e in self.events]
        return {
            "mode": self.mode,
            "vehicles": sorted(self.escorted_ids),
            "calls": codes.count(EventCode.PREEMPT_CALL_ON),
            "max_presence_exceeded": codes.count(EventCode.PREEMPT_MAX_PRESENCE),
            "rerouted": sorted(self.rerouted),
        }

    @property
    def escorted_ids(self) -> set[str]:
        """Every vehicle escorted during the run."""
        return self._seen

    # ------------------------------------------------------------------ internals
    def _api(self) -> ModuleType:
        if self._sumo is None:
            from signalbrain.sim.backend import load_backend

            self._sumo = load_backend(self._backend)
        return self._sumo

    def _depart(self, sumo: ModuleType, vid: str, t_s: float) -> None:
        request = self._request(sumo, vid, t_s)
        if request is None:
            return
        if self.naive is not None:
            self.naive.submit(request)
        elif self.manager is not None:
            try:
                self.manager.submit(self._own(request), t_s)
            except InputError as exc:
                self._not_escorted(vid, str(exc))
                return
        self._seen.add(vid)  # only vehicles escorted are listed in the summary
        self.escorted[vid] = request
        if self.manager is not None:
            self._push_route(sumo, vid, t_s)

    def _push_route(self, sumo: ModuleType, vid: str, t_s: float) -> None:
        """Hand the manager's route to the vehicle (a navigation unit following the plan)."""
        if self.manager is None or not self.reroute:
            return
        planned = list(self.manager.remaining_route(vid))
        current = [str(e) for e in sumo.vehicle.getRoute(vid)]
        i = int(sumo.vehicle.getRouteIndex(vid))
        if planned == current[max(i, 0) :]:
            return
        try:
            sumo.vehicle.setRoute(vid, planned)
            self.rerouted.append(vid)
        except Exception as exc:  # SUMO refuses: follow the vehicle's own route
            log.warning("emergency vehicle %s: SUMO refused the planned route (%s)", vid, exc)
            self.manager.cancel(vid, t_s)
            self.manager.submit(
                EscortRequest(
                    vid, current[max(i, 0)], route=tuple(current[max(i, 0) :]), depart_s=t_s
                )
            )

    def _arrive(self, vid: str, t_s: float) -> None:
        self.escorted.pop(vid, None)
        if self.manager is not None:
            self.manager.arrive(vid, t_s)
        if self.naive is not None:
            self.naive.arrive(vid, t_s)

    def _fix(self, sumo: ModuleType, vid: str, t_s: float) -> None:
        road = str(sumo.vehicle.getRoadID(vid))
        if not self.network.has_link(road):
            node = internal_edge_junction(road)  # inside that junction: past its stop line
            if node is not None and self.manager is not None:
                self.manager.enter_junction(vid, node, t_s)
            elif node is not None and self.naive is not None:
                self.naive.enter_junction(vid, node, t_s)
            return
        fix = PositionUpdate(
            vid,
            t_s,
            road,
            float(sumo.vehicle.getLanePosition(vid)),
            float(sumo.vehicle.getSpeed(vid)),
        )
        if self.manager is not None:
            before = self.manager.reroutes(vid)
            self.manager.update(fix)
            if self.manager.reroutes(vid) != before:
                self._push_route(sumo, vid, t_s)
        elif self.naive is not None:
            route = sumo.vehicle.getRoute(vid)
            i = int(sumo.vehicle.getRouteIndex(vid))
            self.naive.update(fix, str(route[i + 1]) if 0 <= i < len(route) - 1 else None)

    def _states(self, sumo: ModuleType, t_s: float) -> dict[str, SignalState]:
        if self.manager is None:
            return {}
        out: dict[str, SignalState] = {}
        for isec_id in self.manager.signals_in_use():
            tls = self._tls.get(isec_id)
            if tls is None:
                continue
            text = str(sumo.trafficlight.getRedYellowGreenState(tls))
            isec = self.network.intersection(isec_id)
            moves = {
                m.id: _read(movement_display(text, m.sumo_link_indices))
                for m in isec.movements
                if any(i < len(text) for i in m.sumo_link_indices)
            }
            out[isec_id] = SignalState(t_s, moves)
        return out


class _NoController:
    """The base of the naive preemption inside the hook: the run's controller already asked."""

    name = "none"

    def start(self, network: Network, t_s: float) -> None:
        """Nothing to start."""

    def step(
        self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
    ) -> Mapping[str, Request]:
        """No requests of its own."""
        return {}


def prepare_escort(
    mode: str,
    config: str | Path,
    controller: str,
    *,
    backend: str = "libsumo",
    config_escort: EscortConfig | None = None,
    distance_m: float = 250.0,
    dispatch_lead_s: float = DISPATCH_LEAD_S,
) -> tuple[SumoEscort, dict[str, Any]]:
    """What ``sumo run --escort MODE`` adds to a run: the hook and the ``run_sumo`` keywords.

    The network is read from the configuration once and shared with the run; the controller is
    built here so that, for ``fixed``, the escort recovers to the very plans it runs.

    Returns
    -------
    hook, options
        ``options`` holds ``controller``, ``network``, ``monitor_network`` (the network with
        the escort's approach phases) and ``request_hooks`` for ``run_sumo``.

    Raises
    ------
    InputError
        Unknown mode, a controller run by SUMO itself (its programs cannot be preempted
        through the monitor), or a negative or non-finite ``dispatch_lead_s``.
    """
    from signalbrain.control import make_controller
    from signalbrain.io import load_network
    from signalbrain.sim.run import SUMO_CONTROLLERS

    if mode not in ESCORT_MODES:
        raise InputError([Problem("--escort", f"{mode!r}: valid: {', '.join(ESCORT_MODES)}")])
    if controller in SUMO_CONTROLLERS:
        raise InputError(
            [
                Problem(
                    "--escort",
                    f"needs a signalbrain controller; {controller!r} "
                    "is run by SUMO itself (try fixed or adaptive)",
                )
            ]
        )
    if not (math.isfinite(dispatch_lead_s) and dispatch_lead_s >= 0):
        raise InputError(
            [Problem("--escort-lead", f"= {dispatch_lead_s:g}: must be a number of seconds >= 0")]
        )
    net = load_network(config)
    ctrl = make_controller(controller, net)
    plans = ControllerPlans(ctrl) if controller == "fixed" else None
    # the controller runs the imported intersections; the escort and the monitors also know each
    # approach's own phase (see signalbrain.escort.phases)
    monitored = escort_network(net)
    hook = SumoEscort(
        mode,
        monitored,
        backend=backend,
        plans=plans,
        config=config_escort,
        distance_m=distance_m,
        dispatch_lead_s=dispatch_lead_s,
    )
    return hook, {
        "controller": ctrl,
        "network": net,
        "monitor_network": monitored,
        "request_hooks": [hook],
    }
