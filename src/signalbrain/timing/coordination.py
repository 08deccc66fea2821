"""Network coordination: common cycles and offsets by a platoon-progression model (TRANSYT style).

Steps of :meth:`Coordinator.solve`:

1. **Isolated plans** for every signal (:mod:`signalbrain.timing.isolated`).
2. **Coordination groups**: signals joined by arcs (a link, or a chain of links through
   unsignalized nodes, of at most ``max_travel_s`` cruise time, see
   :mod:`signalbrain.timing._coord_pack`) form one group; a group runs one common cycle, the
   longest Webster cycle of its members (or the one requested), but no longer than the
   *storage cycle*: the longest cycle at which the vehicles arriving on each arc during its
   movements' reds (at the members' own splits) queue within the approach link, at
   ``JAM_SPACING_M`` per vehicle and lane. A longer red spills the queue back into the upstream
   junction, which then loses green to a blocked exit; this matters when demand nears
   capacity and Webster's cycle runs to the maximum. The storage cycle never goes below the
   members' minimum cycle. A member whose own cycle fits in half of the common one, minimum
   greens included, runs the half cycle (double cycling).
   With ``cycle_search`` that cycle ``C0`` is only the start of a **cycle sweep**
   (:meth:`Coordinator.search_cycles`): the model's index, plus the random and overflow delay
   it leaves out, is evaluated at a few whole-second cycles per group (offsets optimised at
   each) and a group moves to the best one where it pays.
3. **Splits** at the common cycle by equisaturation.
4. **Offsets**: cyclic flow profiles, platoon dispersion along arcs (vehicles that waited in a
   queue start from rest and arrive ``START_UP_LAG_S`` later) and point-queue delay and stops
   at each stop line give, for every arc, the performance index of its downstream movements as a
   function of the relative offset of its two signals (a table over the ``N`` steps of the cycle).
   The network PI is the sum over arcs plus the (offset-independent) uniform approaches, so the
   search places signals greedily in breadth-first order and then runs coordinate-descent sweeps
   (TRANSYT's hill climb, one signal at a time over every offset) until no signal improves. The
   upstream departure profiles that build the tables are then recomputed with the arrivals of the
   new offsets and the search repeats (``iterations``).

The kernels are in :mod:`signalbrain.timing._kernels_coord` with numpy twins in
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

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.errors import InputError
from signalbrain.network.model import Network
from signalbrain.timing._coord_pack import ArcArrays, pack_arcs
from signalbrain.timing._kernels import FLAG_MIN_EXCEEDS_MAX_CYCLE
from signalbrain.timing._kernels_coord import (
    arc_profile_kernel,
    arc_table_kernel,
    arrivals_kernel,
    green_mask_kernel,
    offset_search_kernel,
    queue_kernel,
    red_start_kernel,
)
from signalbrain.timing.isolated import IsolatedSolver, SplitResult
from signalbrain.timing.plan import NetworkPlan
from signalbrain.timing.rounding import least_whole_cycle

__all__ = ["CoordinationResult", "Coordinator"]

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
CYCLE_CANDIDATES = 6
"""Most common cycles tried per coordination group by :meth:`Coordinator.search_cycles`."""
CYCLE_SPAN = 1.5
"""Longest cycle tried, as a multiple of the group's Webster/storage cycle."""
CYCLE_GAIN = 0.02
"""Share by which a tried cycle must lower a group's performance index to replace the
Webster/storage cycle (the model's ranking of nearby cycles is not finer than that)."""
CYCLE_SEARCH_STEPS = 24
"""Profile steps per cycle while sweeping cycles (coarser than the final offset search)."""
CYCLE_SEARCH_SWEEPS = 4
"""Offset-search sweeps per tried cycle."""
OVERFLOW_PERIOD_H = 0.25
"""Analysis period ``T`` [h] of the overflow delay in the cycle sweep (HCM's default)."""
START_LOST_S = 2.0
"""Seconds of each green lost to start-up in the profile model (HCM's default ``l1``)."""
EXTENSION_S = 2.0
"""Seconds of the following yellow used as green in the profile model (HCM's default ``e``)."""
CYCLE_SEARCH_EXTENSION_S = 0.0
"""The green extension into the yellow at coordinated signals while sweeping cycles: none.
SUMO's drivers stop at yellow where they can, so a short cycle loses each phase's whole yellow,
and the 2 s per phase the model would give back flatter short cycles most. SUMO, with the floors
of coordinated signals at two phases' minimum splits: ingolstadt7 44.0 s mean time loss with
2 s (its 4-signal group at 34 s), 37.5-39.8 s with none (44 s, one member on half of it); grid5
28.4 s with either.

Signals that run alone keep ``EXTENSION_S``: their sweep only lengthens Webster's cycle, and no
extension there (ingolstadt1 30 -> 45 s, cologne1 38 -> 41 s, kn-hz 82 -> 76 s) was better with
route demand (6 SUMO seeds, paired: cologne1 -1.2 +- 0.3 s, ingolstadt1 -1.3 +- 0.4 s, kn-hz
-0.1 +- 0.3 s) but not in closed loop under the ``fixed`` controller's measured demand (11 seeds
with ambulances, no escort: kn-hz 29.3 -> 31.0 s, ingolstadt1 20.0 -> 21.5 s, cologne1 33.7 ->
30.8 s leaving out one seed's jam), so lone signals keep the plans they had. The offset search
at the chosen cycle keeps ``EXTENSION_S`` everywhere."""
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


@dataclass(frozen=True, eq=False)
class CoordinationResult:
    """Array result of a coordinated re-plan.

    ``split`` is the equisaturation result at the chosen cycles; ``group`` the coordination group
    of each signal, ``group_cycle_s`` its common cycle, ``offset_s`` each signal's offset [s];
    ``pi_start`` / ``pi`` the model's performance index [veh h/h] with all offsets 0 and with the
    optimised offsets; ``delay_vehh`` and ``stops_vph`` its parts.
    """

    split: SplitResult
    group: I64
    group_cycle_s: F64
    offset_s: F64
    pi_start: float
    pi: float
    delay_vehh: float
    stops_vph: float
    sweeps: int
    offset_steps: I64


class Coordinator:
    """Coordinated re-planning of a network; packs the network once.

    Parameters
    ----------
    network
        The network.
    steps
        Time steps per cycle of the profile model (even).
    stop_penalty_s
        ``K``: the delay [s] one stop is worth in the performance index.
    max_travel_s
        Signals further apart than this free-flow time are not coordinated with each other.
    extension_s
        Seconds of each yellow the profile model counts as green at signals of a coordination
        group of two or more (:data:`EXTENSION_S`; the cycle sweep's coarse model uses
        :data:`CYCLE_SEARCH_EXTENSION_S`); a signal that runs alone always gets
        :data:`EXTENSION_S`.
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
        self._lone_movements = alone[self.group[self.solver.arrays.net.movement_intersection]]
        self._coarse: Coordinator | None = None
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

    # -- cycles ---------------------------------------------------------------------------------
    def storage_cycle_s(self, free: SplitResult, flows_vph: F64) -> F64:
        """Per group, the longest cycle [s] whose red-time arrivals on every arc fit the approach
        link (``inf`` where no arc carries traffic); red shares are those of ``free``."""
        ta = self.solver.arrays
        arr = ta.net
        out = np.full(max(self.n_groups, 1), np.inf)
        if not self.arcs.n_arcs:
            return out
        mask = self.green_mask(free, free.cycle_s)
        red_share = 1.0 - mask.mean(axis=1)
        from_link = arr.movement_from_link
        arc_of = np.where(from_link >= 0, self.arcs.link_arc[np.maximum(from_link, 0)], -1)
        on_arc = arc_of >= 0
        rate = np.bincount(
            arc_of[on_arc],
            weights=(flows_vph * red_share)[on_arc] / 3600.0,
            minlength=self.arcs.n_arcs,
        )
        cap = np.full(self.arcs.n_arcs, np.inf)
        busy = rate > 0.0
        cap[busy] = self._storage_veh[busy] / rate[busy]
        np.minimum.at(out, self.group[self.arcs.arc_v], cap)
        return out

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

    def cycles(
        self, free: SplitResult, cycle_s: float | None = None, flows_vph: F64 | None = None
    ) -> tuple[F64, F64]:
        """Per signal: its own cycle and its group's common cycle [s]; with ``flows_vph`` the
        common cycle is held to the storage cycle (:meth:`storage_cycle_s`)."""
        n_sig = self.network.signal_count
        group_cycle = np.zeros(max(self.n_groups, 1))
        np.maximum.at(group_cycle, self.group, free.cycle_s)
        if cycle_s is not None:
            group_cycle[:] = cycle_s
        elif flows_vph is not None and n_sig:
            lowest = np.zeros_like(group_cycle)
            np.maximum.at(lowest, self.group, self.solver.arrays.isec_cycle_min_s)
            storage = self.storage_cycle_s(free, flows_vph)
            group_cycle = np.minimum(group_cycle, np.maximum(storage, lowest))
        gc = group_cycle[self.group] if n_sig else np.zeros(0)
        own = gc.copy()
        half = free.cycle_s <= 0.5 * gc
        own[half] = 0.5 * gc[half]
        return own, gc

    # -- model ----------------------------------------------------------------------------------
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

    # -- solve ----------------------------------------------------------------------------------
    def solve(
        self,
        flows_vph: F64,
        heavy: F64 | None = None,
        *,
        cycle_s: float | None = None,
        iterations: int = 1,
        max_sweeps: int = 30,
        cycle_search: bool = True,
        whole_seconds: bool = False,
    ) -> CoordinationResult:
        """Common cycles, splits and offsets for flows in movement order.

        With ``cycle_search`` (and no ``cycle_s``) each coordination group's common cycle is
        chosen by the model (:meth:`search_cycles`), else it is the longest Webster cycle of its
        members held to the storage cycle (:meth:`cycles`). With ``whole_seconds`` the common
        cycle of every group of two or more signals is made one its members can all run in
        whole seconds before the offsets are searched (:meth:`whole_cycles`).
        """
        flows = np.ascontiguousarray(flows_vph, dtype=np.float64)
        free = self.solver.solve(flows, heavy)
        own, group_cycle = self.cycles(free, cycle_s, flows)
        own, group_cycle, split = self._fit(free, own, group_cycle, flows, heavy)
        if cycle_s is None and cycle_search:
            own, group_cycle, split = self.search_cycles(free, group_cycle, split, flows, heavy)
        if whole_seconds:
            own, group_cycle, split = self.whole_cycles(
                free, own, group_cycle, split, flows, heavy, requested=cycle_s is not None
            )
        model = self._model(split, group_cycle)
        n_sig = self.network.signal_count
        offsets = np.zeros(n_sig, dtype=np.int64)
        # The start, the search's first pass and the result are all judged on the profiles
        # that leave the signals under uniform arrivals (:meth:`evaluate` with one pass): they
        # do not depend on the offsets, so they are built once.
        prof0, _qs, _st = self._profiles(self._uniform(flows, model), model)
        start = self._pi(self._arrivals(prof0, offsets, flows, model.dt_mov), model)
        sweeps, arrivals = self._search(
            model, own, group_cycle, flows, offsets, True, iterations, max_sweeps, prof0
        )
        if iterations > 1:  # the search's last arrivals come from later profiles
            arrivals = self._arrivals(prof0, offsets, flows, model.dt_mov)
        pi, delay, stops = self._pi(arrivals, model)
        pi_start = start[0]
        if pi > pi_start:  # never worse than the uncoordinated start
            offsets[:] = 0
            pi, delay, stops = start
        offset_s = (offsets * (group_cycle / self.steps)) % split.cycle_s if n_sig else np.zeros(0)
        return CoordinationResult(
            split, self.group, group_cycle, offset_s, pi_start, pi, delay, stops, sweeps, offsets
        )

    def _fit(
        self, free: SplitResult, own: F64, group_cycle: F64, flows: F64, heavy: F64 | None
    ) -> tuple[F64, F64, SplitResult]:
        """Splits at the signals' cycles ``own``; a half cycle that cannot hold its minimum greens
        goes back to the full cycle, and a group whose minimum greens need a longer cycle than
        asked follows its most demanding member."""
        own = own.copy()
        split = self.solver.solve(flows, heavy, own)
        bad = (split.flags & FLAG_MIN_EXCEEDS_MAX_CYCLE).astype(bool) & (own < group_cycle)
        if np.any(bad):
            own[bad] = group_cycle[bad]
            split = self.solver.solve(flows, heavy, own)
        if np.any(split.cycle_s > own + 1e-9):
            half = own < group_cycle - 1e-9
            need = np.where(half, 2.0 * split.cycle_s, split.cycle_s)
            g_cycle = np.zeros(self.n_groups)
            np.maximum.at(g_cycle, self.group, need)
            group_cycle = g_cycle[self.group]
            own = np.where(half, 0.5 * group_cycle, group_cycle)
            split = self.solver.solve(flows, heavy, own)
        return own, group_cycle, split

    def whole_cycles(
        self,
        free: SplitResult,
        own: F64,
        group_cycle: F64,
        split: SplitResult,
        flows: F64,
        heavy: F64 | None = None,
        *,
        requested: bool = False,
    ) -> tuple[F64, F64, SplitResult]:
        """Own cycles, group cycles and splits where every group of two or more signals runs
        one whole-second common cycle that each member can keep in whole seconds.

        Rounding each member's plan on its own (:func:`~signalbrain.timing.rounding.round_plan`)
        lets members of one group run different cycles, and then their offsets drift apart by
        the difference every cycle: a fractional common cycle (80.4 s) whose members' barrier
        groups round to 80 s at one signal and 81 s at the next, or a half cycle of an odd
        common cycle (52.5 s of 105 s, run as 52 or 53 s). So the group's cycle is fixed first:
        the whole second nearest its cycle within every member's cycle limits (the next whole
        second of a requested fractional cycle, as lone signals get); where a member runs half
        cycles, the nearest even second instead (a requested odd cycle is kept, and its half
        cycle members run the full cycle). The splits follow by equisaturation at those cycles.
        """
        n_sig = self.network.signal_count
        if not n_sig:
            return own, group_cycle, split
        ta = self.solver.arrays
        own = own.copy()
        gc = group_cycle.copy()
        sizes = np.bincount(self.group, minlength=self.n_groups)
        changed = False
        least = np.array(
            [least_whole_cycle(isec) for isec in self.network.intersections], dtype=np.float64
        )
        for g in np.flatnonzero(sizes >= 2):
            members = self.group == g
            cycle = float(np.max(gc[members]))
            half = members & (own < gc - 1e-9)
            lo = max(
                math.ceil(float(np.max(ta.isec_cycle_min_s[members])) - 1e-9),
                int(np.max(least[members])),
            )
            hi = max(math.floor(float(np.min(ta.isec_cycle_max_s[members])) + 1e-9), lo)
            nearest = round(cycle)
            if abs(cycle - nearest) > 1e-9:  # fractional
                nearest = math.ceil(cycle - 1e-9) if requested else min(max(nearest, lo), hi)
            whole = nearest
            if np.any(half) and whole % 2:
                evens = [c for c in (whole - 1, whole + 1) if lo <= c <= hi and not requested]
                # the nearer even second (the longer one on a tie); none: no half cycles
                whole = min(evens, key=lambda c: (abs(c - cycle), -c)) if evens else 0
            keep = half & (2.0 * least <= whole)  # half cycles that hold their minimums
            if not np.any(keep):
                whole = nearest
            if whole != cycle or not np.array_equal(keep, half):
                changed = True
            gc[members] = whole
            own[members] = np.where(keep, 0.5 * whole, float(whole))[members]
        if not changed:
            return own, group_cycle, split
        return self._fit(free, own, gc, flows, heavy)

    def _at_cycles(
        self, free: SplitResult, g_cycle: F64, flows: F64, heavy: F64 | None
    ) -> tuple[F64, F64, SplitResult]:
        """Own cycles, group cycles and splits with each group on the cycle ``g_cycle[g]``."""
        gc = g_cycle[self.group]
        own = gc.copy()
        half = free.cycle_s <= 0.5 * gc
        own[half] = 0.5 * gc[half]
        return self._fit(free, own, gc, flows, heavy)

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

    def search_cycles(
        self,
        free: SplitResult,
        group_cycle: F64,
        split: SplitResult,
        flows: F64,
        heavy: F64 | None = None,
    ) -> tuple[F64, F64, SplitResult]:
        """Each coordination group's common cycle by the model (TRANSYT's cycle sweep).

        Candidates run in whole seconds from the group's floor (the largest ``cycle_min_s`` of
        its members) to ``CYCLE_SPAN`` times its Webster/storage cycle ``C0`` (no further than
        the storage cycle or the members' ``cycle_max_s``), at most ``CYCLE_CANDIDATES`` of them
        evenly spaced, on a coarser profile (``CYCLE_SEARCH_STEPS``). At each the splits follow
        by equisaturation (members that fit in half the cycle run half cycles) and the offsets
        are optimised with a short search; the objective is the performance index plus the
        random and overflow delay (:func:`overflow_delay_vehh`) at capacities that charge
        permitted movements for the opposing queue (:meth:`capacity_vph`): the deterministic
        profiles alone would always prefer the shortest cycle. A group takes the candidate with
        the lowest objective if it beats ``C0`` by more than ``CYCLE_GAIN``.

        Why: a common cycle that matches the platoons' travel time between signals lets every
        direction of a grid progress at once (SUMO, grid5 with 250 m blocks and an 18 s floor:
        18 s cycle 29.0 s mean time loss, 20 s 31.3 s, 30 s 33.8 s), which no formula of the
        isolated signals sees; and a permitted left that must wait for the opposing queue gets
        little of a short green (cologne1: Webster's 32 s -> 37 s, 30.5 -> 26.3 s).

        A group of one signal is not tried below its Webster cycle: without progression to gain,
        shorter cycles only trade the model's lost time, which SUMO's drivers (who stop at
        yellow) exceed (cologne3 at 20 s instead of 30 s: 20.5 -> 26.3 s).

        Returns own cycles, group cycles (per signal) and splits.
        """
        n_sig = self.network.signal_count
        if not n_sig:
            return split.cycle_s, group_cycle, split
        ta = self.solver.arrays
        own0 = split.cycle_s
        g0 = np.zeros(self.n_groups)
        np.maximum.at(g0, self.group, group_cycle)
        lo = np.zeros(self.n_groups)
        np.maximum.at(lo, self.group, ta.isec_cycle_min_s)
        hi = np.full(self.n_groups, np.inf)
        np.minimum.at(hi, self.group, ta.isec_cycle_max_s)
        storage = self.storage_cycle_s(free, flows)[: self.n_groups]
        hi = np.minimum(hi, np.minimum(np.maximum(storage, g0), CYCLE_SPAN * g0))
        alone = np.bincount(self.group, minlength=self.n_groups) == 1
        lo[alone] = g0[alone]
        lo = np.ceil(lo - 1e-9)
        hi = np.floor(hi + 1e-9)
        active = hi > lo
        if not np.any(active):
            return own0, group_cycle, split
        if self._coarse is None:
            self._coarse = Coordinator(
                self.network,
                steps=CYCLE_SEARCH_STEPS,
                stop_penalty_s=self.stop_penalty_s,
                solver=self.solver,
                arcs=self.arcs,
                extension_s=CYCLE_SEARCH_EXTENSION_S,
            )
        coarse = self._coarse
        n_cand = int(min(CYCLE_CANDIDATES, np.max(hi[active] - lo[active]) + 1))
        frac = np.linspace(0.0, 1.0, n_cand)
        best_g = g0.copy()
        best_pi = np.full(self.n_groups, np.inf)
        base_pi = np.zeros(self.n_groups)
        # where every group's C0 is its floor, the first candidate is C0 itself
        first = 0 if np.array_equal(lo[active], g0[active]) else -1
        for k in range(first, n_cand):
            trial = g0.copy()
            if k >= 0:
                trial[active] = np.round(lo[active] + frac[k] * (hi[active] - lo[active]))
            own, gc, sp = self._at_cycles(free, trial, flows, heavy)
            model = coarse._model(sp, gc)
            offsets = np.zeros(n_sig, dtype=np.int64)
            _sweeps, arrivals = coarse._search(
                model, own, gc, flows, offsets, True, 1, CYCLE_SEARCH_SWEEPS
            )
            pi = coarse.group_pi(model, flows, offsets, True, arrivals)[: self.n_groups]
            g_eff = np.zeros(self.n_groups)
            np.maximum.at(g_eff, self.group, gc)
            if k == first:
                base_pi = pi
                best_pi = pi.copy()
                continue
            better = active & (pi < best_pi - 1e-12)
            best_pi[better] = pi[better]
            best_g[better] = g_eff[better]
        keep = ~(best_pi < (1.0 - CYCLE_GAIN) * base_pi)
        best_g[keep] = g0[keep]
        if np.allclose(best_g, g0):
            return own0, group_cycle, split
        return self._at_cycles(free, best_g, flows, heavy)

    def search_offsets(
        self,
        model: _Model,
        own: F64,
        group_cycle: F64,
        flows: F64,
        offsets: npt.NDArray[np.int64],
        greedy: bool,
        iterations: int,
        max_sweeps: int,
    ) -> int:
        """Optimise ``offsets`` [steps] in place for a model; returns the sweeps run."""
        return self._search(
            model, own, group_cycle, flows, offsets, greedy, iterations, max_sweeps
        )[0]

    def _search(
        self,
        model: _Model,
        own: F64,
        group_cycle: F64,
        flows: F64,
        offsets: npt.NDArray[np.int64],
        greedy: bool,
        iterations: int,
        max_sweeps: int,
        prof0: F64 | None = None,
    ) -> tuple[int, F64]:
        """:meth:`search_offsets`, also returning the arrival profiles at the final offsets.
        ``prof0``: the arc profiles under uniform arrivals if already known (the first pass's)."""
        if iterations < 1:
            return 0, self._uniform(flows, model)
        period = np.where(own < group_cycle - 1e-9, self.steps // 2, self.steps).astype(np.int64)
        # the first pass starts from uniform arrivals, whose profiles may be given
        prof = self._profiles(self._uniform(flows, model), model)[0] if prof0 is None else prof0
        sweeps = 0
        a = self.arcs
        net_arr = self.solver.arrays.net
        for it in range(iterations):
            table = np.empty((a.n_arcs, self.steps))  # the kernel writes every entry
            arc_table_kernel(
                prof,
                a.arc_link,
                net_arr.link_down_indptr,
                net_arr.link_down_movements,
                flows,
                model.cap,
                model.red_start,
                model.dt_mov,
                self.stop_penalty_s,
                table,
            )
            sweeps += int(
                offset_search_kernel(
                    table,
                    a.arc_u,
                    a.arc_v,
                    a.sig_in_indptr,
                    a.sig_in,
                    a.sig_out_indptr,
                    a.sig_out,
                    period,
                    self.order,
                    offsets,
                    greedy and it == 0,
                    max_sweeps,
                )
            )
            arrivals = self._arrivals(prof, offsets, flows, model.dt_mov)
            if it + 1 < iterations:  # the next pass starts from these arrivals
                prof = self._profiles(arrivals, model)[0]
        return sweeps, arrivals

    def plans(self, result: CoordinationResult, notes: tuple[str, ...] = ()) -> NetworkPlan:
        """:class:`NetworkPlan` of a result, with the model's figures as ``objective``."""
        sizes = (
            np.bincount(result.group, minlength=self.n_groups)
            if result.group.size
            else np.zeros(0, dtype=np.int64)
        )
        coordinated = int(np.sum(sizes > 1))
        half = int(np.sum(result.split.cycle_s < result.group_cycle_s - 1e-9))
        text = (
            f"{coordinated} coordination groups of 2 or more signals; "
            f"{int(np.sum(sizes == 1))} signals run alone; {half} run half cycles",
        )
        plan = self.solver.plans(result.split, result.offset_s, notes + text)
        objective = {
            "pi_vehh": result.pi,
            "pi_start_vehh": result.pi_start,
            "delay_vehh": result.delay_vehh,
            "stops_vph": result.stops_vph,
        }
        return NetworkPlan(plan.plans, plan.notes, objective)
