"""SUMO comparisons for the timing engine: speed against ``tlsCycleAdaptation.py`` and plan
quality (mean tripinfo ``timeLoss``) against SUMO's default programs and
``tlsCycleAdaptation.py`` + ``tlsCoordinator.py``.

Run from the repository root (``python benchmarks/timing/sumo_compare.py --help``). Scenarios are
the shared ones in ``../shared/data/scenarios`` plus networks generated with ``netgenerate`` and
demand from ``randomTrips.py`` (a grid and a corridor for quality, a 36 x 36 grid of about 1,300
signals for speed). Everything is written to ``--workdir`` (default ``/tmp/signalbrain_timing``),
never into the repository; the summary goes to ``--json`` and is printed as markdown.

Each tool runs as its own process, as an engineer would run it; CPU time (user + system of the
child) and wall time are both reported because the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SIGNALBRAIN_SHARED", ROOT.parent / "shared")) / "data" / "scenarios"


def sumo_home() -> Path:
    """SUMO_HOME of the installed eclipse-sumo wheel (or the environment)."""
    try:
        import sumo  # type: ignore[import-not-found, import-untyped, unused-ignore]

        return Path(sumo.SUMO_HOME)
    except ImportError:
        return Path(os.environ["SUMO_HOME"])


def run(cmd: list[str], cwd: Path, log: Path) -> tuple[float, float]:
    """Run a process; returns (wall seconds, child CPU seconds)."""
    env = {**os.environ, "SUMO_HOME": str(sumo_home())}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(
            cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False
        )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}); see {log}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _tool(name: str) -> str:
    home = sumo_home()
    for cand in (home / "tools" / name, home / "tools" / "tls" / name):
        if cand.is_file():
            return str(cand)
    raise FileNotFoundError(name)


def signalbrain_cmd() -> list[str]:
    """The ``signalbrain`` console script of this interpreter's environment."""
    exe = Path(sys.executable).with_name("signalbrain")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "signalbrain.cli"]


# -- scenarios ---------------------------------------------------------------------------------
def generate(
    workdir: Path,
    name: str,
    *,
    x: int,
    y: int,
    length: float,
    period: float,
    seed: int = 1,
    end: float = 3600.0,
) -> dict[str, Any]:
    """A netgenerate grid with traffic lights at every junction and randomTrips routes."""
    d = workdir / name
    d.mkdir(parents=True, exist_ok=True)
    net, rou = d / f"{name}.net.xml", d / f"{name}.rou.xml"
    home = sumo_home()
    if not net.is_file():
        run(
            [
                str(home / "bin" / "netgenerate"),
                "--grid",
                "--grid.x-number",
                str(x),
                "--grid.y-number",
                str(y),
                "--grid.length",
                str(length),
                "--grid.attach-length",
                str(length),
                "--default-junction-type",
                "traffic_light",
                "--default.lanenumber",
                "2",
                "--no-turnarounds",
                "true",
                "-o",
                str(net),
            ],
            d,
            d / "netgenerate.log",
        )
    if not rou.is_file():
        run(
            [
                sys.executable,
                _tool("randomTrips.py"),
                "-n",
                str(net),
                "-e",
                str(end),
                "-p",
                str(period),
                "--fringe-factor",
                "10",
                "--min-distance",
                str(2 * length),
                "-r",
                str(rou),
                "-o",
                str(d / f"{name}.trips.xml"),
                "--seed",
                str(seed),
            ],
            d,
            d / "randomTrips.log",
        )
    cfg = d / f"{name}.sumocfg"
    cfg.write_text(f"""<configuration>
  <input><net-file value="{net.name}"/><route-files value="{rou.name}"/></input>
  <time><begin value="0"/><end value="{end:g}"/></time>
</configuration>
""")
    return {"name": name, "cfg": cfg, "net": net, "routes": [rou], "begin": 0.0, "end": end}


def shared(name: str) -> dict[str, Any] | None:
    """A shared scenario by folder name (``atlanta_1x5``, ``cologne3``...)."""
    for cfg in sorted(SHARED.glob(f"*/{name}/*.sumocfg")):
        root = ET.parse(cfg).getroot()

        def value(tag: str, root: ET.Element = root) -> str | None:
            el = root.find(f".//{tag}")
            return None if el is None else el.get("value")

        net = cfg.parent / str(value("net-file"))
        routes = [cfg.parent / r.strip() for r in str(value("route-files")).split(",")]
        return {
            "name": name,
            "cfg": cfg,
            "net": net,
            "routes": routes,
            "begin": float(value("begin") or 0),
            "end": float(value("end") or 3600),
        }
    return None


# -- tools -------------------------------------------------------------------------------------
def signalbrain_plan(
    sc: dict[str, Any], out: Path, method: str = "transyt", extra: tuple[str, ...] = ()
) -> tuple[float, float]:
    """``signalbrain optimize`` on the scenario's network and routes.

    The demand period starts at the simulation's begin and ends with the last departure (the
    reader's default end): flows are the rates at which vehicles arrive, not their count spread
    over the whole simulated time (atlanta_1x5 releases its 2,171 vehicles in the first 912 s of
    a 3,600 s run; as hourly averages its flows were a quarter of the real rates)."""
    cmd = [
        *signalbrain_cmd(),
        "optimize",
        str(sc["net"]),
        "--routes",
        *[str(r) for r in sc["routes"]],
        "--begin",
        str(sc["begin"]),
        "--method",
        method,
        "-o",
        str(out),
        *extra,
    ]
    return run(cmd, out.parent, out.with_suffix(".log"))


def sumo_tools_plan(sc: dict[str, Any], out_dir: Path) -> tuple[list[Path], float, float]:
    """``tlsCycleAdaptation.py`` then ``tlsCoordinator.py``; returns the additional files."""
    files, (w1, c1), (w2, c2) = sumo_tools_steps(sc, out_dir)
    return files, w1 + w2, c1 + c2


def sumo_tools_steps(
    sc: dict[str, Any], out_dir: Path
) -> tuple[list[Path], tuple[float, float], tuple[float, float]]:
    """:func:`sumo_tools_plan` with (wall, CPU) seconds of each of the two steps."""
    ca = out_dir / "tlsca.add.xml"
    co = out_dir / "tlscoord.add.xml"
    routes = ",".join(str(r) for r in sc["routes"])
    w1, c1 = run(
        [
            sys.executable,
            _tool("tlsCycleAdaptation.py"),
            "-n",
            str(sc["net"]),
            "-r",
            routes,
            "-b",
            str(int(sc["begin"])),
            "-o",
            str(ca),
        ],
        out_dir,
        out_dir / "tlsca.log",
    )
    w2, c2 = run(
        [
            sys.executable,
            _tool("tlsCoordinator.py"),
            "-n",
            str(sc["net"]),
            "-r",
            routes,
            "-a",
            str(ca),
            "-o",
            str(co),
        ],
        out_dir,
        out_dir / "tlscoord.log",
    )
    return [ca, co], (w1, c1), (w2, c2)


def simulate(
    sc: dict[str, Any], additional: list[Path], out_dir: Path, tag: str
) -> dict[str, float]:
    """Run SUMO on the scenario with extra programs; mean timeLoss of arrived vehicles."""
    tripinfo = out_dir / f"tripinfo_{tag}.xml"
    cmd = [
        str(sumo_home() / "bin" / "sumo"),
        "-c",
        str(sc["cfg"]),
        "--tripinfo-output",
        str(tripinfo),
        "--no-step-log",
        "--no-warnings",
        "--duration-log.disable",
        "--begin",
        str(sc["begin"]),
        "--end",
        str(sc["end"]),
    ]
    if additional:
        cmd += ["-a", ",".join(str(a) for a in additional)]
    run(cmd, out_dir, out_dir / f"sumo_{tag}.log")
    losses = [float(t.get("timeLoss", "0")) for t in ET.parse(tripinfo).getroot().iter("tripinfo")]
    log = (out_dir / f"sumo_{tag}.log").read_text(errors="replace")
    teleports = log.count("Teleporting vehicle")
    return {
        "arrived": len(losses),
        "mean_time_loss_s": sum(losses) / max(len(losses), 1),
        "teleports": teleports,
    }


VARIANTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("transyt", "transyt", ()),
    ("webster", "webster", ()),
    # tlsCycleAdaptation's own default minimum cycle is 20 s; SUMO imports carry 30 s
    ("transyt_min20", "transyt", ("--min-cycle", "20")),
)


def quality(scenarios: list[dict[str, Any]], workdir: Path) -> list[dict[str, Any]]:
    """The quality table: default programs, SUMO tools, signalbrain."""
    rows = []
    for sc in scenarios:
        out = workdir / "quality" / sc["name"]
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        row: dict[str, Any] = {"scenario": sc["name"]}
        row["default"] = simulate(sc, [], out, "default")
        try:
            files, _wall, cpu = sumo_tools_plan(sc, out)
            row["sumo_tools"] = {**simulate(sc, files, out, "sumo_tools"), "cpu_s": cpu}
        except RuntimeError as exc:
            row["sumo_tools"] = {"error": str(exc)}
        for tag, method, extra in VARIANTS:
            plan = out / f"signalbrain_{tag}.add.xml"
            _wall, cpu = signalbrain_plan(sc, plan, method, extra)
            row[f"signalbrain_{tag}"] = {**simulate(sc, [plan], out, tag), "cpu_s": cpu}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def speed(sc: dict[str, Any], workdir: Path, repeats: int = 3) -> dict[str, Any]:
    """Process-to-process time of ``signalbrain optimize`` (the default coordinated method, and
    ``--method webster``, which does ``tlsCycleAdaptation.py``'s own job: Webster cycle and
    splits per signal, no offsets), ``tlsCycleAdaptation.py`` and ``tlsCoordinator.py`` on its
    output (the tools' way to coordinated plans: cycles and splits, then offsets), interleaved;
    best of ``repeats``."""
    out = workdir / "speed"
    out.mkdir(parents=True, exist_ok=True)
    sb_wall, sb_cpu, ca_wall, ca_cpu, wb_wall, wb_cpu = [], [], [], [], [], []
    co_wall: list[float] = []
    co_cpu: list[float] = []
    for _ in range(repeats):
        w, c = signalbrain_plan(sc, out / "signalbrain.add.xml")
        sb_wall.append(w)
        sb_cpu.append(c)
        w, c = signalbrain_plan(sc, out / "signalbrain_webster.add.xml", method="webster")
        wb_wall.append(w)
        wb_cpu.append(c)
        _files, (w, c), (w2, c2) = sumo_tools_steps(sc, out)
        ca_wall.append(w)
        ca_cpu.append(c)
        co_wall.append(w2)
        co_cpu.append(c2)
    # the tools' pipeline takes both steps of the same repeat; its best repeat is compared
    pipe_wall = min(a + b for a, b in zip(ca_wall, co_wall, strict=True))
    pipe_cpu = min(a + b for a, b in zip(ca_cpu, co_cpu, strict=True))
    return {
        "scenario": sc["name"],
        "signalbrain_wall_s": min(sb_wall),
        "signalbrain_cpu_s": min(sb_cpu),
        "tlsCycleAdaptation_wall_s": min(ca_wall),
        "tlsCycleAdaptation_cpu_s": min(ca_cpu),
        "ratio_wall": min(ca_wall) / min(sb_wall),
        "ratio_cpu": min(ca_cpu) / min(sb_cpu),
        "signalbrain_webster_wall_s": min(wb_wall),
        "signalbrain_webster_cpu_s": min(wb_cpu),
        "ratio_webster_wall": min(ca_wall) / min(wb_wall),
        "ratio_webster_cpu": min(ca_cpu) / min(wb_cpu),
        "tlsCoordinator_wall_s": min(co_wall),
        "tlsCoordinator_cpu_s": min(co_cpu),
        "tools_pipeline_wall_s": pipe_wall,
        "tools_pipeline_cpu_s": pipe_cpu,
        "ratio_pipeline_wall": pipe_wall / min(sb_wall),
        "ratio_pipeline_cpu": pipe_cpu / min(sb_cpu),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    """The quality table as markdown (mean timeLoss [s] / arrived vehicles)."""
    cols = ["default", "sumo_tools", *[f"signalbrain_{v[0]}" for v in VARIANTS]]
    out = [
        "| scenario | SUMO default | tlsCycleAdaptation + tlsCoordinator | "
        + " | ".join(f"signalbrain {v[0]}" for v in VARIANTS)
        + " |",
        "|---" * len(cols) + "|---|",
    ]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, {})
            cells.append(
                "error" if "error" in v else f"{v['mean_time_loss_s']:.1f} s ({v['arrived']})"
            )
        out.append(f"| {r['scenario']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/signalbrain_timing"))
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-quality", action="store_true")
    p.add_argument(
        "--shared",
        nargs="*",
        default=[
            "atlanta_1x5",
            "hangzhou_1x1_kn-hz_18041608_1h",
            "hangzhou_1x1_bc-tyc_18041610_1h",
            "cologne1",
            "cologne3",
            "ingolstadt1",
            "ingolstadt7",
        ],
    )
    args = p.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}
    if not args.skip_speed:
        big = generate(args.workdir, "grid36", x=36, y=36, length=200.0, period=0.4)
        result["speed"] = speed(big, args.workdir)
        print(json.dumps(result["speed"]), flush=True)
    if not args.skip_quality:
        scenarios = [s for s in (shared(n) for n in args.shared) if s is not None]
        scenarios.append(generate(args.workdir, "grid5", x=5, y=5, length=250.0, period=1.2))
        scenarios.append(generate(args.workdir, "corridor8", x=8, y=1, length=300.0, period=1.5))
        result["quality"] = quality(scenarios, args.workdir)
        print(markdown(result["quality"]))
    if args.json:
        # sections not rerun (--skip-speed / --skip-quality) keep their last results
        previous = json.loads(args.json.read_text()) if args.json.is_file() else {}
        args.json.write_text(json.dumps({**previous, **result}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
