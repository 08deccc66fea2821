"""The frame every signalbrain controller shares: per-signal sensing, fault fallback, flow
measurement and the shadow monitor.

:class:`SignalController` implements the :class:`~signalbrain.control.base.Controller` protocol.
Each step, for each intersection, it checks the detectors (:class:`~signalbrain.control.sensing.
Sensor`); when they can be trusted it asks the subclass's :meth:`SignalController.decide` for a
request, otherwise it runs the intersection's fallback plan (the plan from measured demand, else
a default plan). Whatever it returns is also fed to its :class:`~signalbrain.control.stages.Shadow`
so decisions can rely on what the field monitor shows. A signal whose detectors never reported
anything runs its fallback plan quietly (no detectors is not a fault).

Flows [veh/h] are measured per movement from stop-line counts over the run and can be turned
into a plan with :mod:`signalbrain.timing` (Webster, equisaturation splits).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

from signalbrain.control.base import Observation, Request
from signalbrain.control.plans import default_plan, plan_request
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings, Sensor
from signalbrain.control.stages import Shadow
from signalbrain.errors import InputError, Problem, SignalbrainError
from signalbrain.network.model import Intersection, Network
from signalbrain.timing.plan import TimingPlan

__all__ = ["SignalController", "Unit", "coordinated_plans", "plans_from_flows"]

log = logging.getLogger("signalbrain.control")


@dataclass(slots=True)
class Unit:
    """Everything a controller keeps for one intersection."""

    intersection: Intersection
    sensor: Sensor
    shadow: Shadow
    fallback: TimingPlan
    counted_veh: list[float]
    counted_s: float = 0.0
    memory: object = None


def plans_from_flows(
    network: Network,
    flows_vph: Mapping[str, float],
    *,
    design_factor: float = 1.15,
    min_cycle_s: float = 60.0,
) -> dict[str, TimingPlan]:
    """Webster/equisaturation plans of every intersection for movement flows [veh/h], or an
    empty dict when the timing engine cannot produce them (each signal then keeps its plan).

    Flows are raised by ``design_factor`` (counted throughput understates demand when queues
    build up, and a plan should hold the peak minutes), and no cycle is shorter than
    ``min_cycle_s`` (Webster's cycle of a lightly loaded signal is too short for its start-up
    losses in practice; HCM 7th ed. ch. 19 suggests 60 s as a practical lower bound)."""
    try:
        from signalbrain.demand.model import Demand
        from signalbrain.timing.isolated import isolated_plans
    except ImportError:  # pragma: no cover - the timing engine is part of the package
        return {}
    demand = Demand({k: v * design_factor for k, v in flows_vph.items()})
    try:
        plans = dict(isolated_plans(network, demand).plans)
        short = {
            k: max(min_cycle_s, network.intersection(k).cycle_min_s)
            for k, p in plans.items()
            if p.cycle_s < min_cycle_s
        }
        if short:
            plans.update(
                {
                    k: p
                    for k, p in isolated_plans(network, demand, cycle_s=short).plans.items()
                    if k in short
                }
            )
    except (SignalbrainError, ValueError, ArithmeticError) as exc:
        log.warning("could not compute plans from measured flows: %s", exc)
        return {}
    return plans


def coordinated_plans(
    network: Network, flows_vph: Mapping[str, float], *, design_factor: float = 1.0
) -> dict[str, TimingPlan]:
    """signalbrain's optimised fixed plans for movement flows [veh/h]: what
    ``signalbrain optimize`` writes, i.e. :func:`signalbrain.timing.optimize_network` with
    ``method="transyt"`` (common cycles per coordination group, equisaturation splits, offsets by
    the platoon-progression model) and phase selection, in whole seconds. Empty when the timing
    engine cannot produce them (each signal then keeps its plan).

    Movements without a flow count as 0 veh/h; flows are multiplied by ``design_factor``.

    References
    ----------
    Robertson, D. I. (1969). TRANSYT: a traffic network study tool. RRL Report LR 253.
    """
    try:
        from signalbrain.demand.model import Demand
        from signalbrain.timing.optimize import optimize_network
    except ImportError:  # pragma: no cover - the timing engine is part of the package
        return {}
    known = {m.id for isec in network.intersections for m in isec.movements}
    flows = {k: max(0.0, float(v)) * design_factor for k, v in flows_vph.items() if k in known}
    try:
        demand = Demand({k: v for k, v in flows.items() if math.isfinite(v)})
        return dict(optimize_network(network, demand, method="transyt", phase_selection=True).plans)
    except (SignalbrainError, ValueError, ArithmeticError) as exc:
        log.warning("could not compute coordinated plans from flows: %s", exc)
        return {}


class SignalController:
    """Base class: sensing, fallback and bookkeeping for every intersection of a network.

    Parameters
    ----------
    network
        The network to control (may also be given, or replaced, in :meth:`start`).
    plans
        Fixed plans by intersection id, used as fallbacks (and by the fixed controller).
    plausibility
        Bounds for detector fault checks.
    """

    name = "base"

    def __init__(
        self,
        network: Network | None = None,
        *,
        plans: Mapping[str, TimingPlan] | None = None,
        plausibility: Plausibility = DEFAULT_PLAUSIBILITY,
    ) -> None:
        bad = (
            [
                Problem(
                    f"controller.{self.name}.plans", "expected a mapping of intersection id to plan"
                )
            ]
            if not isinstance(plans, Mapping | None)
            else [
                Problem(
                    f"controller.{self.name}.plans.{k}", f"a {type(p).__name__}: not a TimingPlan"
                )
                for k, p in (plans or {}).items()
                if not isinstance(p, TimingPlan)
            ]
        )
        if not isinstance(plausibility, Plausibility):
            bad.append(Problem(f"controller.{self.name}.plausibility", "expected a Plausibility"))
        if bad:
            raise InputError(bad)
        self.network = network
        self.plans: dict[str, TimingPlan] = dict(plans or {})
        self.plausibility = plausibility
        self.units: dict[str, Unit] = {}

    # ------------------------------------------------------------------ protocol
    def start(self, network: Network, t_s: float) -> None:
        """Build sensors, shadows and fallback plans for ``network``."""
        self.network = network
        self.units = {}
        for isec in network.intersections:
            plan = self.plans.get(isec.id)
            if plan is None or plan.check(isec):
                plan = default_plan(isec)
            self.units[isec.id] = Unit(
                isec,
                Sensor(network, isec, self.plausibility),
                Shadow(isec),
                plan,
                [0.0] * len(isec.movements),
            )
        self.on_start(t_s)

    def step(self, t_s: float, dt_s: float, obs: Mapping[str, Observation]) -> dict[str, Request]:
        """One request per intersection for the step from ``t_s`` to ``t_s + dt_s``."""
        out: dict[str, Request] = {}
        for isec_id, unit in self.units.items():
            o = obs.get(isec_id) if isinstance(obs, Mapping) else None
            trusted = unit.sensor.check(t_s, dt_s, o)
            if trusted and isinstance(o, Observation):
                readings = unit.sensor.read(o, obs)
                self._count(unit, readings, dt_s)
                request = self.decide(unit, t_s, dt_s, readings)
            else:
                request = self.fallback(unit, t_s)
            unit.shadow.apply(t_s, dt_s, request)
            out[isec_id] = request
        return out

    def fault_summary(self) -> dict[str, tuple[int, float]]:
        """Detector fault episodes and the time on the fallback plan [s] of every signal that
        had one, by intersection id."""
        return {
            isec_id: (unit.sensor.episodes, unit.sensor.untrusted_s)
            for isec_id, unit in self.units.items()
            if unit.sensor.episodes
        }

    # ------------------------------------------------------------------ for subclasses
    def on_start(self, t_s: float) -> None:
        """Called at the end of :meth:`start`."""

    def decide(self, unit: Unit, t_s: float, dt_s: float, readings: Readings) -> Request:
        """The request for one intersection whose detectors can be trusted."""
        return self.fallback(unit, t_s)

    def fallback(self, unit: Unit, t_s: float) -> Request:
        """The request of the intersection's fallback plan."""
        return plan_request(unit.fallback, t_s)

    # ------------------------------------------------------------------ flows
    def _count(self, unit: Unit, readings: Readings, dt_s: float) -> None:
        counted = unit.counted_veh
        for i, c in enumerate(readings.count_veh):
            counted[i] += c
        unit.counted_s += dt_s

    def measured_flows_vph(self) -> dict[str, float]:
        """Movement flows measured so far [veh/h] (movements of signals with counts)."""
        out: dict[str, float] = {}
        for unit in self.units.values():
            if unit.counted_s <= 0:
                continue
            for m, c in zip(unit.intersection.movements, unit.counted_veh, strict=True):
                out[m.id] = c * 3600.0 / unit.counted_s
        return out

    def replan_from_counts(self, *, min_counted_s: float = 300.0) -> int:
        """Replace the fallback plans of signals with at least ``min_counted_s`` of counts by
        plans for the measured flows; returns how many were replaced."""
        if self.network is None:
            return 0
        flows = self.measured_flows_vph()
        if not flows:
            return 0
        plans = plans_from_flows(self.network, flows)
        replaced = 0
        for isec_id, plan in plans.items():
            unit = self.units.get(isec_id)
            if unit is None or unit.counted_s < min_counted_s or plan.check(unit.intersection):
                continue
            unit.fallback = plan
            replaced += 1
        return replaced
