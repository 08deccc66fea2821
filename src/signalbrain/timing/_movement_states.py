"""What each movement of an intersection shows under a timing plan, and when it is green.

:func:`movement_states` gives every movement's state at an instant (protected or permitted
green, yellow, red), carrying a movement's green through the clearance into the next phase of
its ring that also serves it; :func:`movement_green_windows` gives a movement's green intervals
within one cycle.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from signalbrain.timing._plan_checks import _TOL_S

if TYPE_CHECKING:
    from signalbrain.network.model import Intersection
    from signalbrain.timing.plan import TimingPlan

__all__ = ["movement_green_windows", "movement_states"]

_RANK = {"r": 0, "y": 1, "g": 2, "G": 3}


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
