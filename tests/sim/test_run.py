"""Closed-loop runs on tiny generated SUMO networks (slow: each runs SUMO for a few seconds)."""

from __future__ import annotations

import json
import logging
import math
import random
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.control.base import Observation, Request
from signalbrain.io import load_network
from signalbrain.network import Network
from signalbrain.sim import run_sumo

pytestmark = pytest.mark.slow

_CONTRACT_KEYS = {
    "controller",
    "config",
    "begin_s",
    "end_s",
    "vehicles",
    "mean_travel_time_s",
    "mean_delay_s",
    "mean_waiting_s",
    "emergency",
    "safety",
    "controller_cpu_s",
    "wall_s",
}


class RoundRobin:
    """A test controller: each phase in turn for ``green_s``, and it checks what it sees."""

    name = "round-robin"

    def __init__(self, green_s: float = 15.0) -> None:
        self.green_s = green_s
        self.seen: list[Mapping[str, Observation]] = []

    def start(self, network: Network, t_s: float) -> None:
        self.network = network
        self.since = dict.fromkeys((s.id for s in network.intersections), t_s)
        self.k = dict.fromkeys((s.id for s in network.intersections), 0)

    def step(
        self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
    ) -> Mapping[str, Request]:
        self.seen.append(obs)
        out = {}
        for s in self.network.intersections:
            if t_s - self.since[s.id] >= self.green_s:
                self.k[s.id] = (self.k[s.id] + 1) % len(s.phases)
                self.since[s.id] = t_s
            out[s.id] = Request(phase=s.phases[self.k[s.id]].number)
        return out


def _with_outputs(cfg: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of ``cfg`` with its own summary output, and a user additional file with a loop."""
    text = cfg.read_text(encoding="utf-8")
    base = cfg.parent
    text = text.replace('value="net.net.xml"', f'value="{base / "net.net.xml"}"')
    text = text.replace('value="net.rou.xml"', f'value="{base / "net.rou.xml"}"')
    text = text.replace(
        "</configuration>", '<output><summary-output value="summary.xml"/></output></configuration>'
    )
    own = folder / "own.sumocfg"
    own.write_text(text, encoding="utf-8")
    user = folder / "user.add.xml"
    user.write_text(
        '<additional><inductionLoop id="user_loop" lane="A0A1_0" pos="10" '
        f'period="60" file="{folder / "loop.xml"}"/></additional>',
        encoding="utf-8",
    )
    return own, user


def test_sumo_controller_runs_config_unchanged_with_user_files(
    make_scenario, tmp_path: Path
) -> None:
    cfg, user = _with_outputs(make_scenario(), tmp_path)
    result = run_sumo(
        cfg, "sumo", end_s=120, sumo_args=["--additional-files", str(user), "--seed", "42"]
    )
    data = result.to_json()
    assert set(data) >= _CONTRACT_KEYS
    assert data["end_s"] == 120.0
    assert data["begin_s"] == 0.0
    assert data["vehicles"]["departed"] > 50
    assert data["vehicles"]["arrived"] > 0
    assert data["mean_delay_all_s"] >= 0
    assert (tmp_path / "summary.xml").is_file()  # the configuration's own output
    assert (tmp_path / "loop.xml").is_file()  # the user's additional file was loaded
    json.dumps(data)


@pytest.mark.parametrize("kind", ["actuated", "delay_based"])
def test_baselines_run_converted_programs(make_scenario, kind: str) -> None:
    result = run_sumo(make_scenario(), kind, end_s=150, sumo_args=["--seed", "42"])
    assert result.controller == kind
    assert any(f"converted to {kind}" in n for n in result.notes)
    assert result.trips.arrived > 0


def test_signalbrain_loop_is_safe_and_sees_detectors(make_scenario) -> None:
    ctrl = RoundRobin()
    result = run_sumo(
        make_scenario(), ctrl, end_s=200, sumo_args=["--seed", "42", "--time-to-teleport", "-1"]
    )
    assert result.signals == 4
    assert result.detectors > 0
    assert result.safety.ok
    assert result.controller_cpu_s > 0
    last = ctrl.seen[-1]
    assert set(last) == {s.id for s in ctrl.network.intersections}
    approaches = [a for o in last.values() for a in o.approaches.values()]
    assert approaches
    assert all(a.valid for a in approaches)
    assert sum(a.vehicles_veh for a in approaches) > 0
    assert (
        sum(
            a.count_veh
            for o in ctrl.seen
            for a in (x for ob in o.values() for x in ob.approaches.values())
        )
        > 20
    )
    isec = ctrl.network.intersections[0]
    links = set(last[isec.id].approaches)
    assert links <= {m.from_link for m in isec.movements}
    assert all(
        ln.movements
        for a in last[isec.id].approaches.values()
        for ln in a.lanes
        if ln.lane.rsplit("_", 1)[0] == a.link
    )


class _Crashing(RoundRobin):
    """Runs round-robin, then raises (a controller bug) from ``crash_s`` on."""

    name = "crashing"

    def __init__(self, crash_s: float) -> None:
        super().__init__(green_s=10.0)
        self.crash_s = crash_s

    def step(
        self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
    ) -> Mapping[str, Request]:
        if t_s >= self.crash_s:
            raise ZeroDivisionError("a bug")
        return super().step(t_s, dt_s, obs)


def test_a_controller_that_raises_leaves_the_signals_on_backup_plans(
    make_scenario, caplog: pytest.LogCaptureFixture
) -> None:
    ctrl = _Crashing(crash_s=60.0)
    with caplog.at_level(logging.DEBUG, logger="signalbrain.sim.loop"):
        result = run_sumo(make_scenario(), ctrl, end_s=240, sumo_args=["--seed", "42"])
    assert result.controller_failure == "t = 60 s: ZeroDivisionError: a bug"
    assert any("backup plan" in n for n in result.notes)
    assert result.to_json()["controller_failure"] == result.controller_failure
    assert result.end_s == 240.0  # the run went on to its end
    assert result.safety.ok
    assert result.trips.arrived > 0
    failed = [r for r in caplog.records if "failed at t=60.0 s" in r.getMessage()]
    assert len(failed) == 1
    # the message names the error; the traceback is only in the debug log (shown by --debug)
    assert "(ZeroDivisionError: a bug)" in failed[0].getMessage()
    assert failed[0].levelno == logging.ERROR
    assert failed[0].exc_info is None
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)


def test_a_request_hook_that_raises_is_dropped_and_the_run_goes_on(make_scenario) -> None:
    calls: list[float] = []

    def broken(
        t_s: float, obs: Mapping[str, Observation], requests: MutableMapping[str, Request]
    ) -> None:
        calls.append(t_s)
        if t_s >= 20.0:
            for isec in list(requests):
                requests[isec] = Request(phase=1, force=True)  # half done, then a bug
            raise KeyError("escort state")

    result = run_sumo(
        make_scenario(), RoundRobin(), end_s=120, sumo_args=["--seed", "42"], request_hooks=[broken]
    )
    assert calls[-1] == 20.0  # called until it failed, not after
    assert result.controller_failure == "t = 20 s: KeyError: 'escort state' (in a request hook)"
    assert any("request hook 1" in n for n in result.notes)
    assert result.end_s == 120.0
    assert result.safety.ok


def test_cli_controller_failure_writes_the_json_and_exits_1(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    import signalbrain.sim.run as run_module

    monkeypatch.setattr(run_module, "_make_controller", lambda *_a: _Crashing(crash_s=30.0))
    out = tmp_path / "out.json"
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "90", "-q"]
    assert main([*argv, "--json", str(out)]) == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["controller_failure"] == "t = 30 s: ZeroDivisionError: a bug"
    assert data["end_s"] == 90.0
    err = capsys.readouterr().err
    assert "internal error in the fixed run at t = 30 s: ZeroDivisionError: a bug" in err
    assert "Traceback" not in err
    # --debug shows the controller's traceback
    assert main(["--debug", *argv, "--json", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert 'raise ZeroDivisionError("a bug")' in err


def test_faults_and_adversarial_requests_never_pass_unsafe(make_scenario) -> None:
    rng = random.Random(5)

    def garbage(t_s: float, obs: dict[str, Observation]) -> dict[str, Observation]:
        out = {}
        for isec, o in obs.items():
            approaches = {
                k: replace(a, queue_veh=-rng.random() * 50, occupancy=math.nan, valid=False)
                if rng.random() < 0.5
                else a
                for k, a in o.approaches.items()
            }
            out[isec] = Observation(t_s, approaches, o.exits)
        return out

    def adversary(
        t_s: float, obs: Mapping[str, Observation], requests: MutableMapping[str, Request]
    ) -> None:
        for isec in list(requests):
            requests[isec] = Request(
                phase=rng.choice([None, 1, 2, 3, 4, 5, 99]), force=rng.random() < 0.5
            )

    ctrl = RoundRobin(green_s=3.0)
    result = run_sumo(
        make_scenario(),
        ctrl,
        end_s=200,
        sumo_args=["--seed", "42"],
        observation_hooks=[garbage],
        request_hooks=[adversary],
    )
    assert result.safety.ok
    assert result.trips.departed > 0


def test_cli_writes_contract_json(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    code = main(
        [
            "sumo",
            "run",
            str(make_scenario()),
            "--controller",
            "sumo",
            "--end",
            "60",
            "--json",
            str(out),
            "--",
            "--seed",
            "42",
            "--time-to-teleport",
            "-1",
        ]
    )
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= _CONTRACT_KEYS
    assert data["controller"] == "sumo"
    assert data["end_s"] == 60.0
    captured = capsys.readouterr()
    assert "wrote" in captured.out
    # progress on stderr: the closing line says how much was simulated
    assert "sumo run sumo: 1m00s simulated in" in captured.err


def test_cli_json_into_a_folder_is_refused_before_the_run(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "30", "-q"]
    assert main([*argv, "--json", str(tmp_path)]) == 2
    assert "--json: " in capsys.readouterr().err


def test_cli_sumo_begin_as_a_clock_time(make_scenario, tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "60", "-q"]
    assert main([*argv, "--json", str(out), "--", "--begin", "0:00:10"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["begin_s"] == 10.0


def test_cli_quiet_prints_no_progress(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    args = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "30"]
    assert main([*args, "-q", "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert "simulated in" not in captured.err
    assert "wrote" in captured.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.sumocfg", "--controller", "sumo"], "SUMO configuration not found"),
        (["{cfg}", "--controller", "nonsense"], "unknown controller 'nonsense'; valid: sumo"),
        (["{cfg}", "--controller", "sumo", "--", "--no-such-option", "1"], "SUMO could not start"),
        (["{cfg}", "--controller", "sumo", "--end", "10", "--", "--end", "5"], "--end"),
        (
            ["{cfg}", "--controller", "fixed", "--escort", "auto", "--escort-lead", "-5"],
            "--escort-lead = -5: must be a number of seconds >= 0",
        ),
        (
            ["{cfg}", "--controller", "fixed", "--escort-events", "{tmp}/ev.csv"],
            "--escort-events: needs --escort auto or --escort naive",
        ),
        (
            ["{cfg}", "--controller", "fixed", "--escort", "auto", "--escort-events", "{tmp}"],
            "is a folder; expected a file to write",
        ),
        (
            ["{cfg}", "--controller", "fixed", "--escort", "naive", "--escort-events", "{tmp}/e.x"],
            "--escort-events: e.x: the suffix must be one of .csv, .json",
        ),
        (
            [
                "{cfg}",
                "--controller",
                "fixed",
                "--escort",
                "auto",
                "--escort-events",
                "{tmp}/o.json",
            ],
            "--escort-events: {tmp}/o.json is also the --json file; expected another file",
        ),
        (
            ["{cfg}", "--controller", "sumo", "--json", "{cfg}"],  # the last --json counts
            "--json: {cfg} is the CONFIG file; expected another file",
        ),
        (
            ["{cfg}", "--controller", "sumo", "--", "--tripinfo-output", "{tmp}/o.json"],
            "--json: {tmp}/o.json is also given to SUMO (",
        ),
        (
            [
                "{cfg}",
                "--controller",
                "fixed",
                "--escort",
                "auto",
                "--escort-events",
                "{tmp}/t.csv",
                "--",
                "--fcd-output={tmp}/t.csv",
            ],
            "--escort-events: {tmp}/t.csv is also given to SUMO (--fcd-output=",
        ),
        (
            ["{cfg}", "--controller", "fixed", "--escort-lead", "-5"],
            "--escort-lead: needs --escort auto",
        ),
        (
            ["{cfg}", "--controller", "fixed", "--escort", "naive", "--escort-lead", "30"],
            "--escort-lead: needs --escort auto",
        ),
    ],
)
def test_cli_bad_input_exits_2(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    cfg = make_scenario()
    argv = [
        "sumo",
        "run",
        *[a.replace("{cfg}", str(cfg)).replace("{tmp}", str(tmp_path)) for a in args],
    ]
    argv[3:3] = []
    code = main([*argv[:2], argv[2], "--json", str(tmp_path / "o.json"), *argv[3:]])
    assert code == 2
    err = capsys.readouterr().err
    assert message.replace("{tmp}", str(tmp_path)).replace("{cfg}", str(cfg)) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("backend", ["libsumo", "traci"])
def test_cli_bad_route_found_mid_run_exits_2(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str
) -> None:
    """SUMO loads routes 200 s ahead: a vehicle on an unknown edge departing at 250 s is found
    only mid-run, and is bad input all the same (exit 2 naming the configuration)."""
    from signalbrain.sim.config import read_sumocfg

    cfg = read_sumocfg(make_scenario())
    text = cfg.route_files[0].read_text(encoding="utf-8")
    edges = re.search(r'edges="([^"]+)"', text)
    assert edges is not None
    bad = tmp_path / "bad.rou.xml"
    bad.write_text(  # SUMO parses the first vehicle beyond its look-ahead: a good one
        f'<routes><vehicle id="fine" depart="240"><route edges="{edges.group(1)}"/></vehicle>'
        '<vehicle id="ghost" depart="250"><route edges="no_such_edge"/></vehicle>'
        "</routes>\n",
        encoding="utf-8",
    )
    routes = ",".join(str(p) for p in (*cfg.route_files, bad))
    config = tmp_path / "mid.sumocfg"
    config.write_text(
        f'<configuration><input><net-file value="{cfg.net_file}"/>'
        f'<route-files value="{routes}"/></input>'
        '<time><begin value="0"/><end value="300"/></time></configuration>\n',
        encoding="utf-8",
    )
    argv = ["sumo", "run", str(config), "--controller", "fixed", "-q", "--backend", backend]
    assert main([*argv, "--json", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert f"{config}: SUMO stopped at t = " in err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert not (tmp_path / "o.json").exists()


def _signalbrain_controllers() -> list[str]:
    from signalbrain.sim import SUMO_CONTROLLERS, controller_names

    return [c for c in controller_names() if c not in SUMO_CONTROLLERS]


@pytest.mark.parametrize("name", _signalbrain_controllers())
def test_every_registered_controller_runs_safely_with_faulty_detectors(
    make_scenario, name: str
) -> None:
    rng = random.Random(11)

    def faults(t_s: float, obs: dict[str, Observation]) -> dict[str, Observation]:
        if 60.0 <= t_s < 120.0:  # one intersection's detectors go silent, others report noise
            first = sorted(obs)[0]
            obs = dict(obs)
            obs[first] = Observation(t_s)
            for isec in sorted(obs)[1:]:
                o = obs[isec]
                obs[isec] = Observation(
                    t_s,
                    {
                        k: replace(
                            a,
                            queue_veh=a.queue_veh * rng.uniform(0, 3),
                            count_veh=rng.choice([a.count_veh, -1.0, math.inf]),
                        )
                        for k, a in o.approaches.items()
                    },
                    o.exits,
                )
        return obs

    result = run_sumo(
        make_scenario(),
        name,
        end_s=240,
        observation_hooks=[faults],
        sumo_args=["--seed", "42", "--time-to-teleport", "-1"],
    )
    assert result.safety.ok
    assert result.trips.arrived > 0
    assert result.controller_cpu_s > 0
    # the faults are in the JSON, not only on stderr: the silent signal fell back for the
    # minute it was silent and until its detectors had been plausible again for a while
    (note,) = [n for n in result.notes if n.startswith("detector faults:")]
    first = sorted(s.id for s in load_network(make_scenario()).intersections)[0]
    seconds = float(note.split(f"{first}: 1 episode, ")[1].split(" s")[0])
    assert 60.0 <= seconds <= 180.0


def test_stop_line_counts_match_vehicles_through(make_scenario) -> None:
    ctrl = RoundRobin()
    result = run_sumo(make_scenario(), ctrl, end_s=300, sumo_args=["--seed", "42"])
    crossed = sum(
        a.count_veh for obs in ctrl.seen for o in obs.values() for a in o.approaches.values()
    )
    # every arrived trip entered from the fringe and crossed at least one stop line
    assert crossed >= result.trips.arrived
    assert crossed <= 4 * result.trips.departed


def test_traci_backend_gives_the_same_run(make_scenario, tmp_path: Path, cli_process) -> None:
    """Each backend in a fresh process: libsumo carries state from one simulation to the next
    in a process, so in this one (after the other tests' runs) it need not match."""
    runs = []
    for backend in ("libsumo", "traci"):
        out = tmp_path / f"{backend}.json"
        done = cli_process(
            ["sumo", "run", str(make_scenario()), "--controller", "max-pressure", "--end", "90",
             "--backend", backend, "--json", str(out), "--", "--seed", "42"]
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        runs.append(json.loads(out.read_text()))
    a, b = runs
    assert a["vehicles"] == b["vehicles"]
    assert a["mean_delay_all_s"] == pytest.approx(b["mean_delay_all_s"])
    assert (
        b["safety"]
        == a["safety"]
        == {
            "conflicting_green_s": 0.0,
            "short_yellow": 0,
            "short_all_red": 0,
            "short_green": 0,
        }
    )


def test_end_before_begin_is_bad_input(make_scenario) -> None:
    from signalbrain.errors import InputError

    with pytest.raises(InputError, match="is not after the simulation's begin 100"):
        run_sumo(make_scenario(), "sumo", end_s=50, sumo_args=["--begin", "100"])


@pytest.mark.parametrize("args", [["--end", "0"], ["--begin", "100", "--end", "100"]])
def test_an_end_after_dashes_not_after_the_begin_is_bad_input(make_scenario, args) -> None:
    """SUMO ran an empty simulation for '-- --end 0' and the run reported 0 departed, exit 0,
    while signalbrain's own --end 0 was refused."""
    from signalbrain.errors import InputError

    with pytest.raises(InputError, match=r"SUMO_ARGS --end.*nothing would be simulated"):
        run_sumo(make_scenario(), "fixed", sumo_args=args)


def test_sumo_displays_are_audited_by_the_same_rules(make_scenario, tmp_path: Path) -> None:
    from signalbrain.sim import read_net_index

    cfg = make_scenario()
    clean = run_sumo(cfg, "sumo", end_s=120, sumo_args=["--seed", "42"])
    assert clean.safety.ok
    assert any("audited" in n for n in clean.notes)
    # an unsafe program: every link of A0 green at once
    program = next(
        p for p in read_net_index(cfg.parent / "net.net.xml").programs if p.tls_id == "A0"
    )
    bad = tmp_path / "bad.add.xml"
    bad.write_text(
        f'<additional><tlLogic id="A0" type="static" programID="bad" offset="0">'
        f'<phase duration="300" state="{"G" * program.link_count}"/></tlLogic>'
        "</additional>",
        encoding="utf-8",
    )
    unsafe = run_sumo(cfg, "sumo", end_s=120, sumo_args=["--seed", "42", "-a", str(bad)])
    assert unsafe.safety.conflicting_green_s >= 100


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"reach_m": 10**400}, "--reach"),
        ({"reach_m": "x"}, "--reach"),
        ({"reach_m": -5.0}, "--reach"),
        ({"reach_m": True}, "--reach"),
        ({"end_s": "x"}, "--end"),
        ({"end_s": 10**400}, "--end"),
        ({"checkpoint_every_s": 10**400}, "--checkpoint-every"),
        ({"checkpoint_every_s": "x"}, "--checkpoint-every"),
    ],
)
def test_run_sumo_names_number_arguments_that_are_none(
    tmp_path: Path, kwargs: dict[str, object], where: str
) -> None:
    """They failed with TypeError or OverflowError, and a negative reach (or True, 1 m) ran
    with detectors that see nothing; each is now refused before SUMO starts."""
    from signalbrain.errors import InputError
    from signalbrain.sim import run_sumo

    with pytest.raises(InputError, match=rf"{where}: .*must be a"):
        run_sumo(tmp_path / "missing.sumocfg", "fixed", **kwargs)  # type: ignore[arg-type]
