"""Max-pressure control (Varaiya 2013) with minimum green and clearances.

Each step, once the stage being served has shown its minimum green, every stage gets a pressure

    ``P(stage) = sum over its movements m of  w_m (x_m - x_down(m) * lanes_m) * s_m / s_ref``

where ``x_m`` are the vehicles of movement ``m`` within detector reach (or only the halting ones,
``measure="queue"``), ``x_down`` the queue per lane on the exit link, ``s_m`` the movement's
saturation flow [veh/h], ``s_ref`` 1,800 veh/h, and ``w_m`` 1 for protected and
``permitted_weight`` for permitted movements. The stage of largest pressure is requested; the
current stage is kept on ties, and left when it has run its maximum green and another stage has
positive pressure. Changes go through the conflict monitor (yellow, all-red).

References
----------
Varaiya, P. (2013). Max pressure control of a network of signalized intersections.
Transportation Research Part C 36, 177-195.
Kouvelas, A., Lioris, J., Fayazi, S. A., Varaiya, P. (2014). Maximum pressure controller for
stabilizing queues in signalized arterial networks. Transportation Research Record 2421, 133-141.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from signalbrain.control._options import check_choice, check_number
from signalbrain.control.base import Request
from signalbrain.control.core import SignalController, Unit
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings
from signalbrain.control.stages import Stage
from signalbrain.network.model import Network
from signalbrain.timing.plan import TimingPlan

__all__ = ["MaxPressure"]

_S_REF_VPH = 1800.0


class MaxPressure(SignalController):
    """Varaiya's max-pressure controller; see the module docstring.

    Parameters
    ----------
    network
        The network.
    measure
        ``"vehicles"`` (all vehicles within reach) or ``"queue"`` (halting only).
    permitted_weight
        Weight of permitted (yielding) movements in a stage's pressure.
    use_max_green
        Leave a stage after its maximum green when another has positive pressure.
    plans, plausibility
        See :class:`~signalbrain.control.core.SignalController`.
    """

    name = "max-pressure"

    def __init__(
        self,
        network: Network | None = None,
        *,
        measure: Literal["vehicles", "queue"] = "vehicles",
        permitted_weight: float = 0.5,
        use_max_green: bool = True,
        plans: Mapping[str, TimingPlan] | None = None,
        plausibility: Plausibility = DEFAULT_PLAUSIBILITY,
    ) -> None:
        super().__init__(network, plans=plans, plausibility=plausibility)
        check_choice(self.name, "measure", measure, ("vehicles", "queue"))
        self.measure = measure
        self.permitted_weight = check_number(self.name, "permitted_weight", permitted_weight)
        self.use_max_green = bool(use_max_green)

    def on_start(self, t_s: float) -> None:
        for unit in self.units.values():
            isec = unit.intersection
            links = {k.id: k for k in (self.network.links if self.network else ())}
            pos = {m.id: i for i, m in enumerate(isec.movements)}
            tables = []
            for stage in unit.shadow.stages:
                rows = []
                for mid, level in stage.levels.items():
                    m = isec.movement(mid)
                    if m.turn == "P":
                        continue
                    link = links.get(m.from_link)
                    sat = (link.sat_flow_vphpl if link else 1800.0) * m.lanes
                    weight = 1.0 if level == 2 else self.permitted_weight
                    rows.append((pos[mid], weight * sat / _S_REF_VPH, float(m.lanes)))
                tables.append(rows)
            unit.memory = tables

    def pressures(self, unit: Unit, readings: Readings) -> list[float]:
        """Pressure of every stage of the unit (in :attr:`Shadow.stages` order)."""
        x = readings.vehicles_veh if self.measure == "vehicles" else readings.queue_veh
        down = readings.down_veh_per_lane
        tables: list[list[tuple[int, float, float]]] = unit.memory  # type: ignore[assignment]
        return [sum(w * (x[i] - down[i] * lanes) for i, w, lanes in rows) for rows in tables]

    def decide(self, unit: Unit, t_s: float, dt_s: float, readings: Readings) -> Request:
        shadow = unit.shadow
        current: Stage | None = shadow.current
        if current is not None and not shadow.settled(t_s):
            return current.request  # changing, or minimum green not over: hold
        pressures = self.pressures(unit, readings)
        stages = shadow.stages
        best = max(range(len(stages)), key=lambda k: pressures[k])
        if current is None:
            return stages[best].request
        k_cur = stages.index(current)
        elapsed = shadow.green_elapsed_s(t_s) or 0.0
        if self.use_max_green and elapsed >= current.max_green_s:
            others = [k for k in range(len(stages)) if k != k_cur]
            if others:
                k_alt = max(others, key=lambda k: pressures[k])
                if pressures[k_alt] > 0:
                    return stages[k_alt].request
        if pressures[best] > pressures[k_cur] + 1e-9:
            return stages[best].request
        return current.request
