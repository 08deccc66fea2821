"""Generated SUMO scenarios: a grid or corridor, random demand and optional emergency vehicles.

Built with SUMO's own tools (``netgenerate``, ``randomTrips.py``) so the network, its
traffic-light programs and the routes are what SUMO users would make themselves. Used by the demo,
the test suites and the evaluation harness; the real networks live in ``../shared/data``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from signalbrain.errors import InputError, SignalbrainError

__all__ = ["EmergencyTrip", "GridSpec", "all_green_programs", "generate_scenario", "sumo_home"]


@dataclass(frozen=True, slots=True)
class EmergencyTrip:
    """An emergency vehicle (vClass ``emergency``) on a fixed route of SUMO edge ids."""

    id: str
    depart_s: float
    edges: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GridSpec:
    """A netgenerate grid: ``x`` by ``y`` signals (``y = 1`` is a corridor)."""

    x: int = 3
    y: int = 3
    block_m: float = 250.0
    attach_m: float = 200.0
    lanes: int = 2
    speed_mps: float = 13.89


def sumo_home() -> Path:
    """SUMO_HOME of the installed ``eclipse-sumo`` package."""
    try:
        import sumo
    except ImportError:
        raise InputError("Eclipse SUMO is not installed: pip install 'signalbrain[sumo]'") from None
    return Path(sumo.SUMO_HOME)


def all_green_programs(net_file: Path, out: Path) -> Path:
    """Write ``out``: an additional file with one single-phase program per traffic light of
    ``net_file`` that shows every link green with priority (``G``), for ever.

    Loaded after the network, these programs replace its own, so no vehicle waits for a red: the
    benchmarks use it to measure what no signal timing can improve on (an ambulance's best trip,
    the delay left with every signal green)."""
    import xml.etree.ElementTree as ET

    programs = [
        f'  <tlLogic id="{tl.get("id")}" programID="sb_all_green" type="static" offset="0">'
        f'<phase duration="1000000" state="{"G" * len(phase.get("state", ""))}"/></tlLogic>'
        for tl in ET.parse(net_file).getroot().iter("tlLogic")
        if (phase := tl.find("phase")) is not None
    ]
    out.write_text("<additional>\n" + "\n".join(programs) + "\n</additional>\n", encoding="utf-8")
    return out


def _run(cmd: Sequence[str]) -> None:
    done = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SignalbrainError(
            f"{Path(cmd[0]).name} {' '.join(cmd[1:3])} ... failed: {done.stderr.strip()[-400:]}"
        )


def generate_scenario(
    folder: str | Path,
    grid: GridSpec = GridSpec(),
    *,
    end_s: int = 3600,
    period_s: float = 1.4,
    seed: int = 42,
    emergency: Sequence[EmergencyTrip] = (),
    name: str = "scenario",
) -> Path:
    """Write a SUMO scenario into ``folder`` and return its ``.sumocfg``.

    Parameters
    ----------
    folder
        Where to write ``NAME.net.xml``, ``NAME.rou.xml`` (and ``NAME.ev.rou.xml``) and the config.
    grid
        The network.
    end_s
        Demand period and simulation end [s].
    period_s
        Mean time between departures [s] (randomTrips ``-p``); smaller is heavier traffic.
    seed
        Random seed of the network and the trips.
    emergency
        Emergency vehicles to add on fixed routes.
    name
        File stem.
    """
    if grid.x < 1 or grid.y < 1:
        raise InputError(f"grid {grid.x}x{grid.y}: both sizes must be >= 1")
    if not period_s > 0:
        raise InputError(f"period_s = {period_s}: must be > 0")
    home = sumo_home()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    net = out / f"{name}.net.xml"
    routes = out / f"{name}.rou.xml"
    _run([
        str(home / "bin" / "netgenerate"), "--grid",
        "--grid.x-number", str(grid.x), "--grid.y-number", str(grid.y),
        "--grid.length", str(grid.block_m), "--grid.attach-length", str(grid.attach_m),
        "--default.lanenumber", str(grid.lanes), "--default.speed", str(grid.speed_mps),
        "--tls.guess", "true", "--no-turnarounds", "true", "--seed", str(seed), "-o", str(net),
    ])  # fmt: skip
    _run([
        sys.executable, str(home / "tools" / "randomTrips.py"), "-n", str(net),
        "-o", str(out / f"{name}.trips.xml"), "-r", str(routes), "-e", str(end_s),
        "-p", str(period_s), "--seed", str(seed), "--fringe-factor", "100", "--validate",
    ])  # fmt: skip
    route_files = [routes.name]
    if emergency:
        ev = out / f"{name}.ev.rou.xml"
        ev.write_text(
            '<routes>\n  <vType id="ambulance" vClass="emergency" maxSpeed="20"/>\n'
            + "".join(
                f'  <vehicle id="{t.id}" type="ambulance" depart="{t.depart_s:g}" '
                f'departLane="best" departSpeed="max"><route edges="{" ".join(t.edges)}"/>'
                "</vehicle>\n"
                for t in sorted(emergency, key=lambda t: t.depart_s)
            )
            + "</routes>\n",
            encoding="utf-8",
        )
        route_files.append(ev.name)
    cfg = out / f"{name}.sumocfg"
    cfg.write_text(
        "<configuration>\n  <input>\n"
        f'    <net-file value="{net.name}"/>\n'
        f'    <route-files value="{",".join(route_files)}"/>\n  </input>\n'
        f'  <time>\n    <begin value="0"/>\n    <end value="{end_s}"/>\n  </time>\n'
        "</configuration>\n",
        encoding="utf-8",
    )
    return cfg
