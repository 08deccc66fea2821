"""Whole-second plans: what field controllers and SUMO (1 s steps) run.

:func:`round_plan` turns a plan into one whose every interval is a whole number of seconds:
yellow and all-red are rounded *up* (never shorter than asked), each barrier group's length is
rounded to the nearest second, and the greens of each ring in the group share what is left by the
largest-remainder rule, never below the phase's minimum (the larger of ``min_green_s`` and
``ped_min_s``, rounded up). The offset is rounded to the nearest second.

The rounded cycle is one of the whole seconds next to the plan's cycle (the cycle itself when it
is whole) and within the intersection's cycle limits when the plan's cycle is; longer only where
the rounded minimums need it. Where the groups' own roundings add up to another cycle (two
groups of 37.5 s of a requested 75 s cycle gave 76 s; a 40.4 s cycle at cycle_min_s 40.4 gave
40 s), the group lengths share the cycle by the largest-remainder rule instead.

Coordinated signals get their whole-second cycles before this (the coordinator's
``whole_cycles``, with :func:`least_whole_cycle`), so every member of a group rounds to the
group's cycle or exactly half of it and no offset drifts.
"""

from __future__ import annotations

import math

from signalbrain.network.model import Intersection
from signalbrain.timing.plan import PhaseTiming, TimingPlan

__all__ = ["least_whole_cycle", "round_plan"]


def _share(targets: list[float], floors: list[int], total: int) -> list[int]:
    """Integers >= floors summing to ``total``, closest to ``targets`` (largest remainder)."""
    out = [max(f, math.floor(t)) for t, f in zip(targets, floors, strict=True)]
    diff = total - sum(out)
    order = sorted(
        range(len(targets)), key=lambda i: targets[i] - math.floor(targets[i]), reverse=True
    )
    i = 0
    while diff > 0:
        out[order[i % len(out)]] += 1
        diff -= 1
        i += 1
    while diff < 0:
        # take from the item with the most room above its floor
        j = max(range(len(out)), key=lambda k: out[k] - floors[k])
        if out[j] <= floors[j]:
            break
        out[j] -= 1
        diff += 1
    return out


def _up(seconds: float) -> int:
    """``seconds`` rounded up to whole seconds (rounding noise below 1e-9 s ignored)."""
    return math.ceil(seconds - 1e-9)


def _segments(rings: tuple[tuple[int, ...], ...], group: tuple[int, ...]) -> list[list[int]]:
    """The phases of barrier group ``group`` in each ring, in ring order (empty rings left out)."""
    members = set(group)
    segs = [[n for n in ring if n in members] for ring in rings]
    return [seg for seg in segs if seg]


def least_whole_cycle(intersection: Intersection) -> int:
    """The shortest cycle [s] a whole-second plan of ``intersection`` can run: per barrier group
    its longest ring of minimum greens (the larger of ``min_green_s`` and ``ped_min_s``),
    yellows and all-reds, each rounded up to whole seconds as :func:`round_plan` does."""
    need = {
        ph.number: _up(max(ph.min_green_s, ph.ped_min_s)) + _up(ph.yellow_s) + _up(ph.all_red_s)
        for ph in intersection.phases
    }
    return sum(
        max((sum(need[n] for n in seg) for seg in _segments(intersection.rings, group)), default=0)
        for group in intersection.barriers
    )


def round_plan(plan: TimingPlan, intersection: Intersection | None = None) -> TimingPlan:
    """A whole-second version of ``plan`` (see the module docstring).

    ``intersection`` supplies the minimum greens; without it the rounded greens are only kept
    >= 0. If the minimums do not fit a rounded group, the group grows by the missing seconds.
    """

    def need(number: int) -> int:
        if intersection is None:
            return 0
        ph = intersection.phase(number)
        return _up(max(ph.min_green_s, ph.ped_min_s))

    # per phase once: its minimum green, rounded-up yellow and all-red, split and green
    needs = {p.number: need(p.number) for p in plan.phases}
    clears = {p.number: (_up(p.yellow_s), _up(p.all_red_s)) for p in plan.phases}
    clear_sum = {n: y + r for n, (y, r) in clears.items()}
    splits = {p.number: p.split_s for p in plan.phases}
    greens = {p.number: p.green_s for p in plan.phases}
    layout: list[tuple[list[list[int]], float, int]] = []
    for group in plan.barriers:
        segs = _segments(plan.rings, group)
        length = max(sum(splits[n] for n in s) for s in segs)
        floor = max(sum(needs[n] + clear_sum[n] for n in s) for s in segs)
        layout.append((segs, length, floor))
    lengths = [max(round(length), floor) for _, length, floor in layout]
    least = sum(f for _, _, f in layout)
    lo, hi = _cycle_window(plan.cycle_s, intersection)
    target = min(max(sum(lengths), lo, least), max(hi, least))
    if sum(lengths) != target:  # the groups' roundings add up to a cycle the plan must not run
        lengths = _share([x for _, x, _ in layout], [f for _, _, f in layout], target)
    new: dict[int, PhaseTiming] = {}
    for (segs, _, _), b in zip(layout, lengths, strict=True):
        for s in segs:
            avail = b - sum(clear_sum[n] for n in s)
            shares = _share([greens[n] for n in s], [needs[n] for n in s], avail)
            for n, g in zip(s, shares, strict=True):
                new[n] = PhaseTiming(n, float(g), float(clears[n][0]), float(clears[n][1]))
    total = sum(lengths)
    phases = tuple(new[p.number] for p in plan.phases)
    offset = float(round(plan.offset_s) % total)
    return TimingPlan(
        plan.intersection, float(total), offset, phases, plan.rings, plan.barriers, plan.notes
    )


def _cycle_window(cycle_s: float, intersection: Intersection | None) -> tuple[int, int]:
    """Whole-second cycles a rounded plan of ``cycle_s`` may run: the whole seconds next to
    ``cycle_s`` (just ``cycle_s`` when it is one: a requested or swept cycle, the common cycle of
    coordinated signals), of those the ones within the intersection's cycle limits if
    ``cycle_s`` is within them."""
    lo, hi = math.floor(cycle_s + 1e-9), math.ceil(cycle_s - 1e-9)
    if intersection is not None:
        c_lo, c_hi = intersection.cycle_min_s, intersection.cycle_max_s
        whole_lo, whole_hi = max(lo, math.ceil(c_lo - 1e-9)), min(hi, math.floor(c_hi + 1e-9))
        if c_lo - 1e-6 <= cycle_s <= c_hi + 1e-6 and whole_lo <= whole_hi:
            return whole_lo, whole_hi
    return lo, hi
