"""Fixtures of the SUMO adapter tests: tiny generated scenarios (netgenerate + randomTrips)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.sim.scenario import GridSpec, generate_scenario

Scenario = Callable[..., Path]


def _build(
    folder: Path, sumo_home: Path, *, grid: int, period_s: float, end_s: int, seed: int = 42
) -> Path:
    return generate_scenario(
        folder,
        GridSpec(x=grid, y=grid, block_m=200.0, attach_m=150.0),
        end_s=end_s,
        period_s=period_s,
        seed=seed,
        name="net",
    )


@pytest.fixture(scope="session")
def make_scenario(tmp_path_factory: pytest.TempPathFactory, sumo_home: Path) -> Scenario:
    """Factory: ``make_scenario(grid=2, period_s=1.0, end_s=300)`` -> a ``.sumocfg`` path
    (built once per parameter set and session)."""
    built: dict[tuple[int, float, int], Path] = {}

    def make(grid: int = 2, period_s: float = 1.0, end_s: int = 300) -> Path:
        key = (grid, period_s, end_s)
        if key not in built:
            folder = tmp_path_factory.mktemp(f"grid{grid}_p{period_s}_e{end_s}")
            built[key] = _build(folder, sumo_home, grid=grid, period_s=period_s, end_s=end_s)
        return built[key]

    return make
