"""Isolated timing: Webster's optimal cycle and equisaturation splits for every intersection.

For each intersection the critical flow ratio of each phase is the largest ``v / s`` of the lane
groups it serves (:mod:`signalbrain.timing._pack` explains the grouping); along the ring-barrier
critical path ``Y`` sums, per barrier group, the largest ring total of flow ratios, and ``L`` the
lost time of those critical phases. Webster's cycle

    ``C0 = (1.5 L + 5) / (1 - Y)``  (Webster 1958, eq. 8; HCM 7th ed. ch. 19)

is clipped to the intersection's ``[cycle_min_s, cycle_max_s]``, then the effective green is
shared so that every critical phase runs at the same degree of saturation (equisaturation,
``g_i / (C - L) = y_i / Y``), first among barrier groups, then among the phases of each ring in
each group, honouring each phase's minimum (the larger of ``min_green_s`` and ``ped_min_s``) and
``max_green_s``.

Limits and infeasible requests: safety limits (minimum and pedestrian green, yellow, all-red) are
never broken. When they cannot fit the maximum cycle, the cycle is lengthened to fit them; when
demand exceeds capacity the cycle stays at its maximum; both are reported in the plan's notes.

References
----------
Webster, F. V. (1958). Traffic signal settings. Road Research Technical Paper 39, HMSO.
Transportation Research Board (2022). Highway Capacity Manual, 7th ed., ch. 19.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.demand.model import Demand
from signalbrain.errors import InputError
from signalbrain.network.model import Network
from signalbrain.timing._kernels import (
    FLAG_MAX_GREEN,
    FLAG_MIN_EXCEEDS_MAX_CYCLE,
    FLAG_OVERSATURATED,
    FLAG_SHORT_CYCLE,
    isolated_kernel,
    movement_sat_kernel,
    phase_ratio_kernel,
)
from signalbrain.timing._pack import TimingArrays, pack_timing
from signalbrain.timing.plan import NetworkPlan, PhaseTiming, TimingPlan

__all__ = ["IsolatedSolver", "SplitResult", "isolated_plan", "isolated_plans", "webster_cycle_s"]

F64 = npt.NDArray[np.float64]


def webster_cycle_s(lost_time_s: float, critical_ratio: float) -> float:
    """Webster's delay-minimising cycle ``(1.5 L + 5) / (1 - Y)`` [s] (``inf`` when ``Y >= 1``).

    Parameters
    ----------
    lost_time_s
        Total lost time per cycle ``L`` [s].
    critical_ratio
        Sum of critical flow ratios ``Y`` (flow / saturation flow).
    """
    if critical_ratio >= 1.0:
        return math.inf
    return (1.5 * lost_time_s + 5.0) / (1.0 - critical_ratio)


@dataclass(frozen=True, eq=False)
class SplitResult:
    """Array result of an isolated re-plan (positions as in :class:`TimingArrays`).

    ``cycle_s`` and ``xc`` (critical degree of saturation) and ``flags`` per intersection;
    ``split_s`` (green + yellow + all-red), ``green_s`` and ``y`` (critical flow ratio) per phase;
    ``sat_vph`` (adjusted saturation flow) per movement.
    """

    cycle_s: F64
    split_s: F64
    green_s: F64
    y: F64
    xc: F64
    flags: npt.NDArray[np.int64]
    sat_vph: F64


def _notes(flags: int, xc: float, cycle_s: float, isec_max: float) -> tuple[str, ...]:
    out = []
    if flags & FLAG_MIN_EXCEEDS_MAX_CYCLE:
        out.append(
            f"minimum greens and clearances need a {cycle_s:.1f} s cycle, more than the "
            f"maximum {isec_max:g} s (or the requested cycle): cycle lengthened, minimums "
            "kept"
        )
    if flags & FLAG_OVERSATURATED:
        out.append(
            f"demand exceeds capacity: critical v/c = {xc:.2f} > 1 at the {cycle_s:.1f} s "
            "cycle; queues will grow"
        )
    if flags & FLAG_MAX_GREEN:
        out.append("some greens exceed max_green_s to fill the cycle or a barrier group")
    if flags & FLAG_SHORT_CYCLE:
        out.append(f"every phase at its maximum gives only {cycle_s:.1f} s, below cycle_min_s")
    return tuple(out)


class IsolatedSolver:
    """Re-plans every intersection of a network for new flows; packs the network once.

    Parameters
    ----------
    network
        The network.
    arrays
        A prebuilt :class:`TimingArrays` (``pack_timing(network)`` if omitted).
    """

    def __init__(self, network: Network, arrays: TimingArrays | None = None) -> None:
        self.network = network
        self.arrays = arrays if arrays is not None else pack_timing(network)

    def flows(self, demand: Demand) -> tuple[F64, F64]:
        """Flow and heavy-share arrays in movement order."""
        ids = self.arrays.movement_ids
        return demand.flows_array(ids), demand.heavy_array(ids)

    def solve(
        self, flows_vph: F64, heavy: F64 | None = None, cycle_s: F64 | None = None
    ) -> SplitResult:
        """Cycle and splits for flows in movement order (``cycle_s``: NaN = free per signal)."""
        ta = self.arrays
        n_m = len(ta.movement_ids)
        flows = np.ascontiguousarray(flows_vph, dtype=np.float64)
        if flows.shape != (n_m,) or not np.all(np.isfinite(flows)) or np.any(flows < 0):
            raise InputError(
                f"flows: expected {n_m} finite flows >= 0 [veh/h] in movement "
                f"order, got shape {flows.shape}"
            )
        hv = np.zeros(n_m) if heavy is None else np.ascontiguousarray(heavy, dtype=np.float64)
        fixed = (
            np.full(ta.n_intersections, np.nan)
            if cycle_s is None
            else np.ascontiguousarray(cycle_s, dtype=np.float64)
        )
        sat = np.empty(n_m)
        movement_sat_kernel(
            flows, hv, ta.movement_sat_base_vph, ta.opp_indptr, ta.opp_movements, sat
        )
        y = np.empty(ta.n_phases)
        phase_ratio_kernel(
            flows,
            hv,
            sat,
            ta.phase_entry_indptr,
            ta.entry_movement,
            ta.entry_link,
            ta.entry_share,
            ta.link_cap_vph,
            y,
        )
        cycle = np.empty(ta.n_intersections)
        split = np.empty(ta.n_phases)
        xc = np.empty(ta.n_intersections)
        flags = np.empty(ta.n_intersections, dtype=np.int64)
        isolated_kernel(
            y,
            ta.isec_group_indptr,
            ta.group_seg_indptr,
            ta.seg_slot_indptr,
            ta.slot_phase,
            ta.phase_lo_s,
            ta.phase_hi_s,
            ta.phase_lost_s,
            ta.isec_cycle_min_s,
            ta.isec_cycle_max_s,
            fixed,
            cycle,
            split,
            xc,
            flags,
        )
        return SplitResult(cycle, split, split - ta.phase_clear_s, y, xc, flags, sat)

    def plans(
        self, result: SplitResult, offsets_s: F64 | None = None, notes: tuple[str, ...] = ()
    ) -> NetworkPlan:
        """:class:`TimingPlan` objects from an array result (offsets default to 0)."""
        ta = self.arrays
        arr = ta.net
        out: dict[str, TimingPlan] = {}
        # Python floats once (the same values as float() of each element, a tenth of the cost)
        yellow, all_red = arr.phase_yellow_s.tolist(), arr.phase_all_red_s.tolist()
        green, cycles = result.green_s.tolist(), result.cycle_s.tolist()
        flags, xc = result.flags.tolist(), result.xc.tolist()
        starts = arr.isec_phase_indptr.tolist()
        offsets = None if offsets_s is None else np.asarray(offsets_s, dtype=np.float64).tolist()
        for s, isec in enumerate(self.network.intersections):
            p0 = starts[s]
            c = cycles[s]
            phases = tuple(
                [
                    PhaseTiming(ph.number, green[p0 + i], yellow[p0 + i], all_red[p0 + i])
                    for i, ph in enumerate(isec.phases)
                ]
            )
            off = 0.0 if offsets is None else offsets[s] % c
            out[isec.id] = TimingPlan(
                isec.id,
                c,
                off,
                phases,
                isec.rings,
                isec.barriers,
                _notes(int(flags[s]), xc[s], c, isec.cycle_max_s),
            )
        over = int(np.count_nonzero(result.flags & FLAG_OVERSATURATED))
        extra = (f"{over} of {len(out)} intersections are over capacity",) if over else ()
        return NetworkPlan(out, notes + extra)


def isolated_plans(
    network: Network, demand: Demand, *, cycle_s: float | Mapping[str, float] | None = None
) -> NetworkPlan:
    """Webster/equisaturation plan for every intersection, each on its own cycle.

    Parameters
    ----------
    network
        The network.
    demand
        Movement flows [veh/h].
    cycle_s
        Force one cycle for all, or per intersection id; ``None`` lets Webster choose.
    """
    solver = IsolatedSolver(network)
    flows, heavy = solver.flows(demand)
    fixed = np.full(network.signal_count, np.nan)
    if isinstance(cycle_s, int | float):
        fixed[:] = float(cycle_s)
    elif cycle_s is not None:
        ids = {s.id: i for i, s in enumerate(network.intersections)}
        for k, v in cycle_s.items():
            if k not in ids:
                raise InputError(f"cycle_s: unknown intersection {k!r}")
            fixed[ids[k]] = float(v)
    if np.any(fixed[~np.isnan(fixed)] <= 0):
        raise InputError("cycle_s: must be > 0")
    return solver.plans(solver.solve(flows, heavy, fixed))


def isolated_plan(
    network: Network, intersection_id: str, demand: Demand, cycle_s: float | None = None
) -> TimingPlan:
    """The isolated plan of one intersection (see :func:`isolated_plans`)."""
    if not any(s.id == intersection_id for s in network.intersections):
        known = ", ".join(s.id for s in network.intersections[:10])
        raise InputError(f"no intersection {intersection_id!r}; known: {known}")
    plans = isolated_plans(
        network, demand, cycle_s=None if cycle_s is None else {intersection_id: cycle_s}
    )
    return plans[intersection_id]
