"""signalbrain's adaptive controller: anticipative queue clearing with service-rate priorities.

Each step, once the served stage has run its minimum green, the controller forecasts for every
stage how many vehicles it would serve and how long that would take if it got (or kept) the
green now: the movements' queues discharge at saturation flow after the change interval and the
start-up lost time, and vehicles seen approaching (camera or radar within reach, plus the
vehicles the upstream signals are sending, projected along the link) join the discharge when they
arrive before it ends or within ``gap_s`` of its end. The stage's priority is the service rate

    ``pi = n / (setup + service)``  [veh/s]

(Lämmer & Helbing 2008). The current stage has no setup cost; it keeps the green while its
priority is the highest, gaps out when it has nothing left to serve, and gives way at its
maximum green. A stage whose vehicles have waited ``max_red_s`` is served next whatever the
priorities (stability: every demand is served within a bounded time).

Coordination: each signal projects the vehicles it sends down each link (stop-line counts per
movement, shifted by the link's free-flow travel time) and the signal downstream adds them to
its forecast once they are beyond its detectors' view, so platoons are expected before they are
seen.

References
----------
Lämmer, S., Helbing, D. (2008). Self-control of traffic lights and vehicle flows in urban road
networks. Journal of Statistical Mechanics P04019.
Xie, X.-F., Smith, S. F., Lu, L., Barlow, G. J. (2012). Schedule-driven intersection control.
Transportation Research Part C 24, 168-189 (platoon forecasts from upstream outflows).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from signalbrain.control.base import Request
from signalbrain.control.core import SignalController, Unit
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings
from signalbrain.control.stages import Stage
from signalbrain.network.model import Network
from signalbrain.timing.plan import TimingPlan

__all__ = ["Adaptive", "discharge"]


def discharge(queue_veh: float, arrivals: list[tuple[float, float]], headway_s: float,
              start_s: float, gap_s: float, limit_s: float) -> tuple[float, float]:
    """Vehicles served and the time service ends for one movement.

    Parameters
    ----------
    queue_veh
        Vehicles waiting at the stop line.
    arrivals
        (seconds from now, weight) of approaching vehicles, sorted.
    headway_s
        Saturation headway of the movement (1 / saturation flow) [s/veh].
    start_s
        When the movement starts discharging, from now [s].
    gap_s
        An arrival later than this after the discharge ends does not extend it [s].
    limit_s
        Service never runs past this time from now [s].

    Returns
    -------
    served_veh, end_s
    """
    end = start_s + queue_veh * headway_s
    served = queue_veh
    if end > limit_s:
        return queue_veh * (limit_s - start_s) / max(end - start_s, 1e-9), limit_s
    for eta, w in arrivals:
        if eta > end + gap_s or eta > limit_s:
            break
        end = max(end, eta) + w * headway_s
        served += w
        if end >= limit_s:
            return served, limit_s
    return served, end


@dataclass(slots=True)
class _Memory:
    rows: list[list[tuple[int, float]]]  # per stage: (movement position, headway_s)
    protected: list[list[int]]
    waiting_since: list[float]
    outflow: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)
    to_links: list[str] = field(default_factory=list)


class Adaptive(SignalController):
    """Anticipative clearing control; see the module docstring.

    Parameters
    ----------
    network
        The network.
    gap_s
        Largest gap in the arriving stream that a green still bridges [s].
    lost_s
        Start-up lost time of a new green [s].
    max_red_s
        Longest a waiting movement may stay red before its stage is forced next [s].
    switch_ratio
        Another stage takes over when its priority exceeds the current one's by this factor.
    horizon_s
        Forecast horizon [s].
    permitted_factor
        Saturation flow of permitted (yielding) movements relative to protected ones.
    coordinate
        Use the vehicles upstream signals send (projected arrivals beyond detector reach).
    plans, plausibility
        See :class:`~signalbrain.control.core.SignalController`.
    """

    name = "adaptive"

    def __init__(self, network: Network | None = None, *, gap_s: float = 2.5,
                 lost_s: float = 2.0, max_red_s: float = 90.0, switch_ratio: float = 1.2,
                 horizon_s: float = 60.0, permitted_factor: float = 0.4,
                 coordinate: bool = True,
                 plans: Mapping[str, TimingPlan] | None = None,
                 plausibility: Plausibility = DEFAULT_PLAUSIBILITY) -> None:
        super().__init__(network, plans=plans, plausibility=plausibility)
        self.gap_s = float(gap_s)
        self.lost_s = float(lost_s)
        self.max_red_s = float(max_red_s)
        self.switch_ratio = float(switch_ratio)
        self.horizon_s = float(horizon_s)
        self.permitted_factor = float(permitted_factor)
        self.coordinate = bool(coordinate)
        self._feeds: dict[str, list[tuple[str, str, float]]] = {}

    def on_start(self, t_s: float) -> None:
        links = {k.id: k for k in (self.network.links if self.network else ())}
        owner: dict[str, str] = {}
        for unit in self.units.values():
            isec = unit.intersection
            pos = {m.id: i for i, m in enumerate(isec.movements)}
            rows: list[list[tuple[int, float]]] = []
            prot: list[list[int]] = []
            for stage in unit.shadow.stages:
                row = []
                for mid, lv in stage.levels.items():
                    m = isec.movement(mid)
                    if m.turn == "P":
                        continue
                    link = links.get(m.from_link)
                    sat_vph = (link.sat_flow_vphpl if link else 1800.0) * m.lanes
                    if lv == 1:
                        sat_vph *= self.permitted_factor
                    row.append((pos[mid], 3600.0 / max(sat_vph, 1.0)))
                rows.append(row)
                prot.append([pos[m] for m, lv in stage.levels.items() if lv == 2])
            unit.memory = _Memory(rows, prot, [t_s] * len(isec.movements),
                                  to_links=[m.to_link for m in isec.movements])
            for approach in isec.approach_links:
                owner[approach] = isec.id
        # feeds: for each signal, the links it sends vehicles down that another signal observes
        self._feeds = {}
        for unit in self.units.values():
            for m in unit.intersection.movements:
                target = owner.get(m.to_link)
                out_link = links.get(m.to_link)
                if target is None or out_link is None or target == unit.intersection.id:
                    continue
                self._feeds.setdefault(target, [])
                entry = (unit.intersection.id, m.to_link,
                         out_link.length_m / out_link.free_speed_mps)
                if entry not in self._feeds[target]:
                    self._feeds[target].append(entry)

    # ------------------------------------------------------------------ forecasting
    def _projected(self, unit: Unit, t_s: float) -> dict[str, list[tuple[float, float]]]:
        """Vehicles sent towards this signal by its upstream neighbours, beyond detector reach:
        approach link -> [(seconds from now, weight)]."""
        out: dict[str, list[tuple[float, float]]] = {}
        for source, link, travel_s in self._feeds.get(unit.intersection.id, ()):
            mem: _Memory = self.units[source].memory  # type: ignore[assignment]
            sent = mem.outflow.get(link)
            if not sent:
                continue
            reach_s = min(travel_s * 0.5, 120.0 / 13.9)  # the part of the link detectors see
            lst = out.setdefault(link, [])
            for t_sent, w in sent:
                eta = t_sent + travel_s - t_s
                if eta > reach_s:
                    lst.append((eta, w))
        return out

    def _record_outflow(self, unit: Unit, t_s: float, readings: Readings) -> None:
        mem: _Memory = unit.memory  # type: ignore[assignment]
        for i, c in enumerate(readings.count_veh):
            if c <= 0:
                continue
            q = mem.outflow.setdefault(mem.to_links[i], deque())
            q.append((t_s, c))
        horizon = t_s - 300.0
        for q in mem.outflow.values():
            while q and q[0][0] < horizon:
                q.popleft()

    def priorities(self, unit: Unit, t_s: float, readings: Readings,
                   extra: Mapping[str, list[tuple[float, float]]] | None = None
                   ) -> list[tuple[float, float, float]]:
        """(priority [veh/s], vehicles served, service end [s from now]) of every stage."""
        mem: _Memory = unit.memory  # type: ignore[assignment]
        shadow = unit.shadow
        current: Stage | None = shadow.current
        state = shadow.state
        movements = unit.intersection.movements
        switch_s = (current.clearance_s if current is not None else 0.0) + self.lost_s
        out = []
        for k, stage in enumerate(shadow.stages):
            served_total = 0.0
            end_max = 0.0
            limit = min(self.horizon_s, stage.max_green_s + switch_s)
            for i, headway in mem.rows[k]:
                green_now = state is not None and state.movements.get(movements[i].id) in (
                    "G", "g") and current is not None and stage is current
                start = 0.0 if green_now else switch_s
                arrivals = readings.arrivals_s[i]
                if extra:
                    more = extra.get(movements[i].from_link)
                    if more:
                        share = 1.0 / max(1, sum(1 for m in movements
                                                 if m.from_link == movements[i].from_link))
                        arrivals = sorted(arrivals + [(e, w * share) for e, w in more])
                served, end = discharge(readings.queue_veh[i], arrivals, headway, start,
                                        self.gap_s, limit)
                served_total += served
                end_max = max(end_max, end)
            rate = served_total / end_max if end_max > 0 else 0.0
            out.append((rate, served_total, end_max))
        return out

    # ------------------------------------------------------------------ the decision
    def decide(self, unit: Unit, t_s: float, dt_s: float, readings: Readings) -> Request:
        mem: _Memory = unit.memory  # type: ignore[assignment]
        if self.coordinate:
            self._record_outflow(unit, t_s, readings)
        shadow = unit.shadow
        stages = shadow.stages
        # waiting clocks: a movement with vehicles that is not green keeps its clock running
        for i, m in enumerate(unit.intersection.movements):
            if shadow.is_green(m.id) or (readings.vehicles_veh[i] < 0.5
                                         and not readings.arrivals_s[i]):
                mem.waiting_since[i] = t_s
        current = shadow.current
        if current is not None and not shadow.settled(t_s):
            return current.request
        extra = self._projected(unit, t_s) if self.coordinate else None
        pri = self.priorities(unit, t_s, readings, extra)
        if current is None:
            best = max(range(len(stages)), key=lambda k: pri[k][0])
            return stages[best].request
        k_cur = stages.index(current)
        # stability: a stage with a movement waiting too long goes next
        starving = [(t_s - mem.waiting_since[i], k) for k, row in enumerate(mem.rows)
                    if k != k_cur for i, _ in row if t_s - mem.waiting_since[i] >= self.max_red_s]
        if starving:
            return stages[max(starving)[1]].request
        others = [k for k in range(len(stages)) if k != k_cur and pri[k][1] >= 0.5]
        if not others:
            return current.request
        k_alt = max(others, key=lambda k: pri[k][0])
        elapsed = shadow.green_elapsed_s(t_s) or 0.0
        rate_cur, served_cur, _ = pri[k_cur]
        if elapsed >= current.max_green_s or served_cur < 0.5:
            return stages[k_alt].request
        if pri[k_alt][0] > self.switch_ratio * rate_cur:
            return stages[k_alt].request
        return current.request
