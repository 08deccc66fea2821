"""The conflict monitor, the last word on every signal state, and its independent auditor.

:class:`ConflictMonitor` (one per intersection) turns whatever a controller requests into a safe
per-movement display. It works movement by movement, so single-ring stage controllers, NEMA dual
rings and preemption are all handled by the same rules:

* two movements that must not run together (:meth:`Intersection.unsafe_pairs`: a conflicting pair,
  or a permissive pair when both are protected) are never green or yellow at the same time;
* a movement that turned green stays green for the minimum green of the phase(s) served when it
  turned green (the larger of ``min_green_s`` and ``ped_min_s``);
* a green ends with its full yellow, then its full all-red before any movement that conflicts with
  it, or the movement itself, may turn green (a yellow is always followed by red, for one step
  at least: MUTCD 4D.26); a protected movement that drops to permitted (``G`` -> ``g``) keeps the
  movements it is permissive with from protected green for its yellow plus all-red.

Clearances of a movement are the largest ``yellow_s`` and ``all_red_s`` over the phases serving it.
:func:`audit` re-derives every rule from the sequence of states alone (it shares no state with the
monitor) and counts violations for the ``safety`` block of a run's JSON.

References
----------
NEMA TS 2-2021, *Traffic Controller Assemblies with NTCIP Requirements*, sec. 6 (malfunction
management unit: conflict, minimum yellow and minimum red-clearance monitoring).
MUTCD 2009, sec. 4D.26 (yellow change and red clearance intervals).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

from signalbrain.control._rules import EPS_S, MovementClearances, phase_min_green_s
from signalbrain.control.audit import audit
from signalbrain.control.base import Request, SignalState
from signalbrain.errors import SignalbrainError
from signalbrain.network.model import CONFLICT, Intersection, Network

__all__ = [
    "EPS_S",
    "ConflictMonitor",
    "MovementClearances",
    "audit",
    "make_monitors",
    "phase_min_green_s",
]

log = logging.getLogger(__name__)

_CODES = ("r", "g", "G", "y")  # by green level (0 red, 1 permitted, 2 protected); 3 yellow


class ConflictMonitor:
    """Safe signal states for one intersection, whatever the requests.

    Parameters
    ----------
    intersection
        The intersection whose movements, phases and conflicts rule the states.
    start_phase
        Phase shown green from the first step on (as if it had been running); by default the
        intersection starts all red with no clearance pending.

    Notes
    -----
    Time runs in steps: the state returned by :meth:`step` at ``t_s`` holds until the next call.
    A change that a rule forbids is postponed to the first step at which it is allowed, so a
    yellow of 3.5 s with 1 s steps lasts 4 s. Requests for unknown phases hold the current phases
    (logged once per phase number); a ``None`` request is a hold.
    """

    def __init__(self, intersection: Intersection, *, start_phase: int | None = None) -> None:
        self.intersection = intersection
        self.rules = MovementClearances.of(intersection)
        isec = intersection
        self._ids = [m.id for m in isec.movements]
        n = len(self._ids)
        pos = {mid: i for i, mid in enumerate(self._ids)}
        self._conflict: list[list[int]] = [[] for _ in range(n)]
        self._permissive: list[list[int]] = [[] for _ in range(n)]
        for a, b in isec.conflicts:
            if a not in pos or b not in pos:
                continue
            rel = isec.relation(a, b)
            target = self._conflict if rel == CONFLICT else self._permissive
            target[pos[a]].append(pos[b])
            target[pos[b]].append(pos[a])
        self._yellow_s = [self.rules.yellow_s.get(m, 0.0) for m in self._ids]
        self._all_red_s = [self.rules.all_red_s.get(m, 0.0) for m in self._ids]
        self._phase_levels: dict[int, list[tuple[int, int]]] = {}
        for ph in isec.phases:
            levels = [(pos[m], 2) for m in ph.protected if m in pos]
            levels += [(pos[m], 1) for m in ph.permitted if m in pos and m not in ph.protected]
            self._phase_levels[ph.number] = levels
        self._desired_cache: dict[tuple[int, ...], tuple[tuple[int, ...], dict[int, int]]] = {}
        self._warned: set[str] = set()
        self._start_phase = start_phase
        # Per-movement state.
        self._level = [0] * n  # green level now: 0 (not green), 1 permitted, 2 protected
        self._yellow = [False] * n
        self._green_start = [-math.inf] * n
        self._min_until = [-math.inf] * n
        self._yellow_until = [-math.inf] * n
        self._clear_until = [-math.inf] * n  # end of the all-red after the yellow
        self._red_from = [-math.inf] * n  # when the last yellow ended
        self._clear_level = [0] * n  # green level held before the yellow
        self._prot_until = [-math.inf] * n  # protected clearance after G -> g
        self._served: tuple[int, ...] = ()
        self._served_green_since: float | None = None
        self._t_last: float | None = None
        self.last: SignalState | None = None
        self._shown: tuple[int, ...] = ()
        self._movements: dict[str, str] = {}

    # ---------------------------------------------------------------- queries for controllers
    @property
    def served(self) -> tuple[int, ...]:
        """Phases being served (as in the last state)."""
        return self._served

    def served_green_since_s(self) -> float | None:
        """Time since which every served phase has shown full green, or ``None`` while changing."""
        return self._served_green_since

    def may_end_green(self, t_s: float) -> bool:
        """Whether every green movement has met its minimum green at ``t_s``."""
        return all(
            self._level[i] == 0 or t_s >= self._min_until[i] - EPS_S for i in range(len(self._ids))
        )

    def clearing(self, t_s: float) -> bool:
        """Whether a yellow or all-red interval is running at ``t_s``."""
        return any(
            self._yellow[i] or self._clear_until[i] > t_s + EPS_S for i in range(len(self._ids))
        )

    # ---------------------------------------------------------------- the rules
    def _eff(self, j: int, t: float) -> int:
        """Green level movement j occupies for conflict checks at time t."""
        level = self._level[j]
        if self._yellow[j]:
            level = self._clear_level[j]
        elif level < 2 and self._clear_until[j] > t + EPS_S:
            level = max(level, self._clear_level[j])
        if level == 1 and self._prot_until[j] > t + EPS_S:
            return 2
        return level

    def _may_turn(self, i: int, level: int, t: float) -> bool:
        for j in self._conflict[i]:
            if self._eff(j, t) > 0:
                return False
        if level == 2:
            for j in self._permissive[i]:
                if self._eff(j, t) == 2:
                    return False
        return True

    def _desired(self, request: Request | None) -> tuple[tuple[int, ...], dict[int, int]]:
        if request is None or not isinstance(request, Request) or request.hold:
            return self._plan(self._served)
        try:  # a malformed request (phases not a tuple, unhashable numbers, True for phase
            wanted = tuple(request.wanted)  # 1) is held like an unknown phase: the monitor
            hash(wanted)  # never fails on input
            if bool in map(type, wanted):  # bool cannot be subclassed; half any()'s cost
                raise TypeError("a bool is not a phase number")
        except TypeError:
            if "malformed" not in self._warned:
                self._warned.add("malformed")
                log.warning(
                    "intersection %s: malformed request %r; holding",
                    self.intersection.id,
                    request,
                )
            return self._plan(self._served)
        served, desired = self._plan(wanted)
        if not served and wanted:  # nothing known was asked for: hold
            return self._plan(self._served)
        return served, desired

    def _plan(self, wanted: tuple[int, ...]) -> tuple[tuple[int, ...], dict[int, int]]:
        """Phases kept from ``wanted`` (known, mutually compatible) and their green levels."""
        cached = self._desired_cache.get(wanted)
        if cached is not None:
            return cached
        kept: list[int] = []
        desired: dict[int, int] = {}
        for number in wanted:
            try:
                levels = self._phase_levels.get(number)
            except TypeError:
                levels = None
            if levels is None:
                if repr(number) not in self._warned:
                    self._warned.add(repr(number))
                    log.warning(
                        "intersection %s: request for unknown phase %r; ignored",
                        self.intersection.id,
                        number,
                    )
                continue
            trial = dict(desired)
            for i, lv in levels:
                trial[i] = max(trial.get(i, 0), lv)
            if number not in kept and self._consistent(trial):
                kept.append(int(number))
                desired = trial
        result = (tuple(kept), desired)
        if len(self._desired_cache) < 4096:
            self._desired_cache[wanted] = result
        return result

    def _consistent(self, desired: Mapping[int, int]) -> bool:
        for i, lv in desired.items():
            if any(j in desired for j in self._conflict[i]):
                return False
            if lv == 2 and any(desired.get(j, 0) == 2 for j in self._permissive[i]):
                return False
        return True

    def _begin(self, t: float) -> None:
        if self._start_phase is None:
            return
        served, desired = self._desired(Request(self._start_phase))
        isec = self.intersection
        for i, lv in desired.items():
            self._level[i] = lv
            self._green_start[i] = t
            # the first state may already serve other phases: owe the longest minimum green
            self._min_until[i] = t + max(
                phase_min_green_s(p) for p in isec.phases if self._ids[i] in p.movements
            )
        self._served = served

    def step(self, t_s: float, dt_s: float, request: Request | None) -> SignalState:
        """The safe state from ``t_s`` on, as close to ``request`` as the rules allow.

        Parameters
        ----------
        t_s
            Time of this step [s]; must not decrease from one call to the next (a time less
            than ``EPS_S`` before the last step's is taken as the last step's; the state then
            carries that time).
        dt_s
            Step length [s] (informative: the state holds until the next call).
        request
            What the controller asks; ``None`` or a non-:class:`Request` holds.
        """
        t = float(t_s)
        if not math.isfinite(t):
            raise SignalbrainError(
                f"intersection {self.intersection.id}: time {t_s!r} is not finite"
            )
        if self._t_last is None:
            self._begin(t)
        elif t < self._t_last:
            if t < self._t_last - EPS_S:
                raise SignalbrainError(
                    f"intersection {self.intersection.id}: time went backwards "
                    f"from {self._t_last} to {t}"
                )
            # rounding noise: the same time as the last step. Taking t as given would let
            # steps each a little under EPS_S earlier run the clock back without limit.
            t = self._t_last
        self._t_last = t
        served, desired = self._desired(request)
        n = len(self._ids)
        level, yellow = self._level, self._yellow
        # 1. End greens (after their minimum), drop protected to permitted, finish yellows.
        for i in range(n):
            lv = level[i]
            if lv:
                want = desired.get(i, 0)
                if (
                    want >= lv
                    or t < self._min_until[i] - EPS_S
                    or t <= self._green_start[i] + EPS_S
                ):  # a green shows for one step
                    continue
                if want == 0:
                    self._clear_level[i] = self._eff(i, t)
                    level[i] = 0
                    yellow[i] = True
                    self._yellow_until[i] = t + self._yellow_s[i]
                else:
                    level[i] = 1
                    self._prot_until[i] = t + self._yellow_s[i] + self._all_red_s[i]
            elif yellow[i] and t >= self._yellow_until[i] - EPS_S:
                yellow[i] = False
                self._red_from[i] = t
                self._clear_until[i] = t + self._all_red_s[i]
        # 2. Start greens and raise permitted to protected where nothing forbids it.
        for i, want in desired.items():
            lv = level[i]
            if yellow[i] or lv >= want:
                continue
            if lv == 0 and (
                t <= self._red_from[i] + EPS_S or t < self._clear_until[i] - EPS_S
            ):  # a yellow is followed by red: for one step at least, and the full all-red
                continue
            if self._may_turn(i, want, t):
                level[i] = want
                if lv == 0:
                    self._green_start[i] = t
                    self._min_until[i] = t + self.rules.min_green_s(
                        self.intersection, self._ids[i], served
                    )
        # 3. The state.
        shown = tuple(3 if yellow[i] else level[i] for i in range(n))
        if shown != self._shown:  # states share the display mapping while nothing changes
            self._shown = shown
            self._movements = {mid: _CODES[c] for mid, c in zip(self._ids, shown, strict=True)}
        movements = self._movements
        full = bool(served) and all(level[i] >= lv for i, lv in desired.items())
        if served != self._served or not full:
            self._served_green_since = None
        if full and self._served_green_since is None:
            self._served_green_since = t
        self._served = served
        forced = bool(getattr(request, "force", False))
        state = SignalState(t, movements, served[0] if full else None, served, forced)
        self.last = state
        return state


def make_monitors(network: Network) -> dict[str, ConflictMonitor]:
    """One monitor per intersection of ``network``, all starting all red."""
    return {isec.id: ConflictMonitor(isec) for isec in network.intersections}
