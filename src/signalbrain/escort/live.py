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

__all__ = ["MAX_GAP_STEPS", "LiveSignal", "companion_phases"]

MAX_GAP_STEPS = 1.5
"""A gap between two observed states longer than this many steps drops the display history."""


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
        self._last_t: float | None = None
        self._step_s = math.inf  # shortest time between two observations so far
        self.known = False

    def observe(self, state: SignalState) -> None:
        """Record the display from ``state.t_s`` on.

        After a gap longer than ``MAX_GAP_STEPS`` of the shortest time between two
        observations so far (1 s until there is one; and over 1 s) the history is dropped first
        (:meth:`forget`): a green seen on both sides of the gap may have ended and started
        again in between."""
        if self._last_t is not None:
            gap = state.t_s - self._last_t
            step = self._step_s if math.isfinite(self._step_s) else 1.0
            if gap > max(1.0, MAX_GAP_STEPS * step) + 1e-9:
                self.forget()
            if gap > 0.0:
                self._step_s = min(self._step_s, gap)
        self._last_t = state.t_s
        for mid, s in state.movements.items():
            prev = self._display.get(mid)
            if prev == s:
                continue
            self._display[mid] = s
            if prev is None or (prev in "Gg") != (s in "Gg") or s not in "Gg":
                self._since[mid] = state.t_s  # a green that changes G <-> g keeps its start
        self.known = True

    def forget(self) -> None:
        """Drop the display history (the signal was not watched for a while): until the next
        :meth:`observe` the worst transition is assumed, and greens seen then count from then."""
        self._display.clear()
        self._since.clear()
        self.known = False

    def green(self, movements: Sequence[str]) -> bool:
        """Whether all these movements show green now."""
        return bool(movements) and all(self._display.get(m, "r") in "Gg" for m in movements)

    def green_movements(self) -> frozenset[str]:
        """The movements showing green (protected or permitted) now."""
        return frozenset(m for m, d in self._display.items() if d in "Gg")

    def _rest_s(self, mid: str, disp: str, t_s: float) -> float:
        """Time until ``mid`` has ended its green (min green left) and its clearance [s]."""
        elapsed = max(t_s - self._since.get(mid, -math.inf), 0.0)
        y = self._yellow.get(mid, 0.0)
        ar = self._all_red.get(mid, 0.0)
        if disp == "y":
            return max(y - elapsed, 0.0) + ar
        if disp in "Gg":
            return max(self._min_green.get(mid, 0.0) - elapsed, 0.0) + y + ar
        return max(ar - elapsed, 0.0)  # red: the all-red still running after a yellow

    def transition_s(self, target: int, t_s: float) -> float:
        """Time from ``t_s`` until phase ``target`` can be green if called at ``t_s`` [s]."""
        if not self.known:
            return worst_transition_s(self.isec, target)
        try:
            ph = self.isec.phase(target)
        except KeyError:
            return worst_transition_s(self.isec, target)
        wanted = [(m, True) for m in ph.protected] + [(m, False) for m in ph.permitted]
        own = set(ph.movements)
        need = 0.0
        for mid, disp in self._display.items():
            if disp == "y" and mid in own:  # a wanted movement cannot re-green mid-yellow
                need = max(need, self._rest_s(mid, disp, t_s) - self._all_red.get(mid, 0.0))
                continue
            if mid in own and disp in "Gg":
                continue  # stays green
            rest = self._rest_s(mid, disp, t_s)
            if rest <= 0.0:
                continue
            if any(self._blocks(mid, disp, m, prot) for m, prot in wanted):
                need = max(need, rest)
        return max(need, 0.0)

    def may_start_green_within(self, target: int, t_s: float, within_s: float) -> bool:
        """Whether another phase could turn green within ``within_s`` of ``t_s`` and so delay
        ``target`` by its minimum green and clearance: nothing that conflicts with ``target``
        shows green, and every yellow and all-red ends by then."""
        if not self.known:
            return True
        try:
            own = set(self.isec.phase(target).movements)
        except KeyError:
            return True
        for mid, disp in self._display.items():
            if disp in "Gg":
                if mid not in own:
                    return False
            elif self._rest_s(mid, disp, t_s) > within_s + 1e-9:
                return False
        return True

    def _blocks(self, other: str, disp: str, wanted: str, protected: bool) -> bool:
        """Whether ``other`` (showing ``disp``) keeps ``wanted`` from turning green: a
        conflict always; a permissive pair when ``wanted`` is protected and ``other`` is not a
        permitted green (which yields)."""
        if other == wanted:
            return False
        rel = self.isec.relation(other, wanted)
        if rel == NONE:
            return False
        return rel == CONFLICT or (protected and disp != "g")
