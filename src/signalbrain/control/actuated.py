"""Fully actuated control: extend a green while vehicles keep coming, skip stages nobody waits for.

The stage being served is extended past its minimum green while its protected movements still
have a queue, a vehicle crossed the stop line within the last ``passage_s``, or a moving vehicle
will reach the stop line within ``passage_s``; it gaps out otherwise and maxes out at its maximum
green. The next stage is the one whose calls (vehicles waiting or approaching on movements the
current stage does not serve) are largest, the earliest in ring sequence on ties; with no call
the green rests where it is. This is the classic (volume-density-free) actuated logic of NEMA
controllers, with the camera's approaching vehicles standing in for advance loops.

References
----------
Federal Highway Administration (2008). Traffic Signal Timing Manual, FHWA-HOP-08-024, ch. 5
(actuated control: passage time, gap-out, max-out, phase recall and skipping).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalbrain.control._options import check_number
from signalbrain.control.base import Request
from signalbrain.control.core import SignalController, Unit
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings
from signalbrain.network.model import Network
from signalbrain.timing.plan import TimingPlan

__all__ = ["Actuated"]


class Actuated(SignalController):
    """Gap-out / max-out actuated control; see the module docstring.

    Parameters
    ----------
    network
        The network.
    passage_s
        Passage time (unit extension) [s].
    plans, plausibility
        See :class:`~signalbrain.control.core.SignalController`.
    """

    name = "vehicle-actuated"

    def __init__(
        self,
        network: Network | None = None,
        *,
        passage_s: float = 2.5,
        plans: Mapping[str, TimingPlan] | None = None,
        plausibility: Plausibility = DEFAULT_PLAUSIBILITY,
    ) -> None:
        super().__init__(network, plans=plans, plausibility=plausibility)
        self.passage_s = check_number(self.name, "passage_s", passage_s)

    def on_start(self, t_s: float) -> None:
        for unit in self.units.values():
            pos = {m.id: i for i, m in enumerate(unit.intersection.movements)}
            unit.memory = {
                "last_cross": [-1e9] * len(pos),
                "protected": [
                    [pos[m] for m, lv in s.levels.items() if lv == 2] for s in unit.shadow.stages
                ],
                "all": [[pos[m] for m in s.levels] for s in unit.shadow.stages],
            }

    def decide(self, unit: Unit, t_s: float, dt_s: float, readings: Readings) -> Request:
        mem: dict[str, list[Any]] = unit.memory  # type: ignore[assignment]
        last = mem["last_cross"]
        for i, c in enumerate(readings.count_veh):
            if c > 0:
                last[i] = t_s
        shadow = unit.shadow
        stages = shadow.stages
        current = shadow.current
        waiting = [
            readings.vehicles_veh[i] > 0.5 or bool(readings.arrivals_s[i]) for i in range(len(last))
        ]
        if current is None:
            for k, s in enumerate(stages):
                if any(waiting[i] for i in mem["all"][k]):
                    return s.request
            return stages[0].request
        if not shadow.settled(t_s):
            return current.request
        k_cur = stages.index(current)
        elapsed = shadow.green_elapsed_s(t_s) or 0.0
        if elapsed < current.max_green_s:
            for i in mem["protected"][k_cur]:
                if (
                    readings.queue_veh[i] > 0.5
                    or t_s - last[i] <= self.passage_s
                    or (readings.arrivals_s[i] and readings.arrivals_s[i][0][0] <= self.passage_s)
                ):
                    return current.request
        served = set(mem["all"][k_cur])
        n = len(stages)
        best, best_calls = k_cur, 0.0
        for step in range(1, n):  # in ring sequence; the stage answering most calls wins
            k = (k_cur + step) % n
            calls = sum(
                readings.vehicles_veh[i] + 0.5
                for i in mem["all"][k]
                if waiting[i] and i not in served
            )
            if calls > best_calls:
                best, best_calls = k, calls
        return stages[best].request
