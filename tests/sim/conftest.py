"""Fixtures of the SUMO adapter tests: tiny generated scenarios (netgenerate + randomTrips)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Scenario = Callable[..., Path]


def _build(
    folder: Path, sumo_home: Path, *, grid: int, period_s: float, end_s: int, seed: int = 42
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    net = folder / "net.net.xml"
    subprocess.run(
        [
            str(sumo_home / "bin" / "netgenerate"),
            "--grid",
            "--grid.number",
            str(grid),
            "--grid.length",
            "200",
            "--grid.attach-length",
            "150",
            "--default.lanenumber",
            "2",
            "--tls.guess",
            "true",
            "--no-turnarounds",
            "true",
            "--seed",
            str(seed),
            "-o",
            str(net),
        ],
        check=True,
        capture_output=True,
    )
    routes = folder / "routes.rou.xml"
    subprocess.run(
        [
            sys.executable,
            str(sumo_home / "tools" / "randomTrips.py"),
            "-n",
            str(net),
            "-o",
            str(folder / "trips.xml"),
            "-r",
            str(routes),
            "-e",
            str(end_s),
            "-p",
            str(period_s),
            "--seed",
            str(seed),
            "--fringe-factor",
            "100",
            "--validate",
        ],
        check=True,
        capture_output=True,
    )
    cfg = folder / "run.sumocfg"
    cfg.write_text(
        '<configuration>\n  <input>\n    <net-file value="net.net.xml"/>\n'
        '    <route-files value="routes.rou.xml"/>\n  </input>\n'
        f'  <time>\n    <begin value="0"/>\n    <end value="{end_s}"/>\n'
        "  </time>\n</configuration>\n",
        encoding="utf-8",
    )
    return cfg


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
