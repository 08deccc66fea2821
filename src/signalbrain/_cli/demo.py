"""``signalbrain demo``: the main job end to end on bundled defaults, in a few minutes.

1. load, validate and summarise the bundled networks;
2. optimise signal plans for the bundled arterial from its bundled demand (plan YAML, Synchro
   UTDF, time-space diagram);
3. plan a one-key escort along the arterial over a standing queue (schedule, ATSPM log, diagram);
4. render a synthetic camera clip with known ground truth and count it with ``signalbrain count``;
5. in SUMO, on a generated grid with ambulances in busy traffic: SUMO's own programs, the
   ``adaptive`` controller, and ``adaptive`` with ``--escort auto``.

Every step runs the same commands a user would; outputs land in ``--out`` (``demo-out/``).
Steps that need SUMO are skipped with a note when it is not installed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from signalbrain.io import bundled_demand, bundled_names, bundled_network, read_network
from signalbrain.network.summary import summarize


def register(sub: Any) -> None:
    """Add the demo command."""
    p = sub.add_parser(
        "demo",
        help="run the main job end to end on the bundled networks",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder")
    p.add_argument(
        "--sim-s", type=int, default=900, help="simulated seconds of the SUMO runs (default 900)"
    )
    p.set_defaults(func=_demo)


@contextlib.contextmanager
def _step(title: str) -> Iterator[None]:
    print(f"\n== {title}", flush=True)
    t0 = time.perf_counter()
    yield
    print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)


def _cli(argv: list[str], quiet: bool = True) -> tuple[int, str]:
    """Run a signalbrain command in-process, capturing what it prints."""
    from signalbrain.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        code = main(argv)
    return code, out.getvalue()


def _cli_process(argv: list[str]) -> int:
    """Run a signalbrain command in a fresh process (its messages go to our stderr). SUMO runs
    need this: libsumo keeps state from one simulation to the next in a process."""
    done = subprocess.run(
        [sys.executable, "-m", "signalbrain.cli", *argv],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    return done.returncode


def _networks() -> None:
    print(f"   {'network':10} {'signals':>7} {'links':>5} {'movements':>9} {'phases':>6}  problems")
    for name in bundled_names():
        s = summarize(read_network(bundled_network(name)))
        print(f"   {name:10} {s.signals:7} {s.links:5} {s.movements:9} {s.phases:6}  none")


def _timing(out: Path) -> Path:
    plan = out / "arterial.plan.yaml"
    code, text = _cli(
        ["optimize", str(bundled_network("arterial")), "--demand",
         str(bundled_demand("arterial")), "-o", str(plan),
         "--timespace", str(out / "arterial.timespace.png")]
    )  # fmt: skip
    if code:
        raise SystemExit(code)
    print("   " + text.strip().splitlines()[0])
    from signalbrain.io.plan import read_plan
    from signalbrain.io.plan_utdf import write_plan_utdf

    plans = read_plan(plan)
    # The same plan in Synchro's format: no second optimisation.
    write_plan_utdf(read_network(bundled_network("arterial")), plans, out / "arterial.utdf.csv")
    print(f"   {'signal':6} {'cycle_s':>7} {'offset_s':>8}  greens (phase: s)")
    for sid, p in plans.plans.items():
        greens = " ".join(f"{ph.number}:{ph.green_s:g}" for ph in p.phases)
        print(f"   {sid:6} {p.cycle_s:7g} {p.offset_s:8g}  {greens}")
    print(f"   wrote {plan}, {out / 'arterial.utdf.csv'}, {out / 'arterial.timespace.png'}")
    return plan


def _escort(out: Path, plan: Path) -> None:
    code, text = _cli(
        ["escort", "arterial", "--plan", str(plan), "--from", "W", "--to", "E", "--depart", "30",
         "--queue", "S3_S4=12", "--queue", "S5_S6=8", "--json", str(out / "escort.json"),
         "--events", str(out / "escort.events.csv"), "--plot", str(out / "escort.png")]
    )  # fmt: skip
    if code:
        raise SystemExit(code)
    for line in text.rstrip().splitlines():
        print("   " + line)


def _vision(out: Path) -> None:
    from signalbrain.vision.synth import SynthConfig, TrafficConfig, render_clip

    clip = render_clip(
        out / "clip.avi",
        seed=3,
        config=SynthConfig(traffic=TrafficConfig(duration_s=40.0, arrivals_vph=900.0)),
    )
    code, _ = _cli(
        ["count", str(clip.video), "--camera", str(clip.camera_file), "--out",
         str(out / "counts"), "--workers", "1", "-q"]
    )  # fmt: skip
    if code:
        raise SystemExit(code)
    summary = json.loads((out / "counts" / "summary.json").read_text())
    truth = clip.truth
    print(f"   {summary['frames']} frames at {summary['fps']:.0f} processed frames/s")
    print(f"   {'line':12} {'counted':>7} {'truth':>5}")
    for lid, got in summary["lines"].items():
        print(f"   {lid:12} {got['total']:7} {truth.lines[lid]['total']:5}")
    counted = sum(summary["movements"].values())
    print(f"   turning movements: counted {counted}, truth {sum(truth.movements.values())}")
    print(f"   wrote {out / 'counts' / 'counts.csv'}")


def _sumo(out: Path, sim_s: int) -> None:
    from signalbrain.sim.scenario import EmergencyTrip, GridSpec, generate_scenario

    main = ("left1", "A1", "B1", "C1", "D1", "right1")
    edges = tuple(f"{a}{b}" for a, b in itertools.pairwise(main))
    evs = [EmergencyTrip(f"ev{i}", 240.0 + 200.0 * i, edges) for i in range(max(1, sim_s // 300))]
    cfg = generate_scenario(
        out / "sumo", GridSpec(x=4, y=3, block_m=220.0), end_s=sim_s, period_s=1.2, seed=7,
        emergency=evs, name="grid4x3",
    )  # fmt: skip
    print(f"   generated {cfg} (4x3 signals, {len(evs)} ambulances)")
    runs: tuple[tuple[str, list[str]], ...] = (
        ("sumo", []),
        ("adaptive", []),
        ("adaptive", ["--escort", "auto"]),
    )
    print(f"   {'controller':22} {'delay_s':>7} {'arrived':>7} {'ambulance_s':>11} {'safety':>8}")
    for name, extra in runs:
        label = name + (" + escort" if extra else "")
        target = out / "sumo" / f"{label.replace(' + ', '_')}.json"
        code = _cli_process(
            ["sumo", "run", str(cfg), "--controller", name, *extra, "--json", str(target),
             "-q", "--", "--seed", "42", "--no-step-log", "true"]
        )  # fmt: skip
        if code:
            raise SystemExit(code)
        r = json.loads(target.read_text())
        ev = [e["travel_time_s"] for e in r["emergency"] if e.get("travel_time_s") is not None]
        ev_s = f"{sum(ev) / len(ev):.0f}" if ev else "-"
        unsafe = sum(v for v in r["safety"].values() if isinstance(v, int | float))
        # SUMO's own programs are not signalbrain's output, so they are not audited.
        safety = "n/a" if name == "sumo" else ("0 faults" if unsafe == 0 else f"{unsafe} FAULTS")
        print(
            f"   {label:22} {r['mean_delay_s']:7.1f} {r['vehicles']['arrived']:7} {ev_s:>11} "
            f"{safety:>8}"
        )


def _maybe(step: Callable[[], None], needs: str) -> None:
    try:
        __import__(needs)
    except ImportError:
        print(f"   skipped: {needs} is not installed (pip install 'signalbrain[all]')")
        return
    step()


def _demo(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with _step("1. bundled networks: load, validate, summarise"):
        _networks()
    with _step("2. timing: optimise the arterial from its demand (TRANSYT-style offsets)"):
        plan = _timing(out)
    with _step("3. one-key escort along the arterial, flushing two standing queues"):
        _escort(out, plan)
    with _step("4. vision: count a synthetic camera clip against its ground truth"):
        _vision(out)
    with _step("5. closed loop in SUMO: SUMO's programs vs adaptive vs adaptive + escort"):
        _maybe(lambda: _sumo(out, args.sim_s), "sumo")
    print(f"\ndemo finished in {time.perf_counter() - t0:.0f} s; outputs in {out}/")
    return 0
