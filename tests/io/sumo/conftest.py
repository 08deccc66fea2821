"""Factories for small SUMO networks built with ``netgenerate`` in temporary folders.

Each factory returns the path of a ``.net.xml``; SUMO's own tools make them so the tests check the
importer against what netconvert writes, not against hand-written XML.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.io import sumocfg_files

NetFactory = Callable[..., Path]


def _env(sumo_home: Path) -> dict[str, str]:
    return {**os.environ, "SUMO_HOME": str(sumo_home)}


def run_tool(sumo_home: Path, args: list[str], cwd: Path) -> None:
    """Run a SUMO binary or tool; fail the test with its output when it fails."""
    proc = subprocess.run(
        args, cwd=cwd, env=_env(sumo_home), capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def netgenerate(sumo_home: Path, folder: Path, name: str, *options: str) -> Path:
    """A grid network from ``netgenerate --grid`` with extra options, in ``folder``."""
    out = folder / f"{name}.net.xml"
    if not out.exists():
        run_tool(
            sumo_home,
            [
                str(sumo_home / "bin" / "netgenerate"),
                "--grid",
                "--grid.attach-length",
                "100",
                "--seed",
                "1",
                *options,
                "-o",
                str(out),
            ],
            folder,
        )
    return out


def random_trips(sumo_home: Path, net: Path, end_s: int = 300, period_s: float = 2.0) -> Path:
    """Routes for ``net`` from ``randomTrips.py`` (fixed seed), next to the network."""
    routes = net.with_name(net.name.replace(".net.xml", ".rou.xml"))
    if not routes.exists():
        run_tool(
            sumo_home,
            [
                sys.executable,
                str(sumo_home / "tools" / "randomTrips.py"),
                "-n",
                str(net),
                "-o",
                str(routes.with_suffix(".trips.xml")),
                "-r",
                str(routes),
                "-e",
                str(end_s),
                "-p",
                str(period_s),
                "--seed",
                "42",
                "--validate",
            ],
            net.parent,
        )
    return routes


@pytest.fixture(scope="session")
def sumo_nets(sumo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by the session's generated networks."""
    return tmp_path_factory.mktemp("sumo_nets")


@pytest.fixture(scope="session")
def grid_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """3x3 grid, two lanes plus a left-turn lane, traffic lights guessed (netconvert's default
    program: opposites layout with permitted lefts and short protected left phases)."""
    return netgenerate(
        sumo_home,
        sumo_nets,
        "grid",
        "--grid.number",
        "3",
        "--grid.length",
        "200",
        "-L",
        "2",
        "--turn-lanes",
        "1",
        "--turn-lanes.length",
        "40",
        "--tls.guess",
        "true",
    )


@pytest.fixture(scope="session")
def incoming_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """3x3 grid whose programs give each approach its own phase (``--tls.layout incoming``)."""
    return netgenerate(
        sumo_home,
        sumo_nets,
        "incoming",
        "--grid.number",
        "3",
        "--grid.length",
        "150",
        "-L",
        "1",
        "--tls.guess",
        "true",
        "--tls.layout",
        "incoming",
    )


@pytest.fixture(scope="session")
def joined_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """2x2 grid of close junctions joined into one traffic light (TLS link indices differ from
    each junction's own link numbering)."""
    return netgenerate(
        sumo_home,
        sumo_nets,
        "joined",
        "--grid.number",
        "2",
        "--grid.length",
        "30",
        "-L",
        "1",
        "-j",
        "traffic_light",
        "--tls.join",
        "true",
        "--tls.join-dist",
        "50",
        "--junctions.join",
        "false",
    )


@pytest.fixture(scope="session")
def pedestrian_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """2x2 grid with sidewalks and signalled pedestrian crossings."""
    return netgenerate(
        sumo_home,
        sumo_nets,
        "pedestrian",
        "--grid.number",
        "2",
        "--grid.length",
        "100",
        "-L",
        "2",
        "--tls.guess",
        "true",
        "--sidewalks.guess",
        "true",
        "--crossings.guess",
        "true",
    )


@pytest.fixture(scope="session")
def plain_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """2x2 grid with priority junctions only (no traffic light)."""
    return netgenerate(
        sumo_home,
        sumo_nets,
        "plain",
        "--grid.number",
        "2",
        "--grid.length",
        "100",
        "-j",
        "priority",
    )


@pytest.fixture(scope="session")
def make_net(sumo_home: Path, sumo_nets: Path) -> NetFactory:
    """``make_net(name, *netgenerate_options)``: any other grid variant."""

    def make(name: str, *options: str) -> Path:
        return netgenerate(sumo_home, sumo_nets, name, *options)

    return make


SumoRunner = Callable[..., list[dict[str, str]]]


def _config_times(cfg: Path) -> tuple[float, float]:
    root = ET.parse(cfg).getroot()
    begin = root.find("./time/begin")
    end = root.find("./time/end")
    return (
        float(begin.get("value", "0")) if begin is not None else 0.0,
        float(end.get("value", "inf")) if end is not None else float("inf"),
    )


def run_sumo(
    sumo_home: Path,
    out_dir: Path,
    *,
    config: Path | None = None,
    net: Path | None = None,
    routes: Path | None = None,
    duration_s: float = 600.0,
    additional: tuple[Path, ...] = (),
    tag: str = "run",
) -> list[dict[str, str]]:
    """Run ``sumo`` (seed 42) for ``duration_s`` from the scenario's begin and return its
    tripinfo records. ``additional`` files are added to the config's own."""
    args = [
        str(sumo_home / "bin" / "sumo"),
        "--seed",
        "42",
        "--no-step-log",
        "--no-warnings",
        "--duration-log.disable",
    ]
    begin = 0.0
    extra = list(additional)
    if config is not None:
        args += ["-c", str(config)]
        begin, _ = _config_times(config)
        extra = sumocfg_files(config)["additional-files"] + extra
    if net is not None:
        args += ["-n", str(net)]
    if routes is not None:
        args += ["-r", str(routes)]
    if extra:
        args += ["-a", ",".join(str(p) for p in extra)]
    trips = out_dir / f"{tag}.tripinfo.xml"
    args += [
        "--begin",
        f"{begin:g}",
        "--end",
        f"{begin + duration_s:g}",
        "--tripinfo-output",
        str(trips),
    ]
    run_tool(sumo_home, args, out_dir)
    return [dict(e.attrib) for e in ET.parse(trips).getroot().iter("tripinfo")]


@pytest.fixture(scope="session")
def sumo_runner(sumo_home: Path) -> SumoRunner:
    """``sumo_runner(out_dir, config=..., additional=(...), tag=...)``: see :func:`run_sumo`."""

    def run(out_dir: Path, **kwargs: object) -> list[dict[str, str]]:
        return run_sumo(sumo_home, out_dir, **kwargs)  # type: ignore[arg-type]

    return run


def write_config(
    path: Path, net: Path, routes: Path, end_s: float, additional: Path | None = None
) -> Path:
    """A ``.sumocfg`` at ``path`` running ``net`` with ``routes`` from 0 to ``end_s``."""
    extra = f'<additional-files value="{additional}"/>' if additional is not None else ""
    path.write_text(
        f'<configuration><input><net-file value="{net}"/><route-files value="{routes}"/>'
        f'{extra}</input><time><begin value="0"/><end value="{end_s:g}"/></time>'
        "</configuration>\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def crossing_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """3x3 grid of traffic lights with sidewalks and signalled crossings (netconvert's program:
    each crossing's green ends with a vehicle-only phase, then the vehicles' yellow)."""
    return netgenerate(
        sumo_home,
        sumo_nets,
        "crossings_opposites",
        "--grid.number",
        "3",
        "-j",
        "traffic_light",
        "--sidewalks.guess",
        "--crossings.guess",
    )


@pytest.fixture(scope="session")
def trips_for(sumo_home: Path) -> Callable[[Path], Path]:
    """``trips_for(net)``: randomTrips routes for a generated network."""

    def make(net: Path) -> Path:
        return random_trips(sumo_home, net)

    return make
