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

This module holds the controller's options and its per-step decision; what it knows of each
signal is built in :mod:`._adaptive_model`, the arrival forecasts and hidden queues are made in
:mod:`._adaptive_forecast`, and the priority rule is in :mod:`._adaptive_priority`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt

from signalbrain.control import _adaptive_forecast as _forecast
from signalbrain.control._adaptive_model import _cover_cycle_s as _cover_cycle_s
from signalbrain.control._adaptive_model import _Memory as _Memory
from signalbrain.control._adaptive_model import build_feeds, build_memory
from signalbrain.control._adaptive_priority import discharge, stage_priorities
from signalbrain.control._options import check_choice, check_number
from signalbrain.control._rollout import rollout_costs
from signalbrain.control.base import Request
from signalbrain.control.core import SignalController, Unit
from signalbrain.control.sensing import DEFAULT_PLAUSIBILITY, Plausibility, Readings
from signalbrain.errors import InputError, Problem
from signalbrain.network.model import Network
from signalbrain.timing.plan import TimingPlan

__all__ = ["Adaptive", "discharge"]

F64 = npt.NDArray[np.float64]


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
            unit.memory = build_memory(unit, links, t_s, self.permitted_factor, self.max_red_s)
            for approach in unit.intersection.approach_links:
                owner[approach] = unit.intersection.id
        self._feeds, travel_s = build_feeds(self.units.values(), links, owner)
        self._travel_s.update(travel_s)

    # ------------------------------------------------------------------ forecasting
    def _projected(
        self, unit: Unit, t_s: float
    ) -> dict[str, tuple[float, list[tuple[float, float]]]]:
        """Vehicles upstream signals sent towards this one and not yet at its stop line:
        approach link -> (link travel time [s], [(seconds from now, vehicles)])."""
        return _forecast.projected(self._feeds, self.units, unit, t_s)

    def _record_outflow(self, unit: Unit, t_s: float, readings: Readings) -> None:
        """Remember what this signal sent down each exit link, one entry per step and link,
        for as long as the link's travel time."""
        mem: _Memory = unit.memory  # type: ignore[assignment]
        _forecast.record_outflow(mem, self._travel_s, t_s, readings)

    def priorities(
        self,
        unit: Unit,
        t_s: float,
        readings: Readings,
        extra: Mapping[str, tuple[float, list[tuple[float, float]]]] | None = None,
    ) -> list[tuple[float, float, float]]:
        """(priority [veh/s], vehicles served, service end [s from now]) of every stage."""
        return stage_priorities(unit, readings, extra, self.lost_s, self.horizon_s, self.gap_s)

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
        _forecast.learn_rates(mem, readings, dt_s, self.rate_tau_s)

    def _arrival_slots(self, unit: Unit, t_s: float, readings: Readings) -> F64:
        """Vehicles reaching each movement's stop line per 1 s slot over the horizon: those seen
        approaching; beyond the detectors' view, the vehicles upstream signals sent (when
        coordinating, until the link's travel time) and the average arrival rate after that."""
        mem: _Memory = unit.memory  # type: ignore[assignment]
        sent = self._projected(unit, t_s) if self.coordinate else None
        return _forecast.forecast_slots(mem, readings, sent, self.horizon_s, self.rate_weight)

    def _hidden_queue(self, mem: _Memory, queue: F64, readings: Readings) -> F64:
        """Vehicles queued beyond the detectors' reach [veh], per movement: see
        :func:`signalbrain.control._adaptive_forecast.hidden_queue`."""
        return _forecast.hidden_queue(
            mem, queue, readings, self.hidden_factor, self.jam_ratio, self.spacing_m
        )

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
