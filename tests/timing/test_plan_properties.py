"""Property tests of ``optimize_network``'s plans: whatever the (valid) network, limits, demand and
method, every plan keeps the safety rules and its structure.

Checked on every plan: greens at least the phase's minimum and pedestrian minimum, yellow and
all-red at least the network's, the cycle within the signal's limits (or the requested cycle)
unless a note says why, rings and barriers as the intersection's with every ring of a barrier
group ending together, offsets in ``[0, cycle)``, whole seconds where asked, and the displays of
two cycles passed through the project's independent safety audit (no unsafe pair green
together, full yellows and all-reds, no green ended before its minimum).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from signalbrain.control._rules import MovementClearances
from signalbrain.control.base import SignalState
from signalbrain.demand import Demand
from signalbrain.network import Intersection, Network, check_network
from signalbrain.network.generate import Limits, arterial, grid
from signalbrain.network.model import CONFLICT, PERMISSIVE
from signalbrain.timing import (
    PhaseTiming,
    TimingPlan,
    movement_states,
    optimize_network,
    round_plan,
)
from signalbrain.timing.optimize import _with_cycle_limits  # the limits optimize applies

TOL_S = 1e-6
# derandomize: the same examples on every run, so CI stays green unless the code changes (a
# random search found the half-cycle note case in CI); widen the search locally by removing it
FAST = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def limits(draw: st.DrawFn) -> Limits:
    """Timing limits a valid network may have (whole or fractional seconds)."""

    def seconds(lo: float, hi: float) -> float:
        v = draw(st.floats(lo, hi, allow_nan=False))
        return float(round(v)) if draw(st.booleans()) else v

    min_green = seconds(1.0, 20.0)
    left_min = seconds(1.0, 12.0)
    ped = seconds(0.0, 25.0) if draw(st.booleans()) else 0.0
    max_green = max(min_green, ped) + seconds(0.0, 60.0)
    left_max = left_min + seconds(0.0, 40.0)
    cycle_min = seconds(15.0, 120.0)
    cycle_max = cycle_min + seconds(0.0, 150.0)
    return Limits(
        min_green_s=min_green,
        max_green_s=max_green,
        left_min_green_s=left_min,
        left_max_green_s=left_max,
        yellow_s=seconds(3.0, 6.0),
        all_red_s=seconds(0.0, 3.0),
        ped_min_s=ped,
        cycle_min_s=cycle_min,
        cycle_max_s=cycle_max,
    )


@st.composite
def networks(draw: st.DrawFn, *, corridor: bool = False) -> Network:
    """A small generated grid or arterial with random spacing, lanes, limits and phasing."""
    phasing = draw(st.sampled_from(["nema", "two-phase"]))
    lim = draw(limits())
    spacing = st.floats(40.0, 900.0)
    if corridor or draw(st.booleans()):
        n = draw(st.integers(2 if corridor else 1, 4))
        net = arterial(
            n,
            spacing_m=draw(st.lists(spacing, min_size=1, max_size=3)),
            main_lanes=draw(st.integers(1, 3)),
            side_lanes=draw(st.integers(1, 2)),
            free_speed_mps=draw(st.floats(5.0, 25.0)),
            phasing=phasing,
            limits=lim,
        )
    else:
        rows, cols = draw(st.integers(1, 2)), draw(st.integers(1, 3))
        k = max(rows, cols) - 1
        net = grid(
            rows,
            cols,
            spacing_m=draw(st.lists(spacing, min_size=k, max_size=k)) if k else 250.0,
            lanes=draw(st.integers(1, 3)),
            free_speed_mps=draw(st.floats(5.0, 25.0)),
            phasing=phasing,
            limits=lim,
        )
    assume(not check_network(net))
    return net


FLOW = st.one_of(
    st.just(0.0),
    st.floats(1e-6, 1.0),  # tiny
    st.floats(1.0, 900.0),  # ordinary
    st.floats(1500.0, 20_000.0),  # far above capacity
)


@st.composite
def demands(draw: st.DrawFn, net: Network) -> Demand:
    """Flows [veh/h] for the movements of ``net``: zero, tiny, ordinary and far above capacity."""
    ids = [m.id for s in net.intersections for m in s.movements]
    regime = draw(st.sampled_from(["mixed", "zero", "tiny", "heavy"]))
    if regime == "zero":
        return Demand(dict.fromkeys(ids, 0.0))
    if regime == "tiny":
        return Demand({m: draw(st.floats(0.0, 1.0)) for m in ids})
    if regime == "heavy":
        return Demand({m: draw(st.floats(1500.0, 20_000.0)) for m in ids})
    return Demand({m: draw(FLOW) for m in ids})


OPTIONS = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["transyt", "webster", "maxband"]),
        "joint": st.booleans(),
        "cycle_s": st.one_of(st.none(), st.floats(20.0, 240.0), st.integers(20, 240)),
        "whole_seconds": st.booleans(),
        "phase_selection": st.booleans(),
    }
)


# -- the invariants -----------------------------------------------------------------------------
def structure_problems(isec: Intersection, plan: TimingPlan) -> list[str]:
    """Rings and barriers as the intersection's (phases it skips left out; the order of phases
    inside one ring segment may change, as MAXBAND's lead-lag does), every ring of a barrier
    group ending together, the cycle the sum of the barrier groups, offset in [0, cycle)."""
    out: list[str] = []
    timed = {p.number for p in plan.phases}
    if not 0.0 <= plan.offset_s < plan.cycle_s:
        out.append(f"offset {plan.offset_s!r} not in [0, {plan.cycle_s!r})")
    if not math.isfinite(plan.cycle_s) or plan.cycle_s <= 0:
        out.append(f"cycle {plan.cycle_s!r}")
    want_barriers = [tuple(n for n in g if n in timed) for g in isec.barriers]
    if [set(g) for g in plan.barriers] != [set(g) for g in want_barriers if g]:
        out.append(f"barriers {plan.barriers} against the intersection's {isec.barriers}")
    want_rings = [[n for n in r if n in timed] for r in isec.rings]
    have_rings = [list(r) for r in plan.rings]
    if [set(r) for r in have_rings] != [set(r) for r in want_rings if r]:
        out.append(f"rings {plan.rings} against the intersection's {isec.rings}")
    t0 = 0.0
    for group in plan.barriers:
        ends = []
        for ring in plan.rings:
            seq = [n for n in ring if n in group]
            if not seq:
                continue
            start = plan.phase_start_s(seq[0])
            if abs(start - t0) > TOL_S:
                out.append(f"phase {seq[0]} starts at {start} s, not at its barrier {t0} s")
            t = start
            for n in seq:
                if abs(plan.phase_start_s(n) - t) > TOL_S:
                    out.append(f"phase {n} does not follow the phase before it in its ring")
                t += plan.phase(n).split_s
            ends.append(t)
        if max(ends) - min(ends) > TOL_S:
            out.append(f"rings of barrier group {group} end at different times {ends}")
        t0 = max(ends)
    if abs(t0 - plan.cycle_s) > TOL_S * max(1.0, t0):
        out.append(f"barrier groups sum to {t0} s, cycle {plan.cycle_s} s")
    return out


def limit_problems(isec: Intersection, plan: TimingPlan) -> list[str]:
    """Minimum (and pedestrian) greens, yellows and all-reds; unknown phases; unserved
    movements (``TimingPlan.check`` without its cycle and maximum-green parts)."""
    return [
        str(p)
        for p in plan.check(isec)
        if not p.path.endswith("cycle_s") and "longer than max_green_s" not in p.message
    ]


def cycle_problems(
    isec: Intersection, plan: TimingPlan, requested: float | None, whole: bool
) -> list[str]:
    """The cycle within the signal's limits (a requested cycle: that cycle or its half) unless a
    note says why."""
    notes = " | ".join(plan.notes)
    c = plan.cycle_s
    out: list[str] = []
    if c > isec.cycle_max_s + TOL_S and not (
        "more than the maximum" in notes or "longer than cycle_max_s" in notes
    ):
        out.append(f"cycle {c:g} s above cycle_max_s {isec.cycle_max_s:g} s without a note")
    if c < isec.cycle_min_s - TOL_S and "below cycle_min_s" not in notes:
        out.append(f"cycle {c:g} s below cycle_min_s {isec.cycle_min_s:g} s without a note")
    if requested is not None and "requested" not in notes:
        # a requested cycle or its half (double cycling); whole-second plans run one of the
        # whole seconds next to it (the requested cycle itself when it is whole)
        slack = 1.0 if whole and requested % 1 else 0.0
        half_slack = 1.0 if whole else 0.0
        if abs(c - requested) > slack + TOL_S and abs(c - requested / 2) > half_slack + TOL_S:
            out.append(f"cycle {c:g} s is neither the requested {requested:g} s nor its half")
    return out


def whole_second_problems(plan: TimingPlan) -> list[str]:
    values = [plan.cycle_s, plan.offset_s]
    values += [v for p in plan.phases for v in (p.green_s, p.yellow_s, p.all_red_s)]
    return [] if all(float(v).is_integer() for v in values) else [f"not whole seconds: {plan}"]


def displays(isec: Intersection, plan: TimingPlan, cycles: int = 3) -> list[SignalState]:
    """The plan's displays from its cycle start over ``cycles`` cycles, one state per interval
    in which no ring changes, with the phases each ring is in."""
    cuts: set[float] = set()
    for k in range(cycles):
        base = plan.offset_s + k * plan.cycle_s
        cuts.add(base)
        for p in plan.phases:
            s = base + plan.phase_start_s(p.number)
            cuts.update((s, s + p.green_s, s + p.green_s + p.yellow_s, s + p.split_s))
    edges = sorted(c for c in cuts if plan.offset_s <= c <= plan.offset_s + cycles * plan.cycle_s)
    states = []
    for a, b in itertools.pairwise(edges):
        if b - a < 1e-9:
            continue
        mid = 0.5 * (a + b)
        phases = tuple(iv.phase for iv in plan.phase_at(mid) if iv.phase and iv.kind == "green")
        states.append(SignalState(a, movement_states(isec, plan, mid), phases=phases))
    return states


def _unsafe(isec: Intersection, a: str, la: int, b: str, lb: int) -> bool:
    """Movements at green levels ``la``/``lb`` (2 protected, 1 permitted or yellow after a
    permitted green) that must not run together."""
    rel = isec.relation(a, b)
    return (rel == CONFLICT and la > 0 and lb > 0) or (rel == PERMISSIVE and la == 2 and lb == 2)


def display_problems(
    isec: Intersection, states: list[SignalState], judge_from_s: float, tol_s: float = TOL_S
) -> list[str]:
    """Every safety rule broken by a display sequence (events before ``judge_from_s`` only set
    the scene): no unsafe pair shown together, a full yellow after every green, a full all-red
    after a movement's clearance before a conflicting green (after a protected green: its
    yellow and all-red at the protected level, then the rest at the level it ended at), and no
    green ended before the minimum of the phases that turned it green. ``tol_s``: the time
    resolution of the displays (SUMO's programs: 1 ms)."""
    rules = MovementClearances.of(isec)
    level = {"G": 2, "g": 1}
    ids = [m.id for m in isec.movements]
    disp = dict.fromkeys(ids, "r")
    lvl = dict.fromkeys(ids, 0)  # level of the green now shown or just ended
    since = dict.fromkeys(ids, -math.inf)
    owed = dict.fromkeys(ids, 0.0)
    prot_until = dict.fromkeys(ids, -math.inf)  # protected clearance after a G ended
    clear_until = dict.fromkeys(ids, -math.inf)
    out: list[str] = []
    for state in states:
        t = state.t_s
        judged = t >= judge_from_s - TOL_S
        new = {m: state.movements.get(m, "r") for m in ids}
        onsets = []
        for m in ids:
            old, now = disp[m], new[m]
            if old == now:
                continue
            yellow, all_red = rules.yellow_s.get(m, 0.0), rules.all_red_s.get(m, 0.0)
            if old == "G":
                prot_until[m] = t + yellow + all_red
            if old in "Gg" and now in "Gg":
                lvl[m] = level[now]
                if now == "G":
                    onsets.append(m)
                continue
            if old in "Gg" and judged and t - since[m] < owed[m] - tol_s:
                out.append(f"{m}: green {t - since[m]:g} s < minimum {owed[m]:g} s at {t:g}")
            if old in "Gg" and now != "y" and judged:
                out.append(f"{m}: green to {now!r} without yellow at {t:g} s")
            if old == "y" and judged and t - since[m] < yellow - tol_s:
                out.append(f"{m}: yellow {t - since[m]:g} s < {yellow:g} s at {t:g}")
            if now == "r":
                clear_until[m] = t + all_red
            if now in "Gg":
                owed[m] = rules.min_green_s(isec, m, state.phases)
                lvl[m] = level[now]
                onsets.append(m)
            since[m] = t
        disp = new
        shown = {m: (lvl[m] if disp[m] != "r" else 0) for m in ids}
        out.extend(
            f"{a} and {b} shown together at {t:g} s"
            for i, a in enumerate(ids)
            for b in ids[i + 1 :]
            if shown[a] and shown[b] and _unsafe(isec, a, shown[a], b, shown[b])
        )
        for m in onsets:
            for j in ids:
                held = max(
                    2 if prot_until[j] > t + tol_s else 0,
                    lvl[j] if clear_until[j] > t + tol_s else 0,
                )
                if j != m and judged and not shown[j] and _unsafe(isec, m, shown[m], j, held):
                    out.append(f"{m} green at {t:g} s during the clearance of {j}")
    return out


def safety_problems(isec: Intersection, plan: TimingPlan) -> list[str]:
    return display_problems(isec, displays(isec, plan), plan.offset_s + plan.cycle_s)


def all_problems(
    net: Network, plan_net: Network, plans: Any, requested: float | None, whole: bool
) -> list[str]:
    out: list[str] = []
    assert set(plans.plans) == {s.id for s in net.intersections}
    for isec in net.intersections:
        p = plans[isec.id]
        limited = plan_net.intersection(isec.id)
        probs = structure_problems(isec, p) + limit_problems(isec, p)
        probs += cycle_problems(limited, p, requested, whole) + safety_problems(isec, p)
        if whole:
            probs += whole_second_problems(p)
        out += [f"{isec.id}: {m}" for m in probs]
    return out


# -- the properties -----------------------------------------------------------------------------
@FAST
@given(st.data(), OPTIONS)
def test_every_plan_keeps_the_safety_rules_and_its_structure(
    data: st.DataObject, options: dict[str, Any]
) -> None:
    net = data.draw(networks(corridor=options["method"] == "maxband" and data.draw(st.booleans())))
    demand = data.draw(demands(net))
    if options["method"] == "webster":
        options["joint"] = False
    plans = optimize_network(net, demand, **options)
    problems = all_problems(net, net, plans, options["cycle_s"], options["whole_seconds"])
    assert not problems, problems


@settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.data(),
    st.sampled_from(["transyt", "webster", "maxband"]),
    st.one_of(st.none(), st.floats(15.0, 200.0)),
    st.one_of(st.none(), st.floats(15.0, 200.0)),
    st.booleans(),
)
def test_cycle_limit_overrides_are_kept(
    data: st.DataObject, method: str, lo: float | None, hi: float | None, whole: bool
) -> None:
    """``cycle_min_s``/``cycle_max_s`` given to optimize (``--min-cycle``/``--max-cycle``) bound
    the cycles as the network's own limits do."""
    assume(lo is not None or hi is not None)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    net = data.draw(networks())
    demand = data.draw(demands(net))
    plans = optimize_network(
        net, demand, method=method, cycle_min_s=lo, cycle_max_s=hi, whole_seconds=whole
    )
    problems = all_problems(net, _with_cycle_limits(net, lo, hi), plans, None, whole)
    assert not problems, problems


@settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.data())
def test_rounding_any_valid_plan_keeps_the_rules(data: st.DataObject) -> None:
    """``round_plan`` of a fractional plan (random splits above the minimums) keeps minimums,
    clearances rounded up, the ring-barrier structure and the offset in range."""
    net = data.draw(networks())
    isec = data.draw(st.sampled_from(net.intersections))
    extra = st.floats(0.0, 40.0)
    groups: dict[int, float] = {}
    phases = {}
    for group in isec.barriers:
        segs = [[n for n in ring if n in group] for ring in isec.rings]
        segs = [s for s in segs if s]
        base = [sum(isec.phase(n).min_split_s for n in s) for s in segs]
        length = max(base) + data.draw(extra)
        groups[len(groups)] = length
        for s, b in zip(segs, base, strict=True):
            spare = length - b
            shares = [data.draw(st.floats(0.01, 1.0)) for _ in s]
            total = sum(shares)
            used = 0.0
            for i, n in enumerate(s):
                ph = isec.phase(n)
                if i + 1 < len(s):
                    green = max(ph.min_green_s, ph.ped_min_s) + spare * shares[i] / total
                else:  # the last phase ends the ring's segment with the group
                    green = max(ph.min_green_s, ph.ped_min_s, length - used - ph.clearance_s)
                phases[n] = (green, ph.yellow_s, ph.all_red_s)
                used += green + ph.clearance_s
    timings = tuple(PhaseTiming(p.number, *phases[p.number]) for p in isec.phases)
    cycle = sum(groups.values())
    probe = TimingPlan(isec.id, cycle, 0.0, timings, isec.rings, isec.barriers)
    cycle = probe.cycle_s
    offset = data.draw(st.floats(0.0, cycle, exclude_max=True))
    plan = TimingPlan(isec.id, cycle, offset, timings, isec.rings, isec.barriers)
    assert not limit_problems(isec, plan) + structure_problems(isec, plan)
    rounded = round_plan(plan, isec)
    problems = limit_problems(isec, rounded) + structure_problems(isec, rounded)
    problems += whole_second_problems(rounded) + safety_problems(isec, rounded)
    assert not problems, problems
