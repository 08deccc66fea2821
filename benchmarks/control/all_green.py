"""Headroom of the control benchmark: every scenario with every signal green for every stream.

Runs each scenario of ``run_all.py`` (seed 42, same SUMO options) with one single-phase program
per traffic light that shows every link green with priority (``G``), loaded as an additional
file so that it replaces the network's programs. No vehicle then waits for a red or yields at a
signal, and SUMO (which does not check collisions inside junctions unless asked) lets crossing
streams pass through each other: what delay remains comes from the roads themselves, turns, lane
changes and streams merging into one lane. That is a lower bound on what any signal timing can
give, as long as the merges do not lock the junction up; where they do (heavy traffic: vehicles
that squeeze into a shared exit lane block each other), the figure bounds nothing and the run is
marked.

Writes ``benchmarks/control/all_green.json`` and the table between the ``control-floor``
markers of ``benchmarks/README.md``, next to the best baseline and ``adaptive`` of
``results.json`` (seed 42).

Usage::

    .venv/bin/python benchmarks/control/all_green.py [--workers 2] [--scenarios cologne1 ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import run_all  # noqa: E402  (benchmarks/ is not a package)

from readme_section import replace_block  # noqa: E402

OUT = HERE / "all_green.json"
BEGIN_MARK = "<!-- control-floor:begin -->"
END_MARK = "<!-- control-floor:end -->"
# A run whose vehicles still on the network or waiting to enter at the end exceed this share of
# those that arrived is taken to have locked up.
LOCKED_SHARE = 0.1


def _run_one(scenario: str, config: str) -> dict[str, Any]:
    """One run in a fresh worker process; errors are reported, not raised."""
    t0 = time.perf_counter()
    data: dict[str, Any]
    try:
        from signalbrain.sim import read_sumocfg, run_sumo
        from signalbrain.sim.scenario import all_green_programs

        folder = Path(tempfile.mkdtemp(prefix="signalbrain-all-green-"))
        green = all_green_programs(read_sumocfg(config).net_file, folder / "all_green.add.xml")
        args = [*run_all.sumo_args(), "--additional-files", str(green)]
        data = run_sumo(config, "sumo", sumo_args=args).to_json()
        data["controller"] = "all-green"
    except Exception as exc:  # a failing run must not sink the others
        data = {"controller": "all-green", "error": f"{type(exc).__name__}: {exc}"}
    data["scenario"] = scenario
    data["harness_wall_s"] = round(time.perf_counter() - t0, 2)
    return data


def make_table(floors: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]]) -> str:
    """Markdown: per scenario, all green against the best baseline and adaptive (seed 42)."""
    by: dict[str, dict[str, Mapping[str, Any]]] = {}
    for r in results:
        if "error" not in r and int(r.get("seed", run_all.SEED)) == run_all.SEED:
            by.setdefault(str(r["scenario"]), {})[str(r["controller"])] = r
    lines = [
        "| scenario | all green: delay, all vehicles (s) | arrived | unfinished | locked up "
        "| best baseline (s) | adaptive (s) | 0.85 x best baseline (s) |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for f in sorted(floors, key=lambda r: r["scenario"]):
        name = f["scenario"]
        runs = by.get(name, {})
        found = run_all.best_baseline(runs)
        best = found[1] if found else None
        best_text = f"{found[1]:.1f} ({found[0]})" if found else "-"
        adaptive = runs.get("adaptive", {}).get("mean_delay_all_s")
        if "error" in f:
            lines.append(f"| {name} | error: {f['error'][:60]} | | | | {best_text} | | |")
            continue
        arrived = f["vehicles"]["arrived"]
        unfinished = f["unfinished"]["running"] + f["unfinished"]["waiting_to_enter"]
        locked = unfinished > LOCKED_SHARE * max(arrived, 1)
        lines.append(
            f"| {name} | {f['mean_delay_all_s']:.1f} | {arrived} | {unfinished} "
            f"| {'yes: no bound' if locked else 'no'} | {best_text} "
            f"| {'-' if adaptive is None else f'{adaptive:.1f}'} "
            f"| {'-' if best is None else f'{0.85 * best:.1f}'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios; 0 when every run succeeded, 3 when some failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", nargs="*", default=None, help="names (default all)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/signalbrain-bench"))
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)
    scenarios = {**run_all.shared_scenarios(), **run_all.generated_scenarios(args.work)}
    if args.scenarios:
        scenarios = {k: v for k, v in scenarios.items() if k in args.scenarios}
    floors: list[dict[str, Any]] = []
    with ProcessPoolExecutor(
        max_workers=args.workers, mp_context=get_context("spawn"), max_tasks_per_child=1
    ) as pool:
        futures = [pool.submit(_run_one, s, str(c)) for s, c in scenarios.items()]
        for fut in as_completed(futures):
            r = fut.result()
            floors.append(r)
            print(
                f"{r['scenario']}: {r.get('error') or r['mean_delay_all_s']} "
                f"({r['harness_wall_s']} s)",
                flush=True,
            )
    floors.sort(key=lambda r: r["scenario"])
    OUT.write_text(json.dumps(floors, indent=1) + "\n", encoding="utf-8")
    results = json.loads(run_all.RESULTS.read_text(encoding="utf-8"))
    table = make_table(floors, results)
    print(table)
    if not args.no_readme:
        meta = (
            f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, SUMO "
            f"{run_all._sumo_version()}, seed {run_all.SEED}; best baseline and adaptive from "
            "`results.json`."
        )
        replace_block(
            run_all.README,
            BEGIN_MARK,
            END_MARK,
            f"{meta}\n\n{table}",
            heading="Control: every signal green",
            intro=(__doc__ or "").split("\n\n")[1].replace("\n", " "),
        )
    return 3 if any("error" in r for r in floors) else 0


if __name__ == "__main__":
    raise SystemExit(main())
