"""The fixed-time controller: runs signalbrain's optimised timing plans.

Plans come from, in order of preference: ``plans`` given (e.g. ``signalbrain optimize`` output),
plans for a given ``demand``, or plans for the flows measured by the stop-line detectors during a
warm-up of ``warmup_s``. During the warm-up the signals run max-pressure control
(``warmup_control="max-pressure"``, the default) so that the counted stop-line throughput is the
demand: under a poor default plan queues build and the throughput counted is only what that plan
serves (on the Hangzhou kn-hz hour, half the demand), and a plan for it never catches up;
``warmup_control="plan"`` runs the default plans instead. Plans are what
``signalbrain optimize`` writes (:func:`~signalbrain.control.core.coordinated_plans`: TRANSYT-style
coordination with phase selection, Webster-type equisaturation splits), so ``fixed`` is
signalbrain's optimised fixed plan; ``method="isolated"`` keeps the earlier per-signal Webster
plans for comparison. Every ``replan_s`` (default 600 s; ``None``: never) the plans are
recomputed from the flows measured since the previous plan, as field controllers switch
time-of-day plans: demand within an hour is not flat (the Hangzhou kn-hz hour starts at 474 veh/h
and runs at about 800 veh/h from its second ten minutes on), and one plan from the first minutes
under-serves the rest. Measured flows are raised by ``design_factor`` (1.15) before timing: counted
throughput understates demand once queues form, and a fixed plan needs headroom for fluctuations
it cannot follow. Measured on the Hangzhou kn-hz hour (RESCO delay over all vehicles): one plan
from a warm-up under the default plan 499 s, under max-pressure 218 s, re-planned every 600 s 43 s.

References
----------
Webster, F. V. (1958). Traffic signal settings. Road Research Technical Paper 39, HMSO.
Robertson, D. I. (1969). TRANSYT: a traffic network study tool. RRL Report LR 253.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal

from signalbrain.control._options import check_number
from signalbrain.control.base import Observation, Request
from signalbrain.control.core import (
    SignalController,
    Unit,
    coordinated_plans,
    plans_from_flows,
)
from signalbrain.control.max_pressure import MaxPressure
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings
from signalbrain.demand.model import Demand
from signalbrain.errors import InputError, Problem
from signalbrain.network.model import Network
from signalbrain.timing.plan import TimingPlan

__all__ = ["FixedTime"]

log = logging.getLogger("signalbrain.control")


class FixedTime(SignalController):
    """Fixed-time control from optimised plans; see the module docstring.

    Parameters
    ----------
    network
        The network.
    plans
        Plans by intersection id (others get plans from demand or counts).
    demand
        Movement flows to compute plans for, instead of measuring them.
    warmup_s
        Seconds of counting before plans are computed from measured flows.
    replan_s
        Recompute the plans at this interval from the flows measured since the last plan
        (time-of-day plans); ``None`` never.
    warmup_control
        What runs during the warm-up: ``"max-pressure"`` or ``"plan"`` (the default plans).
    design_factor
        Measured flows are multiplied by this before timing (headroom for the
        fluctuations a fixed plan cannot follow).
    method
        ``"coordinated"`` (default: :func:`~signalbrain.control.core.coordinated_plans`) or
        ``"isolated"`` (:func:`~signalbrain.control.core.plans_from_flows`).
    plausibility
        Bounds for detector fault checks.
    """

    name = "fixed"

    def __init__(
        self,
        network: Network | None = None,
        *,
        plans: Mapping[str, TimingPlan] | None = None,
        demand: Demand | Mapping[str, float] | None = None,
        warmup_s: float = 600.0,
        replan_s: float | None = 600.0,
        warmup_control: Literal["max-pressure", "plan"] = "max-pressure",
        design_factor: float = 1.15,
        method: Literal["coordinated", "isolated"] = "coordinated",
        plausibility: Plausibility = DEFAULT_PLAUSIBILITY,
    ) -> None:
        super().__init__(network, plans=plans, plausibility=plausibility)
        if not (demand is None or isinstance(demand, Demand | Mapping)):
            raise InputError(
                [
                    Problem(
                        "controller.fixed.demand",
                        f"a {type(demand).__name__}: expected a Demand or a mapping of "
                        "movement id to flow [veh/h]",
                    )
                ]
            )
        self.demand = (
            demand if demand is None or isinstance(demand, Demand) else Demand(dict(demand))
        )
        self.warmup_s = check_number(self.name, "warmup_s", warmup_s)
        self.replan_s = (
            None
            if replan_s is None
            else check_number(self.name, "replan_s", replan_s, positive=True)
        )
        if method not in ("coordinated", "isolated"):
            raise InputError(
                [
                    Problem(
                        "controller.fixed.method",
                        f"{method!r}: must be 'coordinated' or 'isolated'",
                    )
                ]
            )
        self.method = method
        if warmup_control not in ("max-pressure", "plan"):
            raise InputError(
                [
                    Problem(
                        "controller.fixed.warmup_control",
                        f"{warmup_control!r}: must be 'max-pressure' or 'plan'",
                    )
                ]
            )
        self.warmup_control = warmup_control
        if check_number(self.name, "design_factor", design_factor, positive=True) >= 10:
            raise InputError(
                [
                    Problem(
                        "controller.fixed.design_factor", f"= {design_factor!r}: must be in (0, 10)"
                    )
                ]
            )
        self.design_factor = float(design_factor)
        self._warm: MaxPressure | None = None
        self._snap: dict[str, tuple[list[float], float]] = {}
        self._given = set(self.plans)
        self._t0 = 0.0
        self._next_plan_s: float | None = None

    def on_start(self, t_s: float) -> None:
        self._t0 = t_s
        if self.demand is not None and self.network is not None:
            for isec_id, plan in self._plans(self.demand.flows_vph, 1.0).items():
                unit = self.units.get(isec_id)
                if (
                    unit is not None
                    and isec_id not in self._given
                    and not plan.check(unit.intersection)
                ):
                    unit.fallback = plan
            self._next_plan_s = None
        else:
            self._next_plan_s = t_s + self.warmup_s
            if self.warmup_control == "max-pressure":
                self._warm = MaxPressure(self.network, plausibility=self.plausibility)
                self._warm.units = self.units  # same sensors, shadows and fallbacks
                self._warm.on_start(t_s)

    def step(self, t_s: float, dt_s: float, obs: Mapping[str, Observation]) -> dict[str, Request]:
        out = super().step(t_s, dt_s, obs)
        if self._next_plan_s is not None and t_s + dt_s >= self._next_plan_s:
            n = self._replan()
            self._warm = None
            log.info(
                "fixed: %d plans computed from flows measured over %.0f s", n, t_s + dt_s - self._t0
            )
            self._next_plan_s = None if self.replan_s is None else t_s + float(self.replan_s)
        return out

    def _window_flows_vph(self) -> tuple[dict[str, float], set[str]]:
        """Movement flows [veh/h] counted since the last plan, and the signals that counted."""
        out: dict[str, float] = {}
        counted: set[str] = set()
        for isec_id, unit in self.units.items():
            veh0, s0 = self._snap.get(isec_id, ([0.0] * len(unit.counted_veh), 0.0))
            span_s = unit.counted_s - s0
            if span_s <= 0:
                continue
            counted.add(isec_id)
            for m, c, c0 in zip(unit.intersection.movements, unit.counted_veh, veh0, strict=True):
                out[m.id] = (c - c0) * 3600.0 / span_s
            self._snap[isec_id] = (list(unit.counted_veh), unit.counted_s)
        return out, counted

    def _replan(self) -> int:
        if self.network is None:
            return 0
        flows, counted = self._window_flows_vph()
        replaced = 0
        for isec_id, plan in self._plans(flows, self.design_factor).items():
            unit = self.units.get(isec_id)
            if (
                unit is None
                or isec_id in self._given
                or isec_id not in counted
                or plan.check(unit.intersection)
            ):
                continue
            unit.fallback = plan
            replaced += 1
        return replaced

    def _plans(self, flows_vph: Mapping[str, float], factor: float) -> dict[str, TimingPlan]:
        if self.network is None:
            return {}
        if self.method == "isolated":
            return plans_from_flows(self.network, flows_vph, design_factor=factor)
        return coordinated_plans(self.network, flows_vph, design_factor=factor)

    def decide(self, unit: Unit, t_s: float, dt_s: float, readings: Readings) -> Request:
        if self._warm is not None:
            return self._warm.decide(unit, t_s, dt_s, readings)
        return self.fallback(unit, t_s)
