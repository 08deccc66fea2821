"""The independent safety auditor: violations counted from a sequence of signal states alone.

:func:`audit` re-derives every rule the :class:`~signalbrain.control.monitor.ConflictMonitor`
enforces (no unsafe pair green or yellow together, full yellow, full all-red before a conflicting
green, minimum greens) from the states and the intersection, sharing no state with the monitor, so
it catches a faulty monitor as well as a faulty controller. Its counts fill the ``safety`` block of
a run's JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from signalbrain._numbers import finite_or_none
from signalbrain.control._rules import EPS_S, MovementClearances
from signalbrain.control.base import SafetyCounts, SignalState
from signalbrain.errors import InputError, Problem, format_path
from signalbrain.network.displays import DISPLAYS
from signalbrain.network.model import CONFLICT, PERMISSIVE, Intersection

__all__ = ["DISPLAYS", "audit", "record"]


_LEVEL = {"G": 2, "g": 1}
_MAX_LISTED = 10  # problems listed in one error; the rest are counted


def record(history: list[SignalState], state: SignalState) -> None:
    """Append ``state`` to a run's ``history`` unless it shows every movement as the last state
    kept does. :func:`audit` counts only changes of the displays and the time between them, so
    the history audits the same while it grows with the changes, not with every step (on a
    7-signal hour, 3,209 states instead of 25,200)."""
    if history:
        last = history[-1].movements
        if state.movements is last or state.movements == last:
            return
    history.append(state)


def _time_s(state: object) -> float | None:
    """A state's ``t_s`` as a finite float, or ``None`` when it is not one."""
    return finite_or_none(getattr(state, "t_s", math.nan))


def _check_order(intersection: Intersection, states: Sequence[SignalState]) -> None:
    """Raise :class:`InputError` unless the states' times are finite and strictly increasing.

    A state holds from its ``t_s`` until the next state's, so a history out of time order gives
    negative durations (conflicting time subtracted, intervals judged against the wrong clock)
    and two states at the same time leave it unknown which display was in force: either way
    the counts would be wrong without a sign, so the history is refused instead.
    """
    problems: list[Problem] = []
    extra = 0
    prev: float | None = None
    for k, st in enumerate(states):
        t = _time_s(st)
        message = ""
        if t is None:
            message = f"= {getattr(st, 't_s', None)!r}: not a finite time [s]"
        elif prev is not None and t <= prev:
            when = "the same time as" if t == prev else "earlier than"
            message = f"= {t:g}: {when} states[{k - 1}].t_s = {prev:g}"
        if message:
            if len(problems) < _MAX_LISTED:
                problems.append(Problem(format_path("states", k, "t_s"), message))
            else:
                extra += 1
        if t is not None:
            prev = t
    if not problems:
        return
    if extra:
        problems.append(Problem("states", f"and {extra} more states out of time order"))
    problems.append(
        Problem(
            "states",
            "the audit needs states in strictly increasing time order (each holds from its "
            "t_s until the next state's)",
        )
    )
    raise InputError(problems, source=f"intersection {intersection.id}")


def _check_displays(intersection: Intersection, states: Sequence[SignalState]) -> None:
    """Raise :class:`InputError` unless every display is a letter of :data:`DISPLAYS`."""
    known = DISPLAYS.keys()
    problems: list[Problem] = []
    extra = 0
    for k, st in enumerate(states):
        shown = getattr(st, "movements", None)
        if not isinstance(shown, Mapping):
            bad: list[tuple[str, object]] = [("", shown)]
        else:
            try:
                if known >= set(shown.values()):
                    continue
            except TypeError:  # an unhashable display
                pass
            bad = [(str(m), d) for m, d in shown.items() if not (isinstance(d, str) and d in known)]
        for m, d in bad:
            if len(problems) >= _MAX_LISTED:
                extra += 1
                continue
            if m:
                path = format_path("states", k, "movements", m)
                problems.append(Problem(path, f"= {d!r}: not a signal display"))
            else:
                path = format_path("states", k, "movements")
                problems.append(Problem(path, f"a {type(d).__name__}: expected a mapping"))
    if not problems:
        return
    if extra:
        problems.append(Problem("states", f"and {extra} more displays not known"))
    letters = ", ".join(DISPLAYS)
    problems.append(
        Problem(
            "states",
            f"a display is one of {letters} (signalbrain's G, g, y, r, or a SUMO state letter)",
        )
    )
    raise InputError(problems, source=f"intersection {intersection.id}")


def _unsafe(isec: Intersection, a: str, la: int, b: str, lb: int) -> bool:
    rel = isec.relation(a, b)
    return (rel == CONFLICT and la > 0 and lb > 0) or (rel == PERMISSIVE and la == 2 and lb == 2)


def _check_end(
    intersection: Intersection, states: Sequence[SignalState], end_s: object
) -> float | None:
    """``end_s`` as a float; raise :class:`InputError` unless it is ``None`` or a finite time
    [s] no earlier than the last state's."""
    if end_s is None:
        return None
    t = finite_or_none(end_s)
    if t is None:
        message = f"= {end_s!r}: must be a finite time [s] or None"
    elif states and t < states[-1].t_s:
        message = f"= {t:g}: earlier than the last state's t_s = {states[-1].t_s:g}"
    else:
        return t
    raise InputError([Problem("end_s", message)], source=f"intersection {intersection.id}")


def audit(
    intersection: Intersection,
    states: Sequence[SignalState],
    *,
    from_start: bool = True,
    end_s: float | None = None,
) -> SafetyCounts:
    """Count safety violations in a sequence of states of one intersection.

    Each state holds from its ``t_s`` until the next state's, and the last one until
    ``end_s``. Without ``end_s`` the last state's duration is unknown, so it adds no
    conflicting time: a history whose last state shows a conflict audits as safe unless it is
    closed (pass ``end_s``, or append a copy of the last state at the end time, as the run
    loops' ``finish`` does). The checker knows only the intersection and the states (not the
    monitor), so it catches a faulty monitor as well as a faulty controller.

    Parameters
    ----------
    intersection
        Movements, conflicts and phase timing limits.
    states
        States in strictly increasing time order (finite ``t_s``); anything else raises.
    from_start
        The first state is where the displays began (signalbrain's monitors start so). False
        for displays recorded from the middle of a program (SUMO's, with offsets, at the
        simulation's begin): what the first state shows began at an unknown time, so its
        greens and yellows are not judged short, its greens count from then as on (a yellow
        as the lesser, permitted level, its earlier green unknown), and only what follows is
        checked in full. Conflicting displays in the first state are counted either way.
    end_s
        When the last state ended [s] (the end of the run or recording), no earlier than its
        ``t_s``; ``None`` when unknown. The end closes the last state's conflicting time but
        judges no interval: a green or yellow cut by the end of the recording is not short.

    Returns
    -------
    SafetyCounts
        ``conflicting_green_s`` counts time (not pairs) with at least one unsafe pair green or
        yellow; the other counters count events.

    Raises
    ------
    InputError
        When a state's time is not finite, or is not later than the state before it (out of
        order or duplicated): such a history cannot be judged, and judging it anyway would
        miscount (a negative duration subtracts conflicting time). When ``end_s`` is not
        ``None`` or a finite time no earlier than the last state's. When a display is not one
        of :data:`DISPLAYS` (read as red, it could hide a conflict).

    Notes
    -----
    A movement a state does not name shows red. SUMO's letters are read as
    :data:`DISPLAYS` says (a light off is an uncontrolled movement: a permitted green).
    """
    _check_order(intersection, states)
    _check_displays(intersection, states)
    end = _check_end(intersection, states, end_s)
    isec = intersection
    rules = MovementClearances.of(isec)
    ids = [m.id for m in isec.movements]
    pairs = sorted(isec.conflicts)
    disp = dict.fromkeys(ids, "r")
    level = dict.fromkeys(ids, 0)  # green level now or held before yellow
    green_start = dict.fromkeys(ids, -math.inf)
    owed = dict.fromkeys(ids, 0.0)
    yellow_start = dict.fromkeys(ids, -math.inf)
    clear_until = dict.fromkeys(ids, -math.inf)
    clear_level = dict.fromkeys(ids, 0)
    prot_until = dict.fromkeys(ids, -math.inf)
    conflicting_s = 0.0
    short_yellow = short_all_red = short_green = 0

    def holds(j: str, t: float) -> int:
        """Level j occupies through a clearance (after its display), for all-red checks."""
        lv = clear_level[j] if clear_until[j] > t + EPS_S else 0
        if prot_until[j] > t + EPS_S:
            lv = 2
        return lv

    if not from_start and states:
        for m in ids:
            first = DISPLAYS[states[0].movements.get(m, "r")]
            if first in ("G", "g", "y"):
                disp[m] = first
                level[m] = _LEVEL.get(first, 1)  # yellow: its green's level unknown
    for k, st in enumerate(states):
        t = st.t_s
        onsets: list[tuple[str, int]] = []
        new_disp: dict[str, str] = {}
        for m in ids:
            new = DISPLAYS[st.movements.get(m, "r")]
            new_disp[m] = new
            old = disp[m]
            if new == old:
                continue
            if old in "Gg" and new in "Gg":  # protected <-> permitted, green goes on
                if old == "G":
                    prot_until[m] = t + rules.yellow_s.get(m, 0.0) + rules.all_red_s.get(m, 0.0)
                else:
                    onsets.append((m, 2))
                level[m] = _LEVEL[new]
                continue
            if old in "Gg" and t - green_start[m] < owed[m] - EPS_S:  # a green ends early
                short_green += 1
            if new == "y":
                if old == "r":
                    short_green += 1  # a green of zero length
                    level[m] = 2
                yellow_start[m] = t
                continue
            if old in "Gg" or old == "y":  # into red, or a yellow cut short by a new green
                if old != "y" or t - yellow_start[m] < rules.yellow_s.get(m, 0.0) - EPS_S:
                    short_yellow += 1
                # the level of the green that ended; a protected clearance still running from
                # an earlier protected-to-permitted change is held by prot_until, only until it
                # ends (holding it through the whole all-red flagged safe lead-lag plans)
                clear_level[m] = level[m]
                clear_until[m] = t + rules.all_red_s.get(m, 0.0)
            if new in "Gg":
                green_start[m] = t
                owed[m] = rules.min_green_s(isec, m, st.phases)
                level[m] = _LEVEL[new]
                onsets.append((m, level[m]))
        disp = new_disp
        for m, lv in onsets:
            for j in ids:
                if j == m:
                    continue
                shown = level[j] if disp[j] != "r" else 0
                if not _unsafe(isec, m, lv, j, shown) and _unsafe(
                    isec, m, lv, j, max(shown, holds(j, t))
                ):
                    short_all_red += 1
                    break
        until = states[k + 1].t_s if k + 1 < len(states) else end
        if until is not None:
            dt = until - t
            for a, b in pairs:
                la = level[a] if disp[a] != "r" else 0
                lb = level[b] if disp[b] != "r" else 0
                if la and lb and _unsafe(isec, a, la, b, lb):
                    conflicting_s += dt
                    break
    return SafetyCounts(conflicting_s, short_yellow, short_all_red, short_green)
