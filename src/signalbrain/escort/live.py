"""What the escort knows about each signal's display while it runs: a tracker of monitor states.

The conflict monitor decides every display; the escort only watches the
:class:`~signalbrain.control.base.SignalState` stream to know, per movement, since when it is green,
yellow or clearing. From that, :meth:`LiveSignal.transition_s` tells how long the monitor will
need to give a phase green if called now: the remaining minimum green of every conflicting green
movement, then its full yellow and all-red (what is left of them when already timing). Without any
state seen yet the worst case over the phases is assumed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from signalbrain.control.base import SignalState
from signalbrain.control.monitor import MovementClearances, phase_min_green_s
from signalbrain.escort.signal import worst_transition_s
from signalbrain.network import CONFLICT, NONE, Intersection

__all__ = ["LiveSignal", "companion_phases"]


def companion_phases(isec: Intersection) -> dict[int, tuple[int, ...]]:
    """For each phase, the phases of the other rings that run beside it: the one at the same
    place in the same barrier group (2 with 6, 1 with 5 in NEMA numbering)."""
    out: dict[int, tuple[int, ...]] = {}
    for group in isec.barriers:
        members = set(group)
        parts = [[n for n in ring if n in members] for ring in isec.rings]
        for r, part in enumerate(parts):
            for k, n in enumerate(part):
                others: list[int] = []
                for r2, other in enumerate(parts):
                    if r2 != r and other:
                        others.append(other[min(k, len(other) - 1)])
                out[n] = tuple(others)
    return out


class LiveSignal:
    """Per-movement display history of one intersection (from the monitor's states)."""

    def __init__(self, isec: Intersection) -> None:
        self.isec = isec
        rules = MovementClearances.of(isec)
        self._yellow = rules.yellow_s
        self._all_red = rules.all_red_s
        self._min_green: dict[str, float] = {}
        for ph in isec.phases:
            for mid in ph.movements:
                self._min_green[mid] = max(self._min_green.get(mid, 0.0), phase_min_green_s(ph))
        self._display: dict[str, str] = {}
        self._since: dict[str, float] = {}
        self.known = False

    def observe(self, state: SignalState) -> None:
        """Record the display from ``state.t_s`` on."""
        for mid, s in state.movements.items():
            prev = self._display.get(mid)
            level = "g" if s in "Gg" else s
            if prev != level:
                self._display[mid] = level
                self._since[mid] = state.t_s
        self.known = True

    def green(self, movements: Sequence[str]) -> bool:
        """Whether all these movements show green now."""
        return bool(movements) and all(self._display.get(m) == "g" for m in movements)

    def transition_s(self, target: int, t_s: float) -> float:
        """Time from ``t_s`` until phase ``target`` can be green if called at ``t_s`` [s]."""
        if not self.known:
            return worst_transition_s(self.isec, target)
        try:
            ph = self.isec.phase(target)
        except KeyError:
            return worst_transition_s(self.isec, target)
        wanted = [(m, True) for m in ph.protected] + [(m, False) for m in ph.permitted]
        need = 0.0
        for mid, disp in self._display.items():
            since = self._since.get(mid, -math.inf)
            elapsed = max(t_s - since, 0.0)
            y = self._yellow.get(mid, 0.0)
            ar = self._all_red.get(mid, 0.0)
            if disp == "y":
                if any(m == mid for m, _ in wanted):
                    need = max(need, y - elapsed)
                    continue
                rest = max(y - elapsed, 0.0) + ar
            elif disp == "g":
                rest = max(self._min_green.get(mid, 0.0) - elapsed, 0.0) + y + ar
            elif disp == "r":
                rest = max(ar - elapsed, 0.0)  # all-red still running after a yellow
                if rest <= 0.0:
                    continue
            else:
                continue
            if any(self._blocks(mid, m, prot) for m, prot in wanted):
                need = max(need, rest)
        return max(need, 0.0)

    def _blocks(self, other: str, wanted: str, protected: bool) -> bool:
        if other == wanted:
            return False
        rel = self.isec.relation(other, wanted)
        if rel == NONE:
            return False
        return rel == CONFLICT or protected
