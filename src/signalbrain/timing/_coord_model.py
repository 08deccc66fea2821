"""The platoon-progression model of coordinated signals (TRANSYT style), for
:class:`~signalbrain.timing.coordination.Coordinator`.

:class:`PlatoonModel` packs a network once (coordination groups, arcs between signals) and
evaluates plans on it: every movement's green in each of the cycle's time steps, cyclic flow
profiles, platoon dispersion along arcs (vehicles that waited in a queue start from rest and
arrive ``START_UP_LAG_S`` later) and point-queue delay and stops at each stop line, summed into
the performance index; :func:`overflow_delay_vehh` and :meth:`PlatoonModel.capacity_vph` add
the random and overflow delay the deterministic profiles leave out. The kernels are in
:mod:`signalbrain.timing._kernels_coord` with numpy twins in
:mod:`signalbrain.timing._reference_coord`.

References
----------
Robertson, D. I. (1969). TRANSYT: a traffic network study tool. RRL Report LR 253.
Vincent, R. A., Mitchell, A. I., Robertson, D. I. (1980). User guide to TRANSYT version 8.
TRRL Report LR 888.
Seddon, P. A. (1972). Another look at platoon dispersion: 3. The recurrence relationship.
Traffic Engineering and Control 13(10), 442-444.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.errors import InputError
from signalbrain.network.model import Network
from signalbrain.timing._coord_pack import ArcArrays, pack_arcs
from signalbrain.timing._kernels_coord import (
    arc_profile_kernel,
    arrivals_kernel,
    green_mask_kernel,
    queue_kernel,
    red_start_kernel,
)
from signalbrain.timing.isolated import IsolatedSolver, SplitResult

__all__ = [
    "ALPHA",
    "BETA",
    "EXTENSION_S",
    "JAM_SPACING_M",
    "OVERFLOW_PERIOD_H",
    "START_LOST_S",
    "START_UP_LAG_S",
    "PlatoonModel",
    "overflow_delay_vehh",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

ALPHA = 0.1
"""Robertson's platoon dispersion factor. TRANSYT's defaults are 0.5 / 0.35 / 0.25 for heavy /
moderate / light roadside friction on real streets; in SUMO's traffic a platoon spreads much less
(the 2nd to 25th percentiles of all vehicles' stop-line-to-stop-line times over 300 m were 20 to
24 s), which 0.1 reproduces: with ``BETA`` the head arrives after 0.91 of the cruise time and
the spread has a time constant of 0.09 of it. Of 0.1, 0.15, 0.25 and 0.35, the first two gave
the lowest SUMO delays on a generated grid and corridor and on ingolstadt7."""
BETA = 1.0 / (1.0 + ALPHA)
"""Travel-time factor of the dispersion model, ``1 / (1 + ALPHA)`` so that the mean arrival time
of a dispersed platoon equals the cruise time (Seddon 1972)."""
OVERFLOW_PERIOD_H = 0.25
"""Analysis period ``T`` [h] of the overflow delay in the cycle sweep (HCM's default)."""
START_LOST_S = 2.0
"""Seconds of each green lost to start-up in the profile model (HCM's default ``l1``)."""
EXTENSION_S = 2.0
"""Seconds of the following yellow used as green in the profile model (HCM's default ``e``)."""
JAM_SPACING_M = 7.5
"""Road length a queued vehicle takes [m] (a 5 m car and its 2.5 m gap, as in SUMO's default
passenger type; HCM uses 7.6 m)."""
START_UP_LAG_S = 1.5
"""How much later a vehicle that waited in a queue reaches the next stop line than one that
passed at speed: it starts from rest (``v / 2a`` = 2.7 s for the first car of a queue at 50 km/h
and 2.6 m/s2, less for those behind it, which cross the stop line already moving). In SUMO on a
generated grid (250 m blocks, 20 s cycle, zero offsets) vehicles that had stopped took 22.0 s on
average from stop line to stop line, those that had not 20.5 s (1,588 and 2,219 passages that
did not stop at the next signal)."""


def overflow_delay_vehh(
    flow_vph: F64, capacity_vph: F64, period_h: float = OVERFLOW_PERIOD_H
) -> F64:
    """Random and overflow delay [veh h/h] of each movement: HCM's incremental delay

    ``d2 = 900 T [(X - 1) + sqrt((X - 1)^2 + 4 X / (c T))]`` [s/veh] (pretimed, isolated:
    ``k = 0.5``, ``I = 1``; HCM 7th ed., eq. 19-20) times the flow. It is what a deterministic
    profile model misses: queues left over by cycles with more arrivals than average, growing
    steeply as the degree of saturation ``X`` nears 1 and linearly beyond it (TRANSYT adds the
    same kind of term, Vincent et al. 1980). Movements without capacity count as a queue that
    grows over the whole period.
    """
    flow = np.asarray(flow_vph, dtype=np.float64)
    cap = np.asarray(capacity_vph, dtype=np.float64)
    out = np.zeros(flow.shape)
    has = flow > 0.0
    ok = has & (cap > 1e-9)
    x = flow[ok] / cap[ok]
    t = period_h
    d2_s = 900.0 * t * ((x - 1.0) + np.sqrt((x - 1.0) ** 2 + 4.0 * x / (cap[ok] * t)))
    out[ok] = d2_s * flow[ok] / 3600.0
    out[has & ~ok] = 0.5 * flow[has & ~ok] * t
    return out


@dataclass(frozen=True, eq=False)
class _Model:
    cap: F64  # discharge capacity per movement and step [veh]
    red_start: I64  # where each movement's longest red begins [step]
    dt_mov: F64  # step length of each movement's signal [s]
    travel_steps: F64  # cruise time of each arc [steps]
    lag_steps: F64  # start-up lag of queued vehicles on each arc [steps]
    sat_vph: F64  # adjusted saturation flow of each movement [veh/h]


class PlatoonModel:
    """A network packed for the platoon-progression model, and the model's evaluations.

    The parameters are those of :class:`~signalbrain.timing.coordination.Coordinator`.
    """

    def __init__(
        self,
        network: Network,
        *,
        steps: int = 50,
        stop_penalty_s: float = 10.0,
        max_travel_s: float = 180.0,
        solver: IsolatedSolver | None = None,
        arcs: ArcArrays | None = None,
        extension_s: float = EXTENSION_S,
    ) -> None:
        if steps < 4 or steps % 2:
            raise InputError(f"steps = {steps}: must be an even number >= 4")
        self.network = network
        self.steps = steps
        self.stop_penalty_s = stop_penalty_s
        self.extension_s = extension_s
        self.solver = solver or IsolatedSolver(network)
        self.arcs = arcs or pack_arcs(network, max_travel_s)
        n_sig = network.signal_count
        self.group, self.order = self._groups(n_sig)
        links = network.links
        self._storage_veh = np.array(
            [
                links[k].length_m * links[k].lanes / JAM_SPACING_M
                for k in self.arcs.arc_link.tolist()
            ],
            dtype=np.float64,
        )
        self.n_groups = int(self.group.max()) + 1 if n_sig else 0
        alone = np.bincount(self.group, minlength=self.n_groups) == 1
        self.lone = alone[self.group]  # per signal: alone in its group (never on a half cycle)
        self._lone_movements = alone[self.group[self.solver.arrays.net.movement_intersection]]
        self._scratch: tuple[F64, F64] | None = None

    def _groups(self, n_sig: int) -> tuple[I64, npt.NDArray[np.int32]]:
        adj: list[list[int]] = [[] for _ in range(n_sig)]
        for u, v in zip(self.arcs.arc_u.tolist(), self.arcs.arc_v.tolist(), strict=True):
            adj[u].append(v)
            adj[v].append(u)
        group = np.full(n_sig, -1, dtype=np.int64)
        order: list[int] = []
        g = 0
        for root in sorted(range(n_sig), key=lambda s: -len(adj[s])):
            if group[root] >= 0:
                continue
            group[root] = g
            queue = deque([root])
            while queue:
                s = queue.popleft()
                order.append(s)
                for t in adj[s]:
                    if group[t] < 0:
                        group[t] = g
                        queue.append(t)
            g += 1
        return group, np.array(order, dtype=np.int32)

    def green_mask(self, split: SplitResult, group_cycle: F64) -> F64:
        """Green share of every movement in each of the cycle's ``steps`` time steps, with each
        signal's phases laid out on its group's common cycle (:func:`green_mask_kernel`); the
        greens of coordinated signals extend ``extension_s`` into the yellow, those of signals
        that run alone ``EXTENSION_S``."""
        mask = self._mask(split, group_cycle, self.extension_s)
        if self.extension_s != EXTENSION_S and self._lone_movements.any():
            lone = self._lone_movements
            mask[lone] = self._mask(split, group_cycle, EXTENSION_S)[lone]
        return mask

    def _mask(self, split: SplitResult, group_cycle: F64, extension_s: float) -> F64:
        ta = self.solver.arrays
        mask = np.zeros((len(ta.movement_ids), self.steps))
        green_mask_kernel(
            split.split_s,
            split.green_s,
            ta.phase_clear_s,
            ta.isec_group_indptr,
            ta.group_seg_indptr,
            ta.seg_slot_indptr,
            ta.slot_phase,
            ta.mp_indptr,
            ta.mp_phase,
            ta.mp_carry,
            ta.net.movement_intersection,
            split.cycle_s,
            group_cycle,
            START_LOST_S,
            extension_s,
            mask,
        )
        return mask

    def _model(self, split: SplitResult, group_cycle: F64) -> _Model:
        ta = self.solver.arrays
        arr = ta.net
        n = self.steps
        mask = self.green_mask(split, group_cycle)
        dt_sig = group_cycle / n
        dt_mov = np.ascontiguousarray(dt_sig[arr.movement_intersection])
        cap = np.ascontiguousarray(mask * (split.sat_vph * dt_mov / 3600.0)[:, None])
        red = np.zeros(mask.shape[0], dtype=np.int64)
        red_start_kernel(mask, red)
        dt_arc = dt_sig[self.arcs.arc_v] if self.arcs.n_arcs else np.ones(0)
        travel_steps = self.arcs.arc_travel_s / dt_arc
        lag_steps = START_UP_LAG_S / dt_arc
        return _Model(
            cap,
            red,
            dt_mov,
            np.ascontiguousarray(travel_steps),
            np.ascontiguousarray(lag_steps),
            split.sat_vph,
        )

    def _queues(self, arrivals: F64, model: _Model) -> tuple[F64, F64, F64, F64]:
        """Departures, queued departures, queue-steps and stops of every movement.

        The departure arrays are scratch space of this coordinator, overwritten by the next
        call: callers use them at once (:meth:`_profiles`) or not at all. (Fresh arrays of a
        1,300-signal network, 6 MB each, cost their page faults on every call: 0.01 s of a
        coordinated plan.)"""
        n_mov = arrivals.shape[0]
        if self._scratch is None or self._scratch[0].shape != arrivals.shape:
            self._scratch = (np.empty_like(arrivals), np.empty_like(arrivals))
        dep, dep_queued = self._scratch  # the kernel writes every step of every movement
        qs = np.zeros(n_mov)
        st = np.zeros(n_mov)
        queue_kernel(arrivals, model.cap, model.red_start, dep, dep_queued, qs, st)
        return dep, dep_queued, qs, st

    def _profiles(self, arrivals: F64, model: _Model) -> tuple[F64, F64, F64]:
        dep, dep_queued, qs, st = self._queues(arrivals, model)
        prof = np.zeros((self.arcs.n_arcs, self.steps))
        arc_profile_kernel(
            dep,
            dep_queued,
            self.arcs.arc_feed_indptr,
            self.arcs.arc_feed,
            model.travel_steps,
            model.lag_steps,
            ALPHA,
            BETA,
            prof,
        )
        return prof, qs, st

    def _arrivals(self, prof: F64, offsets: npt.NDArray[np.int64], flows: F64, dt_mov: F64) -> F64:
        arr = self.solver.arrays.net
        out = np.zeros((flows.size, self.steps))
        arrivals_kernel(
            prof,
            offsets,
            self.arcs.arc_u,
            self.arcs.arc_v,
            self.arcs.link_arc,
            self.arcs.arc_link,
            arr.link_down_indptr,
            arr.link_down_movements,
            arr.movement_from_link,
            flows,
            dt_mov,
            out,
        )
        return out

    def evaluate(
        self,
        split: SplitResult,
        group_cycle: F64,
        flows: F64,
        offsets_steps: npt.NDArray[np.int64],
        passes: int = 2,
    ) -> tuple[float, float, float]:
        """Model PI, delay [veh h/h] and stops [1/h] of a plan with offsets in steps."""
        return self._evaluate(self._model(split, group_cycle), flows, offsets_steps, passes)

    def _uniform(self, flows: F64, model: _Model) -> F64:
        return np.ascontiguousarray(
            np.repeat((flows * model.dt_mov / 3600.0)[:, None], self.steps, axis=1)
        )

    def _evaluate(
        self, model: _Model, flows: F64, offsets: npt.NDArray[np.int64], passes: int
    ) -> tuple[float, float, float]:
        arrivals = self._uniform(flows, model)
        for _ in range(passes):
            prof, _qs, _st = self._profiles(arrivals, model)
            arrivals = self._arrivals(prof, offsets, flows, model.dt_mov)
        return self._pi(arrivals, model)

    def _pi(self, arrivals: F64, model: _Model) -> tuple[float, float, float]:
        """Model PI, delay [veh h/h] and stops [1/h] of arrival profiles."""
        _dep, _dep_queued, qs, st = self._queues(arrivals, model)  # no arc profiles needed
        cycle_mov = model.dt_mov * self.steps
        delay = float(np.sum(qs * model.dt_mov / cycle_mov)) if qs.size else 0.0
        stops = float(np.sum(st / cycle_mov) * 3600.0) if st.size else 0.0
        return delay + self.stop_penalty_s * stops / 3600.0, delay, stops

    def group_pi(
        self,
        model: _Model,
        flows: F64,
        offsets: npt.NDArray[np.int64],
        overflow: bool = False,
        arrivals: F64 | None = None,
    ) -> F64:
        """The model's performance index [veh h/h] of each coordination group; with
        ``overflow`` plus the random and overflow delay the periodic profiles leave out
        (:func:`overflow_delay_vehh`). ``arrivals``: the arrival profiles at ``offsets`` if
        already known (as :meth:`search_offsets` leaves them)."""
        if arrivals is None:
            arrivals = self._uniform(flows, model)
            prof, _qs, _st = self._profiles(arrivals, model)
            arrivals = self._arrivals(prof, offsets, flows, model.dt_mov)
        _dep, _dep_queued, qs, st = self._queues(arrivals, model)  # no arc profiles needed
        cycle_mov = model.dt_mov * self.steps
        per_mov = (qs * model.dt_mov + self.stop_penalty_s * st) / cycle_mov
        if overflow:
            per_mov = per_mov + overflow_delay_vehh(flows, self.capacity_vph(model, flows))
        g_mov = self.group[self.solver.arrays.net.movement_intersection]
        out: F64 = np.bincount(g_mov, weights=per_mov, minlength=max(self.n_groups, 1)).astype(
            np.float64
        )
        return out

    def capacity_vph(self, model: _Model, flows: F64) -> F64:
        """Capacity [veh/h] of each movement at a model's greens.

        A movement that yields to opposing traffic (a permitted left) can only go once the
        opposing queue that formed during the red has cleared: of its effective green ``g`` it
        uses ``g - g_q`` with ``g_q = v_o r / (s_o - v_o)`` (opposing flow ``v_o``, saturation
        flow ``s_o``, red ``r = C - g``; HCM 7th ed., ch. 31, permitted left-turn model). In
        short cycles ``g_q`` takes much of a short green; the profile model, which spreads the
        gap-acceptance saturation flow over the whole green, does not see that.
        """
        ta = self.solver.arrays
        n_mov = flows.size
        cycle_mov = model.dt_mov * self.steps
        sat = np.maximum(model.sat_vph, 1e-9)
        green_s = model.cap.sum(axis=1) * 3600.0 / sat
        cap: F64 = model.cap.sum(axis=1) / cycle_mov * 3600.0
        count = np.diff(ta.opp_indptr)
        if not count.any():
            return cap
        owner = np.repeat(np.arange(n_mov), count)
        v_o = np.bincount(owner, weights=flows[ta.opp_movements], minlength=n_mov)
        s_o = np.bincount(owner, weights=model.sat_vph[ta.opp_movements], minlength=n_mov)
        red_s = np.maximum(cycle_mov - green_s, 0.0)
        g_q = np.where(s_o > v_o, v_o * red_s / np.maximum(s_o - v_o, 1e-9), green_s)
        usable = np.clip(green_s - g_q, 0.0, None) / np.maximum(green_s, 1e-9)
        out: F64 = np.where(count > 0, cap * usable, cap)
        return out
