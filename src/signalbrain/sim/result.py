"""The outcome of a closed-loop SUMO run and its JSON form (the ``sumo run`` contract).

:class:`RunResult` holds what :func:`signalbrain.sim.run.run_sumo` measured;
:meth:`RunResult.to_json` gives the document DESIGN.md specifies (``controller``, ``config``,
``begin_s``, ``end_s``, ``vehicles``, the three means, ``emergency``, ``safety``,
``controller_cpu_s``, ``wall_s``) plus RESCO's all-vehicle delay (``mean_delay_all_s``) and
run details.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from signalbrain.control.base import SafetyCounts
from signalbrain.sim.metrics import TripSummary

__all__ = ["RunResult"]


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything measured in one closed-loop run (see :meth:`to_json` for the contract)."""

    controller: str
    config: str
    begin_s: float
    end_s: float
    trips: TripSummary
    teleports: int
    safety: SafetyCounts
    controller_cpu_s: float
    sensing_cpu_s: float
    wall_s: float
    signals: int
    detectors: int
    notes: tuple[str, ...] = ()
    controller_failure: str | None = None
    """When the controller raised: when and what (the signals then ran backup plans); else
    when a request hook (the escort) raised, after which the run went on without it."""

    @property
    def simulated_s(self) -> float:
        """Simulated time [s]."""
        return self.end_s - self.begin_s

    def to_json(self) -> dict[str, Any]:
        """The ``sumo run`` JSON (DESIGN.md) plus RESCO's delay and run details."""

        def num(x: float, digits: int = 3) -> float | None:
            return None if math.isnan(x) else round(x, digits)

        t = self.trips
        per_sim = self.controller_cpu_s / self.simulated_s if self.simulated_s > 0 else math.nan
        return {
            "controller": self.controller,
            "config": self.config,
            "begin_s": self.begin_s,
            "end_s": self.end_s,
            "vehicles": {
                "departed": t.departed,
                "arrived": t.arrived,
                "teleports": self.teleports,
                "removed": t.removed,
            },
            "mean_travel_time_s": num(t.mean_travel_time_s),
            "mean_delay_s": num(t.mean_delay_s),
            "mean_waiting_s": num(t.mean_waiting_s),
            "emergency": [
                {
                    "id": e.id,
                    "travel_time_s": e.travel_time_s,
                    "delay_s": e.delay_s,
                    "stops": e.stops,
                }
                for e in t.emergency
            ],
            "safety": self.safety.as_dict(),
            "controller_cpu_s": round(self.controller_cpu_s, 4),
            "wall_s": round(self.wall_s, 3),
            "mean_delay_all_s": num(t.mean_delay_all_s),
            "unfinished": {"running": t.running, "waiting_to_enter": t.waiting_to_enter},
            "controller_cpu_per_sim_s": num(per_sim, 7),
            "sensing_cpu_s": round(self.sensing_cpu_s, 4),
            "signals": self.signals,
            "detectors": self.detectors,
            "notes": list(self.notes),
            "controller_failure": self.controller_failure,
        }
