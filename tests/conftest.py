"""Shared test fixtures: where ../shared lives, whether SUMO is installed, the CLI in a process.

Tests that read ``../shared/data`` use the ``shared_data`` fixture and skip cleanly when it is
absent; tests that need SUMO binaries use ``sumo_home``; ``cli_process`` runs a ``signalbrain``
command in a fresh process (SUMO runs whose figures are asserted need one: libsumo carries
state from one simulation to the next in a process, so in-process runs would depend on the
tests before them). ``clock`` and ``terminal`` are a hand-set clock and a stream that says it
is a terminal, for the progress reports.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SIGNALBRAIN_SHARED", ROOT.parent / "shared")) / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (skips the test when absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sumo_home() -> Path:
    """SUMO_HOME of the installed eclipse-sumo package (skips when SUMO is not installed)."""
    try:
        import sumo  # type: ignore[import-not-found]
    except ImportError:
        if shutil.which("sumo") and os.environ.get("SUMO_HOME"):
            return Path(os.environ["SUMO_HOME"])
        pytest.skip("eclipse-sumo is not installed (pip install 'signalbrain[sumo]')")
    return Path(sumo.SUMO_HOME)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The project's root folder (bundled networks live in ``networks/``)."""
    return ROOT


def _cli_process(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signalbrain.cli", *argv],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def cli_process() -> Callable[[list[str]], subprocess.CompletedProcess[str]]:
    """``cli_process(argv)``: ``signalbrain ARGV`` in a fresh process, output captured."""
    return _cli_process


class FakeClock:
    """A monotonic clock a test sets by hand (``clock.now = 12.5``)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal (progress reports rewrite their line there)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock() -> FakeClock:
    """A fresh :class:`FakeClock` at 0 s."""
    return FakeClock()


@pytest.fixture
def terminal() -> FakeTerminal:
    """An empty :class:`FakeTerminal`."""
    return FakeTerminal()
