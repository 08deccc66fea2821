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
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from signalbrain.errors import InputError, Problem, format_path
from signalbrain.network.model import Intersection

__all__ = [
    "NetworkPlan",
    "PhaseTiming",
    "RingInterval",
    "TimingPlan",
    "movement_green_windows",
    "movement_states",
]

_TOL_S = 1e-6
IntervalKind = Literal["green", "yellow", "red"]
_RANK = {"r": 0, "y": 1, "g": 2, "G": 3}


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


def _barrier_rings(rings: tuple[tuple[int, ...], ...], group: tuple[int, ...]) -> list[list[int]]:
    members = set(group)
    return [[n for n in ring if n in members] for ring in rings]


_RING_STRUCTURES: dict[
    tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]],
    tuple[bool, frozenset[int], tuple[list[list[int]], ...]],
] = {}


def _ring_structure(
    rings: tuple[tuple[int, ...], ...], barriers: tuple[tuple[int, ...], ...]
) -> tuple[bool, frozenset[int], tuple[list[list[int]], ...]]:
    """Whether rings and barriers pass :meth:`TimingPlan._invariant_problems`' structural tests
    (some phase in a ring, none in two, barrier groups holding every ring phase once), the ring
    phases, and each group's :func:`_barrier_rings`; remembered per structure."""
    key: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]] | None = (rings, barriers)
    try:
        found = _RING_STRUCTURES.get((rings, barriers))
    except TypeError:  # lists instead of tuples: not remembered
        key, found = None, None
    if found is None:
        in_rings = [n for ring in rings for n in ring]
        in_barriers = [n for g in barriers for n in g]
        ok = (
            bool(in_rings)
            and len(set(in_rings)) == len(in_rings)
            and sorted(in_barriers) == sorted(in_rings)
        )
        groups = tuple(_barrier_rings(rings, group) for group in barriers)
        found = (ok, frozenset(in_rings), groups)
        if key is not None and len(_RING_STRUCTURES) < 1024:  # a few per network; bounded
            _RING_STRUCTURES[(rings, barriers)] = found
    return found


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
        """:meth:`_compute_starts` if :meth:`_invariant_problems` finds nothing, else None: the
        same tests and sums, without the messages, on the ring structure of
        :func:`_ring_structure` (a network's plans share a few). Plans are built by the
        thousand (1,300 signals, twice each with rounding): this is a third of the cost."""
        cycle = self.cycle_s
        offset = self.offset_s
        if not (math.isfinite(cycle) and cycle > 0):
            return None
        if not (math.isfinite(offset) and 0 <= offset < max(cycle, 0.0) + _TOL_S):
            return None
        isfinite = math.isfinite
        splits: dict[int, float] = {}
        for ph in self.phases:
            g, y, r = ph.green_s, ph.yellow_s, ph.all_red_s
            if not (isfinite(g) and g >= 0 and isfinite(y) and y >= 0 and isfinite(r) and r >= 0):
                return None
            splits[ph.number] = ph.split_s
        index = self._index
        if len(index) != len(self.phases):
            return None
        ok, ring_set, groups = _ring_structure(self.rings, self.barriers)
        if not ok or index.keys() != ring_set:
            return None
        total = 0.0
        starts: dict[int, float] = {}
        t0 = 0.0
        for seqs in groups:
            sums = []
            length = 0.0
            for seq in seqs:
                t = t0
                for n in seq:
                    starts[n] = t
                    t += splits[n]
                length = max(length, t - t0)
                if seq:
                    sums.append(sum(splits[n] for n in seq))
            if sums and max(sums) - min(sums) > _TOL_S * max(1.0, max(sums)):
                return None
            total += max(sums) if sums else 0.0
            t0 += length
        if abs(total - cycle) > 1e-6 * max(1.0, total):
            return None
        return starts

    def _invariant_problems(self) -> list[Problem]:
        base = format_path("plans", self.intersection)
        out: list[Problem] = []
        if not (math.isfinite(self.cycle_s) and self.cycle_s > 0):
            out.append(Problem(format_path(base, "cycle_s"), f"= {self.cycle_s}: must be > 0"))
        if not (
            math.isfinite(self.offset_s) and 0 <= self.offset_s < max(self.cycle_s, 0.0) + _TOL_S
        ):
            out.append(
                Problem(
                    format_path(base, "offset_s"),
                    f"= {self.offset_s}: must be in [0, cycle_s = {self.cycle_s})",
                )
            )
        for i, ph in enumerate(self.phases):
            for name in ("green_s", "yellow_s", "all_red_s"):
                v = getattr(ph, name)
                if not (math.isfinite(v) and v >= 0):
                    out.append(
                        Problem(
                            format_path(base, "phases", i, name),
                            f"= {v}: must be a finite number >= 0",
                        )
                    )
        if len(self._index) != len(self.phases):
            out.append(Problem(format_path(base, "phases"), "duplicate phase numbers"))
        in_rings = [n for ring in self.rings for n in ring]
        if not in_rings:
            out.append(Problem(format_path(base, "rings"), "no phases in any ring"))
        if len(set(in_rings)) != len(in_rings):
            out.append(Problem(format_path(base, "rings"), "a phase appears in more than one ring"))
        if set(in_rings) != set(self._index):
            out.append(
                Problem(
                    format_path(base, "rings"),
                    f"ring phases {sorted(set(in_rings))} differ from timed phases "
                    f"{sorted(self._index)}",
                )
            )
        in_barriers = [n for g in self.barriers for n in g]
        if sorted(in_barriers) != sorted(in_rings):
            out.append(
                Problem(
                    format_path(base, "barriers"),
                    "barrier groups must hold every ring phase exactly once",
                )
            )
        if out:
            return out
        total = 0.0
        for g, group in enumerate(self.barriers):
            sums = [
                sum(self.phase(n).split_s for n in seq)
                for seq in _barrier_rings(self.rings, group)
                if seq
            ]
            if sums and max(sums) - min(sums) > _TOL_S * max(1.0, max(sums)):
                out.append(
                    Problem(
                        format_path(base, "barriers", g),
                        f"rings take different times in this barrier group: "
                        f"{', '.join(f'{s:g} s' for s in sums)}",
                    )
                )
            total += max(sums) if sums else 0.0
        if abs(total - self.cycle_s) > 1e-6 * max(1.0, total):
            out.append(
                Problem(
                    format_path(base, "cycle_s"),
                    f"= {self.cycle_s:g}: must equal the sum of the barrier groups ({total:g} s)",
                )
            )
        return out

    def _compute_starts(self) -> dict[int, float]:
        starts: dict[int, float] = {}
        t0 = 0.0
        for group in self.barriers:
            length = 0.0
            for seq in _barrier_rings(self.rings, group):
                t = t0
                for n in seq:
                    starts[n] = t
                    t += self.phase(n).split_s
                length = max(length, t - t0)
            t0 += length
        return starts

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
        base = format_path("plans", self.intersection)
        out: list[Problem] = []
        if self.intersection != intersection.id:
            out.append(
                Problem(
                    format_path(base, "intersection"),
                    f"{self.intersection!r}: plan is for another intersection than "
                    f"{intersection.id!r}",
                )
            )
        want = {p.number for p in intersection.phases}
        have = set(self._index)
        if have - want:
            out.append(
                Problem(
                    format_path(base, "phases"),
                    f"times phases {sorted(have - want)} the intersection does not "
                    f"have (it has {sorted(want)})",
                )
            )
        served = {m for p in intersection.phases if p.number in have for m in p.movements}
        unserved = [m.id for m in intersection.movements if m.id not in served]
        if unserved:
            out.append(
                Problem(
                    format_path(base, "phases"),
                    f"movements no timed phase serves: {', '.join(unserved[:8])}",
                )
            )
        for i, pt in enumerate(self.phases):
            if pt.number not in want:
                continue
            ph = intersection.phase(pt.number)
            p = format_path(base, "phases", i)
            need = max(ph.min_green_s, ph.ped_min_s)
            if pt.green_s < need - _TOL_S:
                out.append(
                    Problem(
                        format_path(p, "green_s"),
                        f"= {pt.green_s:g}: shorter than the minimum {need:g} s "
                        f"(min_green_s / ped_min_s of phase {ph.number})",
                    )
                )
            if pt.green_s > ph.max_green_s + _TOL_S:
                out.append(
                    Problem(
                        format_path(p, "green_s"),
                        f"= {pt.green_s:g}: longer than max_green_s = "
                        f"{ph.max_green_s:g} of phase {ph.number}",
                    )
                )
            if pt.yellow_s < ph.yellow_s - _TOL_S:
                out.append(
                    Problem(
                        format_path(p, "yellow_s"),
                        f"= {pt.yellow_s:g}: shorter than the phase's yellow {ph.yellow_s:g} s",
                    )
                )
            if pt.all_red_s < ph.all_red_s - _TOL_S:
                out.append(
                    Problem(
                        format_path(p, "all_red_s"),
                        f"= {pt.all_red_s:g}: shorter than the phase's all-red {ph.all_red_s:g} s",
                    )
                )
        if (
            self.cycle_s < intersection.cycle_min_s - _TOL_S
            or self.cycle_s > intersection.cycle_max_s + _TOL_S
        ):
            out.append(
                Problem(
                    format_path(base, "cycle_s"),
                    f"= {self.cycle_s:g}: outside [{intersection.cycle_min_s:g}, "
                    f"{intersection.cycle_max_s:g}] s",
                )
            )
        return out

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


def _carried(intersection: Intersection, plan: TimingPlan, number: int) -> set[str]:
    """Movements of the phase after ``number`` in its ring (green through ``number``'s
    clearance when ``number`` served them too)."""
    nxt_n = plan.next_phase(number)
    if nxt_n == number or not any(p.number == nxt_n for p in intersection.phases):
        return set()
    return set(intersection.phase(nxt_n).movements)


def movement_states(intersection: Intersection, plan: TimingPlan, t_s: float) -> dict[str, str]:
    """Signal state of every movement at absolute time ``t_s``.

    Returns
    -------
    dict
        Movement id -> ``"G"`` (protected green), ``"g"`` (permitted green), ``"y"`` (yellow) or
        ``"r"`` (red). A movement green in the ending phase and in the next phase of the same ring
        keeps its green state through the clearance. A movement whose yellow begins while no
        phase of another ring serves it shows its whole yellow even if such a phase turns green
        during it (a protected left ending in one ring while the other ring's through phase that
        permits it starts: green, yellow, then the permitted green once the yellow is over).
    """
    states = dict.fromkeys((m.id for m in intersection.movements), "r")

    def put(mid: str, s: str) -> None:
        if mid in states and _RANK[s] > _RANK[states[mid]]:
            states[mid] = s

    intervals = [
        iv
        for iv in plan.phase_at(t_s)
        if iv.phase != 0 and any(p.number == iv.phase for p in intersection.phases)
    ]
    # a movement whose yellow began before another ring's phase serving it turned green keeps
    # its yellow to the end: green, a moment of yellow, green again would cut the yellow short
    yellow_since: dict[str, float] = {}
    for iv in intervals:
        if iv.kind == "yellow":
            carried = _carried(intersection, plan, iv.phase)
            for mid in intersection.phase(iv.phase).movements:
                if mid not in carried:
                    yellow_since[mid] = min(yellow_since.get(mid, math.inf), iv.start_s)
    for iv in intervals:
        ph = intersection.phase(iv.phase)
        if iv.kind == "green":
            for mid in ph.protected:
                if iv.start_s <= yellow_since.get(mid, math.inf) + _TOL_S:
                    put(mid, "G")
            for mid in ph.permitted:
                if iv.start_s <= yellow_since.get(mid, math.inf) + _TOL_S:
                    put(mid, "g")
            continue
        carried = _carried(intersection, plan, iv.phase)
        for mid in ph.protected:
            put(mid, "G" if mid in carried else ("y" if iv.kind == "yellow" else "r"))
        for mid in ph.permitted:
            put(mid, "g" if mid in carried else ("y" if iv.kind == "yellow" else "r"))
    return states


def movement_green_windows(
    intersection: Intersection, plan: TimingPlan, movement_id: str
) -> list[tuple[float, float]]:
    """Green intervals (``G`` or ``g``) of a movement within one cycle, relative to the cycle
    start (offset not applied), merged; an interval that wraps past the cycle end is returned
    with ``end > cycle_s``. Sorted by start."""
    base = plan.with_offset(0.0)
    cuts = {0.0, base.cycle_s}
    for ph in base.phases:
        s0 = base.phase_start_s(ph.number)
        cuts.update((s0, s0 + ph.green_s, s0 + ph.green_s + ph.yellow_s, s0 + ph.split_s))
    edges = sorted(c for c in cuts if 0.0 <= c <= base.cycle_s)
    spans: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(edges):
        if b - a < 1e-9:
            continue
        if movement_states(intersection, base, 0.5 * (a + b)).get(movement_id) in ("G", "g"):
            if spans and abs(spans[-1][1] - a) < 1e-9:
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
    if len(spans) > 1 and spans[0][0] < 1e-9 and abs(spans[-1][1] - base.cycle_s) < 1e-9:
        first = spans.pop(0)
        last = spans.pop()
        spans.append((last[0], base.cycle_s + first[1]))
    return sorted(spans)


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
