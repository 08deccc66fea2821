"""The conflict monitor never emits an unsafe state; the auditor catches each kind of violation."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.control import ConflictMonitor, Request, SignalState, audit
from signalbrain.control.audit import record
from signalbrain.control.base import SafetyCounts
from signalbrain.control.monitor import EPS_S, MovementClearances
from signalbrain.errors import SignalbrainError
from signalbrain.io import read_network
from signalbrain.network import CONFLICT, Intersection, Network, Phase, check_network

from .conftest import greedy_intersection, nema_intersection

ROOT = Path(__file__).resolve().parents[2]

GEOMETRIES = [
    (0.0, 90.0, 180.0, 270.0),
    (0.0, 120.0, 240.0),
    (10.0, 95.0, 170.0, 250.0, 300.0),
    (0.0, 60.0, 180.0),
    (30.0, 100.0, 200.0, 230.0, 320.0),
]


def _intersections() -> list[Intersection]:
    out = [
        nema_intersection()[0],
        nema_intersection(min_green_s=10.0, yellow_s=3.0, all_red_s=0.0, ped_min_s=15.0)[0],
    ]
    out += [greedy_intersection(g, seed) for g in GEOMETRIES for seed in (0, 1)]
    return out


INTERSECTIONS = _intersections()


def _request() -> st.SearchStrategy[Request | None]:
    phase = st.one_of(st.none(), st.integers(min_value=-1, max_value=10))
    return st.one_of(
        st.none(),
        st.builds(Request, phase=phase, hold=st.booleans(), force=st.booleans()),
        st.builds(
            Request,
            phases=st.lists(st.integers(0, 9), min_size=1, max_size=3).map(tuple),
            force=st.booleans(),
        ),
    )


def _run(
    isec: Intersection,
    requests: Sequence[Request | None],
    dts: Sequence[float],
    start_phase: int | None = None,
) -> list[SignalState]:
    mon = ConflictMonitor(isec, start_phase=start_phase)
    t = 0.0
    out = []
    for k, req in enumerate(requests):
        out.append(mon.step(t, dts[k % len(dts)], req))
        t += dts[k % len(dts)]
    return out


def _direct_conflicts(isec: Intersection, state: SignalState) -> list[tuple[str, str]]:
    """Unsafe pairs among green movements, and any yellow with a conflicting green or yellow."""
    prot = [m for m, s in state.movements.items() if s == "G"]
    perm = [m for m, s in state.movements.items() if s == "g"]
    bad = isec.unsafe_pairs(prot, perm)
    yellow = [m for m, s in state.movements.items() if s == "y"]
    lit = yellow + prot + perm
    bad += [(a, b) for a in yellow for b in lit if a != b and isec.relation(a, b) == CONFLICT]
    return bad


def test_factories_build_valid_intersections() -> None:
    for isec in INTERSECTIONS:
        net = Network("t", (), (), (isec,))
        problems = [
            p
            for p in check_network(net, require_connected=False)
            if "unknown link" not in p.message and "unknown node" not in p.message
        ]
        assert problems == [], isec.id


@settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    which=st.integers(0, len(INTERSECTIONS) - 1),
    requests=st.lists(_request(), min_size=1, max_size=120),
    dts=st.lists(st.sampled_from([0.1, 0.5, 1.0, 1.3, 2.0, 4.0]), min_size=1, max_size=4),
    start=st.one_of(st.none(), st.integers(1, 8)),
)
def test_monitor_output_is_safe_under_any_requests(
    which: int, requests: list[Request | None], dts: list[float], start: int | None
) -> None:
    isec = INTERSECTIONS[which]
    states = _run(isec, requests, dts, start)
    for s in states:
        assert _direct_conflicts(isec, s) == []
        assert set(s.movements) == {m.id for m in isec.movements}
        assert set(s.movements.values()) <= {"G", "g", "y", "r"}
    counts = audit(isec, states)
    assert counts.ok, counts


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    which=st.integers(0, len(INTERSECTIONS) - 1),
    prefix=st.lists(_request(), max_size=40),
    target_index=st.integers(0, 7),
)
def test_a_steady_request_is_served(
    which: int, prefix: list[Request | None], target_index: int
) -> None:
    """Liveness: after any history, asking for one phase long enough makes it fully green."""
    isec = INTERSECTIONS[which]
    target = isec.phases[target_index % len(isec.phases)].number
    longest = max(max(p.min_green_s, p.ped_min_s) + p.yellow_s + p.all_red_s for p in isec.phases)
    steps = int(2 * longest) + 4
    states = _run(isec, [*prefix, *[Request(target)] * steps], [1.0])
    last = states[-1]
    assert last.phase == target
    phase = isec.phase(target)
    assert all(last.movements[m] == "G" for m in phase.protected)
    assert all(last.movements[m] in "Gg" for m in phase.permitted)
    assert audit(isec, states).ok


def test_flapping_every_step_still_honours_minimum_green() -> None:
    isec = INTERSECTIONS[0]
    seq = [
        Request(phases=(2, 6)) if k % 2 else Request(phases=(4, 8), force=True) for k in range(300)
    ]
    states = _run(isec, seq, [0.5])
    assert audit(isec, states).ok
    shown = [s.movements[isec.phase(4).protected[0]] for s in states]
    assert shown.count("y") >= 8  # it did change, more than once
    greens = "".join("G" if c == "G" else "-" for c in shown).split("-")[:-1]  # last: cut
    assert min(len(g) for g in greens if g) >= 14  # 7 s minimum green at 0.5 s steps


def test_minimum_green_and_clearances_are_exact_on_a_simple_change() -> None:
    isec = nema_intersection(min_green_s=7.0, yellow_s=4.0, all_red_s=1.5)[0]
    seq = [Request(phases=(2, 6))] + [Request(phases=(4, 8))] * 30
    states = _run(isec, seq, [1.0])
    through_ew = isec.phase(2).protected[0]
    through_ns = isec.phase(4).protected[0]
    shown_ew = [s.movements[through_ew] for s in states]
    shown_ns = [s.movements[through_ns] for s in states]
    assert shown_ew[:7] == ["G"] * 7  # min green 7 s from t=0
    assert shown_ew[7:11] == ["y"] * 4  # yellow 4 s
    assert shown_ew[11] == "r"
    # all red 1.5 s after the yellow ends at t=11 -> first step at or after 12.5 is 13
    assert shown_ns[12] == "r"
    assert shown_ns[13] == "G"
    assert states[13].phase == 4


def test_unknown_phase_holds_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    isec = INTERSECTIONS[0]
    mon = ConflictMonitor(isec, start_phase=2)
    first = mon.step(0.0, 1.0, Request(phases=(2, 6)))
    with caplog.at_level(logging.WARNING, logger="signalbrain.control.monitor"):
        for k in range(1, 20):
            s = mon.step(float(k), 1.0, Request(42))
    assert s.movements == first.movements
    assert len([r for r in caplog.records if "42" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    "request_",
    [
        Request(phases=2),  # type: ignore[arg-type]  # an int, not a tuple
        Request(phase=[2]),  # type: ignore[arg-type]  # unhashable
        Request(phases=([2],)),  # type: ignore[arg-type]
        Request(phase=True),  # type: ignore[arg-type]  # True == 1, but not a phase number
        Request(phases=(2, False)),  # type: ignore[arg-type]
    ],
    ids=["int-phases", "list-phase", "list-in-phases", "bool-phase", "bool-in-phases"],
)
def test_a_malformed_request_holds_and_logs_once(
    request_: Request, caplog: pytest.LogCaptureFixture
) -> None:
    isec = INTERSECTIONS[0]
    mon = ConflictMonitor(isec, start_phase=2)
    first = mon.step(0.0, 1.0, Request(phases=(2, 6)))
    with caplog.at_level(logging.WARNING, logger="signalbrain.control.monitor"):
        for k in range(1, 20):
            s = mon.step(float(k), 1.0, request_)
    assert s.movements == first.movements
    assert len([r for r in caplog.records if "malformed request" in r.getMessage()]) == 1


def test_time_must_not_run_backwards() -> None:
    mon = ConflictMonitor(INTERSECTIONS[0])
    mon.step(5.0, 1.0, Request(2))
    with pytest.raises(SignalbrainError, match="backwards"):
        mon.step(4.0, 1.0, Request(2))


def test_conflicting_phases_in_one_request_are_not_both_served() -> None:
    isec = INTERSECTIONS[0]
    states = _run(isec, [Request(phases=(2, 4))] * 20, [1.0])
    assert states[-1].phases == (2,)
    assert audit(isec, states).ok


# ------------------------------------------------------------------ the auditor can fail
def _state(
    t: float, isec: Intersection, shown: dict[str, str], phases: tuple[int, ...] = ()
) -> SignalState:
    movements = {m.id: shown.get(m.id, "r") for m in isec.movements}
    return SignalState(t, movements, phases[0] if phases else None, phases)


NEMA = nema_intersection(min_green_s=7.0, yellow_s=4.0, all_red_s=1.5)[0]
EB_T = NEMA.phase(2).protected[0]
NB_T = NEMA.phase(4).protected[0]
EB_L = NEMA.phase(5).protected[0]
WB_T = NEMA.phase(6).protected[0]


def _seq(*frames: tuple[float, dict[str, str]]) -> list[SignalState]:
    return [_state(t, NEMA, shown, (2,)) for t, shown in frames]


@pytest.mark.parametrize(
    ("name", "states", "field", "expected"),
    [
        (
            "crossing throughs green together 3 s",
            _seq((0, {EB_T: "G"}), (10, {EB_T: "G", NB_T: "G"}), (13, {EB_T: "y"}), (17, {})),
            "conflicting_green_s",
            3.0,
        ),
        (
            "yellow crossing a green 2 s",
            _seq((0, {EB_T: "G"}), (10, {EB_T: "y", NB_T: "G"}), (12, {NB_T: "G"}), (20, {})),
            "conflicting_green_s",
            2.0,
        ),
        (
            "both lefts-vs-through protected 1 s",
            _seq((0, {EB_L: "G"}), (8, {EB_L: "G", WB_T: "G"}), (9, {WB_T: "G"}), (20, {})),
            "conflicting_green_s",
            1.0,
        ),
        ("green straight to red", _seq((0, {EB_T: "G"}), (10, {}), (20, {})), "short_yellow", 1),
        (
            "yellow 2 s of 4",
            _seq((0, {EB_T: "G"}), (10, {EB_T: "y"}), (12, {}), (20, {})),
            "short_yellow",
            1,
        ),
        (
            "yellow cut by green",
            _seq((0, {EB_T: "G"}), (10, {EB_T: "y"}), (11, {EB_T: "G"}), (30, {EB_T: "G"})),
            "short_yellow",
            1,
        ),
        (
            "all red 0.5 s of 1.5",
            _seq(
                (0, {EB_T: "G"}),
                (10, {EB_T: "y"}),
                (14, {}),
                (14.5, {NB_T: "G"}),
                (30, {NB_T: "G"}),
            ),
            "short_all_red",
            1,
        ),
        (
            "protected left dropped to permitted, opposing through at once",
            _seq((0, {EB_L: "G"}), (8, {EB_L: "g", WB_T: "G"}), (30, {EB_L: "g", WB_T: "G"})),
            "short_all_red",
            1,
        ),
        (
            "green of 3 s of 7",
            _seq((0, {EB_T: "G"}), (3, {EB_T: "y"}), (7, {}), (20, {})),
            "short_green",
            1,
        ),
    ],
)
def test_audit_catches(name: str, states: list[SignalState], field: str, expected: float) -> None:
    counts = audit(NEMA, states)
    assert getattr(counts, field) == pytest.approx(expected), (name, counts)
    assert not counts.ok


def test_audit_passes_a_correct_hand_made_sequence() -> None:
    states = _seq(
        (0, {EB_T: "G"}), (7, {EB_T: "y"}), (11, {}), (12.5, {NB_T: "G"}), (40, {NB_T: "G"})
    )
    assert audit(NEMA, states).ok


def test_clearances_are_the_largest_over_serving_phases() -> None:
    rules = MovementClearances.of(NEMA)
    assert rules.yellow_s[EB_T] == 4.0
    assert rules.all_red_s[EB_T] == 1.5
    assert rules.min_green_s(NEMA, EB_L, (2,)) == 7.0  # permitted in phase 2
    assert rules.min_green_s(NEMA, EB_L, (5,)) == 5.0
    assert rules.min_green_s(NEMA, EB_L, ()) == 5.0  # the smallest over its phases


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    which=st.integers(0, len(INTERSECTIONS) - 1),
    frames=st.lists(
        st.tuples(
            st.sampled_from([0.5, 1.0, 2.0, 3.0]),
            st.integers(0, 2**16 - 1),
            st.lists(st.integers(0, 9), max_size=2).map(tuple),
        ),
        min_size=1,
        max_size=60,
    ),
)
def test_a_history_of_display_changes_audits_as_every_step_does(
    which: int, frames: list[tuple[float, int, tuple[int, ...]]]
) -> None:
    """The closed loop keeps only states that change a display (``audit.record``): on any
    sequence, safe or not, repeats included, the audit counts the same as over every step."""
    isec = INTERSECTIONS[which]
    ids = [m.id for m in isec.movements]
    every: list[SignalState] = []
    kept: list[SignalState] = []
    t = 0.0
    for dt, bits, phases in frames:
        # a few displays only, so that repeats are common: two bits per movement
        shown = {m: "rGgy"[(bits >> (2 * (k % 8))) & 3] for k, m in enumerate(ids)}
        state = SignalState(t, shown, phases[0] if phases else None, phases)
        every.append(state)
        record(kept, state)
        t += dt
    # the run's end closes the last display in both (ControlLoop.finish)
    every.append(SignalState(t, every[-1].movements))
    kept.append(SignalState(t, kept[-1].movements))
    assert audit(isec, every) == audit(isec, kept)
    assert len(kept) <= len(every)


def test_displays_recorded_from_mid_program_are_not_judged_as_starting_there() -> None:
    """SUMO's programs (offsets) recorded from the simulation's begin: the first state's yellow
    and greens began before it, so they are neither short greens nor (a permitted left and the
    opposing through both in yellow) a protected conflict; from the start of the displays
    (signalbrain's monitors) the same states are violations."""
    single = read_network(ROOT / "networks" / "single.yaml").intersection("A")
    yellow = dict.fromkeys(("W_A.T", "W_A.R", "W_A.L", "E_A.T", "E_A.R", "E_A.L"), "y")
    states = [SignalState(0.0, yellow), SignalState(4.0, {}), SignalState(5.5, {})]
    assert audit(single, states) == SafetyCounts(4.0, 0, 0, 6)
    assert audit(single, states, from_start=False).ok


@pytest.mark.parametrize(
    ("states", "field", "expected"),
    [
        (_seq((0, {EB_T: "G", NB_T: "G"}), (3, {EB_T: "G"}), (9, {})), "conflicting_green_s", 3.0),
        (_seq((0, {EB_T: "G"}), (10, {}), (20, {})), "short_yellow", 1),  # no yellow at all
        (_seq((0, {EB_T: "y"}), (2, {NB_T: "G"}), (20, {})), "short_all_red", 1),
        (_seq((0, {EB_T: "G"}), (5, {NB_T: "G"}), (7, {})), "conflicting_green_s", 0.0),
    ],
    ids=["conflict-at-first", "cut-yellow-after", "no-all-red-after", "green-after-change"],
)
def test_mid_program_recording_still_catches_what_it_sees(
    states: list[SignalState], field: str, expected: float
) -> None:
    counts = audit(NEMA, states, from_start=False)
    assert getattr(counts, field) == pytest.approx(expected), counts


def test_a_protected_clearance_is_held_only_until_it_ends() -> None:
    """Lead-lag: the eastbound left goes protected -> permitted at 8 s (its protected clearance
    runs to 8 + 4 + 1.5 = 13.5 s), its permitted green ends in yellow at 9 s and red at 13 s. The
    opposing through, which only a protected left conflicts with, may start at 13.5 s; the audit
    held the protected level through the left's whole all-red (to 14.5 s) and called it a short
    all-red. Starting at 13 s is still one."""
    safe = _seq(
        (0, {EB_L: "G"}),
        (8, {EB_L: "g"}),
        (9, {EB_L: "y"}),
        (13, {}),
        (13.5, {WB_T: "G"}),
        (30, {WB_T: "G"}),
    )
    assert audit(NEMA, safe).ok
    early = _seq(
        (0, {EB_L: "G"}), (8, {EB_L: "g"}), (9, {EB_L: "y"}), (13, {WB_T: "G"}), (30, {WB_T: "G"})
    )
    assert audit(NEMA, early).short_all_red == 1


def test_time_cannot_creep_backwards_within_the_tolerance() -> None:
    """A step less than EPS_S before the last is the same time (rounding noise); its state
    carries the last step's time. Taken as given, steps each 0.9 us earlier ran the clock back
    without limit (0.18 s in 200,000 steps) and the states went out of time order."""
    mon = ConflictMonitor(INTERSECTIONS[0])
    t = 10.0
    times = [mon.step(t, 1.0, Request(2)).t_s]
    t -= 0.9e-6
    times.append(mon.step(t, 1.0, Request(2)).t_s)
    assert times == [10.0, 10.0]
    with pytest.raises(SignalbrainError, match="backwards"):  # 1.8 us before 10 s
        mon.step(t - 0.9e-6, 1.0, Request(2))


@pytest.mark.parametrize("t_s", [math.nan, math.inf, -math.inf])
def test_a_time_that_is_not_finite_is_an_error(t_s: float) -> None:
    mon = ConflictMonitor(INTERSECTIONS[0])
    mon.step(0.0, 1.0, Request(2))
    with pytest.raises(SignalbrainError, match="not finite"):
        mon.step(t_s, 1.0, Request(2))


def _odd_intersections() -> list[Intersection]:
    """Zero clearances and minimum greens, unequal clearances, a lone phase."""
    base = nema_intersection()[0]

    def variant(name: str, phases: Sequence[Phase], rings: bool = True) -> Intersection:
        return Intersection(
            name,
            (name,),
            base.movements,
            tuple(phases),
            base.conflicts,
            base.permissive,
            rings=base.rings if rings else (),
            barriers=base.barriers if rings else (),
        )

    zero = [replace(p, min_green_s=0.0, yellow_s=0.0, all_red_s=0.0) for p in base.phases]
    uneven = [
        replace(p, min_green_s=0.0, all_red_s=0.0, yellow_s=3.0 + 1.5 * (p.number % 2))
        for p in base.phases
    ]
    lone = base.phase(2)
    return [
        variant("Z", zero),
        variant("U", uneven, rings=False),
        variant("S", [lone], rings=False),
        variant("S0", [replace(lone, min_green_s=0.0, yellow_s=0.0, all_red_s=0.0)], False),
    ]


ODD = INTERSECTIONS + _odd_intersections()


def _adversarial_request() -> st.SearchStrategy[Request | None]:
    odd_number = st.one_of(st.integers(-3, 12), st.sampled_from([math.nan, 2.0, 10**30, -(2**63)]))
    return st.one_of(
        _request(),
        st.builds(Request, phase=odd_number, hold=st.booleans(), force=st.booleans()),
        st.builds(Request, phases=st.lists(odd_number, max_size=3).map(tuple), force=st.booleans()),
    )


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    which=st.integers(0, len(ODD) - 1),
    steps=st.lists(
        st.tuples(_adversarial_request(), st.sampled_from([1e-7, 0.1, 0.5, 1.0, 1.3, 9.0])),
        min_size=1,
        max_size=120,
    ),
    start=st.one_of(st.none(), st.integers(-1, 9)),
)
def test_monitor_output_passes_the_audit_under_adversarial_requests(
    which: int, steps: list[tuple[Request | None, float]], start: int | None
) -> None:
    """Unknown, NaN and huge phase numbers, requests mid-yellow and every step, steps shorter
    than the time tolerance, zero clearances and a lone phase: every state is safe."""
    isec = ODD[which]
    logging.getLogger("signalbrain.control.monitor").setLevel(logging.ERROR)
    try:
        mon = ConflictMonitor(isec, start_phase=start)
        t = 0.0
        states = []
        for request, dt in steps:
            states.append(mon.step(t, dt, request))
            t += dt
    finally:
        logging.getLogger("signalbrain.control.monitor").setLevel(logging.NOTSET)
    states.append(SignalState(t, states[-1].movements, None, states[-1].phases))
    for s in states:
        assert _direct_conflicts(isec, s) == []
    assert audit(isec, states).ok


# ------------------------------------------------------------- mutations the audit must catch
_STEP_S = 0.5  # every factory time is a multiple of it: the monitor's intervals are exact


def _history(isec: Intersection, plan: Sequence[tuple[int, int]]) -> list[SignalState]:
    """Every state of a monitor asked for phase ``plan[k][0]`` (an index) for ``plan[k][1]``
    steps in turn, closed at the end."""
    numbers = [p.number for p in isec.phases]
    requests = [Request(numbers[i % len(numbers)]) for i, n in plan for _ in range(n)]
    states = _run(isec, requests, [_STEP_S])
    return [*states, SignalState(len(states) * _STEP_S, states[-1].movements, None, ())]


def _shown(states: list[SignalState], k: int, changes: dict[str, str]) -> None:
    s = states[k]
    states[k] = SignalState(s.t_s, {**s.movements, **changes}, s.phase, s.phases, s.forced)


def _mutants(isec: Intersection, states: list[SignalState]) -> list[tuple[str, list[SignalState]]]:
    """Copies of a safe history, each with one violation an auditor must see."""
    rules = MovementClearances.of(isec)
    ids = [m.id for m in isec.movements]
    out: list[tuple[str, list[SignalState]]] = []

    def disp(k: int, m: str) -> str:
        return states[k].movements[m]

    last = len(states) - 1
    red_since: dict[str, float] = {}  # end of each movement's last yellow
    for k in range(1, last):
        for m in ids:
            if disp(k - 1, m) == "y" and disp(k, m) == "r":
                red_since[m] = states[k].t_s
        for m in ids:
            old, new = disp(k - 1, m), disp(k, m)
            if old == "y" and new == "r":  # one step less of yellow
                bad = list(states)
                _shown(bad, k - 1, {m: "r"})
                out.append(("short_yellow", bad))
            if old == "r" and new in "Gg":
                # one step earlier while a conflicting movement is lit or in its all-red
                busy = [
                    j
                    for j in ids
                    if j != m
                    and isec.relation(m, j) == CONFLICT
                    and (
                        disp(k - 1, j) != "r"
                        or states[k - 1].t_s
                        < red_since.get(j, -math.inf) + rules.all_red_s[j] - EPS_S
                    )
                ]
                if busy:
                    bad = list(states)
                    _shown(bad, k - 1, {m: new})
                    out.append(("short_all_red", bad))
                # a later start, so that the green ends before its minimum
                end = next((e for e in range(k + 1, last + 1) if disp(e, m) not in "Gg"), None)
                if end is not None and disp(end, m) in "yr":
                    for s in range(k + 1, end):
                        owed = rules.min_green_s(isec, m, states[s].phases)
                        if states[end].t_s - states[s].t_s < owed - EPS_S:
                            bad = list(states)
                            for r in range(k, s):
                                _shown(bad, r, {m: "r"})
                            out.append(("short_green", bad))
                            break
            if new in "Gg":  # a conflicting movement turned green beside it for a step
                j = next(
                    (j for j in ids if isec.relation(m, j) == CONFLICT and disp(k, j) == "r"),
                    None,
                )
                if j is not None and k % 7 == 0:  # a sample: every step would be slow
                    bad = list(states)
                    _shown(bad, k, {j: "G"})
                    out.append(("conflicting_green_s", bad))
    return out


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    which=st.integers(0, len(INTERSECTIONS) - 1),
    plan=st.lists(st.tuples(st.integers(0, 7), st.integers(1, 40)), min_size=2, max_size=8),
)
def test_the_audit_catches_each_violation_cut_into_a_safe_history(
    which: int, plan: list[tuple[int, int]]
) -> None:
    """Mutation test of the auditor: one step less of a yellow, a green one step early into a
    running clearance, a green started so late it ends before its minimum, a conflicting green
    for one step; each is counted in its own counter."""
    isec = INTERSECTIONS[which]
    states = _history(isec, plan)
    assert audit(isec, states).ok
    for field, bad in _mutants(isec, states):
        counts = audit(isec, bad)
        if field == "short_all_red":  # into a yellow or green it is a conflict instead
            assert counts.short_all_red >= 1 or counts.conflicting_green_s > 0, counts
        else:
            assert getattr(counts, field) > 0, (field, counts)
