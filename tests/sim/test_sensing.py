"""Detector readings to observations, against a scripted stand-in for the libsumo API."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from signalbrain.sim.detectors import place_detectors
from signalbrain.sim.netxml import SumoLane, SumoNetIndex, TlsConnection
from signalbrain.sim.sensing import DetectorReader, LinkMap

_IDS, _OCC, _NUM = 0x12, 0x13, 0x10
_SPEED, _LANE, _POS = 0x40, 0x51, 0x56


class FakeSumo:
    """Just the calls the reader makes; each step's readings are set by the test."""

    def __init__(self) -> None:
        self.area: dict[str, dict[int, Any]] = {}
        self.loop: dict[str, dict[int, Any]] = {}
        self.tracks: dict[str, dict[int, Any]] = {}
        self.subscribed: set[str] = set()
        self.lanearea = SimpleNamespace(
            subscribe=lambda i, v: None, getAllSubscriptionResults=lambda: self.area
        )
        self.inductionloop = SimpleNamespace(
            subscribe=lambda i, v: None, getAllSubscriptionResults=lambda: self.loop
        )
        self.vehicle = SimpleNamespace(
            getIDList=lambda: (),
            subscribe=lambda v, _vars: self.subscribed.add(v),
            getAllSubscriptionResults=lambda: self.tracks,
            getSpeed=lambda v: 0.0,
            getLaneID=lambda v: "",
            getLanePosition=lambda v: 0.0,
        )
        self.simulation = SimpleNamespace(getDepartedIDList=lambda: ())


def _index() -> SumoNetIndex:
    lanes = {
        "A_0": SumoLane("A_0", "A", 0, 300.0),
        "A_1": SumoLane("A_1", "A", 1, 300.0),
        "X_0": SumoLane("X_0", "X", 0, 300.0),
    }
    conns = (
        TlsConnection("J", 0, "A", "A_0", "X", "X_0"),
        TlsConnection("J", 1, "A", "A_1", "X", "X_0"),
    )
    return SumoNetIndex(
        "test", lanes, {"A": ("A_0", "A_1"), "X": ("X_0",)}, conns, (), {}, frozenset({"A"})
    )


@pytest.fixture
def setup() -> tuple[FakeSumo, DetectorReader, dict[str, str]]:
    index = _index()
    specs = place_detectors(index, reach_m=120.0, exit_reach_m=50.0)
    lmap = LinkMap(
        "I", "J", {"A": "north_in", "X": "south_out"}, {"A_0": ("m_T",), "A_1": ("m_L",)}
    )
    sumo = FakeSumo()
    ids = {(d.kind, d.lane): d.id for d in specs}
    reader = DetectorReader(sumo, specs, [lmap], index)  # type: ignore[arg-type]
    for d in specs:  # every detector reports "empty" unless the test says otherwise
        (sumo.area if d.kind == "area" else sumo.loop)[d.id] = (
            {_IDS: (), _OCC: 0.0, _NUM: 0} if d.kind == "area" else {_IDS: ()}
        )
    return sumo, reader, {f"{k}:{lane}": v for (k, lane), v in ids.items()}


def _vehicle(lane: str, pos_m: float, speed_mps: float) -> dict[int, Any]:
    return {_SPEED: speed_mps, _LANE: lane, _POS: pos_m}


def test_zone_readings_become_a_lane_and_an_approach(setup) -> None:
    sumo, reader, ids = setup
    sumo.area[ids["area:A_0"]] = {_IDS: ("v1", "v2", "gone"), _OCC: 30.0, _NUM: 3}
    sumo.tracks = {
        "v1": _vehicle("A_0", 250.0, 10.0),
        "v2": _vehicle("A_0", 295.0, 0.0),
        "gone": _vehicle(":J_0_0", 2.0, 9.0),
    }  # left the lane during the step
    obs = reader.read(10.0)["I"]
    assert set(obs.approaches) == {"north_in"}
    assert set(obs.exits) == {"south_out"}
    a = obs.approaches["north_in"]
    lane = next(ln for ln in a.lanes if ln.lane == "A_0")
    assert lane.movements == ("m_T",)
    assert (lane.vehicles_veh, lane.queue_veh) == (3.0, 1.0)
    assert lane.arrivals_m == pytest.approx((50.0,))
    assert lane.speed_mps == pytest.approx(5.0)
    assert lane.occupancy == pytest.approx(0.3)
    assert lane.reach_m == 120.0
    assert a.valid
    assert a.vehicles_veh == 3.0  # A_1 is empty
    assert math.isnan(next(ln for ln in a.lanes if ln.lane == "A_1").speed_mps)


def test_stop_line_counts_each_vehicle_once(setup) -> None:
    sumo, reader, ids = setup
    counts = []
    for seen in [(), ("v2",), ("v2",), ("v2", "v3"), ()]:  # v2 sits on the loop for two steps
        sumo.loop[ids["loop:A_0"]] = {_IDS: seen}
        counts.append(reader.read(0.0)["I"].approaches["north_in"].count_veh)
    assert counts == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_exit_counts_vehicles_entering_the_zone(setup) -> None:
    sumo, reader, ids = setup
    counts = []
    for seen in [("a",), ("a", "b"), ("b",)]:
        sumo.area[ids["area:X_0"]] = {_IDS: seen, _OCC: 10.0, _NUM: len(seen)}
        sumo.tracks = {v: _vehicle("X_0", 10.0, 8.0) for v in seen}
        counts.append(reader.read(0.0)["I"].exits["south_out"].count_veh)
    assert counts == [1.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "reading",
    [
        None,  # the detector stopped reporting
        {_IDS: ("v1",), _OCC: 250.0, _NUM: 1},  # occupancy over 100 %
        {_IDS: ("v1",), _OCC: 10.0, _NUM: 4},  # count disagrees with the vehicles seen
    ],
)
def test_missing_or_impossible_readings_are_invalid(setup, reading: dict[int, Any] | None) -> None:
    sumo, reader, ids = setup
    if reading is None:
        del sumo.area[ids["area:A_1"]]
    else:
        sumo.area[ids["area:A_1"]] = reading
        sumo.tracks = {"v1": _vehicle("A_1", 200.0, 5.0)}
    a = reader.read(0.0)["I"].approaches["north_in"]
    assert not a.valid
    assert [ln.valid for ln in a.lanes] == [True, False]


def test_new_vehicles_are_tracked_by_subscription(setup) -> None:
    sumo, reader, _ = setup
    sumo.simulation.getDepartedIDList = lambda: ("n1", "n2")
    reader.read(0.0)
    assert sumo.subscribed == {"n1", "n2"}
