"""Plan files (YAML/JSON), SUMO tlLogic export, UTDF, and the optimize command."""

from __future__ import annotations

import csv
import io
import json
import resource
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from signalbrain.cli import main
from signalbrain.demand import Demand
from signalbrain.errors import InputError
from signalbrain.io import read_network
from signalbrain.io.demand import write_demand
from signalbrain.io.plan import read_plan, write_plan
from signalbrain.io.plan_sumo import write_plan_sumo
from signalbrain.io.plan_utdf import plan_utdf_text, write_plan_utdf
from signalbrain.network.generate import arterial
from signalbrain.timing import (
    NetworkPlan,
    PhaseTiming,
    TimingPlan,
    movement_states,
    optimize_network,
)


def _demand(net) -> Demand:  # type: ignore[no-untyped-def]
    return Demand(
        {m.id: (500.0 if m.turn == "T" else 100.0) for s in net.intersections for m in s.movements}
    )


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_plan_roundtrip(tmp_path: Path, suffix: str) -> None:
    net = arterial(3)
    plan = optimize_network(net, _demand(net))
    path = write_plan(plan, tmp_path / f"plan{suffix}", network=net.name, method="transyt")
    back = read_plan(path)
    assert set(back.plans) == set(plan.plans)
    for sid, p in plan.plans.items():
        q = back[sid]
        assert q.cycle_s == pytest.approx(p.cycle_s)
        assert q.offset_s == pytest.approx(p.offset_s)
        assert q.phases == p.phases
        assert q.rings == p.rings
    assert back.objective.keys() == plan.objective.keys()


def test_plan_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "plans:\n  A:\n    cycle_s: -3\n    phases: [{number: 1, green_s: x}]\n"
        "    rings: [[1]]\n    barriers: [[1]]\n    colour: red\n"
    )
    with pytest.raises(InputError) as err:
        read_plan(bad)
    text = str(err.value)
    assert "plans.A.cycle_s = -3" in text
    assert "plans.A.phases[0].green_s" in text
    assert "plans.A.colour: unknown field" in text
    uneven = tmp_path / "uneven.json"
    uneven.write_text(
        json.dumps(
            {
                "plans": {
                    "A": {
                        "cycle_s": 30,
                        "offset_s": 0,
                        "rings": [[1], [2]],
                        "barriers": [[1, 2]],
                        "phases": [
                            {"number": 1, "green_s": 10, "yellow_s": 3, "all_red_s": 1},
                            {"number": 2, "green_s": 20, "yellow_s": 3, "all_red_s": 1},
                        ],
                    }
                }
            }
        )
    )
    with pytest.raises(InputError, match="rings take different times"):
        read_plan(uneven)
    with pytest.raises(InputError, match="suffix"):
        read_plan(tmp_path / "plan.txt")


def test_utdf_sections() -> None:
    net = arterial(2)
    plan = optimize_network(net, _demand(net))
    text = plan_utdf_text(net, plan)
    for section in ("[Network]", "[Nodes]", "[Timeplans]", "[Phases]"):
        assert section in text
    lines = text.splitlines()
    cycle_rows = [r for r in lines if r.startswith("Cycle Length,")]
    assert [r.split(",")[2] for r in cycle_rows] == [f"{plan[s].cycle_s:g}" for s in ("S1", "S2")]
    brp = next(r for r in lines if r.startswith("BRP,1,"))
    # barrier, ring, position: phases 1, 2 in barrier 1 and 3, 4 in barrier 2 of ring 1
    assert brp.split(",")[2:6] == ["111", "112", "211", "212"]


def test_utdf_min_split_holds_the_plans_clearance() -> None:
    """Whole-second plans round yellow 3.5 s up to 4 s and all-red 1.5 s up to 2 s: MinSplit must
    cover MinGreen + Yellow + AllRed as written (it was the network's 3.5 + 1.5, one second short,
    which Synchro refuses)."""
    net = read_network(Path(__file__).parents[2] / "networks" / "arterial.yaml")
    plan = optimize_network(net, _demand(net))
    rows = {
        (r[0], r[1]): r[2:]
        for r in (line.split(",") for line in plan_utdf_text(net, plan).splitlines())
        if len(r) > 2
    }
    checked = 0
    for k in range(1, len(plan.plans) + 1):
        for col, split in enumerate(rows[("MinSplit", str(k))]):
            if split:
                need = sum(float(rows[(r, str(k))][col]) for r in ("MinGreen", "Yellow", "AllRed"))
                assert float(split) >= need - 1e-9
                checked += 1
    assert checked == 6 * 8


def test_utdf_of_a_fractional_plan_adds_up_to_its_cycle() -> None:
    """Each value was rounded to the tenth alone: the 72.16 s plan of bundled single (greens
    0.04 s above their minimums) was written with a 72.2 s cycle whose rings' splits added up
    to 72 s, the offset 72.155 s as 72.2 (= the cycle), and Start/End that did not match the
    splits. Now every ring adds up to the written cycle, offset and starts lie in [0, cycle)
    and no green is below its minimum."""
    net = read_network(Path(__file__).parents[2] / "networks" / "single.yaml")
    isec = net.intersections[0]
    phases = tuple(
        PhaseTiming(ph.number, max(ph.min_green_s, ph.ped_min_s) + 0.04, 4.0, 1.5)
        for ph in isec.phases
    )
    plan = TimingPlan("A", 72.16, 72.155, phases, isec.rings, isec.barriers)
    rows = {
        (r[0], r[1]): r[2:]
        for r in csv.reader(io.StringIO(plan_utdf_text(net, NetworkPlan({"A": plan}))))
        if len(r) > 2
    }

    def value(row: str, number: int) -> float:
        return float(rows[(row, "1")][number - 1])

    cycle = float(rows[("Cycle Length", "1")][0])
    assert 0 <= float(rows[("Offset", "1")][0]) < cycle
    for ring in isec.rings:
        splits = [sum(value(r, n) for r in ("MaxGreen", "Yellow", "AllRed")) for n in ring]
        assert sum(splits) == pytest.approx(cycle, abs=1e-9)
        for n, split in zip(ring, splits, strict=True):
            assert 0 <= value("Start", n) < cycle
            assert (value("End", n) - value("Start", n)) % cycle == pytest.approx(split, abs=1e-9)
            assert value("MaxGreen", n) >= value("MinGreen", n)


def test_optimize_cli_yaml_network(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    net = read_network(repo_root / "networks" / "arterial.yaml")
    demand = write_demand(_demand(net), tmp_path / "demand.yaml")
    out = tmp_path / "plan.yaml"
    code = main(
        [
            "optimize",
            str(repo_root / "networks" / "arterial.yaml"),
            "--demand",
            str(demand),
            "-o",
            str(out),
            "--timespace",
            str(tmp_path / "ts.svg"),
        ]
    )
    assert code == 0
    plan = read_plan(out)
    assert len(plan) == net.signal_count
    perf = yaml.safe_load(out.read_text())["performance"]
    assert set(perf) == {s.id for s in net.intersections}
    assert all(p["los"] in "ABCDEF" and p["delay_s"] > 0 for p in perf.values())
    first = net.intersections[0]
    assert set(perf[first.id]["movements"]) == {m.id for m in first.movements}
    for isec in net.intersections:
        assert [p for p in plan[isec.id].check(isec) if not p.path.endswith("cycle_s")] == []
    assert (tmp_path / "ts.svg").read_text().startswith("<?xml")
    assert "wrote" in capsys.readouterr().out
    # a network YAML has no SUMO link indices: .add.xml is refused with exit 2
    assert (
        main(
            [
                "optimize",
                str(repo_root / "networks" / "arterial.yaml"),
                "--demand",
                str(demand),
                "-o",
                str(tmp_path / "p.add.xml"),
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "optimize",
                str(repo_root / "networks" / "arterial.yaml"),
                "-o",
                str(tmp_path / "p.yaml"),
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "optimize",
                str(repo_root / "networks" / "arterial.yaml"),
                "--demand",
                str(demand),
                "-o",
                str(tmp_path / "p.txt"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no SUMO link indices" in err
    assert "no demand" in err
    assert "suffix must be one of" in err


@pytest.mark.slow
def test_optimize_cli_sumo_add_xml_loads_in_sumo(
    tmp_path: Path, shared_data: Path, sumo_home: Path
) -> None:
    """The written tlLogic programs load in SUMO and show the plan's states at link indices."""
    cfg = shared_data / "scenarios" / "libsignal" / "atlanta_1x5" / "atlanta_1x5.sumocfg"
    out = tmp_path / "plan.add.xml"
    plan_yaml = tmp_path / "plan.yaml"
    assert main(["optimize", str(cfg), "-o", str(out)]) == 0
    assert main(["optimize", str(cfg), "-o", str(plan_yaml)]) == 0
    root = ET.parse(out).getroot()
    assert len(root.findall("tlLogic")) == 5
    import libsumo  # type: ignore[import-not-found, import-untyped, unused-ignore]

    from signalbrain.io import load_network

    net = load_network(cfg)
    plan = read_plan(plan_yaml)
    libsumo.start(
        [
            str(Path(sumo_home) / "bin" / "sumo"),
            "-c",
            str(cfg),
            "-a",
            str(out),
            "--no-step-log",
            "--no-warnings",
            "--end",
            "200",
        ]
    )
    try:
        for t in range(1, 150):
            libsumo.simulationStep()
            now = libsumo.simulation.getTime()
            if t % 17:
                continue
            for isec in net.intersections:
                state = libsumo.trafficlight.getRedYellowGreenState(isec.id)
                want = movement_states(isec, plan[isec.id], now - 0.5)
                for mv in isec.movements:
                    for i in mv.sumo_link_indices:
                        assert state[i] == want[mv.id], (isec.id, mv.id, now)
    finally:
        libsumo.close()


@pytest.mark.parametrize("target", ["network", "demand"])
def test_optimize_refuses_an_output_that_is_one_of_its_inputs(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """``-o`` naming the network or demand file replaced it with the plan (exit 0): the
    engineer's input was gone. It is refused with exit 2 naming the option, the file kept."""
    files = {
        "network": tmp_path / "single.yaml",
        "demand": tmp_path / "single.demand.yaml",
    }
    for name, path in files.items():
        source = "single.yaml" if name == "network" else "single.demand.yaml"
        path.write_bytes((repo_root / "networks" / source).read_bytes())
    before = files[target].read_bytes()
    argv = ["optimize", str(files["network"]), "--demand", str(files["demand"])]
    assert main([*argv, "--method", "webster", "-o", str(files[target])]) == 2
    err = capsys.readouterr().err
    assert "--output" in err
    assert f"is the {'network (INPUT)' if target == 'network' else '--demand'} file" in err
    assert files[target].read_bytes() == before


@pytest.mark.parametrize("name", [".yaml", ".JSON", ".add.xml"])
def test_optimize_refuses_an_output_that_is_only_a_suffix_before_the_work(
    tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """``-o .yaml`` passed the checks made before the optimisation and was refused only by
    the writer, after the work (a plan file without a suffix)."""
    net = repo_root / "networks" / "single.yaml"
    argv = ["optimize", str(net), "--demand", str(repo_root / "networks" / "single.demand.yaml")]
    assert main([*argv, "-o", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert f"--output: {name}: a file name is needed before the suffix" in err
    assert "wrote" not in err
    assert not (tmp_path / name).exists()


@contextmanager
def _files_cut_at(size: int) -> Iterator[None]:
    """Writes beyond ``size`` bytes of a file fail (EFBIG), as on a full disk or quota."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


@pytest.mark.parametrize("name", ["plan.yaml", "plan.json", "plan.csv", "plan.add.xml"])
def test_a_plan_write_that_fails_keeps_the_previous_file(tmp_path: Path, name: str) -> None:
    """The plan writers opened the target and wrote into it: a write that failed half way (a
    full disk) left the part of the new plan written so far in place of the previous one, a file
    that no longer parses. They now write a temporary file and move it into place."""
    net = arterial(3)
    net = replace(
        net,
        intersections=tuple(
            replace(
                s,
                movements=tuple(
                    replace(m, sumo_link_indices=(k,)) for k, m in enumerate(s.movements)
                ),
            )
            for s in net.intersections
        ),
    )
    plan = optimize_network(net, _demand(net), method="webster")
    writers = {
        "plan.yaml": lambda p: write_plan(plan, p),
        "plan.json": lambda p: write_plan(plan, p),
        "plan.csv": lambda p: write_plan_utdf(net, plan, p),
        "plan.add.xml": lambda p: write_plan_sumo(net, plan, p),
    }
    target = tmp_path / name
    target.write_text("the previous plan\n")
    with _files_cut_at(200), pytest.raises(InputError, match="cannot write"):
        writers[name](target)
    assert target.read_text() == "the previous plan\n"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
    writers[name](target)
    assert len(target.read_text()) > 200


_PERMITTED_ONLY_LEFT = """\
name: two
defaults: {min_green_s: 7, max_green_s: 55, yellow_s: 4, all_red_s: 1.5}
nodes: {A: [0, 0], N: [0, 300], S: [0, -300], E: [300, 0], W: [-300, 0]}
links:
  W_A: {from: W, to: A, lanes: 2}
  A_E: {from: A, to: E, lanes: 2}
  E_A: {from: E, to: A, lanes: 2}
  A_W: {from: A, to: W, lanes: 2}
  S_A: {from: S, to: A}
  A_N: {from: A, to: N}
intersections:
  A:
    movements:
      - {from: W_A, to: A_N, turn: L}
      - {from: W_A, to: A_E, turn: T}
      - {from: E_A, to: A_W, turn: T}
      - {from: S_A, to: A_N, turn: T}
    phases:
      - {number: 2, protected: [W_A.T, E_A.T], permitted: [W_A.L]}
      - {number: 4, protected: [S_A.T]}
"""


def test_plan_json_stays_json_when_a_movement_has_no_capacity(tmp_path: Path) -> None:
    """A permitted left facing an opposing flow that leaves it no gap has (next to) no
    capacity and an infinite or absurd delay: the movement's figures were written null, but
    the intersection's delay was written as the bare word Infinity (3,000,000 veh/h opposing,
    which JSON parsers and jq refuse) or as 1e138 s (250,000 veh/h). It is null."""
    net = tmp_path / "two.yaml"
    net.write_text(_PERMITTED_ONLY_LEFT)
    demand = tmp_path / "demand.yaml"
    demand.write_text("flows_vph: {W_A.L: 100, E_A.T: 250000}\n")
    out = tmp_path / "plan.json"
    argv = ["optimize", str(net), "--demand", str(demand), "--method", "webster", "-o", str(out)]
    assert main(argv) == 0

    def refuse(word: str) -> None:
        raise ValueError(f"not JSON: {word}")

    perf = json.loads(out.read_text(), parse_constant=refuse)["performance"]["A"]
    assert perf["delay_s"] is None
    assert perf["los"] == "F"
    assert perf["movements"]["W_A.L"]["delay_s"] is None
