"""The SUMO process behind a run: libsumo (in-process, fast) or traci (a SUMO subprocess).

Both modules share one API (``simulation``, ``trafficlight``, ``lanearea``...), so the adapter
talks to whichever this module returns. libsumo runs one simulation per process; parallel runs
use processes (the benchmark harness does).
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path
from types import ModuleType

from signalbrain.errors import SignalbrainError

__all__ = ["BACKENDS", "load_backend", "sumo_binary"]

BACKENDS: tuple[str, ...] = ("libsumo", "traci")


def load_backend(prefer: str = "libsumo") -> ModuleType:
    """Import the preferred SUMO API module, falling back to the other one.

    Raises
    ------
    SignalbrainError
        Neither libsumo nor traci is installed (``pip install 'signalbrain[sumo]'``).
    """
    if prefer not in BACKENDS:
        raise ValueError(f"unknown SUMO backend {prefer!r}; valid: {', '.join(BACKENDS)}")
    order = (prefer, *[b for b in BACKENDS if b != prefer])
    for name in order:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise SignalbrainError(
        "neither libsumo nor traci is installed: pip install 'signalbrain[sumo]'"
    )


def sumo_binary() -> str:
    """Path of the ``sumo`` executable (from the eclipse-sumo package, SUMO_HOME or PATH)."""
    try:
        sumo = importlib.import_module("sumo")
        candidate = Path(sumo.SUMO_HOME) / "bin" / "sumo"
        if candidate.is_file():
            return str(candidate)
    except ImportError:
        pass
    home = os.environ.get("SUMO_HOME")
    if home and (Path(home) / "bin" / "sumo").is_file():
        return str(Path(home) / "bin" / "sumo")
    found = shutil.which("sumo")
    if found:
        return found
    raise SignalbrainError(
        "the sumo executable was not found: pip install 'signalbrain[sumo]' or set SUMO_HOME"
    )
