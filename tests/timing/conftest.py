"""Factories for timing tests: small networks built in code and demand for them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from signalbrain.demand import Demand
from signalbrain.network import Network
from signalbrain.network.generate import arterial, grid


def uniform_demand(net: Network, through_vph: float = 500.0, turn_vph: float = 120.0) -> Demand:
    """Every through movement ``through_vph``, every turn ``turn_vph``."""
    return Demand(
        {
            m.id: through_vph if m.turn == "T" else turn_vph
            for s in net.intersections
            for m in s.movements
            if m.turn != "P"
        }
    )


@pytest.fixture
def make_grid() -> Callable[..., Network]:
    """Factory of generated grids."""
    return grid


@pytest.fixture
def make_arterial() -> Callable[..., Network]:
    """Factory of generated arterials."""
    return arterial
