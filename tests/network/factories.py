"""Factories for small networks used across tests (built in code, no files)."""

from __future__ import annotations

from signalbrain.network.generate import arterial, grid
from signalbrain.network.model import Network


def single(phasing: str = "nema") -> Network:
    """One four-leg signal with boundary nodes."""
    return grid(1, 1, phasing=phasing)


def small_grid(rows: int = 2, cols: int = 3) -> Network:
    """A small grid."""
    return grid(rows, cols, spacing_m=200.0)


def corridor(n: int = 4) -> Network:
    """A short arterial."""
    return arterial(n)
