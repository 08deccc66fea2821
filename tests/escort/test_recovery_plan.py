"""Recovery to coordination, and the offline escort plan with its predicted audit log."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalbrain.control.monitor import phase_min_green_s
from signalbrain.escort import (
    EscortConfig,
    EscortRequest,
    EventCode,
    LinkCondition,
    plan_escort,
    plan_escorts,
    plan_recovery,
)
from signalbrain.escort.signal import plan_status
from signalbrain.network.generate import arterial, grid


@pytest.fixture(scope="module")
def net():
    return arterial(4)


def _yellow_start_of(plan, phase, t):
    ring = next(r for r, m in enumerate(plan.rings) if phase in m)
    status, _ = plan_status(plan, t + 1e-6, ring)
    return status.phase == phase and status.kind == "yellow" and abs(status.start_s - t) < 1e-3


def test_in_step_exit_needs_no_transition(net, plans_for):
    plan = plans_for(net)["S2"]
    isec = net.intersection("S2")
    ring = next(r for r, m in enumerate(plan.rings) if 2 in m)
    t = 500.0
    while not (
        plan_status(plan, t, ring)[0].phase == 2 and plan_status(plan, t, ring)[0].kind == "yellow"
    ):
        t += 0.25
    exit_s = plan_status(plan, t, ring)[0].start_s
    rec = plan_recovery(isec, plan, 2, exit_s)
    assert rec.method == "none"
    assert rec.sync_s == exit_s
    assert rec.phase_at(exit_s) is None


@settings(max_examples=80, deadline=None)
@given(
    exit_s=st.floats(100.0, 1000.0),
    phase=st.sampled_from([2, 4, 6, 8]),
    methods=st.sampled_from([("dwell", "shortway"), ("shortway",), ("dwell",)]),
)
def test_recovery_reaches_the_plan_within_two_cycles(net, plans_for, exit_s, phase, methods):
    plan = plans_for(net)["S3"]
    isec = net.intersection("S3")
    cfg = EscortConfig(recovery=methods)
    rec = plan_recovery(isec, plan, phase, exit_s, cfg)
    assert rec.cycles <= cfg.max_recovery_cycles  # in step after at most 2 re-timed cycles
    assert exit_s <= rec.sync_s <= exit_s + cfg.max_recovery_cycles * plan.cycle_s + 1e-6
    if rec.method == "none":
        return
    assert _yellow_start_of(plan, phase, rec.sync_s)  # in step: the plan ends this phase now
    assert rec.segments[-1].phase == phase
    assert rec.segments[-1].end_s == pytest.approx(rec.sync_s)
    for seg in rec.segments:
        assert seg.end_s - seg.start_s >= phase_min_green_s(isec.phase(seg.phase)) - 1e-6 or (
            rec.method == "dwell"
        )
    if rec.method in ("add", "subtract"):
        assert "shortway" in methods
        change = sum(s.end_s - s.start_s for s in rec.segments) - rec.cycles * sum(
            plan.phase(n).green_s for n in plan.rings[0]
        )
        want = (
            -rec.offset_error_s if rec.method == "subtract" else (plan.cycle_s - rec.offset_error_s)
        )
        assert change == pytest.approx(want, abs=1e-6)
        assert abs(change) / rec.cycles <= cfg.max_adjust_fraction * plan.cycle_s + 1e-6
    else:
        assert rec.sync_s - exit_s <= plan.cycle_s + 1e-6


@settings(max_examples=150, deadline=None)
@given(
    offset_frac=st.floats(0.0, 1.0, exclude_max=True),
    greens=st.tuples(st.floats(5.0, 20.0), st.floats(12.0, 60.0)),
    depart_s=st.floats(0.0, 400.0),
    queue_veh=st.floats(0.0, 25.0),
    max_cycles=st.sampled_from([1, 2, 3]),
    methods=st.sampled_from(
        [("resume", "dwell", "shortway"), ("dwell", "shortway"), ("shortway",), ("dwell",)]
    ),
)
def test_recovery_ends_within_the_cycle_limit_for_any_offset_and_window(
    net, plans_for, offset_frac, greens, depart_s, queue_veh, max_cycles, methods
):
    """Brief: "exit recovers to coordination (shortest transition, within 2 cycles)": in step
    again within ``max_recovery_cycles`` plain cycle lengths of each window's end, whatever the
    plan's offset, splits and the window."""
    plans = {
        k: replace(p, offset_s=(p.offset_s + offset_frac * p.cycle_s) % p.cycle_s)
        for k, p in plans_for(net, green_s=greens).items()
    }
    cfg = EscortConfig(recovery=methods, max_recovery_cycles=max_cycles)
    req = EscortRequest("ev0", "W", "E", depart_s=depart_s)
    escort = plan_escort(
        net, req, plans, conditions={"S2_S3": LinkCondition(queue_veh)}, config=cfg
    )
    assert len(escort.recoveries) == len(escort.windows) == 4
    for rec, w in zip(escort.recoveries, escort.windows, strict=True):
        plan = plans[rec.intersection]
        assert rec.exit_s == w.close_s
        assert rec.exit_s <= rec.sync_s <= rec.exit_s + max_cycles * plan.cycle_s + 1e-6
        if rec.method not in ("none", "resume"):
            assert _yellow_start_of(plan, rec.phase, rec.sync_s)
            assert rec.segments[-1].end_s == pytest.approx(rec.sync_s)
        if rec.method == "add":
            assert rec.cycles < max_cycles  # n lengthened cycles end after n + 1 plain ones
        if "resume" in methods:  # the shortest: the plan takes over after the clearance
            assert rec.method in ("none", "resume")
            assert rec.sync_s - rec.exit_s <= isec_clearance(net, rec) + 1e-9


def isec_clearance(net, rec):
    return net.intersection(rec.intersection).phase(rec.phase).clearance_s


def test_resume_rejoins_the_plan_after_the_clearance(net, plans_for):
    plan = plans_for(net)["S3"]
    isec = net.intersection("S3")
    rec = plan_recovery(isec, plan, 2, 431.7)
    assert rec.method == "resume"
    assert rec.sync_s == pytest.approx(431.7 + isec.phase(2).clearance_s)
    assert rec.segments == ()
    assert rec.phase_at(431.7) is None  # no request: the plan's controller drives the signal


def test_a_signal_that_runs_alone_is_brought_back_by_shortway(net, plans_for):
    """Resuming skips the phases the window passed over; that buys nothing at a signal with no
    neighbours to stay in step with, so there every phase keeps its turn (shortway)."""
    plan = plans_for(net)["S3"]
    isec = net.intersection("S3")
    alone = plan_recovery(isec, plan, 2, 431.7, coordinated=False)
    assert alone.method in ("subtract", "add")
    assert alone == plan_recovery(isec, plan, 2, 431.7, EscortConfig(recovery=("shortway",)))
    # without shortway among the allowed methods the signal still resumes
    only = EscortConfig(recovery=("resume",))
    assert plan_recovery(isec, plan, 2, 431.7, only, coordinated=False).method == "resume"


def test_signals_without_signalised_neighbours_are_not_coordinated():
    from signalbrain.escort.routing import RoutingGraph

    assert RoutingGraph(arterial(4)).coordinated == {"S1", "S2", "S3", "S4"}
    # 4 km apart at 15 m/s: beyond the platoon model's 180 s reach, every signal runs alone
    assert RoutingGraph(arterial(3, spacing_m=4000.0)).coordinated == frozenset()


def test_the_offline_plan_brings_lone_signals_back_by_shortway(plans_for):
    far = arterial(3, spacing_m=4000.0)
    escort = plan_escort(far, EscortRequest("ev0", "W", "E", depart_s=50.0), plans_for(far))
    assert escort.recoveries
    assert all(r.method != "resume" for r in escort.recoveries)
    assert any(r.method != "none" for r in escort.recoveries)
    close = arterial(3)
    near = plan_escort(close, EscortRequest("ev0", "W", "E", depart_s=50.0), plans_for(close))
    assert any(r.method == "resume" for r in near.recoveries)  # coordinated: resumed


def test_lengthening_over_two_cycles_gives_way_to_a_dwell(net, plans_for):
    """A lag ``tau`` of 0.65 cycles used to be caught up by two cycles lengthened by 0.175 cycle
    each, in step 2.35 cycles after exit; within 2 cycles only the 0.35-cycle dwell fits."""
    plan = plans_for(net)["S3"]
    isec = net.intersection("S3")
    ring = next(r for r, m in enumerate(plan.rings) if 2 in m)
    t = 400.0
    while not (
        plan_status(plan, t, ring)[0].phase == 2 and plan_status(plan, t, ring)[0].kind == "yellow"
    ):
        t += 0.25
    exit_s = plan_status(plan, t, ring)[0].start_s + 0.65 * plan.cycle_s
    smooth = EscortConfig(recovery=("dwell", "shortway"))
    rec = plan_recovery(isec, plan, 2, exit_s, smooth)
    assert rec.offset_error_s == pytest.approx(0.65 * plan.cycle_s)
    assert rec.method == "dwell"
    assert rec.sync_s == pytest.approx(exit_s + 0.35 * plan.cycle_s)
    lengthen = plan_recovery(
        isec, plan, 2, exit_s, EscortConfig(recovery=("dwell", "shortway"), max_recovery_cycles=3)
    )
    assert lengthen.method == "add"
    assert lengthen.cycles == 2
    assert lengthen.sync_s - exit_s == pytest.approx(2.35 * plan.cycle_s)


def test_plan_escort_schedule_and_events(net, plans_for):
    plans = plans_for(net)
    req = EscortRequest("ev0", "W", "E", depart_s=50.0)
    escort = plan_escort(net, req, plans, conditions={"S2_S3": LinkCondition(10.0)})
    assert [w.intersection for w in escort.windows] == ["S1", "S2", "S3", "S4"]
    s3 = next(w for w in escort.windows if w.intersection == "S3")
    assert s3.queue_veh == 10.0
    assert s3.eta_s - s3.open_s > EscortConfig().flush_s(10.0, 2)
    assert escort.arrival_s - escort.t_s == pytest.approx(escort.free_flow_s)
    assert len(escort.recoveries) == 4
    for w in escort.windows:
        mine = [e for e in escort.events if e.signal_id == w.intersection and e.code != 150]
        order = [e.code for e in sorted(mine, key=lambda e: (e.t_s, e.code))]
        assert order == [102, 105, 106, 107, 104, 111]
    # the planned trajectory crosses each signal inside its window
    traj = escort.trajectory(net)
    dist = 0.0
    for j, link in enumerate(escort.route.links[:-1]):
        dist += net.link(link).length_m
        t_cross = next(t for t, d in traj if d >= dist - 1e-6)
        w = escort.windows[j]
        assert w.open_s <= t_cross <= w.close_s


def test_two_escorts_crossing_on_a_grid_are_sequenced(plans_for):
    g = grid(3, 3, spacing_m=250.0)
    plans = plans_for(g)
    east = EscortRequest("east", "B1_W", "B1_E", depart_s=0.0, priority=0)
    north = EscortRequest("north", "BS_1", "BN_1", depart_s=0.0, priority=5)
    a, b = plan_escorts(g, [east, north], plans)
    wa = next(w for w in a.windows if w.intersection == "I1_1")
    wb = next(w for w in b.windows if w.intersection == "I1_1")
    assert wb.delay_s == 0.0  # higher priority keeps its window
    assert wa.open_s >= wb.close_s + g.intersection("I1_1").phase(wb.phase).clearance_s - 1e-6
    codes = {e.code for e in a.events} | {e.code for e in b.events}
    assert {EventCode.PREEMPT_CALL_ON, EventCode.PREEMPT_EXIT} <= codes


def test_explicit_route_and_unknown_vehicle(net, plans_for):
    from signalbrain.escort import EscortManager, PositionUpdate

    plans = plans_for(net)
    route = ("W_S1", "S1_S2", "S2_N2")
    escort = plan_escort(net, EscortRequest("ev", "W_S1", route=route), plans)
    assert escort.route.links == route
    assert [(w.intersection, w.movement) for w in escort.windows] == [
        ("S1", "W_S1.T"),
        ("S2", "S1_S2.L"),
    ]
    manager = EscortManager(net, plans)
    assert manager.update(PositionUpdate("ghost", 1.0, "W_S1", 5.0, 10.0)) == []


def test_green_intervals_follow_the_plan(net, plans_for):
    from signalbrain.report.escort_plot import green_intervals

    plan = plans_for(net)["S2"]
    start, end = plan.green_window_s(2)
    got = green_intervals(plan, 2, start - 1.0, start + 2 * plan.cycle_s + 1.0)
    assert got == [
        pytest.approx((start, end), abs=1e-6),
        pytest.approx((start + plan.cycle_s, end + plan.cycle_s), abs=1e-6),
        pytest.approx((start + 2 * plan.cycle_s, start + 2 * plan.cycle_s + 1.0), abs=1e-6),
    ]


def test_the_plot_shows_the_plan_green_of_an_escort_only_phase(net, plans_for):
    """A window in an escort-only approach phase (not in the coordination plan): the diagram's
    plan green is that of the plan's phases serving the movement (it drew none before)."""
    from signalbrain.report.escort_plot import plan_phases

    plans = plans_for(net)
    escort = plan_escort(net, EscortRequest("ev", "W", "E", depart_s=50.0), plans)
    w = escort.windows[0]
    plan = plans[w.intersection]
    assert plan_phases(plan, net, w.intersection, w.movement, w.phase) == [w.phase]
    serving = [
        p.number
        for p in net.intersection(w.intersection).phases
        if w.movement in p.protected or w.movement in p.permitted
    ]
    assert serving
    assert plan_phases(plan, net, w.intersection, w.movement, 103) == serving
    assert plan_phases(plan, net, "nowhere", w.movement, 103) == []


_ORDER = [
    EventCode.PREEMPT_CALL_ON,
    EventCode.PREEMPT_ENTRY_STARTED,
    EventCode.PREEMPT_TRACK_CLEARANCE,
    EventCode.PREEMPT_DWELL,
    EventCode.PREEMPT_CALL_OFF,
    EventCode.PREEMPT_EXIT,
]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    queue_veh=st.floats(0.0, 60.0),
    depart_s=st.floats(0.0, 400.0),
    late_s=st.one_of(st.none(), st.floats(0.0, 100.0)),
    with_plans=st.booleans(),
)
def test_schedule_calls_nothing_before_the_key_press(
    net, plans_for, queue_veh, depart_s, late_s, with_plans
):
    """A long queue close to the first signal asked for a call before the planning time (at
    -16 s for a trip planned at 0 s: 1969 in the ATSPM log). No call or event precedes the
    planning time, a window opens no earlier than a call then can give green, and each
    signal's events come in the order they happen (the dwell, when the flush fits, before the
    call off)."""
    plans = plans_for(net) if with_plans else None
    t_s = None if late_s is None else depart_s + late_s
    escort = plan_escort(
        net,
        EscortRequest("ev", "W", "E", depart_s=depart_s),
        plans,
        conditions={"W_S1": LinkCondition(queue_veh=queue_veh)},
        t_s=t_s,
    )
    start = escort.t_s
    assert [e.t_s for e in escort.events] == sorted(e.t_s for e in escort.events)
    assert min(e.t_s for e in escort.events) >= start - 1e-9
    for w in escort.windows:
        assert start - 1e-9 <= w.call_s <= w.open_s < w.close_s
        codes = [
            e.code for e in escort.events if e.signal_id == w.intersection and e.code in _ORDER
        ]
        assert codes == [c for c in _ORDER if c in codes]
        assert codes[:3] == _ORDER[:3]
        assert codes[-2:] == _ORDER[-2:]


def test_a_late_call_opens_the_window_when_the_signal_can_turn_green(net, plans_for):
    plans = plans_for(net)
    queued = {"W_S1": LinkCondition(queue_veh=30.0)}
    escort = plan_escort(net, EscortRequest("ev", "W", "E"), plans, conditions=queued)
    s1 = escort.windows[0]
    assert s1.call_s == 0.0
    free = plan_escort(net, EscortRequest("ev", "W", "E"), plans).windows[0]
    assert s1.eta_s == free.eta_s
    # the flush needs 30 s before the arrival at 20 s: the green comes as soon as the plan's
    # running phase has had its minimum green, yellow and all-red
    from signalbrain.escort.signal import earliest_green_s

    assert s1.open_s == pytest.approx(earliest_green_s(net.intersection("S1"), plans["S1"], 2, 0))
    dwell = [e for e in escort.events if e.code == EventCode.PREEMPT_DWELL]
    assert "S1" not in {e.signal_id for e in dwell}  # the flush does not fit before the arrival
