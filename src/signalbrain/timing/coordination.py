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

This module holds the steps' driver, the offset search and the result; the platoon model is in
:mod:`signalbrain.timing._coord_model` (:class:`~signalbrain.timing._coord_model.PlatoonModel`,
which :class:`Coordinator` extends) and the choice of common cycles in
:mod:`signalbrain.timing._coord_cycles`. The kernels are in
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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.timing import _coord_cycles

# the model's and the cycle sweep's constants stay importable from here (explicit re-exports)
from signalbrain.timing._coord_cycles import CYCLE_CANDIDATES as CYCLE_CANDIDATES
from signalbrain.timing._coord_cycles import CYCLE_GAIN as CYCLE_GAIN
from signalbrain.timing._coord_cycles import CYCLE_SEARCH_EXTENSION_S, CYCLE_SEARCH_STEPS
from signalbrain.timing._coord_cycles import CYCLE_SEARCH_SWEEPS as CYCLE_SEARCH_SWEEPS
from signalbrain.timing._coord_cycles import CYCLE_SPAN as CYCLE_SPAN
from signalbrain.timing._coord_model import ALPHA as ALPHA
from signalbrain.timing._coord_model import BETA as BETA
from signalbrain.timing._coord_model import EXTENSION_S as EXTENSION_S
from signalbrain.timing._coord_model import JAM_SPACING_M as JAM_SPACING_M
from signalbrain.timing._coord_model import OVERFLOW_PERIOD_H as OVERFLOW_PERIOD_H
from signalbrain.timing._coord_model import START_LOST_S as START_LOST_S
from signalbrain.timing._coord_model import START_UP_LAG_S as START_UP_LAG_S
from signalbrain.timing._coord_model import PlatoonModel, _Model
from signalbrain.timing._coord_model import overflow_delay_vehh as overflow_delay_vehh
from signalbrain.timing._kernels_coord import arc_table_kernel, offset_search_kernel
from signalbrain.timing.isolated import SplitResult
from signalbrain.timing.plan import NetworkPlan

__all__ = ["CoordinationResult", "Coordinator"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


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


class Coordinator(PlatoonModel):
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

    # the model the cycle sweep tries candidate cycles on (:meth:`_coarse_coordinator`)
    _coarse: Coordinator | None = None

    # -- cycles (:mod:`signalbrain.timing._coord_cycles`) ------------------------------------
    def storage_cycle_s(self, free: SplitResult, flows_vph: F64) -> F64:
        """Per group, the longest cycle [s] whose red-time arrivals on every arc fit the approach
        link (``inf`` where no arc carries traffic); red shares are those of ``free``."""
        return _coord_cycles.storage_cycle_s(self, free, flows_vph)

    def cycles(
        self, free: SplitResult, cycle_s: float | None = None, flows_vph: F64 | None = None
    ) -> tuple[F64, F64]:
        """Per signal: its own cycle and its group's common cycle [s]; with ``flows_vph`` the
        common cycle is held to the storage cycle (:meth:`storage_cycle_s`)."""
        return _coord_cycles.common_cycles(self, free, cycle_s, flows_vph)

    def _fit(
        self, free: SplitResult, own: F64, group_cycle: F64, flows: F64, heavy: F64 | None
    ) -> tuple[F64, F64, SplitResult]:
        """Splits at the signals' cycles ``own`` (:func:`~signalbrain.timing._coord_cycles.fit`)."""
        return _coord_cycles.fit(self, free, own, group_cycle, flows, heavy)

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
        one whole-second common cycle that each member can keep in whole seconds
        (:func:`~signalbrain.timing._coord_cycles.whole_cycles`)."""
        return _coord_cycles.whole_cycles(
            self, free, own, group_cycle, split, flows, heavy, requested=requested
        )

    def search_cycles(
        self,
        free: SplitResult,
        group_cycle: F64,
        split: SplitResult,
        flows: F64,
        heavy: F64 | None = None,
    ) -> tuple[F64, F64, SplitResult]:
        """Each coordination group's common cycle by the model, TRANSYT's cycle sweep
        (:func:`~signalbrain.timing._coord_cycles.search_cycles`). Returns own cycles, group
        cycles (per signal) and splits."""
        return _coord_cycles.search_cycles(self, free, group_cycle, split, flows, heavy)

    def _coarse_coordinator(self) -> Coordinator:
        """The coordinator on the cycle sweep's coarser profile (``CYCLE_SEARCH_STEPS``, green
        extension ``CYCLE_SEARCH_EXTENSION_S``), built on first use and kept."""
        if self._coarse is None:
            self._coarse = Coordinator(
                self.network,
                steps=CYCLE_SEARCH_STEPS,
                stop_penalty_s=self.stop_penalty_s,
                solver=self.solver,
                arcs=self.arcs,
                extension_s=CYCLE_SEARCH_EXTENSION_S,
            )
        return self._coarse

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
