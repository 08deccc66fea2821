"""signalbrain: an adaptive traffic-signal control engine.

Cameras count vehicles, a road-network model turns counts into demand, an optimiser computes
signal timings, controllers run them live through a conflict monitor, and the one-key escort
clears the way for emergency vehicles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalbrain.errors import InputError, Problem, SignalbrainError

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    # the version is looked up on first use: importlib.metadata costs 0.1 s of start-up
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("signalbrain")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["InputError", "Problem", "SignalbrainError", "__version__"]
