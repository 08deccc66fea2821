"""Timing rules shared by the conflict monitor and the safety auditor (one definition, so both
enforce and check the same thing): per-movement yellow and all-red, and minimum greens."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from signalbrain.network.model import Intersection, Phase

__all__ = ["EPS_S", "MovementClearances", "phase_min_green_s"]

EPS_S = 1e-6
"""Tolerance for comparing times [s]."""


def phase_min_green_s(phase: Phase) -> float:
    """Shortest green a phase may show [s]: the larger of its minimum green and its pedestrian
    minimum."""
    return max(phase.min_green_s, phase.ped_min_s)


@dataclass(frozen=True, slots=True)
class MovementClearances:
    """Per-movement timing rules shared by the monitor and the auditor.

    ``yellow_s`` and ``all_red_s`` are the largest over the phases serving each movement;
    ``fallback_min_green_s`` is the smallest phase minimum green over those phases, used when a
    movement turns green without any served phase containing it.
    """

    yellow_s: dict[str, float]
    all_red_s: dict[str, float]
    fallback_min_green_s: dict[str, float]

    @classmethod
    def of(cls, isec: Intersection) -> MovementClearances:
        """Derive the rules from an intersection's phases."""
        yellow, all_red = isec.movement_clearances()
        fallback: dict[str, float] = {}
        for ph in isec.phases:
            for mid in ph.movements:
                fallback[mid] = min(fallback.get(mid, math.inf), phase_min_green_s(ph))
        return cls(yellow, all_red, fallback)

    def min_green_s(self, isec: Intersection, movement: str, phases: Sequence[int]) -> float:
        """Minimum green owed by ``movement`` turning green while ``phases`` are served [s]."""
        owed = [
            phase_min_green_s(isec.phase(n))
            for n in phases
            if _has_phase(isec, n) and movement in isec.phase(n).movements
        ]
        if owed:
            return max(owed)
        value = self.fallback_min_green_s.get(movement, 0.0)
        return 0.0 if math.isinf(value) else value


def _has_phase(isec: Intersection, number: int) -> bool:
    try:
        isec.phase(number)
    except KeyError:
        return False
    return True
