"""Escorts in SUMO on a generated grid with congested traffic and injected emergency vehicles.

Same controller (``fixed``) with no escort, with the naive distance-triggered baseline and with
the one-key escort; the emergency vehicles obey signals, other traffic is unchanged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from signalbrain.cli import main

pytestmark = pytest.mark.slow

MAIN = "left1A1 A1B1 B1C1 C1D1 D1E1 E1right1"
BACK = "right1E1 E1D1 D1C1 C1B1 B1A1 A1left1"
EVS = (("ev0", 180, MAIN), ("ev1", 290, BACK), ("ev2", 400, MAIN))
DETOUR = "left1A1 A1A0 A0B0 B0C0 C0D0 D0E0 E0E1 E1right1"  # its own route: around the block
ALL = (("ev9", 120, DETOUR), *EVS)  # sorted by departure, as SUMO wants


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, sumo_home: Path) -> Path:
    d = tmp_path_factory.mktemp("escort_grid")
    net = d / "net.net.xml"
    subprocess.run(
        [
            str(sumo_home / "bin" / "netgenerate"),
            "--grid",
            "--grid.x-number",
            "5",
            "--grid.y-number",
            "3",
            "--grid.length",
            "220",
            "--grid.attach-length",
            "200",
            "--default.lanenumber",
            "2",
            "--default.speed",
            "13.89",
            "--tls.guess",
            "true",
            "--no-turnarounds",
            "true",
            "-o",
            str(net),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            str(sumo_home / "tools" / "randomTrips.py"),
            "-n",
            str(net),
            "-o",
            str(d / "trips.xml"),
            "-r",
            str(d / "cars.rou.xml"),
            "-e",
            "560",
            "-p",
            "1.1",
            "--seed",
            "7",
            "--fringe-factor",
            "100",
            "--validate",
        ],
        check=True,
        capture_output=True,
    )
    (d / "ev.rou.xml").write_text(
        '<routes>\n <vType id="ambulance" vClass="emergency" maxSpeed="20"/>\n'
        + "".join(
            f' <vehicle id="{v}" type="ambulance" depart="{t}" departLane="best" '
            f'departSpeed="max"><route edges="{r}"/></vehicle>\n'
            for v, t, r in ALL
        )
        + "</routes>\n",
        encoding="utf-8",
    )
    cfg = d / "run.sumocfg"
    cfg.write_text(
        '<configuration><input><net-file value="net.net.xml"/><route-files '
        'value="cars.rou.xml,ev.rou.xml"/></input><time><begin value="0"/>'
        '<end value="540"/></time></configuration>',
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(scope="module")
def runs(scenario: Path) -> dict[str, dict]:
    out = {}
    for mode in ("none", "naive", "auto"):
        path = scenario.parent / f"{mode}.json"
        args = ["sumo", "run", str(scenario), "--controller", "fixed", "--json", str(path)]
        if mode != "none":
            suffix = "csv" if mode == "auto" else "json"
            args += [
                "--escort",
                mode,
                "--escort-events",
                str(scenario.parent / f"ev_{mode}.{suffix}"),
            ]
        assert main([*args, "--", "--seed", "1", "--time-to-teleport", "300"]) == 0
        out[mode] = json.loads(path.read_text())
    return out


def _free_flow_s(route: str) -> float:
    # links of 220 m (200 m at the fringe) at 13.89 m/s
    edges = route.split()
    return sum((200.0 if ("left" in e or "right" in e) else 220.0) / 13.89 for e in edges)


def test_zero_safety_violations(runs):
    for mode, data in runs.items():
        assert data["safety"] == {
            "conflicting_green_s": 0.0,
            "short_yellow": 0,
            "short_all_red": 0,
            "short_green": 0,
        }, mode


def test_escort_meets_the_emergency_targets(runs):
    base = {e["id"]: e for e in runs["none"]["emergency"]}
    auto = {e["id"]: e for e in runs["auto"]["emergency"]}
    assert set(auto) == set(base) == {v for v, _, _ in ALL}
    assert runs["auto"]["escort"]["calls"] >= 10
    loss = [auto[vid]["delay_s"] / _free_flow_s(route) for vid, _, route in EVS]
    assert sum(loss) / len(loss) <= 0.10  # time loss within 10 % of the free-flow trip
    assert max(loss) <= 0.15  # (the rest is car following: slower cars ahead, no bluelight)
    assert all(auto[vid]["stops"] <= 1 for vid, _, _ in EVS)
    mean = {
        k: sum(v[vid]["travel_time_s"] for vid, _, _ in EVS) / len(EVS)
        for k, v in (("none", base), ("auto", auto))
    }
    assert mean["auto"] <= 0.75 * mean["none"]


def test_other_traffic_barely_notices(runs):
    none, naive, auto = (runs[k]["mean_delay_s"] for k in ("none", "naive", "auto"))
    assert auto <= 1.03 * none
    assert auto <= naive + 0.5


def test_audit_log_pairs_every_call(runs, scenario):
    from signalbrain.io.atspm import read_events_csv

    events = read_events_csv(scenario.parent / "ev_auto.csv")
    assert events
    by_signal: dict[str, list[int]] = {}
    for e in events:
        by_signal.setdefault(e.signal_id, []).append(e.code)
    for codes in by_signal.values():
        assert codes.count(102) == codes.count(104) == codes.count(111) >= 1


def test_naive_log_as_json(runs, scenario):
    doc = json.loads((scenario.parent / "ev_naive.json").read_text())
    assert doc["format"] == "signalbrain-atspm-events"
    codes = [e["event_code"] for e in doc["events"]]
    assert codes.count(102) == codes.count(104) == runs["naive"]["escort"]["calls"]


def test_escort_hands_a_faster_route_to_the_vehicle(runs):
    assert runs["auto"]["escort"]["rerouted"] == ["ev9"]
    base = {e["id"]: e for e in runs["none"]["emergency"]}["ev9"]
    auto = {e["id"]: e for e in runs["auto"]["emergency"]}["ev9"]
    assert auto["travel_time_s"] <= 1.15 * _free_flow_s(MAIN)  # drove the straight route
    assert auto["travel_time_s"] < 0.75 * base["travel_time_s"]
