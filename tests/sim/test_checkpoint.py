"""Checkpoints of ``sumo run``: a run killed mid-way and run again with the same command ends
with the results of an uninterrupted run, trip by trip (and escort event by event).

Each run is a fresh ``signalbrain`` process (libsumo keeps state between simulations in one
process); the crash is a real ``kill -9`` once a checkpoint past the wanted time is on disk.
"""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from signalbrain.cli import main
from signalbrain.sim.checkpoint import Journal, JournaledApi, adopt
from signalbrain.sim.scenario import EmergencyTrip, GridSpec, generate_scenario

# What differs between two runs giving the same results: timings, and the notes that say how
# the run went (resumed, checkpoints written).
_VOLATILE = ("wall_s", "controller_cpu_s", "sensing_cpu_s", "controller_cpu_per_sim_s", "notes")
_SUMO = ["--", "--seed", "7", "--time-to-teleport", "-1"]


def _argv(cfg: Path, controller: str, out: Path, *extra: str) -> list[str]:
    return ["sumo", "run", str(cfg), "--controller", controller, "--json", str(out), *extra]


def _crash_after(
    argv: list[str], ck: Path, after_s: float, sig: int = signal.SIGKILL
) -> tuple[int, str]:
    """Run ``signalbrain ARGV`` and send it ``sig`` (default SIGKILL: a crash) once its
    checkpoint is past ``after_s``; returns its exit code and stderr."""
    err = ck.with_name(ck.name + ".stderr")
    with err.open("w") as stream:
        code = _signal_after(argv, ck, after_s, sig, stream)
    return code, err.read_text()


def _signal_after(argv: list[str], ck: Path, after_s: float, sig: int, stream: Any) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "signalbrain.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=stream,
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the run ended (exit {proc.returncode}) before it could be killed")
            try:
                t_s = pickle.loads(ck.read_bytes())["t_s"]
            except (OSError, EOFError, pickle.UnpicklingError, KeyError):
                t_s = -1.0
            if t_s >= after_s:
                proc.send_signal(sig)
                return proc.wait()
            time.sleep(0.02)
        pytest.fail("no checkpoint past the wanted time")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _trips(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if "<tripinfo " in line]


def _stable(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    for key in _VOLATILE:
        data.pop(key, None)
    return data


@pytest.fixture(scope="module")
def hour(tmp_path_factory: pytest.TempPathFactory, sumo_home: Path) -> Path:
    """A 2 x 2 grid with an hour of random demand."""
    return generate_scenario(
        tmp_path_factory.mktemp("ck_hour"),
        GridSpec(x=2, y=2, block_m=200.0, attach_m=150.0),
        end_s=3600,
        period_s=1.5,
        seed=3,
        name="net",
    )


@pytest.mark.slow
@pytest.mark.parametrize("controller", ["adaptive", "max-pressure", "actuated"])
def test_a_killed_run_resumes_to_the_uninterrupted_results(
    hour: Path, tmp_path: Path, cli_process: Callable[..., Any], controller: str
) -> None:
    plain_trips, resumed_trips = tmp_path / "plain.trips.xml", tmp_path / "trips.xml"
    ck = tmp_path / "run.ck"
    plain = cli_process(
        [
            *_argv(hour, controller, tmp_path / "plain.json", "-q"),
            *_SUMO,
            "--tripinfo-output",
            str(plain_trips),
        ]
    )
    assert plain.returncode == 0, plain.stderr[-2000:]
    argv = [
        *_argv(hour, controller, tmp_path / "resumed.json", "--checkpoint", str(ck)),
        "--checkpoint-every",
        "120",
        *_SUMO,
        "--tripinfo-output",
        str(resumed_trips),
    ]
    # max-pressure is stopped as by a job scheduler (SIGTERM), the others crash (SIGKILL)
    stop = signal.SIGTERM if controller == "max-pressure" else signal.SIGKILL
    code, err = _crash_after(argv, ck, 1200.0, stop)
    assert code == (143 if stop == signal.SIGTERM else -signal.SIGKILL)
    if stop == signal.SIGTERM:
        assert f"the run so far is kept in {ck}; the same command resumes it" in err
    assert ck.exists()
    assert not (tmp_path / "resumed.json").exists()
    done = cli_process(argv)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resuming from" in done.stderr
    assert "replaying the simulation to t = " in done.stderr
    assert _stable(tmp_path / "resumed.json") == _stable(tmp_path / "plain.json")
    trips = _trips(resumed_trips)
    assert len(trips) > 1000
    assert trips == _trips(plain_trips)
    notes = json.loads((tmp_path / "resumed.json").read_text())["notes"]
    assert any(n.startswith("resumed from the checkpoint at t = ") for n in notes)
    assert not ck.exists()  # results written: the next run of the command starts anew


MAIN = ("left1A1", "A1B1", "B1C1", "C1D1", "D1E1", "E1right1")
BACK = ("right1E1", "E1D1", "D1C1", "C1B1", "B1A1", "A1left1")


@pytest.mark.slow
def test_an_escort_run_resumes_to_the_same_escort(
    tmp_path_factory: pytest.TempPathFactory, sumo_home: Path, cli_process: Callable[..., Any]
) -> None:
    """Killed while an ambulance is escorted (its route and the signals set by the hook are
    journaled, the escort manager's state restored): same trips, summary and audit log."""
    folder = tmp_path_factory.mktemp("ck_escort")
    cfg = generate_scenario(
        folder,
        GridSpec(x=5, y=3, block_m=150.0, attach_m=250.0, lanes=2, speed_mps=13.89),
        end_s=900,
        period_s=0.8,
        seed=2,
        emergency=[EmergencyTrip("ev0", 300.0, MAIN), EmergencyTrip("ev1", 420.0, BACK)],
    )
    outs = {}
    for mode in ("plain", "resumed"):
        argv = [
            *_argv(cfg, "fixed", folder / f"{mode}.json", "-q"),
            "--escort",
            "auto",
            "--escort-events",
            str(folder / f"{mode}.csv"),
        ]
        if mode == "resumed":
            argv += ["--checkpoint", str(folder / "ck"), "--checkpoint-every", "30"]
            _crash_after([*argv, *_SUMO], folder / "ck", 360.0)
        done = cli_process([*argv, *_SUMO])
        assert done.returncode == 0, done.stderr[-2000:]
        outs[mode] = _stable(folder / f"{mode}.json")
    assert outs["resumed"] == outs["plain"]
    assert [e["id"] for e in outs["plain"]["emergency"]] == ["ev0", "ev1"]
    assert outs["plain"]["escort"]["calls"] >= 4  # preemption calls at the signals on the way
    assert (folder / "resumed.csv").read_text() == (folder / "plain.csv").read_text()


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def test_a_finished_cli_run_deletes_its_checkpoint_and_garbage_is_refused(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, ck = make_scenario(), tmp_path / "ck"
    base = [*_argv(cfg, "fixed", tmp_path / "a.json", "-q"), "--end", "120"]
    code, err = _cli([*base, "--checkpoint", str(ck), "--checkpoint-every", "60"], capsys)
    assert code == 0
    assert not ck.exists()
    assert "checkpoints written to" in " ".join(
        json.loads((tmp_path / "a.json").read_text())["notes"]
    )
    ck.write_bytes(b"not a checkpoint")
    code, err = _cli([*base, "--checkpoint", str(ck)], capsys)
    assert code == 2
    assert f"{ck}: --checkpoint: not a signalbrain sumo run checkpoint" in err
    assert "Traceback" not in err
    assert ck.read_bytes() == b"not a checkpoint"  # nothing lost


def test_a_checkpoint_from_other_settings_names_what_differs(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from signalbrain.sim import run_sumo

    cfg, ck = make_scenario(), tmp_path / "ck"
    run_sumo(cfg, "fixed", end_s=120, checkpoint=ck, checkpoint_every_s=60)
    assert pickle.loads(ck.read_bytes())["t_s"] == 120.0  # the API leaves it in place
    argv = [*_argv(cfg, "max-pressure", tmp_path / "a.json", "-q"), "--end", "120"]
    code, err = _cli([*argv, "--checkpoint", str(ck)], capsys)
    assert code == 2
    assert "--checkpoint: written by another run (controller: 'fixed' then, " in err
    assert "'max-pressure' now" in err
    assert ck.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--checkpoint-every", "0"], "--checkpoint-every: 0: must be a time > 0 [s]"),
        (["--checkpoint-every", "nan"], "--checkpoint-every: nan: must be a time > 0 [s]"),
        (["--checkpoint", "."], "--checkpoint: . is a folder; expected a file to write"),
        (["--checkpoint", "no/such/folder/ck"], "--checkpoint: folder no/such/folder does not"),
    ],
)
def test_bad_checkpoint_options_exit_2_before_the_run(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra, message
) -> None:
    code, err = _cli([*_argv(make_scenario(), "fixed", tmp_path / "a.json"), *extra], capsys)
    assert code == 2
    assert message in err
    assert not (tmp_path / "a.json").exists()


class _Domain:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def getIDList(self) -> list[str]:  # noqa: N802 (SUMO's names)
        self.log.append("getIDList")
        return ["a"]

    def subscribe(self, oid: str, vars_: list[int]) -> None:
        self.log.append("subscribe")

    def addSubscriptionFilterLanes(self, lanes: list[int]) -> None:  # noqa: N802
        self.log.append("filter")

    def getSubscriptionResults(self, oid: str) -> dict[int, Any]:  # noqa: N802
        return {}

    def setRedYellowGreenState(self, tls: str, state: str) -> None:  # noqa: N802
        self.log.append(f"set {tls} {state}")


def test_the_journal_records_changes_only_and_replays_them() -> None:
    log: list[str] = []
    fake = SimpleNamespace(__name__="fake", trafficlight=_Domain(log), simulationStep=lambda: 1)
    journal = Journal()
    api = JournaledApi(fake, journal)  # type: ignore[arg-type]
    assert api.trafficlight.getIDList() == ["a"]
    api.trafficlight.subscribe("a", [1])
    api.trafficlight.addSubscriptionFilterLanes([0])
    api.trafficlight.setRedYellowGreenState("a", "Gr")
    journal.step = 3
    api.trafficlight.setRedYellowGreenState("a", "yr")
    assert api.simulationStep() == 1  # module functions pass through
    assert journal.entries == [
        (0, "trafficlight", "setRedYellowGreenState", ("a", "Gr"), {}),
        (3, "trafficlight", "setRedYellowGreenState", ("a", "yr"), {}),
    ]
    log.clear()
    assert journal.replay(fake, 0) == 1  # type: ignore[arg-type]
    assert journal.replay(fake, 1, 1) == 1  # type: ignore[arg-type]
    assert journal.replay(fake, 3, 1) == 2  # type: ignore[arg-type]
    assert log == ["set a Gr", "set a yr"]


def test_adopt_gives_the_callers_object_the_restored_state() -> None:
    class Hook:
        def __init__(self, n: int) -> None:
            self.n = n
            self.seen: list[int] = []

    live, old = Hook(1), Hook(2)
    old.seen.append(5)
    adopt(live, old)
    assert (live.n, live.seen) == (2, [5])
    adopt(live, live)  # the same object (a function pickled by name): unchanged
    assert live.n == 2
    with pytest.raises(TypeError):
        adopt(live, SimpleNamespace())


def test_unpicklable_hooks_are_refused_at_the_start(make_scenario, tmp_path: Path) -> None:
    from signalbrain.errors import InputError
    from signalbrain.sim import run_sumo

    def closure_hook(t_s: float, obs: dict[str, Any]) -> dict[str, Any]:
        return obs

    with pytest.raises(InputError, match="checkpoints need a picklable controller and hooks"):
        run_sumo(
            make_scenario(),
            "fixed",
            end_s=30,
            observation_hooks=[closure_hook],
            checkpoint=tmp_path / "ck",
        )
    assert os.listdir(tmp_path) == []


# --- resumed in this process: over traci (a SUMO process per run), as libsumo keeps state ---

_CRASH_AT_S: list[float] = []  # set: the hook below "crashes" the run (Ctrl-C) at that time


class _RefusedCall:
    """A request hook that asks SUMO, once, for a change SUMO refuses, and goes on."""

    def __init__(self) -> None:
        self.sumo: Any = None
        self.refusals = 0

    def bind_sumo(self, sumo: Any) -> None:
        self.sumo = sumo

    def __call__(self, t_s: float, obs: Any, requests: Any) -> None:
        if _CRASH_AT_S and t_s >= _CRASH_AT_S[0]:
            raise KeyboardInterrupt
        if t_s == 20.0:
            try:
                self.sumo.vehicle.setRoute("no such vehicle", ["nowhere"])
            except Exception:
                self.refusals += 1


def _json(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = result.to_json()
    for key in _VOLATILE:
        data.pop(key, None)
    return data


def test_a_refused_call_is_not_replayed_and_progress_tells_replay_from_run(
    make_scenario, tmp_path: Path
) -> None:
    """SUMO refused a call the hook made (and caught): the resume replayed it and failed with
    an internal error. The progress of the replay is reported against the checkpoint's time,
    then the run's against its end (was: the run's time left from the replay's speed)."""
    from signalbrain.sim import run_sumo
    from signalbrain.sim.progress import SimProgress

    cfg, ck = make_scenario(), tmp_path / "ck"
    run = {"end_s": 120, "backend": "traci", "sumo_args": ["--seed", "7"]}
    plain = run_sumo(cfg, "fixed", request_hooks=[_RefusedCall()], **run)
    _CRASH_AT_S.append(75.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sumo(
                cfg,
                "fixed",
                request_hooks=[_RefusedCall()],
                checkpoint=ck,
                **run,
                checkpoint_every_s=30,
            )
    finally:
        _CRASH_AT_S.clear()
    assert pickle.loads(ck.read_bytes())["t_s"] == 60.0
    hook, stream = _RefusedCall(), io.StringIO()
    resumed = run_sumo(
        cfg,
        "fixed",
        request_hooks=[hook],
        checkpoint=ck,
        progress=SimProgress(stream=stream, interval_s=0.0),
        **run,
    )
    assert _json(resumed) == _json(plain)
    assert hook.refusals == 1  # the caller's hook, with the restored state
    lines = stream.getvalue().splitlines()
    assert "replaying the simulation to t = 60 s" in lines[0]
    status = [re.match(r".*: t = (\d+) s of (\d+) ", line) for line in lines[1:-1]]
    ends = {(int(m[1]) <= 60, m[2]) for m in status if m is not None}
    assert ends == {(True, "60"), (False, "120")}


def test_a_changed_route_file_given_after_the_dashes_is_refused(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Route files given to SUMO after '--' replace the configuration's: their content is
    checked too (was: resumed with the changed file). An API run's ``end_s=60`` and the
    CLI's ``--end 60`` are the same end (was: refused, "end: 60 then, 60.0 now")."""
    from signalbrain.sim import run_sumo

    cfg, ck, routes = make_scenario(), tmp_path / "ck", tmp_path / "mine.rou.xml"
    routes.write_text((cfg.parent / "net.rou.xml").read_text())
    run_sumo(cfg, "fixed", end_s=60, sumo_args=["-r", str(routes)], checkpoint=ck)
    routes.write_text(routes.read_text().replace('depart="299.00"', 'depart="298.00"'))
    argv = [*_argv(cfg, "fixed", tmp_path / "a.json", "-q"), "--end", "60"]
    code, err = _cli([*argv, "--checkpoint", str(ck), "--", "-r", str(routes)], capsys)
    assert code == 2
    assert f"--checkpoint: written by another run ({routes.resolve()} changed)" in err
    assert ck.exists()


@pytest.mark.parametrize(
    "extra",
    [
        ["--checkpoint", "a.json"],
        ["--checkpoint", "ck", "--", "--fcd-output", "ck"],
        ["--checkpoint", "./ck", "--", "--tripinfo-output=ck"],
    ],
)
def test_a_checkpoint_named_as_an_output_too_is_refused(
    make_scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
) -> None:
    """Was: the results written to the checkpoint's file, then deleted with it."""
    monkeypatch.chdir(tmp_path)
    code, err = _cli([*_argv(make_scenario(), "fixed", Path("a.json"), "-q"), *extra], capsys)
    assert code == 2
    assert "names the checkpoint's file" in err
    assert os.listdir(tmp_path) == []


def test_results_that_cannot_be_written_keep_the_checkpoint(
    make_scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Was: "internal error: OSError" (exit 1); now exit 2 naming --json, the run kept, and
    the same command finishes it from the checkpoint."""
    import signalbrain._cli.sumo as cli_sumo

    cfg, ck, out = make_scenario(), tmp_path / "ck", tmp_path / "a.json"
    argv = [*_argv(cfg, "fixed", out, "-q"), "--end", "60", "--backend", "traci"]
    argv += ["--checkpoint", str(ck), "--checkpoint-every", "40"]

    def full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(cli_sumo, "atomic_write_text", full)
        code, err = _cli(argv, capsys)
    assert code == 2
    assert f"--json: cannot write {out}: No space left on device; the run is kept in {ck}" in err
    assert ck.exists()
    code, err = _cli(argv, capsys)
    assert code == 0, err
    assert any(n.startswith("resumed from") for n in json.loads(out.read_text())["notes"])
    assert not ck.exists()


def _state(data: dict[str, Any]) -> None:
    data["state"] = b"not a pickle"


def _journal(data: dict[str, Any]) -> None:
    data["journal"].insert(0, (0, "vehicle", "setRoute", ("no such vehicle", ["x"]), {}))


def _version(data: dict[str, Any]) -> None:
    data["fingerprint"]["signalbrain"] = "'0.0.1'"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_state, "the run's state cannot be restored (UnpicklingError"),
        (_journal, "SUMO said: Vehicle 'no such vehicle' is not known"),
        (_version, "written by another run (signalbrain: '0.0.1' then, "),
    ],
)
def test_a_checkpoint_this_run_cannot_resume_is_refused_and_kept(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage, message
) -> None:
    """Was: an internal error (a traceback with --debug) for the first two; a checkpoint of
    another signalbrain version was restored into changed classes."""
    from signalbrain.sim import run_sumo

    cfg, ck = make_scenario(), tmp_path / "ck"
    run_sumo(cfg, "fixed", end_s=30, backend="traci", checkpoint=ck, checkpoint_every_s=15)
    data = pickle.loads(ck.read_bytes())
    damage(data)
    ck.write_bytes(pickle.dumps(data))
    argv = [*_argv(cfg, "fixed", tmp_path / "a.json", "-q"), "--end", "30", "--backend", "traci"]
    code, err = _cli([*argv, "--checkpoint", str(ck)], capsys)
    assert code == 2
    assert f"{ck}: --checkpoint: " in err
    assert message in err
    assert ck.read_bytes() == pickle.dumps(data)
