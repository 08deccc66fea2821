"""The live manager: noisy fixes, re-routing, cancellation, max presence; safety under any mix
of requests, cancellations and crossing escorts (through the real ConflictMonitor)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.control.base import SignalState
from signalbrain.control.monitor import audit
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
    escort_network,
)
from signalbrain.network.generate import arterial, grid


@pytest.fixture(scope="module")
def net():
    return arterial(4)


def test_fixes_never_move_the_vehicle_backwards(net, plans_for):
    m = EscortManager(net, plans_for(net))
    m.submit(EscortRequest("ev", "W", "E", depart_s=0.0))
    m.update(PositionUpdate("ev", 10.0, "S1_S2", 200.0, 15.0))
    before = {w.intersection: w.eta_s for w in m._escorts["ev"].windows}
    m.update(PositionUpdate("ev", 11.0, "S1_S2", 150.0, 15.0))  # noise: 50 m behind
    m.update(PositionUpdate("ev", 11.5, "W_S1", 250.0, 15.0))  # stale link behind
    m.update(PositionUpdate("ev", 9.0, "S2_S3", 10.0, 15.0))  # out of order
    after = {w.intersection: w.eta_s for w in m._escorts["ev"].windows}
    assert set(after) == set(before) == {"S2", "S3", "S4"}
    assert after["S2"] == pytest.approx(11.5 + 120.0 / 15.0)


def test_off_route_fix_reroutes(net, plans_for):
    m = EscortManager(net, plans_for(net))
    m.submit(EscortRequest("ev", "W", "E"))
    m.update(PositionUpdate("ev", 20.0, "N2_S2", 50.0, 10.0))  # took a side street
    route = m.route("ev")
    assert route.links[0] == "N2_S2"
    assert route.links[-1] == "S4_E"


def test_duplicate_and_bad_requests(net):
    m = EscortManager(net)
    m.submit(EscortRequest("ev", "W", "E"))
    with pytest.raises(InputError, match="already escorted"):
        m.submit(EscortRequest("ev", "W", "E"))
    with pytest.raises(InputError, match="destination"):
        m.submit(EscortRequest("ev2", "W"))


def test_cancel_ends_calls_and_recovers(net, plans_for, loop, fixed_plan, vehicle):
    plans = plans_for(net)
    m = EscortManager(net, plans)
    ctrl = EscortController(fixed_plan(plans), m)
    ctrl.submit(EscortRequest("ev", "W", "E", depart_s=0.0))

    def cancel(t):
        if t == 25.0:
            m.cancel("ev", t)

    ev = vehicle("ev", ("W_S1", "S1_S2", "S2_S3", "S3_S4", "S4_E"), 0.0)
    res = loop(net, ctrl, [ev], t_end_s=250.0, on_step=cancel)
    codes = [e.code for e in m.events]
    assert codes.count(EventCode.PREEMPT_CALL_ON) == codes.count(EventCode.PREEMPT_CALL_OFF) >= 1
    assert max(e.t_s for e in m.events if e.code == EventCode.PREEMPT_CALL_ON) < 25.0
    assert not any(r.force for t, _, r in res.requests if t > 25.0)
    for isec in net.intersections:
        assert audit(isec, res.states[isec.id]).ok


def test_max_presence_releases_a_stuck_call(net, plans_for, loop, fixed_plan, vehicle):
    plans = plans_for(net)
    m = EscortManager(net, plans, EscortConfig(max_presence_s=20.0))
    ctrl = EscortController(fixed_plan(plans), m)
    ctrl.submit(EscortRequest("ev", "W", "E", depart_s=0.0))
    m.update(PositionUpdate("ev", 0.0, "W_S1", 280.0, 0.0))  # then silence: no more fixes
    res = loop(net, ctrl, [], t_end_s=120.0)
    assert any(e.code == EventCode.PREEMPT_MAX_PRESENCE for e in m.events)
    s1 = [e for e in m.events if e.signal_id == "S1"]
    assert [e.code for e in s1][:2] == [EventCode.PREEMPT_CALL_ON, EventCode.PREEMPT_ENTRY_STARTED]
    on = next(e.t_s for e in s1 if e.code == EventCode.PREEMPT_CALL_ON)
    off = next(e.t_s for e in s1 if e.code == EventCode.PREEMPT_CALL_OFF)
    assert off - on == pytest.approx(20.5, abs=0.6)
    assert audit(net.intersection("S1"), res.states["S1"]).ok


GRID = grid(3, 3, spacing_m=220.0)
ENDS = [
    "B0_W",
    "B1_W",
    "B2_W",
    "B0_E",
    "B1_E",
    "B2_E",
    "BS_0",
    "BS_1",
    "BS_2",
    "BN_0",
    "BN_1",
    "BN_2",
]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    trips=st.lists(
        st.tuples(
            st.sampled_from(ENDS),
            st.sampled_from(ENDS),
            st.floats(0.0, 60.0),
            st.integers(0, 2),
            st.one_of(st.none(), st.floats(5.0, 120.0)),
        ),
        min_size=1,
        max_size=4,
    ),
    fix_every=st.integers(1, 6),
    wobble_m=st.floats(0.0, 25.0),
)
def test_safety_under_random_overlapping_escorts(
    plans_for, loop, fixed_plan, vehicle, trips, fix_every, wobble_m
):
    plans = plans_for(GRID)
    m = EscortManager(GRID, plans)
    ctrl = EscortController(fixed_plan(plans), m)
    vehicles = []
    cancels: dict[float, str] = {}
    for i, (a, b, depart, prio, cancel_at) in enumerate(trips):
        if a == b:
            continue
        vid = f"ev{i}"
        try:
            ctrl.submit(EscortRequest(vid, a, b, depart_s=round(depart * 2) / 2, priority=prio))
        except InputError:
            continue  # e.g. no route from an exit-only boundary
        vehicles.append(vehicle(vid, m.route(vid).links, round(depart * 2) / 2))
        if cancel_at is not None:
            cancels[round(cancel_at * 2) / 2] = vid
    sign = iter([(-1) ** k for k in range(100_000)])
    res = loop(
        GRID,
        ctrl,
        vehicles,
        t_end_s=240.0,
        fix_every=fix_every,
        noise=lambda t: next(sign) * wobble_m,
        on_step=lambda t: cancels.get(t) and m.cancel(cancels[t], t),
    )
    for isec in GRID.intersections:
        counts = audit(isec, res.states[isec.id])
        assert counts.ok, (isec.id, counts)
    for isec_id in {e.signal_id for e in m.events}:
        codes = [e.code for e in m.events if e.signal_id == isec_id]
        ons, offs = codes.count(EventCode.PREEMPT_CALL_ON), codes.count(EventCode.PREEMPT_CALL_OFF)
        assert ons - offs in (0, 1)  # at most the call still open at the end


def _plan_display(isec, plan, t):
    """The display the plan alone shows at ``t`` (what a signal in step with it shows)."""
    shown = {m.id: "r" for m in isec.movements}
    for iv in plan.phase_at(t):
        if not iv.phase:
            continue
        ph = isec.phase(iv.phase)
        for mid in ph.movements:
            if iv.kind == "green":
                shown[mid] = "G" if mid in ph.protected else max(shown[mid], "g")
            elif iv.kind == "yellow" and shown[mid] == "r":
                shown[mid] = "y"
    return SignalState(t, shown)


def _first_forced_s(net, plans, config, t0, position_m):
    """Run the manager against displays that follow the plans; first forced request at S1."""
    m = EscortManager(net, plans, config)
    m.submit(EscortRequest("ev", "W", "E", route=_EAST, depart_s=t0), t0)
    m.update(PositionUpdate("ev", t0, "W_S1", position_m, 15.0))
    isec = net.intersection("S1")
    t = t0
    while t < t0 + 30.0:
        m.observe_states({"S1": _plan_display(isec, plans["S1"], t)})
        req = m.step(t, 0.5).get("S1")
        if req is not None and req.force:
            return t, req
        t += 0.5
    return None, None


_EAST = ("W_S1", "S1_S2", "S2_S3", "S3_S4", "S4_E")


@pytest.mark.parametrize("early_s", [1.0, 2.5])
def test_call_waits_for_the_plans_own_green(net, plans_for, early_s):
    """When the plan turns the escort's phase green within ``plan_slack_s`` after the window
    opens, the phase in service is not cut: the call comes when the plan's green starts (and
    holds it); without the slack the call cuts in before the plan's green."""
    plans = plans_for(net)
    plan = plans["S1"]
    start = plan.green_window_s(2)[0]
    g0 = start + math.ceil((200.0 - start) / plan.cycle_s) * plan.cycle_s  # a green start
    t0 = g0 - 15.0  # phase 2 is red in the plan from t0 to g0
    assert plan.phase_at(t0)[0].phase != 2
    cfg = EscortConfig(margin_s=3.0, plan_slack_s=3.0)
    eta = g0 + cfg.margin_s - early_s  # the window opens early_s before the plan's green
    pos = 300.0 - 15.0 * (eta - t0)
    t_call, req = _first_forced_s(net, plans, cfg, t0, pos)
    assert t_call is not None
    assert t_call >= g0 - 1e-9
    assert req.phases[0] == 2
    t_cut, _ = _first_forced_s(net, plans, EscortConfig(margin_s=3.0, plan_slack_s=0.0), t0, pos)
    assert t_cut is not None
    assert t_cut < g0 - 1.0


def test_call_cuts_in_when_the_plans_green_comes_too_late(net, plans_for):
    plans = plans_for(net)
    plan = plans["S1"]
    start = plan.green_window_s(2)[0]
    g0 = start + math.ceil((200.0 - start) / plan.cycle_s) * plan.cycle_s
    t0 = g0 - 15.0
    cfg = EscortConfig(margin_s=3.0, plan_slack_s=3.0)
    eta = g0 - 1.0  # the window opens 4 s before the plan's green: beyond the slack
    t_call, _ = _first_forced_s(net, plans, cfg, t0, 300.0 - 15.0 * (eta - t0))
    assert t_call is not None
    assert t_call < g0 - 1.0


def test_entering_the_junction_ends_the_call(net, plans_for):
    m = EscortManager(net, plans_for(net))
    m.submit(EscortRequest("ev", "W", "E", route=_EAST, depart_s=0.0))
    m.update(PositionUpdate("ev", 0.0, "W_S1", 285.0, 15.0))
    assert m.step(0.0, 1.0)["S1"].force
    m.enter_junction("ev", "S3", 1.0)  # not the next junction: a noisy fix, ignored
    m.enter_junction("ev", "S1", 1.0)
    assert "S1" not in m.step(1.0, 1.0)
    off = [e for e in m.events if e.code == EventCode.PREEMPT_CALL_OFF]
    assert [(e.signal_id, e.note) for e in off] == [("S1", "passed")]
    assert [w.intersection for w in m.windows("ev")] == ["S2", "S3", "S4"]


def test_naive_call_ends_when_the_vehicle_enters_the_junction(net, plans_for, fixed_plan):
    naive = NaivePreemption(fixed_plan(plans_for(net)), net, distance_m=250.0)
    naive.submit(EscortRequest("ev", "W", "E"))
    naive.update(PositionUpdate("ev", 0.0, "W_S1", 285.0, 15.0), "S1_S2")
    assert "S1" in naive.preempt(0.0)
    naive.enter_junction("ev", "S2", 1.0)  # another junction: ignored
    assert "S1" in naive.preempt(1.0)
    naive.enter_junction("ev", "S1", 1.0)
    assert naive.preempt(1.0) == {}
    assert naive.events[-2].code == EventCode.PREEMPT_CALL_OFF


class _FakeVehicleApi:
    """The two calls :meth:`SumoEscort._fix` makes when the vehicle is inside a junction."""

    def __init__(self, road: str) -> None:
        self.road = road

    def getRoadID(self, vid: str) -> str:  # noqa: N802 - SUMO's API name
        return self.road


def test_sumo_internal_edge_means_inside_that_junction(net, plans_for):
    """SUMO names the lanes inside junction ``J`` ``:J_<n>_<lane>`` (edge ``:J_<n>``): a fix
    there is the vehicle past J's stop line, so the escort's call at J ends."""
    from types import SimpleNamespace

    from signalbrain.escort.sumo import SumoEscort

    esc = SumoEscort("auto", net, sumo=SimpleNamespace(), plans=plans_for(net))
    m = esc.manager
    m.submit(EscortRequest("ev", "W", "E", route=_EAST, depart_s=0.0))
    m.update(PositionUpdate("ev", 0.0, "W_S1", 285.0, 15.0))
    assert m.step(0.0, 1.0)["S1"].force
    fake = SimpleNamespace(vehicle=_FakeVehicleApi(":S1_7"))
    esc._fix(fake, "ev", 1.0)  # type: ignore[arg-type]
    assert "S1" not in m.step(1.0, 1.0)
    assert [w.intersection for w in m.windows("ev")] == ["S2", "S3", "S4"]
    naive = SumoEscort("naive", net, sumo=SimpleNamespace())
    naive.naive.update(PositionUpdate("ev", 0.0, "W_S1", 285.0, 15.0), "S1_S2")
    assert "S1" in naive.naive.preempt(0.0)
    naive._fix(fake, "ev", 1.0)  # type: ignore[arg-type]
    assert naive.naive.preempt(1.0) == {}


def test_request_ahead_of_departure_plans_from_the_departure(net, plans_for):
    """A dispatcher's request made before the vehicle leaves plans from its departure time;
    standing fixes at the origin before then change nothing, and once the departure time has
    passed they move the plan along with the clock (the vehicle has not left yet)."""
    m = EscortManager(net, plans_for(net))

    def etas(windows: list) -> dict[str, float]:
        return {w.intersection: w.eta_s for w in windows}

    planned = etas(m.submit(EscortRequest("ev", "W", "E", route=_EAST, depart_s=100.0), 40.0))
    assert set(planned) == {"S1", "S2", "S3", "S4"}
    assert min(planned.values()) > 100.0
    waiting = etas(m.update(PositionUpdate("ev", 70.0, "W_S1", 0.0, 0.0)))
    assert min(waiting.values()) > 100.0
    assert etas(m.update(PositionUpdate("ev", 100.0, "W_S1", 0.0, 0.0))) == pytest.approx(waiting)
    late = etas(m.update(PositionUpdate("ev", 112.0, "W_S1", 0.0, 0.0)))
    assert late == pytest.approx({k: v + 12.0 for k, v in waiting.items()})


class _FakeSumo:
    """The part of SUMO's API :class:`SumoEscort` reads, for one emergency vehicle ``ev``
    loaded at 0 s with a planned departure at ``depart_s`` and inserted at ``inserted_s``."""

    def __init__(self, depart_s: float, inserted_s: float) -> None:
        self.t = 0.0
        self.depart_s, self.inserted_s = depart_s, inserted_s
        self.routes_set: list[tuple[str, ...]] = []
        fake = self

        class Simulation:
            def getDeltaT(self) -> float:  # noqa: N802 - SUMO's API names
                return 1.0

            def getLoadedIDList(self) -> list[str]:  # noqa: N802
                return ["ev"] if fake.t == 0.0 else []

            def getDepartedIDList(self) -> list[str]:  # noqa: N802
                return ["ev"] if fake.t == fake.inserted_s else []

            def getArrivedIDList(self) -> list[str]:  # noqa: N802
                return []

        class Vehicle:
            def getVehicleClass(self, vid: str) -> str:  # noqa: N802
                return "emergency"

            def getDepartDelay(self, vid: str) -> float:  # noqa: N802
                return fake.t - fake.depart_s

            def getRoute(self, vid: str) -> tuple[str, ...]:  # noqa: N802
                return _EAST

            def getStops(self, vid: str) -> list[object]:  # noqa: N802
                return []

            def getRouteIndex(self, vid: str) -> int:  # noqa: N802
                return 0

            def setRoute(self, vid: str, route: list[str]) -> None:  # noqa: N802
                fake.routes_set.append(tuple(route))

            def getIDList(self) -> list[str]:  # noqa: N802
                return ["ev"] if fake.t >= fake.inserted_s else []

            def getRoadID(self, vid: str) -> str:  # noqa: N802
                return "W_S1"

            def getLanePosition(self, vid: str) -> float:  # noqa: N802
                return 5.0

            def getSpeed(self, vid: str) -> float:  # noqa: N802
                return 10.0

        class TrafficLight:
            def getRedYellowGreenState(self, tls: str) -> str:  # noqa: N802
                return ""

        self.simulation, self.vehicle, self.trafficlight = Simulation(), Vehicle(), TrafficLight()


def _drive(esc, fake: _FakeSumo, seconds: range, obs=None) -> list[float]:
    """Call the hook once a second; the times at which the vehicle was being escorted."""
    active = []
    for t in seconds:
        fake.t = float(t)
        esc(fake.t, obs or {}, {})
        if "ev" in esc.manager.active:
            active.append(fake.t)
    return active


@pytest.mark.parametrize("lead_s", [30.0, 60.0])
def test_sumo_hook_requests_the_escort_ahead_of_departure(net, plans_for, lead_s):
    """In SUMO the key is pressed ``dispatch_lead_s`` before the planned departure (read from
    SUMO's depart delay of the loaded vehicle); the windows are planned from the departure, and
    the route is handed over once the vehicle is in the network."""
    from signalbrain.escort.sumo import SumoEscort

    fake = _FakeSumo(depart_s=100.0, inserted_s=101.0)
    esc = SumoEscort("auto", net, sumo=fake, plans=plans_for(net), dispatch_lead_s=lead_s)
    key = int(100.0 - lead_s)
    active = _drive(esc, fake, range(0, 101))
    etas = {w.intersection: w.eta_s for w in esc.manager.windows("ev")}
    active += _drive(esc, fake, range(101, 121))
    assert active == [float(t) for t in range(key, 121)]
    assert min(etas.values()) > 100.0
    # the vehicle waiting at its origin reports no speed: its ETAs stay those planned from its
    # departure at the planning speed (a reported 0 m/s would halve it on the first road)
    alone = EscortManager(net, plans_for(net))
    request = EscortRequest("ev", "W", "E", route=_EAST, depart_s=100.0)
    assert etas == pytest.approx({w.intersection: w.eta_s for w in alone.submit(request, key)})
    assert esc.escorted_ids == {"ev"}
    assert "ev" in esc.escorted  # followed since its insertion
    assert fake.routes_set == []  # the planned route is the vehicle's own


def test_sumo_hook_withdraws_a_late_vehicle_until_it_departs(net, plans_for):
    """An ambulance SUMO cannot insert on time (its entry road jammed) must not hold green for
    it: two steps after its departure time the request is withdrawn, and made again when the
    vehicle is on the road."""
    from signalbrain.escort.sumo import LATE_STEPS, SumoEscort

    fake = _FakeSumo(depart_s=100.0, inserted_s=130.0)
    esc = SumoEscort("auto", net, sumo=fake, plans=plans_for(net))
    active = _drive(esc, fake, range(0, 141))
    waiting = [float(t) for t in range(40, 101 + LATE_STEPS)]
    assert active == waiting + [float(t) for t in range(130, 141)]
    assert "ev" in esc.escorted


def test_sumo_hook_without_lead_requests_at_departure(net, plans_for):
    """``dispatch_lead_s`` = 0: the request is made when SUMO inserts the vehicle."""
    from signalbrain.escort.sumo import SumoEscort

    fake = _FakeSumo(depart_s=100.0, inserted_s=104.0)
    esc = SumoEscort("auto", net, sumo=fake, plans=plans_for(net), dispatch_lead_s=0.0)
    assert _drive(esc, fake, range(0, 121)) == [float(t) for t in range(104, 121)]


def test_sumo_hook_requests_at_departure_when_the_first_road_is_full(net, plans_for):
    """An ambulance whose first road is queued full may not get in for minutes: no request
    ahead, and it is requested when it departs."""
    from signalbrain.control.base import ApproachObservation, LaneObservation, Observation
    from signalbrain.escort.sumo import SumoEscort

    link = net.link("W_S1")
    full = link.length_m * link.lanes / 7.5
    lanes = tuple(
        LaneObservation(f"W_S1_{i}", ("W_S1.T",), queue_veh=full / link.lanes)
        for i in range(link.lanes)
    )
    obs = {"S1": Observation(0.0, {"W_S1": ApproachObservation.from_lanes("W_S1", lanes)})}
    fake = _FakeSumo(depart_s=100.0, inserted_s=101.0)
    esc = SumoEscort("auto", net, sumo=fake, plans=plans_for(net))
    assert _drive(esc, fake, range(0, 121), obs) == [float(t) for t in range(101, 121)]
    fake = _FakeSumo(depart_s=100.0, inserted_s=101.0)
    esc = SumoEscort("auto", net, sumo=fake, plans=plans_for(net))
    assert _drive(esc, fake, range(0, 121))[0] == 40.0  # the same with room: 60 s ahead


ARTERIAL = arterial(3)
ARTERIAL_ESCORT = escort_network(ARTERIAL)  # with each approach's own (escort) phase
_ARTERIAL_ENDS = ["W", "E", "N1", "X1", "N2", "X2", "N3", "X3", "W_S1", "E_S3", "N2_S2"]


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    trips=st.lists(
        st.tuples(
            st.sampled_from(_ARTERIAL_ENDS),
            st.sampled_from(_ARTERIAL_ENDS),
            st.integers(0, 40),  # departure [s]
            st.integers(0, 2),  # priority
            st.one_of(st.none(), st.integers(2, 150)),  # cancel time [s]
        ),
        min_size=2,
        max_size=4,
    ),
    queue_veh=st.floats(0.0, 25.0),
    greens=st.sampled_from([(7.0, 25.0), (5.0, 12.0), (10.0, 40.0)]),
    recovery=st.sampled_from([("resume", "dwell", "shortway"), ("dwell",), ("shortway",)]),
)
def test_safety_with_escort_phases_crossing_escorts_cancels_and_recovery(
    plans_for, loop, fixed_plan, vehicle, trips, queue_veh, greens, recovery
):
    """What the monitors show while escorts cross at one signal (by priority or arrival), are
    cancelled mid-call and their signals recover by every method, on the intersections with
    the escorts' approach phases: no conflicting greens, no short yellow, all-red or minimum
    green; every call on is followed by its call off, and every logged time is finite."""
    net = ARTERIAL_ESCORT
    plans = plans_for(ARTERIAL, green_s=greens)  # the controller runs the original phases
    m = EscortManager(net, plans, EscortConfig(recovery=recovery))
    m.observe({k.id: LinkCondition(queue_veh=queue_veh) for k in net.links}, 0.0)
    ctrl = EscortController(fixed_plan(plans), m)
    vehicles = []
    cancels: dict[float, list[str]] = {}
    for i, (a, b, depart, prio, cancel_at) in enumerate(trips):
        vid = f"ev{i}"
        try:
            ctrl.submit(EscortRequest(vid, a, b, depart_s=float(depart), priority=prio))
        except InputError:
            continue  # no route (an exit-only end, or the origin itself)
        vehicles.append(vehicle(vid, m.route(vid).links, float(depart)))
        if cancel_at is not None:
            cancels.setdefault(float(cancel_at), []).append(vid)
    res = loop(
        net,
        ctrl,
        vehicles,
        t_end_s=200.0,
        on_step=lambda t: [m.cancel(v, t) for v in cancels.get(t, [])],
    )
    for isec in net.intersections:
        counts = audit(isec, res.states[isec.id])
        assert counts.ok, (isec.id, counts)
    assert all(math.isfinite(e.t_s) for e in m.events)
    assert [e.t_s for e in m.events] == sorted(e.t_s for e in m.events)
    for isec_id in {e.signal_id for e in m.events}:
        mine = [e for e in m.events if e.signal_id == isec_id]
        open_calls = 0
        for e in mine:
            if e.code == EventCode.PREEMPT_CALL_ON:
                assert open_calls == 0, (isec_id, e)  # one call at a time per signal
                open_calls += 1
            elif e.code == EventCode.PREEMPT_CALL_OFF:
                assert open_calls == 1, (isec_id, e)
                open_calls -= 1
