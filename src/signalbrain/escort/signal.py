"""How long a signal needs to give green to a phase, from its current or its planned state.

A preemption call cannot cut the running phase short: the monitor finishes its minimum green, then
times its full yellow and all-red before the called phase may turn green [1]_. So the call must be
placed at least ``remaining min green + yellow + all-red`` ahead of the moment the green is needed.
:func:`transition_s` gives that time from a :class:`PhaseStatus`; :func:`latest_call_s` finds the
latest call time that still gives green by a deadline, when the state at call time is predicted
from the timing plan (``TimingPlan.phase_at``).

References
----------
.. [1] NTCIP 1202 v03, section 5.7 (preempt entry: minimum green, yellow and red clearance of the
   phase in service before the preempt phases).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from signalbrain.errors import Problem, format_path
from signalbrain.network import Intersection, Network, Phase

__all__ = [
    "PhaseStatus",
    "PlanLike",
    "earliest_green_s",
    "latest_call_s",
    "plan_status",
    "plans_problems",
    "transition_s",
    "worst_transition_s",
]

Kind = Literal["green", "yellow", "red"]


class _Interval(Protocol):
    @property
    def phase(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...


class _PhaseTiming(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def green_s(self) -> float: ...
    @property
    def yellow_s(self) -> float: ...
    @property
    def all_red_s(self) -> float: ...


class PlanLike(Protocol):
    """What the escort reads from a ``signalbrain.timing.TimingPlan``."""

    @property
    def cycle_s(self) -> float: ...
    @property
    def offset_s(self) -> float: ...
    @property
    def phases(self) -> Sequence[_PhaseTiming]: ...
    @property
    def rings(self) -> Sequence[Sequence[int]]: ...
    def phase_at(self, t_s: float) -> Sequence[_Interval]: ...


_PLAN_ATTRIBUTES = ("cycle_s", "offset_s", "phases", "rings")
_MAX_NAMED = 10  # ids named in one message; the rest are counted

log = logging.getLogger(__name__)


def plans_problems(
    plans: object, option: str = "plans", network: Network | None = None
) -> list[Problem]:
    """What is wrong with a ``plans`` argument: a mapping of intersection id to timing plan
    (``NetworkPlan.plans``) or ``None``. Every problem is listed, each under ``option``.

    A plan is anything with ``cycle_s``, ``offset_s``, ``phases``, ``rings`` and a
    ``phase_at`` method (:class:`PlanLike`, e.g. ``signalbrain.timing.TimingPlan``); a plan that
    names its intersection must be filed under that id.

    With ``network``, the keys are checked against its signals (a key that names none is
    otherwise ignored, and the signal meant gets no plan). Plans for a larger network are
    fine, so keys that name no signal are a problem only when no key names one (a mapping for
    another network, or every key misspelt); when some do, the others are logged as a
    warning that names them and the signals left without a plan.
    """
    if plans is None:
        return []
    if not isinstance(plans, Mapping):
        hint = " (pass its .plans)" if hasattr(plans, "plans") else ""
        return [
            Problem(
                option,
                f"a {type(plans).__name__}{hint}: expected a mapping of intersection id to "
                "TimingPlan, or None",
            )
        ]
    out: list[Problem] = []
    for key, plan in plans.items():
        if not isinstance(key, str):
            out.append(
                Problem(
                    f"{option}[{key!r}]",
                    f"a {type(key).__name__} key: expected an intersection id",
                )
            )
            continue
        path = format_path(option, key)
        missing = [a for a in _PLAN_ATTRIBUTES if not hasattr(plan, a)]
        if not callable(getattr(plan, "phase_at", None)):
            missing.append("phase_at()")
        if missing:
            out.append(
                Problem(
                    path,
                    f"a {type(plan).__name__}: expected a TimingPlan "
                    f"(missing {', '.join(missing)})",
                )
            )
            continue
        named = getattr(plan, "intersection", key)
        if isinstance(named, str) and named != key:
            out.append(Problem(path, f"is the plan of intersection {named!r}, not of {key!r}"))
    if network is not None:
        out += _unknown_keys(plans, option, network)
    return out


def _unknown_keys(plans: Mapping[object, object], option: str, network: Network) -> list[Problem]:
    """See :func:`plans_problems`: refuse keys that name no signal when none names one, warn
    about them otherwise."""
    signals = [s.id for s in network.intersections]
    known = set(signals)
    unknown = [k for k in plans if isinstance(k, str) and k not in known]
    if not unknown:
        return []
    names = ", ".join(repr(k) for k in unknown[:_MAX_NAMED])
    more = f" and {len(unknown) - _MAX_NAMED} more" if len(unknown) > _MAX_NAMED else ""
    valid = ", ".join(signals[:_MAX_NAMED]) + (", ..." if len(signals) > _MAX_NAMED else "")
    if len(unknown) == len(plans):
        return [
            Problem(
                option,
                f"no key names a signal of the network ({names}{more}): expected intersection "
                f"ids ({valid or 'the network has no signals'})",
            )
        ]
    planless = [i for i in signals if i not in plans]
    without = ", ".join(planless[:_MAX_NAMED]) + (", ..." if len(planless) > _MAX_NAMED else "")
    log.warning(
        "%s: %s%s name no signal of the network and are ignored%s",
        option,
        names,
        more,
        f"; signals without a plan: {without}" if planless else "",
    )
    return []


@dataclass(frozen=True, slots=True)
class PhaseStatus:
    """The interval a signal (one ring) is in: ``phase`` (``None`` if unknown) is in ``kind``
    since ``start_s`` [s]; for yellow and red, the all-red/yellow that follow belong to ``phase``.
    """

    phase: int | None
    kind: Kind
    start_s: float


def _min_green_s(ph: Phase) -> float:
    return max(ph.min_green_s, ph.ped_min_s)


def worst_transition_s(isec: Intersection, target: int) -> float:
    """Longest time from any state to green of ``target`` [s]: the largest
    min green + yellow + all-red over the other phases."""
    values = [_min_green_s(p) + p.clearance_s for p in isec.phases if p.number != target]
    return max(values, default=0.0)


def transition_s(isec: Intersection, status: PhaseStatus, target: int, t_s: float) -> float:
    """Time from ``t_s`` until ``target`` can be green when called at ``t_s`` [s].

    0 when ``target`` is already green; otherwise the remaining minimum green of the phase in
    service, then its full yellow and all-red (what is left of them when already timing).
    """
    if status.phase is None:
        if status.kind == "green":
            return worst_transition_s(isec, target)
        return max((p.all_red_s for p in isec.phases), default=0.0) + (
            max((p.yellow_s for p in isec.phases), default=0.0) if status.kind == "yellow" else 0.0
        )
    try:
        ph = isec.phase(status.phase)
    except KeyError:
        return worst_transition_s(isec, target)
    elapsed = max(t_s - status.start_s, 0.0)
    if status.kind == "green":
        if status.phase == target:
            return 0.0
        return max(_min_green_s(ph) - elapsed, 0.0) + ph.yellow_s + ph.all_red_s
    if status.kind == "yellow":
        return max(ph.yellow_s - elapsed, 0.0) + ph.all_red_s
    return max(ph.all_red_s - elapsed, 0.0)


def _ring_of(plan: PlanLike, target: int) -> int:
    for r, ring in enumerate(plan.rings):
        if target in ring:
            return r
    return 0


def plan_status(plan: PlanLike, t_s: float, ring: int = 0) -> tuple[PhaseStatus, float]:
    """Planned status of ``ring`` at ``t_s`` and the end of that interval [s]."""
    intervals = plan.phase_at(t_s)
    iv = intervals[min(ring, len(intervals) - 1)]
    kind: Kind = iv.kind if iv.kind in ("green", "yellow", "red") else "red"  # type: ignore[assignment]
    return PhaseStatus(iv.phase or None, kind, iv.start_s), iv.end_s


def latest_call_s(
    isec: Intersection,
    plan: PlanLike | None,
    target: int,
    green_by_s: float,
) -> float:
    """Latest time to call ``target`` so that it is green by ``green_by_s`` [s].

    With a plan, the state at call time is the plan's (running the plan until the call); the
    earliest green reachable from a call at ``c`` never decreases with ``c``, so the search walks
    back through the plan's intervals from the deadline. Without a plan the worst case over all
    phases is assumed.
    """
    if plan is None:
        return green_by_s - worst_transition_s(isec, target)
    ring = _ring_of(plan, target)
    c = green_by_s
    eps = 1e-3  # larger than TimingPlan.phase_at's boundary tolerance
    for _ in range(4 * max(len(plan.phases), 1) + 4):
        status, _end = plan_status(plan, c, ring)
        if status.phase == target and status.kind == "green":
            return c
        if status.kind == "green" and status.phase is not None:
            try:
                ph = isec.phase(status.phase)
            except KeyError:
                break
            clear = ph.yellow_s + ph.all_red_s
            earliest_cut = status.start_s + _min_green_s(ph)
            if max(c, earliest_cut) + clear <= green_by_s + eps:
                return c
            if earliest_cut + clear <= green_by_s + eps:
                return green_by_s - clear
        elif c + transition_s(isec, status, target, c) <= green_by_s + eps:
            return c
        if not math.isfinite(status.start_s) or status.start_s > c:
            break
        c = status.start_s - eps
    return green_by_s - worst_transition_s(isec, target)


def earliest_green_s(
    isec: Intersection,
    plan: PlanLike | None,
    target: int,
    call_s: float,
) -> float:
    """Earliest time ``target`` can be green when called at ``call_s`` [s].

    The state at call time is the plan's (the worst case over all phases without a plan): the
    remaining minimum green of the phase in service, then its full yellow and all-red.
    """
    if plan is None:
        return call_s + worst_transition_s(isec, target)
    status, _end = plan_status(plan, call_s, _ring_of(plan, target))
    return call_s + transition_s(isec, status, target, call_s)
