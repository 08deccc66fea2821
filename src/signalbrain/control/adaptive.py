"""signalbrain's adaptive controller: forecast arrivals, roll out every choice, keep the best.

Each step, once the served stage has run its minimum green, the controller forecasts per
movement the vehicles reaching the stop line in each second of the next ``horizon_s``: those its
detectors see approaching (a camera or radar within reach), then, beyond their view, the vehicles
the upstream signals have just sent down the link (coordination, below), and after that only a
trace (``rate_weight``, 1 %) of the movement's average arrival rate (stop-line counts,
exponentially averaged over ``rate_tau_s``): like Surtrac, it plans for the vehicles it knows of,
and the trace only breaks ties towards the busier movements. An approach whose detection zone is
full of halting vehicles is taken to queue beyond it (``hidden_factor``), so the model does not
expect a queue longer than the zone to clear within one zone's worth of green.
For every stage it then runs a point-queue model of the intersection with that stage chosen now
(kept, for the current one) and a base policy afterwards (``base``: by default *gap-out*, which
keeps a green while its queues discharge or a vehicle the detectors see reaches the stop line
within ``passage_s``, then serves the longest queue; or clear the queues only; or max
pressure), and adds up the time vehicles spend queued, a ``stop_s`` penalty for each vehicle
that meets a red or a queue, and ``terminal_s`` for each vehicle still queued at the horizon
(:mod:`signalbrain.control._rollout`, numba); every change costs its real lost time in the model
(yellow and all-red, during which only movements green in both stages move, then ``lost_s`` of
start-up). The cheapest choice is requested (the current
stage is kept unless another is cheaper by ``switch_margin``, ``jam_margin`` while an approach
queues beyond its detectors) and a stage leaves at its maximum green. This is a rollout (one
step of policy iteration, Bertsekas 2005) over that base policy, with the arrival forecasts of
schedule-driven control (Xie et al. 2012). A stage whose vehicles have waited longer than one
cycle of maximum greens (at least ``max_red_s``) is served next whatever the costs (every demand
is served within a bounded time), and exits whose detectors report a queue reduce the
saturation flow of the movements feeding them (no green into a blocked link).

Coordination: each signal remembers the vehicles it sent down each exit link (stop-line counts
per movement) for the link's free-flow travel time, and the signal downstream adds them to its
forecast once they are beyond its detectors' view, so platoons are expected before they are seen.

``method="priority"`` selects the earlier rule kept for comparison: the stage of highest service
rate ``n / (setup + service)`` (Lämmer & Helbing 2008), with gap-out after ``gap_s``.

References
----------
Bertsekas, D. P. (2005). Dynamic Programming and Optimal Control, vol. 1, 3rd ed., sec. 6.4.
Xie, X.-F., Smith, S. F., Lu, L., Barlow, G. J. (2012). Schedule-driven intersection control.
Transportation Research Part C 24, 168-189.
Lämmer, S., Helbing, D. (2008). Self-control of traffic lights and vehicle flows in urban road
networks. Journal of Statistical Mechanics P04019.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from signalbrain.control._options import check_choice, check_number
from signalbrain.control._rollout import arrival_slots, rollout_costs
from signalbrain.control.base import Request
from signalbrain.control.core import SignalController, Unit
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings
from signalbrain.control.stages import Stage
from signalbrain.errors import InputError, Problem
from signalbrain.network.model import Network
from signalbrain.timing.plan import TimingPlan

__all__ = ["Adaptive", "discharge"]

F64 = npt.NDArray[np.float64]


def discharge(
    queue_veh: float,
    arrivals: list[tuple[float, float]],
    headway_s: float,
    start_s: float,
    gap_s: float,
    limit_s: float,
) -> tuple[float, float]:
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


def _cover_cycle_s(stages: tuple[Stage, ...]) -> float:
    """Longest a movement may have to wait when every other stage runs its maximum green: the
    maximum greens and change intervals of the stages of a small set that serves every movement
    (greedy set cover), all but the shortest [s]."""
    left = {m for s in stages for m in s.levels}
    chosen: list[Stage] = []
    while left:
        best = max(stages, key=lambda s: len(left & set(s.levels)))
        if not left & set(best.levels):
            break
        chosen.append(best)
        left -= set(best.levels)
    spans = [s.max_green_s + s.clearance_s for s in chosen]
    return float(sum(spans) - min(spans)) if len(spans) > 1 else 0.0


@dataclass(slots=True)
class _Memory:
    rows: list[list[tuple[int, float]]]  # per stage: (movement position, headway_s)
    protected: list[list[int]]
    waiting_since: list[float]
    outflow: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)
    to_links: list[str] = field(default_factory=list)
    by_link: dict[str, list[int]] = field(default_factory=dict)
    has_protected: list[bool] = field(default_factory=list)
    level: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    sat_vps: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    storage_veh: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    rate_vps: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    min_green: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    max_green: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    clear_s: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    speed_mps: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    link_lanes: dict[str, float] = field(default_factory=dict)
    max_red_s: float = 90.0


# base policy name -> the rollout kernel's code
_BASE_CODE = {"gap": 2, "clearing": 0, "pressure": 1}


class Adaptive(SignalController):
    """Rollout control over arrival forecasts; see the module docstring.

    Parameters
    ----------
    network
        The network.
    gap_s
        ``method="priority"``: largest gap in the arriving stream a green still bridges [s].
    lost_s
        Start-up lost time of a new green [s].
    max_red_s
        Longest a waiting movement may stay red before its stage is forced next [s].
    switch_ratio
        ``method="priority"``: another stage takes over when its priority exceeds the current
        one's by this factor.
    horizon_s
        Forecast horizon [s].
    permitted_factor
        Saturation flow of permitted (yielding) movements relative to protected ones.
    coordinate
        Use the vehicles upstream signals send (projected arrivals beyond detector reach).
        With the gap-out base (SUMO, seeds 42, 3, 4, all-vehicle delay against no
        coordination): atlanta_1x5 0.93 x, ingolstadt7 0.97 x, corridor1x5 1.01 x, but the
        generated 3x3 grid 1.05 x. Forecasts 3 or 6 s later, spread over 30-60 % of the link's
        travel time, at half weight, or only for red (or only for green) movements did not
        remove the grid's loss without giving up most of the gains elsewhere.
    method
        ``"rollout"`` (default) or ``"priority"``.
    terminal_s
        Cost of a vehicle still queued at the end of the horizon [s].
    switch_margin
        Relative cost advantage another stage needs to take over the green.
    jam_margin
        ``switch_margin`` while an approach of the signal queues beyond its detectors (the
        model then knows the queues least and a needless change costs the most).
    rate_tau_s
        Time constant of the average arrival rates [s].
    base
        Base policy of the rollout: ``"gap"`` (default: gap-out, see ``passage_s``),
        ``"clearing"`` (a green lasts until its queues clear), ``"pressure"`` (max pressure), or
        ``"both"`` (each choice costed with the better of clearing and pressure). Gap-out
        against clearing, all-vehicle delay in SUMO on the nine benchmark scenarios: seeds 1,
        2, 42, 0.89 to 0.92 x on seven, 1.04 x on ingolstadt1 and 1.06 x on cologne3; seeds
        3-7, 0.87 to 0.97 x on eight (cologne3 0.62 x: one clearing run jammed at 72.8 s) and
        1.07 x on ingolstadt1, whose main approach is seen only 4 s ahead.
    passage_s
        ``base="gap"``: the green of the modelled base policy is kept while a vehicle reaches its
        movements within this many seconds. Only vehicles inside the shortest detector view of
        the signal count (an approach seen less far would otherwise lose to one seen further):
        counting every forecast vehicle instead, with 4 s, one cologne1 run (seed 42) jammed,
        some 250 vehicles standing from 25,600 s to the end (1353 s mean delay against 21);
        counting each movement's vehicles as far as its own detectors see jammed cologne1 on
        seed 3 (1333 s against 21).
    stop_s
        Extra cost of every forecast stop [s].
    rate_weight
        Beyond what the detectors see and the upstream signals sent, the rollout expects this
        fraction of the movement's average arrival rate (fractional vehicles every second).
        At 1 (the full mean forecast) the smeared vehicles cost every option alike and made
        the controller switch more and serve worse (SUMO, ingolstadt1 and the kn-hz
        intersection, two seeds: 1.12 x max-pressure's delay, 0.99 x without).
    jam_ratio, hidden_factor, spacing_m
        An approach whose detection zone holds halting vehicles over ``jam_ratio`` of what fits
        (one per ``spacing_m`` [m] and lane) is taken to queue beyond it by ``hidden_factor``
        times the queue seen (see :meth:`Adaptive._hidden_queue`).
    plans, plausibility
        See :class:`~signalbrain.control.core.SignalController`.
    """

    name = "adaptive"

    def __init__(
        self,
        network: Network | None = None,
        *,
        gap_s: float = 2.5,
        lost_s: float = 2.0,
        max_red_s: float = 90.0,
        switch_ratio: float = 1.2,
        horizon_s: float = 60.0,
        permitted_factor: float = 0.4,
        coordinate: bool = True,
        method: Literal["rollout", "priority"] = "rollout",
        terminal_s: float = 10.0,
        switch_margin: float = 0.0,
        jam_margin: float = 0.05,
        rate_tau_s: float = 90.0,
        base: Literal["gap", "clearing", "pressure", "both"] = "gap",
        passage_s: int = 3,
        stop_s: float = 2.5,
        rate_weight: float = 0.01,
        jam_ratio: float = 0.8,
        hidden_factor: float = 1.0,
        spacing_m: float = 7.5,
        plans: Mapping[str, TimingPlan] | None = None,
        plausibility: Plausibility = DEFAULT_PLAUSIBILITY,
    ) -> None:
        super().__init__(network, plans=plans, plausibility=plausibility)
        check_choice(self.name, "method", method, ("rollout", "priority"))
        self.method = method
        check_choice(self.name, "base", base, (*_BASE_CODE, "both"))
        if check_number(self.name, "passage_s", passage_s) != int(passage_s):
            raise InputError(
                [Problem("controller.adaptive.passage_s", f"= {passage_s!r}: not whole seconds")]
            )
        self.base = base
        self.passage_s = int(passage_s)
        self.stop_s = check_number(self.name, "stop_s", stop_s)
        self.rate_weight = check_number(self.name, "rate_weight", rate_weight)
        self.jam_ratio = check_number(self.name, "jam_ratio", jam_ratio)
        self.hidden_factor = check_number(self.name, "hidden_factor", hidden_factor)
        self.spacing_m = check_number(self.name, "spacing_m", spacing_m, positive=True)
        self.terminal_s = check_number(self.name, "terminal_s", terminal_s)
        self.switch_margin = check_number(self.name, "switch_margin", switch_margin)
        self.jam_margin = check_number(self.name, "jam_margin", jam_margin)
        self.rate_tau_s = check_number(self.name, "rate_tau_s", rate_tau_s, positive=True)
        self.gap_s = check_number(self.name, "gap_s", gap_s)
        self.lost_s = check_number(self.name, "lost_s", lost_s)
        self.max_red_s = check_number(self.name, "max_red_s", max_red_s)
        self.switch_ratio = check_number(self.name, "switch_ratio", switch_ratio)
        self.horizon_s = check_number(self.name, "horizon_s", horizon_s, positive=True)
        self.permitted_factor = check_number(self.name, "permitted_factor", permitted_factor)
        self.coordinate = bool(coordinate)
        self._feeds: dict[str, list[tuple[str, str, float]]] = {}
        self._travel_s: dict[str, float] = {}

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
            mem = _Memory(
                rows,
                prot,
                [t_s] * len(isec.movements),
                to_links=[m.to_link for m in isec.movements],
            )
            n_mov = len(isec.movements)
            mem.level = np.zeros((len(unit.shadow.stages), n_mov))
            for k, stage in enumerate(unit.shadow.stages):
                for mid, lv in stage.levels.items():
                    if isec.movement(mid).turn != "P":
                        mem.level[k, pos[mid]] = 1.0 if lv == 2 else self.permitted_factor
            mem.sat_vps = np.array(
                [
                    (links[m.from_link].sat_flow_vphpl if m.from_link in links else 1800.0)
                    * m.lanes
                    / 3600.0
                    for m in isec.movements
                ]
            )
            mem.storage_veh = np.array(
                [
                    min(links[m.to_link].length_m, 120.0) / 7.5 if m.to_link in links else 1e9
                    for m in isec.movements
                ]
            )
            mem.rate_vps = np.zeros(n_mov)
            mem.has_protected = [
                any(s.levels.get(m.id) == 2 for s in unit.shadow.stages) for m in isec.movements
            ]
            for i, m in enumerate(isec.movements):
                if m.turn != "P":
                    mem.by_link.setdefault(m.from_link, []).append(i)
            mem.min_green = np.array([s.min_green_s for s in unit.shadow.stages])
            mem.max_green = np.array([s.max_green_s for s in unit.shadow.stages])
            mem.clear_s = np.array([s.clearance_s for s in unit.shadow.stages])
            mem.speed_mps = np.array(
                [
                    links[m.from_link].free_speed_mps if m.from_link in links else 13.9
                    for m in isec.movements
                ]
            )
            mem.link_lanes = {
                link: float(links[link].lanes if link in links else len(idx))
                for link, idx in mem.by_link.items()
            }
            mem.max_red_s = max(self.max_red_s, _cover_cycle_s(unit.shadow.stages))
            unit.memory = mem
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
                entry = (
                    unit.intersection.id,
                    m.to_link,
                    out_link.length_m / out_link.free_speed_mps,
                )
                if entry not in self._feeds[target]:
                    self._feeds[target].append(entry)
                self._travel_s[m.to_link] = entry[2]

    # ------------------------------------------------------------------ forecasting
    def _projected(
        self, unit: Unit, t_s: float
    ) -> dict[str, tuple[float, list[tuple[float, float]]]]:
        """Vehicles upstream signals sent towards this one and not yet at its stop line:
        approach link -> (link travel time [s], [(seconds from now, vehicles)])."""
        out: dict[str, tuple[float, list[tuple[float, float]]]] = {}
        for source, link, travel_s in self._feeds.get(unit.intersection.id, ()):
            mem: _Memory = self.units[source].memory  # type: ignore[assignment]
            sent = mem.outflow.get(link)
            if not sent:
                continue
            lst = out.setdefault(link, (travel_s, []))[1]
            lst.extend((t_sent + travel_s - t_s, w) for t_sent, w in sent)
        return out

    def _record_outflow(self, unit: Unit, t_s: float, readings: Readings) -> None:
        """Remember what this signal sent down each exit link, one entry per step and link,
        for as long as the link's travel time."""
        mem: _Memory = unit.memory  # type: ignore[assignment]
        sent: dict[str, float] = {}
        for i, c in enumerate(readings.count_veh):
            if c > 0:
                link = mem.to_links[i]
                sent[link] = sent.get(link, 0.0) + c
        for link, c in sent.items():
            mem.outflow.setdefault(link, deque()).append((t_s, c))
        for link, q in mem.outflow.items():
            oldest = t_s - self._travel_s.get(link, 0.0)
            while q and q[0][0] < oldest:
                q.popleft()

    def priorities(
        self,
        unit: Unit,
        t_s: float,
        readings: Readings,
        extra: Mapping[str, tuple[float, list[tuple[float, float]]]] | None = None,
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
                green_now = (
                    state is not None
                    and state.movements.get(movements[i].id) in ("G", "g")
                    and current is not None
                    and stage is current
                )
                start = 0.0 if green_now else switch_s
                arrivals = readings.arrivals_s[i]
                more = extra.get(movements[i].from_link) if extra else None
                if more:
                    share = 1.0 / len(mem.by_link.get(movements[i].from_link, [i]))
                    seen = readings.reach_s[i]
                    arrivals = sorted(arrivals + [(e, w * share) for e, w in more[1] if e > seen])
                served, end = discharge(
                    readings.queue_veh[i], arrivals, headway, start, self.gap_s, limit
                )
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
        # waiting clocks: a movement with vehicles keeps its clock running until it is served:
        # protected green if some stage protects it (a permitted left may never find a gap)
        state = shadow.state
        for i, m in enumerate(unit.intersection.movements):
            shown = state.movements.get(m.id, "r") if state is not None else "r"
            served = shown == "G" or (shown == "g" and not mem.has_protected[i])
            if served or (readings.vehicles_veh[i] < 0.5 and not readings.arrivals_s[i]):
                mem.waiting_since[i] = t_s
        self._learn_rates(unit, readings, dt_s)
        current = shadow.current
        if current is not None and not shadow.settled(t_s):
            return current.request
        if self.method == "rollout":
            return self._decide_rollout(unit, t_s, readings)
        extra = self._projected(unit, t_s) if self.coordinate else None
        pri = self.priorities(unit, t_s, readings, extra)
        if current is None:
            best = max(range(len(stages)), key=lambda k: pri[k][0])
            return stages[best].request
        k_cur = stages.index(current)
        # stability: a stage with a movement waiting too long goes next
        k_starving = self._starving_stage(mem, k_cur, t_s)
        if k_starving is not None:
            return stages[k_starving].request
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

    # ------------------------------------------------------------------ rollout
    def _learn_rates(self, unit: Unit, readings: Readings, dt_s: float) -> None:
        """Arrival rates per movement [veh/s]: exponential average of stop-line counts."""
        mem: _Memory = unit.memory  # type: ignore[assignment]
        alpha = min(1.0, dt_s / self.rate_tau_s)
        counts = np.asarray(readings.count_veh)
        if dt_s > 0:
            mem.rate_vps += alpha * (counts / dt_s - mem.rate_vps)

    def _arrival_slots(self, unit: Unit, t_s: float, readings: Readings) -> F64:
        """Vehicles reaching each movement's stop line per 1 s slot over the horizon: those seen
        approaching; beyond the detectors' view, the vehicles upstream signals sent (when
        coordinating, until the link's travel time) and the average arrival rate after that."""
        mem: _Memory = unit.memory  # type: ignore[assignment]
        n_mov = len(mem.to_links)
        n_slot = int(self.horizon_s)
        seen = [(i, e, w) for i, arr in enumerate(readings.arrivals_s) for e, w in arr]
        seen_a = np.array(seen, dtype=np.float64).reshape(-1, 3)
        first = np.minimum(np.asarray(readings.reach_s, dtype=np.int64) + 1, n_slot)
        until = np.zeros(n_mov, dtype=np.int64)
        fed_mov: list[npt.NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
        fed_eta: list[F64] = [np.zeros(0)]
        fed_w: list[F64] = [np.zeros(0)]
        if self.coordinate:
            for link, (travel_s, vehicles) in self._projected(unit, t_s).items():
                idx = mem.by_link.get(link)
                if not idx:
                    continue
                sent = np.array(vehicles, dtype=np.float64).reshape(-1, 2)
                rates = mem.rate_vps[idx]
                total = float(rates.sum())
                for i, r in zip(idx, rates, strict=True):
                    share = r / total if total > 0 else 1.0 / len(idx)
                    until[i] = min(int(travel_s), n_slot)
                    fed_mov.append(np.full(len(sent), i, dtype=np.int64))
                    fed_eta.append(sent[:, 0])
                    fed_w.append(sent[:, 1] * share)
        return arrival_slots(
            n_mov,
            n_slot,
            seen_a[:, 0].astype(np.int64),
            seen_a[:, 1],
            seen_a[:, 2],
            first,
            mem.rate_vps * self.rate_weight,
            until,
            np.concatenate(fed_mov),
            np.concatenate(fed_eta),
            np.concatenate(fed_w),
        )

    def _hidden_queue(self, mem: _Memory, queue: F64, readings: Readings) -> F64:
        """Vehicles queued beyond the detectors' reach [veh], per movement.

        An approach whose zone holds halting vehicles over ``jam_ratio`` of what fits in it (at
        ``spacing_m`` per vehicle and lane) has a queue that goes on beyond the zone, out of
        sight; it is taken to be ``hidden_factor`` times the part that is seen, shared among the
        approach's movements as their seen queues are. Without it the rollout expects a long
        queue to clear within one zone's worth of green and leaves it early."""
        hidden = np.zeros(len(queue))
        if self.hidden_factor <= 0.0:
            return hidden
        for link, idx in mem.by_link.items():
            reach_m = max(readings.reach_s[i] * mem.speed_mps[i] for i in idx)
            fits_veh = reach_m * mem.link_lanes[link] / self.spacing_m
            if fits_veh > 0.0 and float(queue[idx].sum()) >= self.jam_ratio * fits_veh:
                hidden[idx] = self.hidden_factor * queue[idx]
        return hidden

    def _starving_stage(self, mem: _Memory, k_cur: int, t_s: float) -> int | None:
        """The other stage whose movement has waited longest beyond the signal's longest red
        (``max_red_s``, at least one cycle of maximum greens), if any."""
        starving = [
            (t_s - mem.waiting_since[i], k)
            for k, row in enumerate(mem.rows)
            if k != k_cur
            for i, _ in row
            if t_s - mem.waiting_since[i] >= mem.max_red_s
        ]
        return max(starving)[1] if starving else None

    def _decide_rollout(self, unit: Unit, t_s: float, readings: Readings) -> Request:
        mem: _Memory = unit.memory  # type: ignore[assignment]
        shadow = unit.shadow
        stages = shadow.stages
        current = shadow.current
        k_cur = stages.index(current) if current is not None else -1
        if k_cur >= 0:
            k_starving = self._starving_stage(mem, k_cur, t_s)
            if k_starving is not None:
                return stages[k_starving].request
        down = np.asarray(readings.down_veh_per_lane)
        free = np.clip(1.0 - down / mem.storage_veh, 0.05, 1.0)
        queue = np.asarray(readings.queue_veh, dtype=np.float64)
        hidden = self._hidden_queue(mem, queue, readings)
        args = (
            mem.level,
            mem.sat_vps * free,
            queue + hidden,
            self._arrival_slots(unit, t_s, readings),
            k_cur,
            float(shadow.green_elapsed_s(t_s) or 0.0),
            mem.min_green,
            mem.max_green,
            mem.clear_s,
            self.lost_s,
            self.terminal_s,
        )
        # gap-out looks only at what every detector of the signal sees (slots before the end of
        # the shortest view), not at forecast vehicles
        gap_until = min(int(min(readings.reach_s, default=0.0)) + 1, int(self.horizon_s))
        tail = (self.stop_s, self.passage_s, gap_until)
        if self.base == "both":  # each choice followed by the better of the two base policies
            costs = np.minimum(rollout_costs(*args, 0, *tail), rollout_costs(*args, 1, *tail))
        else:
            costs = rollout_costs(*args, _BASE_CODE[self.base], *tail)
        if k_cur >= 0:
            elapsed = shadow.green_elapsed_s(t_s) or 0.0
            if elapsed >= stages[k_cur].max_green_s:
                costs[k_cur] = np.inf
        best = int(np.argmin(costs))
        margin = self.jam_margin if hidden.any() else self.switch_margin
        if k_cur >= 0 and best != k_cur and costs[best] >= costs[k_cur] * (1.0 - margin) - 1e-9:
            best = k_cur
        return stages[best].request
