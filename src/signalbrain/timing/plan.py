"""Timing plans: what a signal controller runs, with the invariants that make a plan runnable.

A :class:`TimingPlan` is a NEMA ring-barrier fixed-time plan of one intersection: a cycle length,
an offset, and per phase a green, a yellow and an all-red interval. Phases of one ring run in ring
order; rings run concurrently; barrier groups run one after the other, and every ring that has
phases in a barrier group spends the same time in it, so all rings cross each barrier together
(NEMA TS 2; Urbanik et al., *Signal Timing Manual*, 2nd ed., NCHRP 812, 2015, ch. 5).

Time convention: the cycle starts at absolute time ``offset_s`` (modulo ``cycle_s``) with the first
phase of every ring in the first barrier group turning green. A :class:`NetworkPlan` holds one
plan per intersection.

A movement that is green in a phase and also in the phase that follows it in the same ring keeps
its green through the clearance between them (it is not shown yellow); every other movement of
the ending phase shows yellow, then red during the all-red interval.

This module holds the plan types and their queries. The invariants a plan is checked against
when it is built, and the limits of its intersection (:meth:`TimingPlan.check`), are in
:mod:`._plan_checks`; the movement states a plan shows (:func:`movement_states`,
:func:`movement_green_windows`) in :mod:`._movement_states`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from signalbrain.errors import InputError, Problem
from signalbrain.network.model import Intersection
from signalbrain.timing._movement_states import _RANK as _RANK
from signalbrain.timing._movement_states import _carried as _carried
from signalbrain.timing._movement_states import movement_green_windows, movement_states
from signalbrain.timing._plan_checks import _RING_STRUCTURES as _RING_STRUCTURES
from signalbrain.timing._plan_checks import (
    _TOL_S,
    _barrier_rings,
    compute_starts,
    invariant_problems,
    limit_problems,
    starts_if_valid,
)
from signalbrain.timing._plan_checks import _ring_structure as _ring_structure

__all__ = [
    "NetworkPlan",
    "PhaseTiming",
    "RingInterval",
    "TimingPlan",
    "movement_green_windows",
    "movement_states",
]

IntervalKind = Literal["green", "yellow", "red"]


@dataclass(frozen=True, slots=True)
class PhaseTiming:
    """Timing of one phase [s]: green, then yellow, then all-red."""

    number: int
    green_s: float
    yellow_s: float
    all_red_s: float

    @property
    def split_s(self) -> float:
        """Green plus yellow plus all-red [s]."""
        return self.green_s + self.yellow_s + self.all_red_s

    @property
    def clearance_s(self) -> float:
        """Yellow plus all-red [s]."""
        return self.yellow_s + self.all_red_s


@dataclass(frozen=True, slots=True)
class RingInterval:
    """The interval of one ring that contains a given instant.

    ``start_s`` and ``end_s`` are absolute times [s] of the interval's start and end.
    """

    phase: int
    kind: IntervalKind
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class TimingPlan:
    """A fixed-time ring-barrier plan for one intersection.

    Parameters
    ----------
    intersection
        Id of the intersection.
    cycle_s
        Cycle length [s]; equals the sum over barrier groups of the time each group takes.
    offset_s
        Absolute time [s] (modulo the cycle) at which the cycle starts; in ``[0, cycle_s)``.
    phases
        Timing of every phase named in ``rings``.
    rings
        Phase numbers per ring in sequence order.
    barriers
        Groups of phase numbers that run between two barriers, in order.
    notes
        Why the plan is what it is when a request could not be met (oversaturation, limits).

    Raises
    ------
    InputError
        When an invariant fails: negative or non-finite times, a phase in no ring or in two, a
        barrier group in which the rings take different times, or a cycle that is not the sum of
        the barrier groups.
    """

    intersection: str
    cycle_s: float
    offset_s: float
    phases: tuple[PhaseTiming, ...]
    rings: tuple[tuple[int, ...], ...]
    barriers: tuple[tuple[int, ...], ...]
    notes: tuple[str, ...] = ()
    _index: dict[int, int] = field(init=False, repr=False, compare=False)
    _starts: dict[int, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {p.number: i for i, p in enumerate(self.phases)})
        starts = self._starts_if_valid()
        if starts is None:
            problems = self._invariant_problems()
            if problems:
                raise InputError(problems)
            starts = self._compute_starts()
        object.__setattr__(self, "_starts", starts)

    # -- invariants -------------------------------------------------------------------------
    def _starts_if_valid(self) -> dict[int, float] | None:
        """:meth:`_compute_starts` if :meth:`_invariant_problems` finds nothing, else None (see
        :func:`~signalbrain.timing._plan_checks.starts_if_valid`)."""
        return starts_if_valid(self)

    def _invariant_problems(self) -> list[Problem]:
        """Every broken invariant, worded (see
        :func:`~signalbrain.timing._plan_checks.invariant_problems`)."""
        return invariant_problems(self)

    def _compute_starts(self) -> dict[int, float]:
        """Phase starts relative to the cycle start [s] (see
        :func:`~signalbrain.timing._plan_checks.compute_starts`)."""
        return compute_starts(self)

    # -- queries ----------------------------------------------------------------------------
    def phase(self, number: int) -> PhaseTiming:
        """The timing of a phase (``KeyError`` if the plan has no such phase)."""
        return self.phases[self._index[number]]

    def has_phase(self, number: int) -> bool:
        """Whether the plan times this phase."""
        return number in self._index

    def phase_start_s(self, number: int) -> float:
        """Start of a phase's green relative to the cycle start [s] (offset not applied)."""
        return self._starts[number]

    def green_window_s(self, number: int) -> tuple[float, float]:
        """Absolute start and end [s] of the phase's green in the cycle that starts at
        ``offset_s`` (the end may exceed ``cycle_s``; take both modulo the cycle if needed)."""
        start = self.offset_s + self._starts[number]
        return start, start + self.phase(number).green_s

    def effective_green_s(
        self, number: int, *, lost_s: float = 2.0, extension_s: float = 2.0
    ) -> float:
        """Effective green [s]: green + yellow + all-red minus the phase's lost time (start-up
        lost time plus the clearance not used, HCM 7th ed. eq. 19-3 style: g = G + Y + AR - l)
        where the lost time is ``lost_s + clearance - extension_s``."""
        p = self.phase(number)
        lost = max(0.0, lost_s + p.clearance_s - extension_s)
        return max(0.0, p.split_s - lost)

    def phase_at(self, t_s: float) -> tuple[RingInterval, ...]:
        """Per ring, the green, yellow or all-red interval that contains absolute time ``t_s``.

        Rings without a phase in the current barrier group (an idle ring) report ``phase=0`` and
        ``kind="red"`` for the whole group.
        """
        tau = (t_s - self.offset_s) % self.cycle_s
        cycle_start = t_s - tau
        out: list[RingInterval] = []
        for ring in self.rings:
            found: RingInterval | None = None
            for n in ring:
                p = self.phase(n)
                s = self._starts[n]
                if s - _TOL_S <= tau < s + p.split_s:
                    g_end = s + p.green_s
                    y_end = g_end + p.yellow_s
                    if tau < g_end:
                        kind: IntervalKind = "green"
                        a, b = s, g_end
                    elif tau < y_end:
                        kind, a, b = "yellow", g_end, y_end
                    else:
                        kind, a, b = "red", y_end, s + p.split_s
                    found = RingInterval(n, kind, cycle_start + a, cycle_start + b)
                    break
            if found is None:
                found = self._idle_interval(ring, tau, cycle_start)
            out.append(found)
        return tuple(out)

    def _idle_interval(self, ring: tuple[int, ...], tau: float, cycle_start: float) -> RingInterval:
        t0 = 0.0
        for group in self.barriers:
            seqs = [s for s in _barrier_rings(self.rings, group) if s]
            length = max(sum(self.phase(n).split_s for n in s) for s in seqs)
            if t0 <= tau < t0 + length:
                break
            t0 += length
        else:
            length = 0.0
        return RingInterval(0, "red", cycle_start + t0, cycle_start + t0 + length)

    def next_phase(self, number: int) -> int:
        """The phase that follows ``number`` in its ring (wrapping around the cycle)."""
        order = self.sequence()
        for ring_seq in order:
            if number in ring_seq:
                i = ring_seq.index(number)
                return ring_seq[(i + 1) % len(ring_seq)]
        raise KeyError(number)

    def sequence(self) -> tuple[tuple[int, ...], ...]:
        """Per ring, phase numbers in the order they run (barrier groups in order)."""
        return tuple(
            tuple(n for group in self.barriers for n in ring if n in set(group))
            for ring in self.rings
        )

    # -- limits -----------------------------------------------------------------------------
    def check(self, intersection: Intersection) -> list[Problem]:
        """Every way this plan breaks the limits of ``intersection`` (empty when it keeps them).

        A plan may leave out (skip) phases of the intersection as long as every movement is
        still served by a phase it times. Checks that it times no unknown phase, that every
        green lasts at least the larger of ``min_green_s`` and ``ped_min_s`` and at most
        ``max_green_s``, that yellow and all-red are at least the phase's, and that the cycle lies
        in ``[cycle_min_s, cycle_max_s]``.
        """
        return limit_problems(self, intersection)

    def with_offset(self, offset_s: float) -> TimingPlan:
        """A copy with another offset (taken modulo the cycle)."""
        return TimingPlan(
            self.intersection,
            self.cycle_s,
            offset_s % self.cycle_s,
            self.phases,
            self.rings,
            self.barriers,
            self.notes,
        )


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    """Plans for every signal of a network, keyed by intersection id.

    ``notes`` explain network-wide decisions (coordination groups, infeasible requests);
    ``objective`` holds the model's figures of merit where computed (e.g. ``delay_vehh``,
    ``stops_vph``, ``bandwidth_s``).
    """

    plans: Mapping[str, TimingPlan]
    notes: tuple[str, ...] = ()
    objective: Mapping[str, float] = field(default_factory=dict)

    def __getitem__(self, intersection_id: str) -> TimingPlan:
        return self.plans[intersection_id]

    def __len__(self) -> int:
        return len(self.plans)
