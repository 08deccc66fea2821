"""The command-line frame: exit codes, help, version, lazy command import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signalbrain import __version__
from signalbrain.cli import _COMMAND_OWNER, _modules_for, build_parser, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_no_command_prints_help_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_every_command_is_registered_by_its_owner() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(_COMMAND_OWNER)  # type: ignore[arg-type]
    for command, owner in _COMMAND_OWNER.items():
        only = build_parser((owner,))
        sub = next(a for a in only._actions if a.dest == "command")
        assert command in sub.choices  # type: ignore[operator]


@pytest.mark.parametrize(
    ("argv", "modules"),
    [
        (["validate", "x.yaml"], ("network",)),
        (["--debug", "count", "v.mp4"], ("count",)),
        (["--version"], ()),
    ],
)
def test_only_the_named_command_is_imported(argv: list[str], modules: tuple[str, ...]) -> None:
    assert tuple(_modules_for(argv)) == modules


def test_console_script_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "signalbrain.cli", "validate", "/nonexistent.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "file not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_optimize_one_signal_with_timespace_writes_plan_and_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from signalbrain.io import bundled_demand, bundled_network

    out = tmp_path / "plan.yaml"
    argv = ["optimize", str(bundled_network("single")), "--demand", str(bundled_demand("single")),
            "-o", str(out), "--timespace", str(tmp_path / "ts.png")]  # fmt: skip
    assert main(argv) == 0
    assert out.is_file()
    assert not (tmp_path / "ts.png").exists()
    assert "no time-space diagram" in capsys.readouterr().out


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("3", "3")])
def test_the_cli_runs_one_openblas_thread_unless_told(given: str | None, expected: str) -> None:
    """Set before numpy loads (its thread pool only costs CPU here), and only when unset."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = (
        "import os, sys\n"
        "import signalbrain.cli\n"
        "print('numpy' in sys.modules, os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert run.stdout.split() == ["False", expected]


_TWO_PHASE_YAML = """
name: two-phase
defaults: {lanes: 1, min_green_s: 5, max_green_s: 60, yellow_s: 3, all_red_s: 1}
nodes: {A: [0, 0], N: [0, 200], S: [0, -200], E: [200, 0], W: [-200, 0]}
links:
  W_A: {from: W, to: A}
  A_E: {from: A, to: E}
  E_A: {from: E, to: A}
  A_W: {from: A, to: W}
  N_A: {from: N, to: A}
  A_S: {from: A, to: S}
  S_A: {from: S, to: A}
  A_N: {from: A, to: N}
intersections:
  A:
    phases:
      - {number: 1, protected: [W_A.T, W_A.R, E_A.T, E_A.R], permitted: [W_A.L, E_A.L]}
      - {number: 2, protected: [N_A.T, N_A.R, S_A.T, S_A.R], permitted: [N_A.L, S_A.L]}
"""


def test_escort_serves_a_permitted_only_left_in_its_approach_phase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two phases with permitted lefts (SUMO's default programs): the escort turning left gets
    its approach's own phase, as in live runs (escort_network), not the phase where it must yield
    to the opposing through."""
    import json

    net = tmp_path / "two.yaml"
    net.write_text(_TWO_PHASE_YAML, encoding="utf-8")
    assert main(["escort", str(net), "--from", "W", "--to", "N", "--json", "-"]) == 0
    (signal,) = json.loads(capsys.readouterr().out)["signals"]
    assert signal["movement"] == "W_A.L"
    assert signal["phase"] >= 100  # an escort phase: the approach protected, all else red
