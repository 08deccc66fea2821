"""``signalbrain escort``: plan a one-key escort on a network and its plan, print and draw it."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from signalbrain._cli._outputs import output_problems
from signalbrain.errors import InputError, Problem
from signalbrain.escort import (
    EscortPlan,
    EscortRequest,
    LinkCondition,
    escort_network,
    plan_escort,
)
from signalbrain.network import Network

PLOT_SUFFIXES = (".png", ".pdf", ".svg")
"""Formats ``--plot`` writes (matplotlib's, by the suffix)."""
MAX_QUEUE_VEH = 100_000
"""Largest queue ``--queue`` takes [veh] (a city's worth; beyond, the input is a typo)."""
MAX_DEPART_S = 1e10
"""Latest ``--depart`` [s]: the audit log's timestamps (from 1970-01-01) stay within the calendar
(Unix times of today fit)."""


def register(sub: Any) -> None:
    """Add the ``escort`` command."""
    p = sub.add_parser(
        "escort",
        help="plan a one-key emergency-vehicle escort and print its schedule",
        description="Route an emergency vehicle on current travel times, predict its arrival at "
        "every signal, and plan a preemption window per signal that flushes the queue ahead of "
        "it, with the return to coordination. Prints the schedule; writes it as JSON, the audit "
        "log as an ATSPM event CSV, and a time-space diagram.",
        epilog="ORIGIN and DEST are link or node ids. Example: signalbrain escort arterial "
        "--from W --to E --depart 30 --queue S3_S4=12 --json out.json --plot out.png",
    )
    p.add_argument(
        "network",
        metavar="NETWORK",
        help="network YAML, SUMO .net.xml/.sumocfg, or a bundled network name",
    )
    p.add_argument(
        "--plan",
        metavar="PLAN",
        default=None,
        help="timing plan file (signalbrain plan YAML/JSON); default: each signal's "
        "default fixed plan",
    )
    p.add_argument(
        "--from",
        dest="origin",
        required=True,
        metavar="ORIGIN",
        help="link or node where the trip starts",
    )
    p.add_argument(
        "--to",
        dest="destination",
        required=True,
        metavar="DEST",
        help="link or node where the trip ends",
    )
    p.add_argument(
        "--depart",
        type=float,
        default=0.0,
        metavar="S",
        help="departure time on the plan's clock [s] (default 0)",
    )
    p.add_argument("--vehicle", default="ev0", metavar="ID", help="vehicle id (default ev0)")
    p.add_argument(
        "--queue",
        action="append",
        default=[],
        metavar="LINK=VEH",
        help="standing queue measured on a link (repeatable)",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="OUT",
        help="write the schedule and audit log as JSON ('-' for stdout)",
    )
    p.add_argument(
        "--events",
        type=Path,
        default=None,
        metavar="OUT.csv",
        help="write the predicted audit log as an ATSPM hi-res event CSV",
    )
    p.add_argument(
        "--plot", type=Path, default=None, metavar="OUT.png", help="draw the time-space diagram"
    )
    p.set_defaults(func=_run)


def _network(arg: str) -> Network:
    from signalbrain.io import bundled_names, bundled_network, load_network

    path = Path(arg)
    if not path.exists() and arg in bundled_names():
        path = bundled_network(arg)
    elif not path.exists() and not path.suffix:
        # a name, not a file: the bundled names are what is valid
        raise InputError(
            [
                Problem(
                    "NETWORK",
                    f"{arg!r}: no such file and no bundled network of that name; bundled: "
                    f"{', '.join(bundled_names())}",
                )
            ]
        )
    return load_network(path)


def _plans(arg: str | None, net: Network) -> dict[str, Any]:
    if arg is None:
        from signalbrain.control.plans import default_plan

        return {s.id: default_plan(s) for s in net.intersections}
    from signalbrain.io.plan import read_plan

    plans = dict(read_plan(Path(arg)).plans)
    problems = [
        Problem("--plan", f"{arg}: no plan for signal {s.id!r}")
        for s in net.intersections
        if s.id not in plans
    ]
    for s in net.intersections:
        if s.id in plans:
            problems += [
                Problem(f"--plan {arg}: {p.path}", p.message) for p in plans[s.id].check(s)
            ]
    if problems:
        raise InputError(problems)
    return plans


def _queues(items: list[str], net: Network) -> dict[str, LinkCondition]:
    out: dict[str, LinkCondition] = {}
    problems: list[Problem] = []
    for item in items:
        link, sep, value = item.partition("=")
        try:
            veh = float(value)
        except ValueError:
            veh = math.nan
        if not sep or not math.isfinite(veh) or not 0 <= veh <= MAX_QUEUE_VEH:
            problems.append(
                Problem("--queue", f"{item!r}: expected LINK=VEH with 0 <= VEH <= {MAX_QUEUE_VEH}")
            )
        elif not net.has_link(link):
            problems.append(Problem("--queue", f"{link!r}: not a link of {net.name!r}"))
        elif link in out:
            problems.append(
                Problem("--queue", f"{link!r} given twice ({out[link].queue_veh:g} and {veh:g})")
            )
        else:
            out[link] = LinkCondition(veh)
    if problems:
        raise InputError(problems)
    return out


def schedule_dict(escort: EscortPlan) -> dict[str, Any]:
    """The JSON document of an escort plan."""
    from signalbrain.io.atspm import events_to_dict

    rec = {r.intersection: r for r in escort.recoveries}

    def r3(x: float) -> float:
        return round(x, 3)

    signals = []
    for w in escort.windows:
        r = rec.get(w.intersection)
        signals.append(
            {
                "signal": w.intersection,
                "movement": w.movement,
                "approach": w.approach_link,
                "phase": w.phase,
                "eta_s": r3(w.eta_s),
                "queue_veh": w.queue_veh,
                "flush_s": r3(w.flush_s),
                "call_s": r3(w.call_s),
                "open_s": r3(w.open_s),
                "close_s": r3(w.close_s),
                "delay_s": r3(w.delay_s),
                "recovery": None
                if r is None
                else {
                    "method": r.method,
                    "offset_error_s": r3(r.offset_error_s),
                    "sync_s": r3(r.sync_s),
                    "cycles": r.cycles,
                },
            }
        )
    req = escort.request
    return {
        "vehicle_id": req.vehicle_id,
        "origin": req.origin,
        "destination": req.destination,
        "depart_s": req.depart_s,
        "priority": req.priority,
        "route": list(escort.route.links),
        "length_m": r3(escort.length_m),
        "free_flow_s": r3(escort.free_flow_s),
        "arrival_s": r3(escort.arrival_s),
        "travel_time_s": r3(escort.arrival_s - escort.t_s),
        "signals": signals,
        "events": events_to_dict(escort.events)["events"],
    }


def _table(escort: EscortPlan) -> str:
    rec = {r.intersection: r for r in escort.recoveries}
    head = (
        f"{'signal':<10} {'movement':<14} {'ph':>3} {'ETA s':>8} {'queue':>6} "
        f"{'flush s':>8} {'call s':>8} {'window s':>17} {'recovery':>18}"
    )
    lines = [head, "-" * len(head)]
    for w in escort.windows:
        r = rec.get(w.intersection)
        recovery = (
            "-"
            if r is None
            else ("in step" if r.method == "none" else f"{r.method} to {r.sync_s:.0f}")
        )
        lines.append(
            f"{w.intersection:<10} {w.movement:<14} {w.phase:>3} {w.eta_s:>8.1f} "
            f"{w.queue_veh:>6g} {w.flush_s:>8.1f} {w.call_s:>8.1f} "
            f"{w.open_s:>8.1f}-{w.close_s:<8.1f} {recovery:>18}"
        )
    req = escort.request
    lines.append(
        f"{req.vehicle_id}: {len(escort.route.links)} links, {escort.length_m:.0f} m, "
        f"{len(escort.windows)} signals; travel {escort.arrival_s - escort.t_s:.1f} s "
        f"(free flow {escort.free_flow_s:.1f} s)"
    )
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    if not math.isfinite(args.depart) or not 0 <= args.depart <= MAX_DEPART_S:
        raise InputError(
            [
                Problem(
                    "--depart",
                    f"{args.depart:g}: must be a time from 0 to {MAX_DEPART_S:g} s (the audit "
                    "log's timestamps count from 1970-01-01)",
                )
            ]
        )
    to_stdout = args.json is not None and str(args.json) == "-"
    targets = [] if args.json is None or to_stdout else [args.json]
    problems = [p for t in targets for p in output_problems("--json", t, create_folder=True)]
    problems += output_problems("--events", args.events, create_folder=True)
    problems += output_problems("--plot", args.plot, suffixes=PLOT_SUFFIXES, create_folder=True)
    problems += _same_file_problems(
        {"--json": None if to_stdout else args.json, "--events": args.events, "--plot": args.plot},
        inputs={
            "NETWORK": Path(args.network),
            "--plan": None if args.plan is None else Path(args.plan),
        },
    )
    if problems:
        raise InputError(problems)
    net = _network(args.network)
    plans = _plans(args.plan, net)
    conditions = _queues(args.queue, net)
    request = EscortRequest(args.vehicle, args.origin, args.destination, depart_s=args.depart)
    from signalbrain.escort.plan import routing_graph
    from signalbrain.io.sumo_net import constant_passages

    # As in live runs: an approach no phase serves whole and protected gets its preempt phase.
    monitored = escort_network(net)
    # and a turn the SUMO program keeps green, left out of the model, is driven without a window
    routing_graph(monitored).add_passages(constant_passages(net))
    escort = plan_escort(monitored, request, plans, conditions=conditions)
    doc = schedule_dict(escort)
    # with the JSON on stdout, the messages go to stderr: stdout stays one JSON document
    say = sys.stderr if to_stdout else sys.stdout
    if to_stdout:
        print(json.dumps(doc, indent=1))
    else:
        print(_table(escort))
    from signalbrain.io.sumo_net import unimported_lights

    # a light left to SUMO's own program on the route is not in the table: say so
    crossed = {net.link(k).to_node for k in escort.route.links[:-1]}
    for tls, note in sorted(unimported_lights(net).items()):
        if tls in crossed:
            print(f"note: {note}; the escort does not preempt it", file=say)
    if args.json is not None and not to_stdout:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}", file=say)
    if args.events is not None:
        from signalbrain.io.atspm import write_events_csv

        print(f"wrote {write_events_csv(escort.events, args.events)}", file=say)
    if args.plot is not None:
        from signalbrain.report.escort_plot import plot_escort

        print(f"wrote {plot_escort(escort, net, args.plot, plans=plans)}", file=say)
    return 0


def _same_file_problems(
    outputs: dict[str, Path | None], inputs: dict[str, Path | None] | None = None
) -> list[Problem]:
    """Two output options naming one file (the later writer would overwrite the earlier), or an
    output naming an input file (it would be overwritten by the schedule)."""
    seen: dict[Path, str] = {
        path.resolve(): option
        for option, path in (inputs or {}).items()
        if path is not None and path.is_file()
    }
    out: list[Problem] = []
    for option, path in outputs.items():
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            out.append(
                Problem(option, f"{path} is also the {seen[key]} file; expected another file")
            )
        else:
            seen[key] = option
    return out
