"""Whole-second plans: what field controllers and SUMO (1 s steps) run.

:func:`round_plan` turns a plan into one whose every interval is a whole number of seconds:
yellow and all-red are rounded *up* (never shorter than asked), each barrier group's length is
rounded to the nearest second, and the greens of each ring in the group share what is left by the
largest-remainder rule, never below the phase's minimum (the larger of ``min_green_s`` and
``ped_min_s``, rounded up). The offset is rounded to the nearest second.
"""

from __future__ import annotations

import math

from signalbrain.network.model import Intersection
from signalbrain.timing.plan import PhaseTiming, TimingPlan

__all__ = ["round_plan"]


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


def round_plan(plan: TimingPlan, intersection: Intersection | None = None) -> TimingPlan:
    """A whole-second version of ``plan`` (see the module docstring).

    ``intersection`` supplies the minimum greens; without it the rounded greens are only kept
    >= 0. If the minimums do not fit a rounded group, the group grows by the missing seconds.
    """

    def need(number: int) -> int:
        if intersection is None:
            return 0
        ph = intersection.phase(number)
        return math.ceil(max(ph.min_green_s, ph.ped_min_s) - 1e-9)

    # per phase once: its minimum green, rounded-up yellow and all-red, split and green
    needs = {p.number: need(p.number) for p in plan.phases}
    clears = {
        p.number: (math.ceil(p.yellow_s - 1e-9), math.ceil(p.all_red_s - 1e-9)) for p in plan.phases
    }
    clear_sum = {n: y + r for n, (y, r) in clears.items()}
    splits = {p.number: p.split_s for p in plan.phases}
    greens = {p.number: p.green_s for p in plan.phases}
    new: dict[int, PhaseTiming] = {}
    total = 0
    for group in plan.barriers:
        members = set(group)
        segs = [[n for n in ring if n in members] for ring in plan.rings]
        segs = [s for s in segs if s]
        length = max(sum(splits[n] for n in s) for s in segs)
        b = round(length)
        b = max(b, *(sum(needs[n] + clear_sum[n] for n in s) for s in segs))
        for s in segs:
            avail = b - sum(clear_sum[n] for n in s)
            shares = _share([greens[n] for n in s], [needs[n] for n in s], avail)
            for n, g in zip(s, shares, strict=True):
                new[n] = PhaseTiming(n, float(g), float(clears[n][0]), float(clears[n][1]))
        total += b
    phases = tuple(new[p.number] for p in plan.phases)
    offset = float(round(plan.offset_s) % total)
    return TimingPlan(
        plan.intersection, float(total), offset, phases, plan.rings, plan.barriers, plan.notes
    )
