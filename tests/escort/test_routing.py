"""Routing on the turn-aware link graph, congestion-aware costs, and ETAs per signal."""

from __future__ import annotations

import math

import pytest

from signalbrain.errors import InputError
from signalbrain.escort import EscortConfig, LinkCondition, RoutingGraph, TravelTimes, crossings
from signalbrain.network.generate import arterial, grid


@pytest.fixture(scope="module")
def art():
    return arterial(5)


def test_arterial_route_follows_the_main_street(art):
    graph = RoutingGraph(art)
    route = graph.shortest("W", "E", TravelTimes(art))
    assert route.links == ("W_S1", "S1_S2", "S2_S3", "S3_S4", "S4_S5", "S5_E")
    assert route.intersections == ("S1", "S2", "S3", "S4", "S5")
    assert all(m is not None and m.endswith(".T") for m in route.movements)
    assert route.cost_s == pytest.approx(sum(art.link(k).free_flow_time_s for k in route.links))


def test_link_origin_pays_nothing_for_its_own_link(art):
    graph = RoutingGraph(art)
    times = TravelTimes(art)
    by_node = graph.shortest("W", "S5_E", times)
    by_link = graph.shortest("W_S1", "S5_E", times)
    assert by_node.links == by_link.links
    assert by_node.cost_s - by_link.cost_s == pytest.approx(art.link("W_S1").free_flow_time_s)


@pytest.mark.parametrize(
    ("origin", "destination", "field"),
    [("nowhere", "E", "origin"), ("W", "nowhere", "destination")],
)
def test_unknown_endpoints_are_named(art, origin, destination, field):
    with pytest.raises(InputError, match=f"{field}.*'nowhere'"):
        RoutingGraph(art).shortest(origin, destination, TravelTimes(art))


def test_a_dead_end_node_is_named_with_its_network(art):
    """It said only "origin 'Z': no link leaves this node", naming no network file or field."""
    from dataclasses import replace

    from signalbrain.network.model import Link, Node

    dead_end = replace(
        art,
        nodes=(*art.nodes, Node("Z", -300.0, 300.0)),
        links=(*art.links, Link("W_Z", "W", "Z", 1, 300.0, 13.9, 1800.0)),
        source="city.yaml",
    )
    with pytest.raises(InputError) as info:
        RoutingGraph(dead_end).shortest("Z", "E", TravelTimes(dead_end))
    assert str(info.value) == (
        "city.yaml: origin: 'Z': no link of network 'arterial5' leaves this node"
    )


def test_routes_around_a_long_queue():
    net = grid(2, 3, spacing_m=300.0)
    graph = RoutingGraph(net)
    free = graph.shortest("B0_W", "B0_E", TravelTimes(net))
    assert free.links == ("B0_W_I0_0", "I0_0_I0_1", "I0_1_I0_2", "I0_2_B0_E")
    cfg = EscortConfig(queue_weight=1.0)
    jam = TravelTimes(net, cfg, {"I0_0_I0_1": LinkCondition(queue_veh=100.0)})
    detour = graph.shortest("B0_W", "B0_E", jam)
    assert "I0_0_I0_1" not in detour.links
    assert detour.cost_s < free.cost_s + cfg.flush_s(100.0, 2)
    turns = sum(1 for m in detour.movements if m and not m.endswith(".T"))
    assert turns == 4  # around the block: four turns, each paying its penalty
    small = TravelTimes(net, EscortConfig(), {"I0_0_I0_1": LinkCondition(queue_veh=100.0)})
    assert graph.shortest("B0_W", "B0_E", small).links == free.links  # default weight 0.25


def test_follow_checks_turns(art):
    graph = RoutingGraph(art)
    times = TravelTimes(art)
    ok = graph.follow(["W_S1", "S1_N1"], times)
    assert ok.movements == ("W_S1.L",)
    assert ok.cost_s == pytest.approx(art.link("S1_N1").free_flow_time_s + times.turn_s["L"])
    with pytest.raises(InputError, match=r"route\[1\].*no allowed movement"):
        graph.follow(["W_S1", "S2_S3"], TravelTimes(art))
    with pytest.raises(InputError, match="unknown link"):
        graph.follow(["W_S1", "zzz"], TravelTimes(art))


def test_measured_speed_counts_only_without_a_standing_queue(art):
    times = TravelTimes(
        art,
        conditions={
            "S1_S2": LinkCondition(queue_veh=0.0, speed_mps=9.0),
            "S2_S3": LinkCondition(queue_veh=8.0, speed_mps=0.5),
            "S3_S4": LinkCondition(queue_veh=0.0, speed_mps=1.0),
        },
    )
    assert times.drive_s[art.link_position("S1_S2")] == pytest.approx(320.0 / 9.0)
    assert times.drive_s[art.link_position("S3_S4")] == pytest.approx(450.0 / 7.5)  # floor
    assert times.drive_s[art.link_position("S2_S3")] == pytest.approx(210.0 / 15.0)
    cfg = times.config
    assert times.cost_s[art.link_position("S2_S3")] == pytest.approx(
        210.0 / 15.0 + cfg.queue_weight * (cfg.lost_time_s + 4 * cfg.headway_s)
    )


def test_eta_per_signal_from_a_position(art):
    times = TravelTimes(art)
    route = RoutingGraph(art).shortest("W", "E", times)
    ahead = crossings(route, times, t_s=100.0, index=1, position_m=20.0)
    assert [c.intersection for c in ahead] == ["S2", "S3", "S4", "S5"]
    assert ahead[0].eta_s == pytest.approx(100.0 + 300.0 / 15.0)
    assert ahead[1].eta_s == pytest.approx(ahead[0].eta_s + 210.0 / 15.0)
    assert ahead[0].distance_m == pytest.approx(300.0)
    slow = crossings(route, times, t_s=100.0, index=1, position_m=20.0, speed_mps=0.0)
    assert slow[0].eta_s > ahead[0].eta_s
    assert slow[1].eta_s - slow[0].eta_s == pytest.approx(ahead[1].eta_s - ahead[0].eta_s)


def test_conditions_are_smoothed_over_time(art):
    times = TravelTimes(art, EscortConfig(smoothing_s=60.0))
    k = art.link_position("S1_S2")
    times.update({"S1_S2": LinkCondition(queue_veh=0.0, speed_mps=15.0)}, 0.0)
    times.update({"S1_S2": LinkCondition(queue_veh=40.0)}, 60.0)
    assert times.queue_veh(k) == 40.0  # the flush uses the latest queue
    cfg = times.config
    smoothed = 40.0 * (1 - math.exp(-1.0))
    assert times.cost_s[k] == pytest.approx(
        320.0 / 15.0 + cfg.queue_weight * cfg.flush_s(smoothed, 2)
    )


def test_moving_vehicles_in_reach_can_join_the_flush(art):
    cond = {"S1_S2": LinkCondition(queue_veh=4.0, moving_veh=6.0)}
    k = art.link_position("S1_S2")
    assert TravelTimes(art, conditions=cond).to_flush_veh(k) == 10.0  # default: all join
    assert TravelTimes(art, EscortConfig(moving_weight=0.0), cond).to_flush_veh(k) == 4.0
    half = TravelTimes(art, EscortConfig(moving_weight=0.5), cond)
    assert half.to_flush_veh(k) == 7.0
    assert half.queue_veh(k) == 4.0


def test_the_flush_counts_the_lanes_of_the_escorts_movement(art):
    """A queue standing in the through lane of a two-lane approach (the other lane turns left):
    per lane the through escort meets eight vehicles, not the link's eight over two lanes."""
    from signalbrain.control.base import ApproachObservation, LaneObservation, Observation
    from signalbrain.escort.controller import conditions_from

    lanes = (
        LaneObservation("S1_S2_0", ("S1_S2.T", "S1_S2.R"), queue_veh=6.0, vehicles_veh=8.0),
        LaneObservation("S1_S2_1", ("S1_S2.L",), queue_veh=0.0, vehicles_veh=0.0),
    )
    obs = {"S2": Observation(0.0, {"S1_S2": ApproachObservation.from_lanes("S1_S2", lanes)})}
    cond = conditions_from(obs)["S1_S2"]
    assert (cond.queue_veh, cond.moving_veh) == (6.0, 2.0)
    assert cond.lanes == lanes  # the per-lane readings, passed on as they are
    cfg = EscortConfig()
    times = TravelTimes(art, cfg, {"S1_S2": cond})
    k = art.link_position("S1_S2")
    assert times.to_flush_veh(k) == 8.0
    assert times.to_flush_per_lane(k, "S1_S2.T") == 8.0
    assert times.to_flush_per_lane(k, "S1_S2.L") == 0.0
    assert times.to_flush_per_lane(k, "S1_S2.U") is None  # no lane serves it
    assert times.to_flush_per_lane(art.link_position("S2_S3"), "S2_S3.T") is None  # no lanes
    route = RoutingGraph(art).shortest("W", "E", times)
    s2 = next(c for c in crossings(route, times, t_s=0.0) if c.intersection == "S2")
    assert (s2.queue_veh, s2.per_lane_veh) == (8.0, 8.0)
    # a lane without its movements: the link's totals only
    blind = (LaneObservation("S1_S2_0", (), queue_veh=6.0, vehicles_veh=8.0), lanes[1])
    obs = {"S2": Observation(0.0, {"S1_S2": ApproachObservation.from_lanes("S1_S2", blind)})}
    times = TravelTimes(art, cfg, conditions_from(obs))
    assert times.to_flush_veh(k) == 8.0
    assert times.to_flush_per_lane(k, "S1_S2.T") is None


@pytest.mark.parametrize(
    ("t_ahead", "l_ahead", "upstream", "movement", "expected"),
    [
        # cologne1: 7 of the 8 at the stop line in the escort's lane; the 14 upstream of the
        # merge join it in that share ((7 + 1) / (8 + 2)), not half of them
        (1.0, 7.0, (8.0, 6.0), "S1_S2.L", 7.0 + 0.8 * 14.0),
        (1.0, 7.0, (8.0, 6.0), "S1_S2.T", 1.0 + 0.2 * 14.0),
        # nothing at the stop line: the upstream vehicles split evenly
        (0.0, 0.0, (6.0,), "S1_S2.L", 3.0),
        # nothing upstream: the lane's own count
        (1.0, 7.0, (0.0,), "S1_S2.L", 7.0),
    ],
)
def test_the_flush_adds_the_upstream_lanes_in_the_stop_line_lanes_share(
    art, t_ahead, l_ahead, upstream, movement, expected
):
    """Readings of lanes that feed a short approach (the detector zone continued upstream, no
    movements) count into the escort's lane in the share the lanes at the stop line show."""
    from signalbrain.control.base import ApproachObservation, LaneObservation, Observation
    from signalbrain.escort.controller import conditions_from

    lanes = (
        LaneObservation("S1_S2_0", ("S1_S2.T", "S1_S2.R"), queue_veh=t_ahead, vehicles_veh=t_ahead),
        LaneObservation("S1_S2_1", ("S1_S2.L",), queue_veh=l_ahead, vehicles_veh=l_ahead),
        *(
            LaneObservation(f"up_{n}", (), queue_veh=q, vehicles_veh=q)
            for n, q in enumerate(upstream)
        ),
    )
    obs = {"S2": Observation(0.0, {"S1_S2": ApproachObservation.from_lanes("S1_S2", lanes)})}
    times = TravelTimes(art, EscortConfig(), conditions_from(obs))
    k = art.link_position("S1_S2")
    assert times.to_flush_per_lane(k, movement) == pytest.approx(expected)
    assert times.to_flush_per_lane(k, "S1_S2.U") is None  # no lane at the stop line serves it
