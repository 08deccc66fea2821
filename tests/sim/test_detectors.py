"""Indexing SUMO networks and placing signalbrain's own detectors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.sim.detectors import place_detectors, write_detectors
from signalbrain.sim.netxml import SumoLane, SumoNetIndex, TlsConnection, read_net_index


def _index(approach_m: float, upstream_m: float, upstream_controlled: bool = False) -> SumoNetIndex:
    """A hand-made network: edge U (one lane) feeds approach A (two lanes) into signal J."""
    lanes = {
        "U_0": SumoLane("U_0", "U", 0, upstream_m),
        "A_0": SumoLane("A_0", "A", 0, approach_m),
        "A_1": SumoLane("A_1", "A", 1, approach_m),
        "X_0": SumoLane("X_0", "X", 0, 300.0),
        "S_0": SumoLane("S_0", "S", 0, 300.0, motor=False),
    }
    conns = (
        TlsConnection("J", 0, "A", "A_0", "X", "X_0"),
        TlsConnection("J", 1, "A", "A_1", "X", "X_0"),
        TlsConnection("J", 2, "S", "S_0", "X", "X_0"),
    )
    return SumoNetIndex(
        source="test",
        lanes=lanes,
        edge_lanes={"U": ("U_0",), "A": ("A_0", "A_1"), "X": ("X_0",), "S": ("S_0",)},
        connections=conns,
        programs=(),
        predecessors={"A": frozenset({"U"})},
        controlled_edges=frozenset({"A", "S"} | ({"U"} if upstream_controlled else set())),
    )


def test_long_approach_gets_a_zone_and_a_stop_line_loop_per_lane() -> None:
    specs = place_detectors(_index(300.0, 200.0), reach_m=120.0, exit_reach_m=50.0)
    areas = [d for d in specs if d.kind == "area" and d.role == "approach"]
    loops = [d for d in specs if d.kind == "loop"]
    assert sorted(d.lane for d in areas) == ["A_0", "A_1"]  # no sidewalk, no upstream
    assert all((d.start_m, d.end_m, d.to_stop_m) == (180.0, 300.0, 0.0) for d in areas)
    assert sorted(d.lane for d in loops) == ["A_0", "A_1"]
    assert all(d.start_m == 299.0 for d in loops)
    exits = [d for d in specs if d.role == "exit"]
    assert [(d.lane, d.start_m, d.end_m) for d in exits] == [("X_0", 0.0, 50.0)]
    assert len({d.id for d in specs}) == len(specs)


def test_short_approach_continues_upstream() -> None:
    specs = place_detectors(_index(40.0, 200.0), reach_m=120.0, exit_reach_m=0.0)
    up = [d for d in specs if d.lane == "U_0"]
    assert [(d.edge, d.start_m, d.end_m, d.to_stop_m) for d in up] == [("A", 120.0, 200.0, 40.0)]
    assert not [d for d in specs if d.role == "exit"]


def test_zone_stops_at_an_upstream_signal() -> None:
    specs = place_detectors(_index(40.0, 200.0, upstream_controlled=True), reach_m=120.0)
    assert not [d for d in specs if d.lane == "U_0"]


def test_detector_file(tmp_path: Path) -> None:
    specs = place_detectors(_index(300.0, 200.0))
    root = ET.parse(write_detectors(specs, tmp_path / "d.add.xml")).getroot()
    assert len(root.findall("laneAreaDetector")) == sum(d.kind == "area" for d in specs)
    assert len(root.findall("inductionLoop")) == sum(d.kind == "loop" for d in specs)
    assert {e.get("file") for e in root} == {"NUL"}


@pytest.mark.slow
def test_index_of_a_generated_network(make_scenario) -> None:
    net = make_scenario().parent / "net.net.xml"
    index = read_net_index(net)
    assert sorted(index.tls_ids) == ["A0", "A1", "B0", "B1"]
    assert {p.tls_id for p in index.programs} == set(index.tls_ids)
    assert all(p.link_count == len(p.phases[0].state) for p in index.programs)
    for tls in index.tls_ids:
        lanes = index.incoming_lanes(tls)
        assert len(lanes) == 8  # four approaches of two lanes
        assert all(index.lanes[ln].length_m > 0 for ln in lanes)


def test_index_rejects_non_networks(tmp_path: Path) -> None:
    bad = tmp_path / "x.net.xml"
    bad.write_text("<routes/>", encoding="utf-8")
    with pytest.raises(InputError, match="expected <net>"):
        read_net_index(bad)
    with pytest.raises(InputError, match="not found"):
        read_net_index(tmp_path / "none.net.xml")


def test_zone_walks_several_short_edges_and_merges() -> None:
    base = _index(40.0, 30.0)
    lanes = {
        **base.lanes,
        "V_0": SumoLane("V_0", "V", 0, 200.0),
        "W_0": SumoLane("W_0", "W", 0, 10.0),
    }
    index = SumoNetIndex(
        source="test",
        lanes=lanes,
        edge_lanes={**base.edge_lanes, "V": ("V_0",), "W": ("W_0",)},
        connections=base.connections,
        programs=(),
        predecessors={"A": frozenset({"U", "W"}), "U": frozenset({"V", "A"})},
        controlled_edges=base.controlled_edges,
    )
    specs = place_detectors(index, reach_m=120.0, exit_reach_m=0.0)
    up = sorted(
        (d.lane, d.start_m, d.end_m, d.to_stop_m) for d in specs if d.lane in ("U_0", "V_0", "W_0")
    )
    assert up == [("U_0", 0.0, 30.0, 40.0), ("V_0", 150.0, 200.0, 70.0), ("W_0", 0.0, 10.0, 40.0)]
    assert all(d.edge == "A" for d in specs if d.role == "approach")


def test_no_exit_zone_on_the_next_signals_approach() -> None:
    base = _index(300.0, 200.0)
    conns = (*base.connections, TlsConnection("K", 0, "X", "X_0", "A", "A_0"))
    index = SumoNetIndex(
        source="test",
        lanes=base.lanes,
        edge_lanes=base.edge_lanes,
        connections=conns,
        programs=(),
        predecessors=base.predecessors,
        controlled_edges=base.controlled_edges | {"X"},
    )
    both = place_detectors(index, exit_reach_m=50.0)
    assert not [d for d in both if d.tls_id == "J" and d.role == "exit" and d.edge == "X"]
    assert [d for d in both if d.tls_id == "K" and d.role == "approach" and d.lane == "X_0"]
    only_j = place_detectors(index, ["J"], exit_reach_m=50.0)  # K not equipped: J watches X
    assert [d.lane for d in only_j if d.role == "exit"] == ["X_0"]
