"""The fixed-time controller: runs signalbrain's optimised timing plans.

Plans come from, in order of preference: ``plans`` given (e.g. ``signalbrain optimize`` output),
plans for a given ``demand``, or plans for the flows measured by the stop-line detectors during a
warm-up of ``warmup_s`` (the signals run their default plans meanwhile). Plans are computed by
:mod:`signalbrain.timing` (Webster's cycle, equisaturation splits). With ``replan_s`` the plans are
recomputed from all flows measured so far at that interval (a time-of-day plan that follows
demand); a plain fixed-time controller keeps them.

References
----------
Webster, F. V. (1958). Traffic signal settings. Road Research Technical Paper 39, HMSO.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from signalbrain.control.base import Observation, Request
from signalbrain.control.core import SignalController, Unit, plans_from_flows
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings
from signalbrain.demand.model import Demand
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
        Recompute the plans from measured flows at this interval; ``None`` never.
    plausibility
        Bounds for detector fault checks.
    """

    name = "fixed"

    def __init__(self, network: Network | None = None, *,
                 plans: Mapping[str, TimingPlan] | None = None,
                 demand: Demand | Mapping[str, float] | None = None,
                 warmup_s: float = 600.0, replan_s: float | None = None,
                 plausibility: Plausibility = DEFAULT_PLAUSIBILITY) -> None:
        super().__init__(network, plans=plans, plausibility=plausibility)
        self.demand = demand if demand is None or isinstance(demand, Demand) \
            else Demand(dict(demand))
        self.warmup_s = float(warmup_s)
        self.replan_s = replan_s
        self._given = set(self.plans)
        self._t0 = 0.0
        self._next_plan_s: float | None = None

    def on_start(self, t_s: float) -> None:
        self._t0 = t_s
        if self.demand is not None and self.network is not None:
            for isec_id, plan in plans_from_flows(self.network, self.demand.flows_vph).items():
                unit = self.units.get(isec_id)
                if unit is not None and isec_id not in self._given and \
                        not plan.check(unit.intersection):
                    unit.fallback = plan
            self._next_plan_s = None
        else:
            self._next_plan_s = t_s + self.warmup_s

    def step(self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
             ) -> dict[str, Request]:
        out = super().step(t_s, dt_s, obs)
        if self._next_plan_s is not None and t_s + dt_s >= self._next_plan_s:
            n = self._replan()
            log.info("fixed: %d plans computed from flows measured over %.0f s", n,
                     t_s + dt_s - self._t0)
            self._next_plan_s = None if self.replan_s is None else t_s + float(self.replan_s)
        return out

    def _replan(self) -> int:
        if self.network is None:
            return 0
        flows = self.measured_flows_vph()
        replaced = 0
        for isec_id, plan in plans_from_flows(self.network, flows).items():
            unit = self.units.get(isec_id)
            if unit is None or isec_id in self._given or unit.counted_s <= 0 \
                    or plan.check(unit.intersection):
                continue
            unit.fallback = plan
            replaced += 1
        return replaced

    def decide(self, unit: Unit, t_s: float, dt_s: float, readings: Readings) -> Request:
        return self.fallback(unit, t_s)
