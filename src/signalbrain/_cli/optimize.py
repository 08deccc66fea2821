"""``signalbrain optimize``: signal plans from a network and its demand, in the engineer's formats.

INPUT is a network YAML with ``--demand FILE`` (demand YAML, counts CSV or SUMO routes), or a SUMO
``.net.xml`` with ``--routes``, or a ``.sumocfg`` whose route files give the demand (``--routes``
overrides them). OUT's suffix picks the format: ``.yaml``/``.yml``/``.json`` (signalbrain plan),
``.add.xml`` (SUMO ``tlLogic`` programs), ``.csv`` (Synchro UTDF).
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path
from typing import Any

from signalbrain._cli._optimize_checks import (
    check_options,
    check_output_format,
    check_times,
    out_kind,
)
from signalbrain.demand.model import Demand
from signalbrain.errors import InputError, Problem
from signalbrain.network.model import Network
from signalbrain.timing.optimize import METHODS, optimize_network
from signalbrain.timing.plan import NetworkPlan


def register(sub: Any) -> None:
    """Add the ``optimize`` command."""
    p = sub.add_parser(
        "optimize",
        help="compute signal plans (cycle, splits, offsets) from demand",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="OUT formats: .yaml/.json plan, .add.xml SUMO tlLogic, .csv Synchro UTDF.",
    )
    p.add_argument("input", type=Path, help="network YAML, SUMO .net.xml or .sumocfg")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="plan file: .yaml, .json, .add.xml or .csv (UTDF)",
    )
    p.add_argument(
        "--demand", type=Path, help="demand YAML, counts CSV (signalbrain count) or SUMO .rou.xml"
    )
    p.add_argument("--routes", type=Path, nargs="+", help="SUMO route files (demand)")
    p.add_argument(
        "--cameras",
        type=Path,
        nargs="+",
        default=[],
        help="camera YAML files mapping counts.csv zones to links",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default="transyt",
        help="transyt (coordinated, default), webster (isolated) or maxband",
    )
    p.add_argument("--cycle", type=float, help="force a common cycle [s]")
    p.add_argument(
        "--min-cycle",
        type=float,
        help=(
            "replace every intersection's cycle_min_s [s] (SUMO imports: 30 where a signal runs "
            "alone, two phases' minimum splits beside another signal)"
        ),
    )
    p.add_argument("--max-cycle", type=float, help="replace every intersection's cycle_max_s [s]")
    p.add_argument(
        "--route",
        help="maxband / time-space corridor: intersection ids, comma "
        "separated (default: the longest straight route)",
    )
    p.add_argument("--timespace", type=Path, help="also draw a time-space diagram (.png/.svg)")
    p.add_argument("--begin", type=float, help="demand period start [s] for SUMO routes")
    p.add_argument("--end", type=float, help="demand period end [s] for SUMO routes")
    p.add_argument(
        "--all-phases",
        action="store_true",
        help="run every phase (no phase skipping for single-ring controllers)",
    )
    p.add_argument(
        "--joint",
        action="store_true",
        help="also hill-climb splits with the offsets (small coordinated systems)",
    )
    p.add_argument(
        "--fractional", action="store_true", help="keep fractional seconds (default: whole seconds)"
    )
    p.set_defaults(func=run)


def _load(args: argparse.Namespace) -> tuple[Network, Demand]:
    from signalbrain.io import load_network, sumocfg_files
    from signalbrain.io.demand import read_counts_csv, read_demand, read_sumo_routes

    net = load_network(args.input)
    if not net.intersections:  # a SUMO net without tlLogic (a YAML network must have some)
        from signalbrain.io.sumo_net import unimported_lights

        left = unimported_lights(net)
        raise InputError(
            f"network {net.name!r} has no traffic lights signalbrain can time: "
            + (
                "; ".join(left.values())
                if left
                else "it has none (a SUMO network needs tlLogic programs, e.g. netconvert "
                "--tls.guess)"
            ),
            str(args.input),
        )
    name = args.input.name.lower()
    routes: list[Path] = list(args.routes or [])
    begin, end = args.begin, args.end
    if name.endswith(".sumocfg") and not routes and args.demand is None:
        routes = sumocfg_files(args.input)["route-files"]
        if begin is None or end is None:
            from signalbrain.sim.config import read_sumocfg

            cfg = read_sumocfg(args.input)
            begin = cfg.begin_s if begin is None else begin
            end = cfg.end_s if end is None else end
            if begin is not None and end is not None and not end > begin:
                if args.begin is None and args.end is None:  # both the config's
                    raise InputError(
                        [
                            Problem(
                                "time.end",
                                f"{end:g}: the demand period {begin:g}-{end:g} s is empty; "
                                "give --begin and --end",
                                str(args.input),
                            )
                        ]
                    )
                option, value = ("--begin", begin) if args.begin is not None else ("--end", end)
                raise InputError(
                    [
                        Problem(
                            option,
                            f"{value:g}: the demand period {begin:g}-{end:g} s is empty "
                            f"(the other end is {args.input}'s); give both --begin and --end",
                        )
                    ]
                )
    check_output_format(args, net)
    if routes:
        demand = read_sumo_routes([str(r) for r in routes], net, begin_s=begin, end_s=end)
        return net, _counted(demand, net, begin, end)
    if args.demand is None:
        raise InputError(
            f"{args.input}: no demand; give --demand FILE (demand YAML, counts CSV "
            "or SUMO routes) or --routes"
        )
    if str(args.demand).lower().endswith(".csv") and args.cameras:
        from signalbrain.io.camera import read_camera

        cams = {}
        for c in args.cameras:
            spec = read_camera(c, network=net)
            cams[spec.camera] = spec
        return net, _counted(read_counts_csv(args.demand, net, cameras=cams), net)
    if str(args.demand).lower().endswith((".xml", ".xml.gz")):
        demand = read_sumo_routes(args.demand, net, begin_s=begin, end_s=end)
        return net, _counted(demand, net, begin, end)
    demand = read_demand(args.demand, net)
    return net, _counted(demand, net) if str(args.demand).lower().endswith(".csv") else demand


def _counted(
    demand: Demand, net: Network, begin_s: float | None = None, end_s: float | None = None
) -> Demand:
    """``demand`` read from SUMO routes or counts, refused when not one vehicle of it drives a
    movement of ``net``: a plan from no demand at all (routes of another network, a period
    outside their departures, counts whose ids match nothing) would be a plan of minimum greens
    that looks like a result."""
    if any(v > 0 for v in demand.flows_vph.values()):
        return demand
    if (demand.source or "").lower().endswith(".csv"):
        why = (
            "no counted vehicle maps to a movement or approach link of network "
            f"{net.name!r} (give the camera files with --cameras, or name links FROM->TO)"
        )
    else:
        period = ""
        if begin_s is not None or end_s is not None:
            lo = "start" if begin_s is None else f"{begin_s:g} s"
            hi = "end" if end_s is None else f"{end_s:g} s"
            period = f" departing between {lo} and {hi}"
        why = (
            f"no vehicle{period} drives a movement of network {net.name!r} (routes of another "
            "network, or a period outside their departures?)"
        )
    raise InputError(why, demand.source)


def _performance(net: Network, plan: NetworkPlan, demand: Demand) -> dict[str, Any]:
    """HCM delay and LOS per intersection and movement (informative block of plan files)."""
    from signalbrain.timing.hcm import evaluate_plan, intersection_delay_s

    rows = evaluate_plan(net, plan, demand)
    out: dict[str, Any] = {}
    for isec in net.intersections:
        ids = [m.id for m in isec.movements if m.id in rows]
        if not ids:
            continue
        d, los = intersection_delay_s(rows, ids)
        out[isec.id] = {
            "delay_s": round(d, 1) if d < 1e9 else None,
            "los": los,
            "movements": {
                m: {
                    "flow_vph": round(rows[m].flow_vph, 1),
                    "capacity_vph": round(rows[m].capacity_vph, 1),
                    "x": round(rows[m].x, 3) if rows[m].x < 1e9 else None,
                    "delay_s": round(rows[m].delay_s, 1) if rows[m].delay_s < 1e9 else None,
                    "los": rows[m].los,
                }
                for m in ids
            },
        }
    return out


def _write(
    net: Network, plan: NetworkPlan, out: Path, kind: str, method: str, demand: Demand
) -> None:
    if kind in (".yaml", ".yml", ".json"):
        from signalbrain.io.plan import write_plan

        write_plan(
            plan, out, network=net.name, method=method, performance=_performance(net, plan, demand)
        )
    elif kind == ".add.xml":
        from signalbrain.io.plan_sumo import write_plan_sumo

        write_plan_sumo(net, plan, out)
    else:
        from signalbrain.io.plan_utdf import write_plan_utdf

        write_plan_utdf(net, plan, out)


def run(args: argparse.Namespace) -> int:
    """Run ``signalbrain optimize``."""
    kind = out_kind(args.output)
    check_times(args)
    check_options(args)
    # The command builds large, acyclic object graphs (one object per junction, link, movement
    # and phase; then plans): the cyclic garbage collector would walk them again and again for
    # nothing (about 10 % of the import of a 1,300-signal network, 0.04 s of CPU in all), so it
    # is off for the whole command, which frees everything when its process ends.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(args, kind)
    finally:
        if enabled:
            gc.enable()


def _run(args: argparse.Namespace, kind: str) -> int:
    t0 = time.perf_counter()
    net, demand = _load(args)
    t_load = time.perf_counter() - t0
    route = [s.strip() for s in args.route.split(",") if s.strip()] if args.route else None
    corridor = None
    if args.timespace is not None and (len(net.intersections) >= 2 or route is not None):
        from signalbrain.timing.corridor import find_corridor

        corridor = find_corridor(net, route)  # a wrong --route is refused before any work
    elif route is not None:
        from signalbrain.timing.corridor import find_corridor

        find_corridor(net, route)
    t1 = time.perf_counter()
    plan = optimize_network(
        net,
        demand,
        method=args.method,
        cycle_s=args.cycle,
        phase_selection=not args.all_phases,
        whole_seconds=not args.fractional,
        route=route,
        cycle_min_s=args.min_cycle,
        cycle_max_s=args.max_cycle,
        joint=args.joint,
    )
    t_opt = time.perf_counter() - t1
    _write(net, plan, args.output, kind, args.method, demand)
    cycles = sorted({round(p.cycle_s, 1) for p in plan.plans.values()})
    shown = ", ".join(f"{c:g}" for c in cycles[:6]) + (" ..." if len(cycles) > 6 else "")
    print(
        f"{net.name}: {len(plan)} signals, method {args.method}, cycles {shown} s; "
        f"load {t_load:.2f} s, optimise {t_opt:.2f} s"
    )
    for key, value in plan.objective.items():
        print(f"  {key} = {value:.1f}")
    from signalbrain.io.sumo_net import unimported_lights

    # the traffic lights the plan leaves alone, then the plan's notes
    notes = [*unimported_lights(net).values(), *plan.notes]
    notes += sorted({n for p in plan.plans.values() for n in p.notes})
    for note in notes[:8]:
        print(f"  note: {note}")
    if len(notes) > 8:
        print(f"  ... {len(notes) - 8} more notes in the plan")
    if args.timespace is not None and corridor is None:
        # A time-space diagram shows progression between signals; one signal has none.
        print(f"  note: no time-space diagram: {net.name} has {len(plan)} signal (needs 2+)")
    elif args.timespace is not None and corridor is not None:
        from signalbrain.report.timespace import plot_timespace

        plot_timespace(net, plan, corridor, args.timespace)
        print(f"wrote {args.timespace}")
    print(f"wrote {args.output}")
    return 0
