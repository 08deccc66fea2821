"""signalbrain: an adaptive traffic-signal control engine.

Cameras count vehicles, a road-network model turns counts into demand, an optimiser computes
signal timings, controllers run them live through a conflict monitor, and the one-key escort
clears the way for emergency vehicles.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from signalbrain.errors import InputError, Problem, SignalbrainError

try:
    __version__ = version("signalbrain")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["InputError", "Problem", "SignalbrainError", "__version__"]
