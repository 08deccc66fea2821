"""``sumo run`` with SUMO options and inputs that a traffic engineer passes (slow: runs SUMO)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.sim import run_sumo

pytestmark = pytest.mark.slow


def test_output_prefix_after_dashes_still_finds_the_trips(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SUMO prepends --output-prefix to every output, signalbrain's trip-info file included."""
    out = tmp_path / "o.json"
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "120", "-q"]
    assert main([*argv, "--json", str(out), "--", "--output-prefix", "run1_"]) == 0, (
        capsys.readouterr().err
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["vehicles"]["departed"] > 50


@pytest.mark.parametrize("tripinfo", [False, True])
def test_output_prefix_with_a_folder_part_runs(
    make_scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tripinfo: bool,
) -> None:
    """'-- --output-prefix run1/' (outputs into a folder, as SUMO allows) made SUMO refuse
    signalbrain's own trip-info file in its temporary folder (exit 2 naming that file), and
    with the user's --tripinfo-output the run ended in an internal error (ValueError)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run1").mkdir()
    out = tmp_path / "o.json"
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "120", "-q"]
    extra = ["--tripinfo-output", "ti.xml"] if tripinfo else []
    code = main([*argv, "--json", str(out), "--", "--output-prefix", "run1/", *extra])
    assert code == 0, capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8"))["vehicles"]["departed"] > 50
    assert (tmp_path / "run1" / "ti.xml").is_file() == tripinfo


def test_cli_refuses_to_drop_unfinished_trips(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It counted 31 vehicles departed of 100 (only the arrived ones): exit 2 instead."""
    out = tmp_path / "o.json"
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "100", "-q"]
    code = main([*argv, "--json", str(out), "--", "--tripinfo-output.write-unfinished", "false"])
    assert code == 2
    assert "signalbrain needs the trips" in capsys.readouterr().err
    assert not out.exists()


def _with_unreadable_light(cfg: Path, folder: Path, state: str) -> Path:
    """A copy of ``cfg`` whose traffic light A0 runs one phase showing ``state`` on every link
    (SUMO runs it; signalbrain has no phase to make of it)."""
    from signalbrain.sim.config import read_sumocfg

    sumo_cfg = read_sumocfg(cfg)
    net = sumo_cfg.net_file.read_text(encoding="utf-8")
    block = re.search(r'<tlLogic id="A0".*?</tlLogic>', net, re.S)
    assert block is not None
    links = len(re.findall(r'state="([^"]+)"', block.group(0))[0])
    one = (
        '<tlLogic id="A0" type="static" programID="0" offset="0">'
        f'<phase duration="90" state="{state * links}"/></tlLogic>'
    )
    (folder / "odd.net.xml").write_text(net.replace(block.group(0), one), encoding="utf-8")
    routes = ",".join(str(p) for p in sumo_cfg.route_files)
    out = folder / "odd.sumocfg"
    out.write_text(
        f'<configuration><input><net-file value="odd.net.xml"/><route-files value="{routes}"/>'
        "</input></configuration>\n",
        encoding="utf-8",
    )
    return out


@pytest.mark.parametrize(("controller", "state"), [("fixed", "r"), ("adaptive", "G")])
def test_a_light_signalbrain_cannot_import_is_left_to_sumo(
    make_scenario, tmp_path: Path, controller: str, state: str
) -> None:
    """It refused the whole run (exit 2); the contract: signalbrain drives every light it
    understands."""
    cfg = _with_unreadable_light(make_scenario(), tmp_path, state)
    result = run_sumo(cfg, controller, end_s=60)
    assert result.signals == 3
    assert any("traffic light A0 left to SUMO's own program" in n for n in result.notes)
    assert result.trips.departed > 0
    # the sumo controller still audits the lights signalbrain can import
    own = run_sumo(cfg, "sumo", end_s=60)
    assert any("displays at 3 traffic lights audited" in n for n in own.notes)


def test_vehicles_removed_by_jam_teleports_are_not_arrivals(make_scenario) -> None:
    result = run_sumo(
        make_scenario(),
        "fixed",
        end_s=300,
        sumo_args=["--time-to-teleport", "5", "--time-to-teleport.remove", "true"],
    )
    t = result.trips
    assert t.removed > 0
    assert t.arrived + t.running + t.removed == t.departed
    assert result.to_json()["vehicles"]["removed"] == t.removed


def test_a_network_without_traffic_lights_says_so(tmp_path: Path, sumo_home: Path) -> None:
    """The run went through with nothing to drive and said nothing about it."""
    import subprocess

    from signalbrain.sim.scenario import GridSpec, generate_scenario

    cfg = generate_scenario(
        tmp_path, GridSpec(x=2, y=2, block_m=200.0, attach_m=150.0), end_s=60, period_s=2.0
    )
    (net,) = cfg.parent.glob("*.net.xml")
    plain = cfg.parent / "plain.xml"
    netconvert = str(sumo_home / "bin" / "netconvert")
    subprocess.run(
        [netconvert, "-s", str(net), "--tls.discard-loaded", "true", "-o", str(plain)],
        check=True,
        capture_output=True,
    )
    plain.replace(net)
    result = run_sumo(cfg, "adaptive", end_s=30)
    assert result.to_json()["signals"] == 0
    assert any("no traffic lights" in n for n in result.notes), result.notes


def test_a_run_over_the_fallback_backend_says_so(
    make_scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With libsumo missing the run went over traci and nothing in the result said so."""
    import importlib
    from types import ModuleType

    from signalbrain.sim import backend

    real = importlib.import_module

    def without_libsumo(name: str, package: str | None = None) -> ModuleType:
        if name == "libsumo":
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(backend.importlib, "import_module", without_libsumo)
    result = run_sumo(make_scenario(), "fixed", end_s=30)
    assert "libsumo is not installed: the run went over traci" in result.notes


@pytest.mark.parametrize("controller", ["adaptive", "sumo"])
@pytest.mark.parametrize("state", ["r", "G"])
def test_programs_in_additional_files_after_dashes_are_the_ones_modelled(
    make_scenario, tmp_path: Path, controller: str, state: str
) -> None:
    """SUMO runs the programs of ``-- --additional-files``; the model was built from the
    network and the configuration's additional files only, so signalbrain drove (or audited)
    a light by a program SUMO was not running. A light whose running program signalbrain
    cannot model (one phase, every link ``state``) is left to SUMO, and its displays are still
    audited by the model of the network's own program: all green at once is caught."""
    from signalbrain.sim.config import read_sumocfg

    cfg = make_scenario()
    net = read_sumocfg(cfg).net_file.read_text(encoding="utf-8")
    block = re.search(r'<tlLogic id="A0".*?</tlLogic>', net, re.S)
    assert block is not None
    links = len(re.findall(r'state="([^"]+)"', block.group(0))[0])
    extra = tmp_path / "one_phase.add.xml"
    extra.write_text(
        '<additional><tlLogic id="A0" type="static" programID="one" offset="0">'
        f'<phase duration="90" state="{state * links}"/></tlLogic></additional>\n',
        encoding="utf-8",
    )
    result = run_sumo(cfg, controller, end_s=30, sumo_args=["--additional-files", str(extra)])
    if controller == "sumo":
        assert any("displays at 4 traffic lights audited" in n for n in result.notes)
    else:
        assert any("traffic light A0 left to SUMO's own program" in n for n in result.notes)
        assert any("at 1 traffic lights left to SUMO's programs audited" in n for n in result.notes)
        assert result.signals == 3
    assert not any("not audited" in n for n in result.notes)
    if state == "r":
        assert result.safety.ok
    else:
        assert result.safety.conflicting_green_s >= 20


def test_baselines_convert_the_program_sumo_runs(make_scenario, tmp_path: Path) -> None:
    """``actuated`` and ``delay_based`` converted the network's program of every light, and
    their converted program (loaded last) replaced the one the configuration's or the user's
    additional files give: the baseline was of a program SUMO was not running."""
    from signalbrain.sim.config import read_sumocfg
    from signalbrain.sim.netxml import read_net_index, running_programs

    cfg = make_scenario()
    index = read_net_index(read_sumocfg(cfg).net_file)
    a0 = next(p for p in index.programs if p.tls_id == "A0")
    states = [ph.state for ph in a0.phases]
    extra = tmp_path / "mine.add.xml"
    extra.write_text(
        '<additional><tlLogic id="A0" type="static" programID="mine" offset="7">'
        + "".join(f'<phase duration="{11 + k}" state="{s}"/>' for k, s in enumerate(states))
        + "</tlLogic></additional>\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere.add.xml"
    elsewhere.write_text(
        '<additional><tlLogic id="nowhere" type="static" programID="x">'
        '<phase duration="5" state="G"/></tlLogic></additional>\n',
        encoding="utf-8",
    )
    running = {p.tls_id: p for p in running_programs(index, [extra, elsewhere])}
    assert set(running) == {p.tls_id for p in index.programs}  # 'nowhere' is no light of it
    assert (running["A0"].program_id, running["A0"].offset_s) == ("mine", 7.0)
    assert [ph.duration_s for ph in running["A0"].phases] == [11 + k for k in range(len(states))]
    assert running["B1"] == next(p for p in index.programs if p.tls_id == "B1")
    result = run_sumo(cfg, "actuated", end_s=60, sumo_args=["--additional-files", str(extra)])
    assert any("converted to actuated: 4 of 4" in n for n in result.notes), result.notes


@pytest.mark.parametrize("controller", ["adaptive", "sumo"])
def test_a_missing_additional_file_is_named_where_it_is_given(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], controller: str
) -> None:
    """The configuration's missing additional file was reported against the network file
    ('net.net.xml: additional file not found'), and with --controller sumo only as SUMO's
    'Process Error'; it is the configuration's input.additional-files (or SUMO_ARGS)."""
    from signalbrain.sim.config import read_sumocfg

    sumo_cfg = read_sumocfg(make_scenario())
    routes = ",".join(str(p) for p in sumo_cfg.route_files)
    cfg = tmp_path / "extra.sumocfg"
    cfg.write_text(
        f'<configuration><input><net-file value="{sumo_cfg.net_file}"/>'
        f'<route-files value="{routes}"/><additional-files value="nope.add.xml"/></input>'
        "</configuration>",
        encoding="utf-8",
    )
    out = tmp_path / "o.json"
    argv = ["sumo", "run", str(cfg), "--controller", controller, "--end", "60", "-q"]
    assert main([*argv, "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{cfg.resolve()}: input.additional-files: additional file not found" in err, err
    argv[2] = str(make_scenario())
    given = tmp_path / "gone.add.xml"
    assert main([*argv, "--json", str(out), "--", "-a", str(given)]) == 2
    err = capsys.readouterr().err
    assert f"SUMO_ARGS --additional-files: additional file not found: {given}" in err, err
    assert not out.exists()


def test_a_reach_beyond_what_the_controller_believes_is_refused(make_scenario) -> None:
    """Zones longer than Plausibility.max_reach_m (2,000 m by default: '--reach 2500' on long
    approaches) made every such signal faulty from the first step: the run went on the fixed
    plans throughout, exit 0, nothing in the JSON. Refused, naming --reach and what is valid."""
    from signalbrain.control.sensing import Plausibility
    from signalbrain.errors import InputError

    with pytest.raises(InputError, match=r"--reach: 120 m: .* valid: a distance > 0 and <= 100 m"):
        run_sumo(
            make_scenario(),
            "max-pressure",
            end_s=30,
            reach_m=120,
            controller_options={"plausibility": Plausibility(max_reach_m=100.0)},
        )
    # zones that stay within it run (on the scenario's 150 m approaches)
    result = run_sumo(
        make_scenario(),
        "max-pressure",
        end_s=30,
        reach_m=90,
        controller_options={"plausibility": Plausibility(max_reach_m=100.0)},
    )
    assert result.trips.departed > 0


@pytest.mark.parametrize("option", ["--json", "--checkpoint"])
def test_a_file_the_configuration_has_sumo_write_is_refused(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    """--json naming the configuration's <summary-output> (with its output prefix) overwrote
    SUMO's summary with the results, exit 0; --checkpoint naming it mixed the two and then
    deleted SUMO's output. Refused as the same files given after '--' already were."""
    from signalbrain.sim.config import read_sumocfg

    sumo_cfg = read_sumocfg(make_scenario())
    routes = ",".join(str(p) for p in sumo_cfg.route_files)
    cfg = tmp_path / "outs.sumocfg"
    cfg.write_text(
        f'<configuration><input><net-file value="{sumo_cfg.net_file}"/>'
        f'<route-files value="{routes}"/></input><output>'
        '<summary-output value="summary.xml"/><output-prefix value="r1_"/></output>'
        "</configuration>",
        encoding="utf-8",
    )
    clash = tmp_path / "r1_summary.xml"
    argv = ["sumo", "run", str(cfg), "--controller", "fixed", "--end", "30", "-q"]
    argv += ["--json", str(tmp_path / "o.json"), option, str(clash)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{option}: {clash} is also an output SUMO writes for the configuration" in err, err
    assert not clash.exists()
    # given another summary file after '--', the configuration's is not written: no clash
    assert main([*argv, "--", "--summary-output", str(tmp_path / "s.xml")]) == 0


def test_an_interrupted_traci_run_stays_interrupted(
    make_scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C reaches SUMO too (same process group): traci then cannot close (SUMO gone, or a
    reply half read), and that error replaced the interruption: 'internal error:
    FatalTraCIError: Connection closed by SUMO', exit 1, instead of 'interrupted' (130) and,
    with --checkpoint, the word that the run is kept."""
    import types

    import traci

    import signalbrain.sim.run as run_module

    fake = types.ModuleType("traci")

    def close() -> None:
        traci.close()
        raise traci.FatalTraCIError("Connection closed by SUMO.")

    fake.start = traci.start  # type: ignore[attr-defined]
    fake.close = close  # type: ignore[attr-defined]

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "load_backend", lambda _prefer: fake)
    monkeypatch.setattr(run_module, "_simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_sumo(make_scenario(), "fixed", end_s=30, backend="traci")


@pytest.mark.parametrize(("option", "which"), [("--json", "net"), ("--checkpoint", "routes")])
def test_an_input_of_the_configuration_is_refused_as_an_output(
    make_scenario,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    which: str,
) -> None:
    """--json naming the configuration's network replaced the network with the results at
    exit 0 (only the .sumocfg itself was protected); --checkpoint naming its route file was
    refused as 'not a signalbrain sumo run checkpoint', which did not say why."""
    import shutil

    from signalbrain.sim.config import read_sumocfg

    sumo_cfg = read_sumocfg(make_scenario())
    net = shutil.copy(sumo_cfg.net_file, tmp_path / "n.net.xml")
    routes = shutil.copy(sumo_cfg.route_files[0], tmp_path / "r.rou.xml")
    cfg = tmp_path / "c.sumocfg"
    cfg.write_text(
        '<configuration><input><net-file value="n.net.xml"/><route-files value="r.rou.xml"/>'
        "</input></configuration>",
        encoding="utf-8",
    )
    target = Path(net if which == "net" else routes)
    before = target.read_bytes()
    argv = ["sumo", "run", str(cfg), "--controller", "fixed", "--end", "30", "-q"]
    argv += ["--json", str(tmp_path / "o.json"), option, str(target)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{option}: {target} is an input of the configuration" in err, err
    assert target.read_bytes() == before


def test_zones_on_lanes_shorter_than_a_vehicle_are_not_faults(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Blocks of 25 m leave 4.2 m lanes between junctions: SUMO reads a car spanning such a
    zone with its whole length (176 % with two cars), and the reader called the detector
    invalid, so max-pressure ran the fixed plan at three of six signals for up to 126 s."""
    import logging

    from signalbrain.sim.scenario import GridSpec, generate_scenario

    cfg = generate_scenario(
        tmp_path,
        GridSpec(x=3, y=2, block_m=25.0, attach_m=12.0),
        end_s=600,
        period_s=1.5,
        seed=4,
        name="short",
    )
    with caplog.at_level(logging.WARNING, logger="signalbrain.control"):
        result = run_sumo(cfg, "max-pressure")
    assert result.safety.ok
    faults = [r.getMessage() for r in caplog.records if "falling back" in r.getMessage()]
    assert faults == []
