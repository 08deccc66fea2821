"""The checks of a timing plan: the ring-barrier invariants that make it runnable, and the limits
of its intersection.

:class:`~signalbrain.timing.plan.TimingPlan` refuses a plan that breaks its invariants (times
finite and >= 0, the offset within the cycle, every phase in one ring and one barrier group, the
rings of a barrier group taking the same time, the cycle the sum of the groups). Two tests decide
that and must agree: :func:`starts_if_valid`, quick and without messages, which also gives the
phase starts (:func:`compute_starts`), and :func:`invariant_problems`, which names every problem.
:func:`limit_problems` checks a plan against its intersection's phases and limits
(``TimingPlan.check``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from signalbrain.errors import Problem, format_path

if TYPE_CHECKING:
    from signalbrain.network.model import Intersection
    from signalbrain.timing.plan import TimingPlan

__all__ = ["compute_starts", "invariant_problems", "limit_problems", "starts_if_valid"]

_TOL_S = 1e-6


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
    """Whether rings and barriers pass :func:`invariant_problems`' structural tests
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


def starts_if_valid(plan: TimingPlan) -> dict[int, float] | None:
    """:func:`compute_starts` if :func:`invariant_problems` finds nothing, else None: the same
    tests and sums, without the messages, on the ring structure of :func:`_ring_structure` (a
    network's plans share a few). Plans are built by the thousand (1,300 signals, twice each with
    rounding): this is a third of the cost."""
    cycle = plan.cycle_s
    offset = plan.offset_s
    if not (math.isfinite(cycle) and cycle > 0):
        return None
    if not (math.isfinite(offset) and 0 <= offset < max(cycle, 0.0) + _TOL_S):
        return None
    isfinite = math.isfinite
    splits: dict[int, float] = {}
    for ph in plan.phases:
        g, y, r = ph.green_s, ph.yellow_s, ph.all_red_s
        if not (isfinite(g) and g >= 0 and isfinite(y) and y >= 0 and isfinite(r) and r >= 0):
            return None
        splits[ph.number] = ph.split_s
    index = plan._index
    if len(index) != len(plan.phases):
        return None
    ok, ring_set, groups = _ring_structure(plan.rings, plan.barriers)
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


def invariant_problems(plan: TimingPlan) -> list[Problem]:
    """Every way ``plan`` breaks the ring-barrier invariants, each named by its path under
    ``plans.<intersection>`` (empty when it keeps them)."""
    base = format_path("plans", plan.intersection)
    out: list[Problem] = []
    if not (math.isfinite(plan.cycle_s) and plan.cycle_s > 0):
        out.append(Problem(format_path(base, "cycle_s"), f"= {plan.cycle_s}: must be > 0"))
    if not (math.isfinite(plan.offset_s) and 0 <= plan.offset_s < max(plan.cycle_s, 0.0) + _TOL_S):
        out.append(
            Problem(
                format_path(base, "offset_s"),
                f"= {plan.offset_s}: must be in [0, cycle_s = {plan.cycle_s})",
            )
        )
    for i, ph in enumerate(plan.phases):
        for name in ("green_s", "yellow_s", "all_red_s"):
            v = getattr(ph, name)
            if not (math.isfinite(v) and v >= 0):
                out.append(
                    Problem(
                        format_path(base, "phases", i, name),
                        f"= {v}: must be a finite number >= 0",
                    )
                )
    if len(plan._index) != len(plan.phases):
        out.append(Problem(format_path(base, "phases"), "duplicate phase numbers"))
    in_rings = [n for ring in plan.rings for n in ring]
    if not in_rings:
        out.append(Problem(format_path(base, "rings"), "no phases in any ring"))
    if len(set(in_rings)) != len(in_rings):
        out.append(Problem(format_path(base, "rings"), "a phase appears in more than one ring"))
    if set(in_rings) != set(plan._index):
        out.append(
            Problem(
                format_path(base, "rings"),
                f"ring phases {sorted(set(in_rings))} differ from timed phases "
                f"{sorted(plan._index)}",
            )
        )
    in_barriers = [n for g in plan.barriers for n in g]
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
    for g, group in enumerate(plan.barriers):
        sums = [
            sum(plan.phase(n).split_s for n in seq)
            for seq in _barrier_rings(plan.rings, group)
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
    if abs(total - plan.cycle_s) > 1e-6 * max(1.0, total):
        out.append(
            Problem(
                format_path(base, "cycle_s"),
                f"= {plan.cycle_s:g}: must equal the sum of the barrier groups ({total:g} s)",
            )
        )
    return out


def compute_starts(plan: TimingPlan) -> dict[int, float]:
    """Start of every phase's green relative to the cycle start [s], barrier group after
    barrier group."""
    starts: dict[int, float] = {}
    t0 = 0.0
    for group in plan.barriers:
        length = 0.0
        for seq in _barrier_rings(plan.rings, group):
            t = t0
            for n in seq:
                starts[n] = t
                t += plan.phase(n).split_s
            length = max(length, t - t0)
        t0 += length
    return starts


def limit_problems(plan: TimingPlan, intersection: Intersection) -> list[Problem]:
    """Every way ``plan`` breaks the limits of ``intersection`` (empty when it keeps them); see
    :meth:`TimingPlan.check <signalbrain.timing.plan.TimingPlan.check>`."""
    base = format_path("plans", plan.intersection)
    out: list[Problem] = []
    if plan.intersection != intersection.id:
        out.append(
            Problem(
                format_path(base, "intersection"),
                f"{plan.intersection!r}: plan is for another intersection than {intersection.id!r}",
            )
        )
    want = {p.number for p in intersection.phases}
    have = set(plan._index)
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
    for i, pt in enumerate(plan.phases):
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
        plan.cycle_s < intersection.cycle_min_s - _TOL_S
        or plan.cycle_s > intersection.cycle_max_s + _TOL_S
    ):
        out.append(
            Problem(
                format_path(base, "cycle_s"),
                f"= {plan.cycle_s:g}: outside [{intersection.cycle_min_s:g}, "
                f"{intersection.cycle_max_s:g}] s",
            )
        )
    return out
