"""Call lead times (min green, yellow, all-red) and preemption windows, one and several escorts."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalbrain.errors import InputError
from signalbrain.escort import (
    EscortConfig,
    PhaseStatus,
    PreemptionWindow,
    SignalCrossing,
    latest_call_s,
    phase_for,
    plan_windows,
    resolve_windows,
    transition_s,
)
from signalbrain.escort.signal import plan_status
from signalbrain.network import Network, pair
from signalbrain.network.generate import arterial


@pytest.fixture(scope="module")
def net():
    return arterial(3)


@pytest.fixture(scope="module")
def isec(net):
    return net.intersection("S1")


@pytest.mark.parametrize(
    ("status", "t", "expected"),
    [
        (PhaseStatus(2, "green", 0.0), 1.0, 0.0),  # already green: hold
        (PhaseStatus(4, "green", 0.0), 3.0, (7.0 - 3.0) + 3.5 + 1.5),  # rest of min green
        (PhaseStatus(4, "green", 0.0), 30.0, 3.5 + 1.5),  # min green done
        (PhaseStatus(4, "yellow", 10.0), 11.0, 2.5 + 1.5),
        (PhaseStatus(4, "red", 10.0), 10.5, 1.0),
        (PhaseStatus(3, "green", 0.0), 0.0, 5.0 + 3.5 + 1.5),  # left-turn phase: 5 s minimum
    ],
)
def test_transition_time(isec, status, t, expected):
    assert transition_s(isec, status, 2, t) == pytest.approx(expected)


def test_flush_time_per_lane():
    cfg = EscortConfig(headway_s=2.0, lost_time_s=2.0)
    assert cfg.flush_s(0.0, 2) == 0.0
    assert cfg.flush_s(1.0, 2) == pytest.approx(4.0)
    assert cfg.flush_s(9.0, 2) == pytest.approx(2.0 + 5 * 2.0)


def test_config_rejects_bad_values():
    with pytest.raises(InputError, match="3 problems"):
        EscortConfig(headway_s=-1.0, speed_blend=2.0, recovery=("teleport",))
    with pytest.raises(InputError, match="2 problems"):
        EscortConfig(spill_fraction=-0.5, jam_spacing_m=0.0)


def test_phase_for_serves_every_movement_of_a_shared_lane(isec):
    # a left turn from the lane the through traffic uses too: the protected-left phase would hold
    # the escort behind through vehicles facing red, so the phase serving both is chosen
    shared = replace(isec, shared_lanes=frozenset({pair("W_S1.L", "W_S1.T")}))
    assert phase_for(shared, "W_S1.L") == 2
    assert phase_for(shared, "W_S1.T") == 2
    assert phase_for(shared, "S2_S1.L") == phase_for(isec, "S2_S1.L")  # its own lane


def test_phase_for_prefers_protected(isec):
    assert phase_for(isec, "W_S1.T") == 2
    assert phase_for(isec, "W_S1.L") == 5  # protected left phase, not phase 2's permitted
    with pytest.raises(InputError, match="no phase serves"):
        phase_for(isec, "nope")


def _brute_latest_call(isec, plan, target, deadline, step=0.05):
    ring = next(r for r, m in enumerate(plan.rings) if target in m)
    c = deadline
    while c > deadline - 200:
        status, _ = plan_status(plan, c, ring)
        if c + transition_s(isec, status, target, c) <= deadline + 1e-6:
            return c
        c -= step
    return -math.inf


@settings(max_examples=60, deadline=None)
@given(deadline=st.floats(100.0, 400.0), target=st.sampled_from([2, 4, 6, 8, 1, 3]))
def test_latest_call_matches_brute_force(net, isec, plans_for, deadline, target):
    plan = plans_for(net)["S1"]
    call = latest_call_s(isec, plan, target, deadline)
    status, _ = plan_status(plan, call, next(r for r, m in enumerate(plan.rings) if target in m))
    assert call + transition_s(isec, status, target, call) <= deadline + 1e-6
    assert call >= _brute_latest_call(isec, plan, target, deadline) - 0.06


def test_window_opens_to_flush_the_queue(net, plans_for):
    cfg = EscortConfig()
    c = SignalCrossing("S2", "S1_S2.T", "S1_S2", 1, 620.0, 200.0, 9.0)
    (w,) = plan_windows("ev", [c], net, plans_for(net), cfg)
    assert w.phase == 2
    assert w.flush_s == pytest.approx(cfg.lost_time_s + 5 * cfg.headway_s)
    assert w.open_s == pytest.approx(200.0 - w.flush_s - cfg.margin_s)
    assert w.close_s == pytest.approx(200.0 + cfg.pass_s)
    assert w.call_s <= w.open_s
    assert w.lead_s == pytest.approx(200.0 - w.call_s)
    (worst,) = plan_windows("ev", [c], net, None, cfg)
    assert worst.call_s == pytest.approx(w.open_s - (7.0 + 5.0))  # worst case over phases


def test_the_window_flushes_the_lanes_of_the_escorts_movement(net, plans_for):
    """Eight vehicles ahead per lane in the lanes the escort uses: 16 s of flush, not the 8 s
    of the same link total spread over both lanes."""
    cfg = EscortConfig()
    spread = SignalCrossing("S2", "S1_S2.T", "S1_S2", 1, 620.0, 200.0, 8.0)
    (w,) = plan_windows("ev", [spread], net, plans_for(net), cfg)
    assert w.flush_s == pytest.approx(cfg.lost_time_s + 4 * cfg.headway_s)
    lane = replace(spread, per_lane_veh=8.0)
    (w,) = plan_windows("ev", [lane], net, plans_for(net), cfg)
    assert w.flush_s == pytest.approx(cfg.lost_time_s + 8 * cfg.headway_s)
    assert w.open_s == pytest.approx(200.0 - w.flush_s - cfg.margin_s)
    assert w.queue_veh == 8.0  # the link's queue, for the spill-back rule


def _row(queues: tuple[float, float, float]) -> list[SignalCrossing]:
    """The escort eastbound over S1, S2, S3 (approaches 300, 320 and 210 m, two lanes)."""
    return [
        SignalCrossing("S1", "W_S1.T", "W_S1", 0, 300.0, 100.0, queues[0]),
        SignalCrossing("S2", "S1_S2.T", "S1_S2", 1, 620.0, 130.0, queues[1]),
        SignalCrossing("S3", "S2_S3.T", "S2_S3", 2, 830.0, 160.0, queues[2]),
    ]


def test_a_flush_that_would_spill_back_opens_the_next_signal_with_it(net, plans_for):
    """S1 flushes 30 vehicles towards S2, where 20 stand: 50 of S1_S2's 85 places, more than
    half, so S2 opens with S1; S2's 20 then meet S3's 10 on S2_S3 (56 places): S3 opens too."""
    cfg = EscortConfig()
    w1, w2, w3 = plan_windows("ev", _row((30.0, 20.0, 10.0)), net, plans_for(net), cfg)
    assert w1.open_s == pytest.approx(100.0 - 15 * cfg.headway_s - cfg.margin_s)
    assert w2.open_s == pytest.approx(w1.open_s)  # not 130 - 20 - 1 s
    assert w3.open_s == pytest.approx(w1.open_s)
    assert w2.call_s <= w2.open_s
    assert w3.call_s <= w3.open_s
    assert (w2.close_s, w3.close_s) == (130.0 + cfg.pass_s, 160.0 + cfg.pass_s)
    off = plan_windows(
        "ev", _row((30.0, 20.0, 10.0)), net, plans_for(net), replace(cfg, spill_fraction=0.0)
    )
    assert [w.open_s for w in off] == pytest.approx([69.0, 109.0, 149.0])


def test_a_flush_that_fits_leaves_the_next_window(net, plans_for):
    cfg = EscortConfig()
    windows = plan_windows("ev", _row((10.0, 2.0, 0.0)), net, plans_for(net), cfg)
    assert [w.open_s for w in windows] == pytest.approx([89.0, 127.0, 159.0])


def _split_s1_s2() -> Network:
    """arterial(3) with eastbound S1_S2 cut at an unsignalised node M: S1_M (200 m, 2 lanes)
    then M_S2 (120 m, 1 lane), the approach S2 sees."""
    from signalbrain.io.network_yaml import network_to_dict, parse_network

    d = network_to_dict(arterial(3))
    d["nodes"]["M"] = [200.0, 0.0]
    old = d["links"].pop("S1_S2")
    d["links"]["S1_M"] = {**old, "to": "M", "length_m": 200.0}
    d["links"]["M_S2"] = {**old, "from": "M", "lanes": 1, "length_m": 120.0}
    for sig, end, new_link in (("S1", "to", "S1_M"), ("S2", "from", "M_S2")):
        for mv in d["intersections"][sig]["movements"]:
            if mv[end] == "S1_S2":
                mv[end] = new_link
                mv["lanes"] = min(mv["lanes"], 1)
    return parse_network(d)


def test_the_road_between_two_signals_is_the_flush_storage(plans_for):
    """A flush that fits the whole road from S1 to S2 (200 m x 2 + 120 m x 1 = 69 places) does
    not open S2 with S1, though S2's own 120 m approach (16 places) could not hold it."""
    from signalbrain.escort.routing import RoutingGraph, TravelTimes, crossings

    net = _split_s1_s2()
    cfg = EscortConfig()
    route = RoutingGraph(net).shortest("W", "E", TravelTimes(net, cfg))
    assert route.links[:3] == ("W_S1", "S1_M", "M_S2")
    ahead = crossings(route, TravelTimes(net, cfg), t_s=0.0)
    assert [c.intersection for c in ahead] == ["S1", "S2", "S3"]
    assert ahead[1].approach_link == "M_S2"
    assert ahead[1].storage_veh == pytest.approx((200.0 * 2 + 120.0) / cfg.jam_spacing_m)
    assert ahead[2].storage_veh == pytest.approx(210.0 * 2 / cfg.jam_spacing_m)
    plans = plans_for(net)
    fits = [replace(c, queue_veh=q) for c, q in zip(ahead, (15.0, 10.0, 0.0), strict=True)]
    w1, w2, _ = plan_windows("ev", fits, net, plans, cfg)
    assert w2.open_s > w1.open_s
    spills = [replace(c, queue_veh=q) for c, q in zip(ahead, (25.0, 15.0, 0.0), strict=True)]
    w1, w2, _ = plan_windows("ev", spills, net, plans, cfg)
    assert w2.open_s == pytest.approx(w1.open_s)
    # without the stretch (a crossing made by hand) the approach link alone is the storage
    alone = [replace(c, storage_veh=None) for c in fits]
    w1, w2, _ = plan_windows("ev", alone, net, plans, cfg)
    assert w2.open_s == pytest.approx(w1.open_s)


def _w(vid, phase, open_s, close_s, priority=0):
    return PreemptionWindow(
        vid, "S1", "m", "a", phase, close_s - 3.0, 0.0, 0.0, open_s, close_s, open_s - 5.0, priority
    )


def test_crossing_escorts_served_by_priority_then_arrival(net):
    clear4 = net.intersection("S1").phase(4).clearance_s
    clear2 = net.intersection("S1").phase(2).clearance_s
    low_first = _w("a", 2, 100.0, 110.0)
    high_later = _w("b", 4, 105.0, 115.0, priority=1)
    out = {w.vehicle_id: w for w in resolve_windows([low_first, high_later], net)}
    assert out["b"] == high_later
    assert out["a"].open_s == pytest.approx(115.0 + clear4)
    assert out["a"].delay_s == pytest.approx(115.0 + clear4 - 100.0)
    assert out["a"].call_s == pytest.approx(115.0)
    same = {
        w.vehicle_id: w
        for w in resolve_windows([_w("a", 2, 100.0, 110.0), _w("b", 4, 105.0, 115.0)], net)
    }
    assert same["a"].delay_s == 0.0
    assert same["b"].open_s == pytest.approx(110.0 + clear2)
    shared = resolve_windows([_w("a", 2, 100.0, 110.0), _w("b", 2, 105.0, 115.0)], net)
    assert all(w.delay_s == 0.0 for w in shared)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([2, 4, 6, 8]),
            st.floats(0.0, 300.0),
            st.floats(1.0, 40.0),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_resolved_windows_of_different_phases_never_overlap(net, items):
    isec = net.intersection("S1")
    windows = [_w(f"v{i}", ph, t, t + d, pr) for i, (ph, t, d, pr) in enumerate(items)]
    out = resolve_windows(windows, net)
    assert len(out) == len(windows)
    for a in out:
        for b in out:
            if a is b or a.phase == b.phase:
                continue
            first, second = (a, b) if a.open_s <= b.open_s else (b, a)
            assert second.open_s >= first.close_s + isec.phase(first.phase).clearance_s - 1e-6
