"""Stages (sets of phases that run together) and a controller's shadow of the conflict monitor.

A *stage* is what a controller chooses among: one phase of a single-ring controller, or one
compatible phase per ring within a barrier group of a dual-ring (NEMA) controller, e.g. (2, 6) or
(1, 5). Every stage maps to a :class:`~signalbrain.control.base.Request` with ``phases=stage``.

A :class:`Shadow` runs a private :class:`~signalbrain.control.monitor.ConflictMonitor` fed with the
controller's own requests. The monitor is deterministic, so the shadow shows exactly what the
field monitor shows (when it starts all red and receives the same requests): which stage is green,
since when, and whether the minimum green has run out. A controller never needs to guess.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from signalbrain.control.base import Request, SignalState
from signalbrain.control.monitor import ConflictMonitor, phase_min_green_s
from signalbrain.network.model import Intersection

__all__ = ["Shadow", "Stage", "stages"]


@dataclass(frozen=True, slots=True)
class Stage:
    """Phases that run together and what they serve.

    ``levels`` maps each movement served to 2 (protected) or 1 (permitted); ``min_green_s`` and
    ``max_green_s`` are the largest over the phases; ``clearance_s`` the largest yellow plus
    all-red.
    """

    phases: tuple[int, ...]
    levels: dict[str, int]
    min_green_s: float
    max_green_s: float
    clearance_s: float

    @property
    def request(self) -> Request:
        """The request that asks for this stage."""
        return Request(phases=self.phases)


def _stage(isec: Intersection, phases: tuple[int, ...]) -> Stage | None:
    levels: dict[str, int] = {}
    for n in phases:
        ph = isec.phase(n)
        for m in ph.permitted:
            levels[m] = max(levels.get(m, 0), 1)
        for m in ph.protected:
            levels[m] = 2
    prot = [m for m, lv in levels.items() if lv == 2]
    perm = [m for m, lv in levels.items() if lv == 1]
    if isec.unsafe_pairs(prot, perm):
        return None
    ps = [isec.phase(n) for n in phases]
    return Stage(
        phases,
        levels,
        max(phase_min_green_s(p) for p in ps),
        max(p.max_green_s for p in ps),
        max(p.yellow_s + p.all_red_s for p in ps),
    )


def stages(isec: Intersection) -> tuple[Stage, ...]:
    """Every stage of an intersection, in ring-sequence order.

    Single ring: each phase alone. Several rings: per barrier group, one phase from each ring that
    has phases in the group, kept when the combination gives no unsafe pair.
    """
    known = {p.number for p in isec.phases}
    rings = [tuple(n for n in ring if n in known) for ring in isec.rings] or [
        tuple(p.number for p in isec.phases)
    ]
    out: list[Stage] = []
    if len(rings) == 1:
        for n in rings[0]:
            s = _stage(isec, (n,))
            if s is not None:
                out.append(s)
        return tuple(out)
    for group in isec.barriers:
        members = set(group)
        per_ring = [[n for n in ring if n in members] for ring in rings]
        per_ring = [r for r in per_ring if r]
        for combo in itertools.product(*per_ring):
            s = _stage(isec, tuple(combo))
            if s is not None:
                out.append(s)
    if not out:  # no compatible combination: fall back to phases alone
        out = [s for n in known if (s := _stage(isec, (n,))) is not None]
    return tuple(out)


class Shadow:
    """A controller's private copy of an intersection's conflict monitor.

    Parameters
    ----------
    intersection
        The intersection.
    """

    def __init__(self, intersection: Intersection) -> None:
        self.intersection = intersection
        self.monitor = ConflictMonitor(intersection)
        self.stages = stages(intersection)
        self._by_phases = {s.phases: s for s in self.stages}
        self.state: SignalState | None = None

    def apply(self, t_s: float, dt_s: float, request: Request) -> SignalState:
        """Step the shadow monitor with the request the controller is about to return."""
        self.state = self.monitor.step(t_s, dt_s, request)
        return self.state

    @property
    def current(self) -> Stage | None:
        """The stage being served (``None`` before the first request or when all red)."""
        return self._by_phases.get(self.monitor.served)

    def green_elapsed_s(self, t_s: float) -> float | None:
        """Seconds the current stage has shown full green, ``None`` while it is changing."""
        since = self.monitor.served_green_since_s()
        return None if since is None else t_s - since

    def settled(self, t_s: float) -> bool:
        """Whether the current stage shows full green and its minimum green has run out."""
        return self.monitor.served_green_since_s() is not None and self.monitor.may_end_green(t_s)

    def is_green(self, movement: str) -> bool:
        """Whether a movement shows green now."""
        return self.state is not None and self.state.movements.get(movement, "r") in "Gg"
