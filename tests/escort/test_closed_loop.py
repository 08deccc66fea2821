"""Escorts in a closed loop with the real ConflictMonitor (no SUMO): fewer stops, no violations."""

from __future__ import annotations

import pytest

from signalbrain.control.monitor import audit
from signalbrain.escort import (
    EscortController,
    EscortManager,
    EscortRequest,
    EventCode,
    NaivePreemption,
)
from signalbrain.network.generate import arterial

ROUTE = ("W_S1", "S1_S2", "S2_S3", "S3_S4", "S4_S5", "S5_S6", "S6_E")


def _run(loop, net, ctrl, vehicle, depart_s=37.0, **kw):
    ev = vehicle("ev0", ROUTE, depart_s)
    return loop(net, ctrl, [ev], t_end_s=depart_s + 400.0, **kw), ev


@pytest.fixture
def net():
    return arterial(6)


def test_escort_removes_stops_and_keeps_every_state_safe(
    net, loop, plans_for, fixed_plan, vehicle, make_request, free_time
):
    plans = plans_for(net, speed_mps=-15.0)  # progression against the escort: many reds
    _, base_ev = _run(loop, net, fixed_plan(plans), vehicle)
    manager = EscortManager(net, plans)
    ctrl = EscortController(fixed_plan(plans), manager)
    ctrl.submit(make_request("ev0", ROUTE, 37.0))
    res, ev = _run(loop, net, ctrl, vehicle)
    free = free_time(net, ROUTE)
    assert base_ev.stops >= 2
    assert ev.stops == 0
    assert ev.arrived_s is not None
    assert base_ev.arrived_s is not None
    assert ev.arrived_s - 37.0 <= 1.02 * free + 1.0
    assert ev.arrived_s < base_ev.arrived_s
    for isec in net.intersections:
        assert audit(isec, res.states[isec.id]).ok
    codes = [e.code for e in manager.events]
    assert codes.count(EventCode.PREEMPT_CALL_ON) == codes.count(EventCode.PREEMPT_CALL_OFF)
    assert codes.count(EventCode.PREEMPT_CALL_ON) == 6
    forced = [r for _, _, r in res.requests if r.force]
    assert forced
    assert {r.phases for r in forced} == {(2, 6)}  # eastbound through with its companion
    assert manager.active == ()


def test_recovery_brings_signals_back_in_step(
    net, loop, plans_for, fixed_plan, vehicle, make_request
):
    plans = plans_for(net, speed_mps=-15.0)
    manager = EscortManager(net, plans)
    ctrl = EscortController(fixed_plan(plans), manager)
    ctrl.submit(make_request("ev0", ROUTE, 37.0))
    res, _ = _run(loop, net, ctrl, vehicle)
    in_step = [e for e in manager.events if e.code == EventCode.COORD_CYCLE_STATE and e.param == 1]
    assert {e.signal_id for e in in_step} == {s.id for s in net.intersections}
    last_exit = max(e.t_s for e in manager.events if e.code == EventCode.PREEMPT_EXIT)
    cycle = next(iter(plans.values())).cycle_s
    assert max(e.t_s for e in in_step) <= last_exit + 2 * cycle + 1.0
    # after recovery, the monitor's display follows the plan again
    for isec in net.intersections:
        final = res.states[isec.id][-1]
        want = {iv.phase for iv in plans[isec.id].phase_at(final.t_s) if iv.kind == "green"}
        assert want <= set(final.phases) or final.phase is None


def test_noisy_irregular_fixes_still_escort(
    net, loop, plans_for, fixed_plan, vehicle, make_request
):
    plans = plans_for(net, speed_mps=-15.0)
    manager = EscortManager(net, plans)
    ctrl = EscortController(fixed_plan(plans), manager)
    ctrl.submit(make_request("ev0", ROUTE, 37.0))
    wobble = iter([(-1) ** k * 6.0 for k in range(10_000)])
    res, ev = _run(loop, net, ctrl, vehicle, fix_every=3, noise=lambda t: next(wobble))
    assert ev.stops <= 1
    for isec in net.intersections:
        assert audit(isec, res.states[isec.id]).ok


def test_naive_preemption_also_safe_but_logs_calls(net, loop, plans_for, fixed_plan, vehicle):
    plans = plans_for(net, speed_mps=-15.0)
    naive = NaivePreemption(fixed_plan(plans), net, distance_m=250.0)
    res, ev = _run(loop, net, naive, vehicle)
    assert ev.arrived_s is not None
    for isec in net.intersections:
        assert audit(isec, res.states[isec.id]).ok
    codes = [e.code for e in naive.events]
    assert codes.count(EventCode.PREEMPT_CALL_ON) == codes.count(EventCode.PREEMPT_CALL_OFF) == 6


def test_a_route_crossing_one_signal_twice_gets_a_call_at_each_crossing(
    loop, plans_for, fixed_plan, vehicle
):
    """Around a block and back through I0_1 from another approach. The second crossing got no
    window (the signal counted as passed), or, once it did, the first call was held until the
    vehicle came back (108 s of green for an empty approach in a SUMO run)."""
    from signalbrain.io import bundled_network, read_network

    net = read_network(bundled_network("grid3x3"))
    route = ("I0_0_I0_1", "I0_1_I0_2", "I0_2_I1_2", "I1_2_I1_1", "I1_1_I0_1", "I0_1_I0_0")
    plans = plans_for(net, speed_mps=-15.0)
    manager = EscortManager(net, plans)
    ctrl = EscortController(fixed_plan(plans), manager)
    ctrl.submit(EscortRequest("ev0", route[0], None, route=route, depart_s=10.0))  # its own
    ev = vehicle("ev0", route, 10.0)
    res = loop(net, ctrl, [ev], t_end_s=400.0)
    assert ev.arrived_s is not None
    for isec in net.intersections:
        assert audit(isec, res.states[isec.id]).ok
    on, green, off = (
        EventCode.PREEMPT_CALL_ON,
        EventCode.PREEMPT_TRACK_CLEARANCE,
        EventCode.PREEMPT_CALL_OFF,
    )
    at_i01 = [
        (e.code, e.t_s, e.note)
        for e in manager.events
        if e.signal_id == "I0_1" and e.code in (on, green, off)
    ]
    assert [c for c, _, _ in at_i01] == [on, green, off] * 2
    # each call ends when the vehicle has passed, the first long before it comes back
    assert [note for c, _, note in at_i01 if c == off] == ["passed", "passed"]
    assert at_i01[3][1] - at_i01[2][1] > 30.0
