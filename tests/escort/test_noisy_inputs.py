"""The escort under noisy or unusual inputs: GPS spikes, NaN fixes and times, gaps in the
displays it watches, re-routes through a signal already crossed, a vehicle id used again, two
escorts of equal priority at one signal."""

from __future__ import annotations

import itertools
import math

import pytest

from signalbrain.control.base import Request
from signalbrain.control.monitor import ConflictMonitor, audit
from signalbrain.errors import InputError
from signalbrain.escort import (
    EscortConfig,
    EscortController,
    EscortManager,
    EscortRequest,
    EventCode,
    LinkCondition,
    NaivePreemption,
    PositionUpdate,
    plan_escorts,
)
from signalbrain.network.generate import arterial, grid


@pytest.fixture(scope="module")
def net():
    return arterial(4)


class _Idle:
    name = "idle"

    def start(self, network, t_s):
        pass

    def step(self, t_s, dt_s, obs):
        return {}


def _first_forced(net, plans, spike_at: float | None) -> tuple[float, float]:
    """(first time S1 is forced, seconds forced) for an escort driving W_S1 at 15 m/s, with one
    400 m/s fix at ``spike_at``."""
    m = EscortManager(net, plans)
    m.submit(EscortRequest("ev", "W", "E", depart_s=0.0), 0.0)
    forced = []
    t = 0.0
    while t < 20.0:
        speed = 400.0 if spike_at is not None and t == spike_at else 15.0
        m.update(PositionUpdate("ev", t, "W_S1", 15.0 * t, speed))
        out = m.step(t, 0.5)
        if "S1" in out and out["S1"].force:
            forced.append(t)
        t += 0.5
    return forced[0], 0.5 * len(forced)


def test_one_speed_spike_does_not_pull_the_call_ahead(net, plans_for):
    plans = plans_for(net)
    clean = _first_forced(net, plans, None)
    assert _first_forced(net, plans, 1.0) == clean
    assert clean[0] > 15.0  # the vehicle reaches S1 at 20 s


def test_naive_ignores_a_fix_without_position(net):
    naive = NaivePreemption(_Idle(), net, distance_m=100.0)
    naive.update(PositionUpdate("ev", 0.0, "W_S1", 10.0, 15.0))  # 290 m out
    assert naive.preempt(0.0) == {}
    naive.update(PositionUpdate("ev", 1.0, "W_S1", math.nan, 15.0))
    assert naive.preempt(1.0) == {}
    naive.update(PositionUpdate("ev", 2.0, "W_S1", 250.0, 15.0))  # 50 m out: called
    assert naive.preempt(2.0)["S1"].force


def test_a_nan_time_does_not_poison_the_link(net):
    m = EscortManager(net)
    m.observe({"S1_S2": LinkCondition(0.0, 10.0)}, 0.0)
    m.observe({"S1_S2": LinkCondition(0.0, 10.0)}, math.nan)
    m.observe({"S1_S2": LinkCondition(0.0, 10.0)}, 20.0)
    i = net.link_position("S1_S2")
    assert m.times.speed_mps(i) == pytest.approx(10.0)
    windows = m.submit(EscortRequest("ev", "W", "E", depart_s=30.0), 30.0)
    assert [w.intersection for w in windows] == ["S1", "S2", "S3", "S4"]
    assert all(math.isfinite(w.eta_s) for w in windows)


def test_a_gap_in_the_displays_drops_their_history(net):
    isec = net.intersection("S2")
    mon = ConflictMonitor(isec)
    states = {}
    t = 0.0
    while t < 300.0 + 1e-9:  # phase 2 green, then 4/8 from 270 s to 292 s, then 2 again
        want = (4, 8) if 270.0 <= t < 292.0 else (2, 6)
        states[t] = mon.step(t, 0.5, Request(phases=want))
        t += 0.5
    # what the monitor needs to give phase 8 green when forced from 300.5 s
    t, first = 300.5, None
    while first is None:
        st = mon.step(t, 0.5, Request(phases=(8, 4), force=True))
        if all(st.movements[x] in "Gg" for x in isec.phase(8).movements):
            first = t
        t += 0.5
    need = first - 300.5
    watched = EscortManager(net)
    for k in sorted(states):
        watched.observe_states({"S2": states[k]})
    assert watched._live["S2"].transition_s(8, 300.5) == pytest.approx(need)
    # seen at 50 s and at 300 s only: phase 2 is green both times, but not the same green
    gap = EscortManager(net)
    gap.observe_states({"S2": states[50.0]})
    gap.observe_states({"S2": states[300.0]})
    assert gap._live["S2"].transition_s(8, 300.5) >= need
    # left out of the states in between (as the SUMO hook does with signals not in use)
    skipped = EscortManager(net)
    skipped.observe_states({"S2": states[50.0]})
    skipped.observe_states({})
    assert not skipped._live["S2"].known
    skipped.observe_states({"S2": states[300.0]})
    assert skipped._live["S2"].transition_s(8, 300.5) >= need


def test_a_reroute_back_through_a_crossed_signal_gets_its_window(plans_for):
    g = grid(3, 3, spacing_m=220.0)
    m = EscortManager(g, plans_for(g))
    m.submit(EscortRequest("ev", "B0_W", "I0_2_BS_2", depart_s=0.0), 0.0)
    m.update(PositionUpdate("ev", 10.0, "I0_0_I0_1", 100.0, 15.0))
    m.update(PositionUpdate("ev", 25.0, "I0_1_I0_2", 100.0, 15.0))  # past I0_1
    m.update(PositionUpdate("ev", 40.0, "I0_2_I1_2", 20.0, 15.0))  # a wrong turn at I0_2
    ahead = [i for i in m.route("ev").intersections if i]
    assert "I0_1" in ahead  # the new route crosses I0_1 again
    m.step(40.0, 0.5)
    assert [w.intersection for w in m.windows("ev")] == ahead


def test_max_presence_is_per_trip(net, plans_for):
    m = EscortManager(net, plans_for(net), EscortConfig(max_presence_s=20.0))
    m.submit(EscortRequest("amb7", "W", "E", depart_s=0.0))
    m.update(PositionUpdate("amb7", 0.0, "W_S1", 280.0, 0.0))  # stuck before S1
    t = 0.0
    while t < 60.0:
        m.step(t, 0.5)
        t += 0.5
    assert any(e.code == EventCode.PREEMPT_MAX_PRESENCE for e in m.events)
    m.arrive("amb7", t)
    t = 1000.0  # a later trip of the same ambulance
    m.submit(EscortRequest("amb7", "W", "E", depart_s=t), t)
    m.update(PositionUpdate("amb7", t, "W_S1", 100.0, 15.0))
    forced: set[str] = set()
    for _ in range(40):
        forced |= {i for i, r in m.step(t, 0.5).items() if r.force}
        t += 0.5
    assert "S1" in forced
    assert next(w.intersection for w in m.windows("amb7")) == "S1"


def test_plan_escorts_refuses_a_vehicle_twice(net):
    requests = [EscortRequest("ev", "W", "E"), EscortRequest("ev", "E", "W", depart_s=5.0)]
    with pytest.raises(InputError, match=r"requests\[1\]\.vehicle_id.*'ev' is requested twice"):
        plan_escorts(net, requests)


def test_equal_priority_crossing_escorts_follow_arrival_order(
    net, plans_for, loop, vehicle, fixed_plan
):
    """A's call at S2 runs early to flush a long queue; B, crossing, arrives first: the signal
    goes to B as the resolved schedule says, B passes without a stop, and no recovery is logged
    for the call taken over."""
    plans = plans_for(net)
    m = EscortManager(net, plans)
    ctrl = EscortController(fixed_plan(plans), m)
    m.observe({"S1_S2": LinkCondition(queue_veh=20.0)}, 0.0)
    route_a = ("S1_S2", "S2_S3", "S3_S4", "S4_E")
    route_b = ("N2_S2", "S2_X2")
    ctrl.submit(EscortRequest("A", route_a[0], route=route_a, depart_s=0.0), 0.0)
    a, b = vehicle("A", route_a, 0.0), vehicle("B", route_b, 6.0)
    b.position_m = 120.0  # 80 m before S2 at 6 s

    def on_step(t):
        if t == 6.0:
            ctrl.submit(EscortRequest("B", route_b[0], route=route_b, depart_s=6.0), 6.0)

    res = loop(net, ctrl, [a, b], t_end_s=80.0, on_step=on_step)
    assert b.stops == 0
    offs = [e for e in m.events if e.signal_id == "S2" and e.code == EventCode.PREEMPT_CALL_OFF]
    assert offs[0].vehicle_id == "A"
    assert offs[0].note == "pre-empted by B"
    for isec in net.intersections:
        assert audit(isec, res.states[isec.id]).ok
    # the signal goes straight into B's call: the log showed a recovery (code 150) that was
    # dropped at once and never ended in step
    s2 = [e for e in m.events if e.signal_id == "S2"]
    k = next(i for i, e in enumerate(s2) if e.note == "pre-empted by B")
    assert [(e.code, e.vehicle_id) for e in s2[k : k + 3]] == [
        (EventCode.PREEMPT_CALL_OFF, "A"),
        (EventCode.PREEMPT_EXIT, "A"),
        (EventCode.PREEMPT_CALL_ON, "B"),
    ]


def test_garbage_fixes_are_ignored_like_lost_ones(net, plans_for):
    """A live feed's garbage (a time or position given as text, a link that is not an id) never
    stops the escort: such a fix is passed over, or its position taken as unknown, and the
    calls come as with the clean fixes alone. Not a fix at all is refused by name."""
    plans = plans_for(net)
    clean = _first_forced(net, plans, None)
    m = EscortManager(net, plans)
    m.submit(EscortRequest("ev", "W", "E", depart_s=0.0), 0.0)
    forced = []
    t = 0.0
    while t < 20.0:
        m.update(PositionUpdate("ev", str(t), "W_S1", 15.0 * t, 15.0))  # type: ignore[arg-type]
        m.update(PositionUpdate("ev", t, ["W_S1"], 15.0 * t, 15.0))  # type: ignore[arg-type]
        m.update(PositionUpdate("ev", t, "W_S1", 15.0 * t, 15.0))
        m.update(PositionUpdate("ev", t, "W_S1", "far", "fast"))  # type: ignore[arg-type]
        out = m.step(t, 0.5)
        if "S1" in out and out["S1"].force:
            forced.append(t)
        t += 0.5
    assert (forced[0], 0.5 * len(forced)) == clean
    with pytest.raises(InputError, match="expected a PositionUpdate"):
        m.update(("ev", 1.0, "W_S1", 0.0, 15.0))  # type: ignore[arg-type]


@pytest.mark.parametrize(("end", "note"), [("cancel", "cancelled"), ("arrive", "arrived")])
def test_a_call_ended_by_cancel_or_arrival_says_so(net, plans_for, end, note):
    """The call off of an escort cancelled (or arrived) mid-call read "passed"."""
    m = EscortManager(net, plans_for(net))
    m.submit(EscortRequest("ev", "W", "E", depart_s=0.0))
    m.update(PositionUpdate("ev", 0.0, "W_S1", 285.0, 15.0))
    assert m.step(0.0, 1.0)["S1"].force
    getattr(m, end)("ev", 1.0)
    assert not m.step(1.0, 1.0).get("S1", Request(())).force
    off = [e for e in m.events if e.code == EventCode.PREEMPT_CALL_OFF]
    assert [(e.signal_id, e.vehicle_id, e.note) for e in off] == [("S1", "ev", note)]
    # the same id escorted again: its calls end as passed once more
    m.submit(EscortRequest("ev", "W", "E", depart_s=2.0), 2.0)
    m.update(PositionUpdate("ev", 2.0, "W_S1", 285.0, 15.0))
    assert m.step(2.0, 1.0)["S1"].force
    m.enter_junction("ev", "S1", 3.0)
    m.step(3.0, 1.0)
    assert [e.note for e in m.events if e.code == EventCode.PREEMPT_CALL_OFF][-1] == "passed"


def test_a_call_handed_to_the_escort_behind_logs_no_recovery(
    net, plans_for, loop, vehicle, fixed_plan
):
    """Two escorts on one approach, two seconds apart: when the first has passed, the call
    goes to the second in the same step. The log showed a recovery (code 150) between the two
    calls that never ran."""
    plans = plans_for(net)
    m = EscortManager(net, plans)
    ctrl = EscortController(fixed_plan(plans), m)
    route = ("W_S1", "S1_S2", "S2_S3", "S3_S4", "S4_E")
    ctrl.submit(EscortRequest("A", "W", "E", depart_s=0.0), 0.0)
    ctrl.submit(EscortRequest("B", "W", "E", depart_s=2.0), 0.0)
    res = loop(net, ctrl, [vehicle("A", route, 0.0), vehicle("B", route, 2.0)], t_end_s=120.0)
    handovers = 0
    for isec in net.intersections:
        mine = [e for e in m.events if e.signal_id == isec.id]
        for before, after in itertools.pairwise(mine):
            if after.code == EventCode.PREEMPT_CALL_ON and before.t_s == after.t_s:
                assert before.code == EventCode.PREEMPT_EXIT, (isec.id, before, after)
                handovers += 1
        assert audit(isec, res.states[isec.id]).ok
    assert handovers >= 1
