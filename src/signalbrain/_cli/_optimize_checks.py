"""The checks ``signalbrain optimize`` makes of its options before any work: times and cycle
limits, output formats and targets, options the demand given would ignore, and an output that
would replace an input."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from signalbrain._cli._outputs import output_problems
from signalbrain.errors import InputError, Problem
from signalbrain.network.model import Network
from signalbrain.network.validate import MAX_CYCLE_S

OUT_SUFFIXES = (".yaml", ".yml", ".json", ".add.xml", ".csv")
TIMESPACE_SUFFIXES = (".png", ".svg")
"""Formats ``--timespace`` draws (those of :func:`signalbrain.report.timespace.plot_timespace`)."""


def out_kind(path: Path) -> str:
    """The format of an ``--output`` path: its suffix of :data:`OUT_SUFFIXES`."""
    name = path.name.lower()
    for suffix in OUT_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise InputError(
        f"output {path}: unknown format; the suffix must be one of {', '.join(OUT_SUFFIXES)}"
    )


def routes_demand(args: argparse.Namespace) -> bool:
    """Whether the demand comes from SUMO routes (the only demand ``--begin``/``--end`` cut)."""
    if args.routes:
        return True
    if args.demand is None:
        return str(args.input).lower().endswith(".sumocfg")
    return str(args.demand).lower().endswith((".xml", ".xml.gz"))


def check_output_format(args: argparse.Namespace, net: Network) -> None:
    """SUMO programs need the SUMO link indices of an imported network: refused before the
    optimisation rather than after it."""
    if out_kind(args.output) != ".add.xml":
        return
    bare = [s.id for s in net.intersections if not any(m.sumo_link_indices for m in s.movements)]
    if bare:
        raise InputError(
            [
                Problem(
                    "--output",
                    f"{args.output}: SUMO programs need a network imported from SUMO (.net.xml "
                    f"or .sumocfg); signal {bare[0]!r} of {net.name!r} has no SUMO link indices",
                )
            ]
        )


def check_times(args: argparse.Namespace) -> None:
    """``--cycle``, ``--min-cycle``, ``--max-cycle``, ``--begin`` and ``--end`` named when they
    cannot be right."""
    problems: list[Problem] = []
    for name in ("cycle", "min_cycle", "max_cycle"):
        value = getattr(args, name)
        if value is not None and not 0 < value <= MAX_CYCLE_S:
            option = "--" + name.replace("_", "-")
            problems.append(Problem(option, f"{value:g}: must be > 0 and <= {MAX_CYCLE_S:g} s"))
    if (
        not problems
        and args.min_cycle is not None
        and args.max_cycle is not None
        and args.min_cycle > args.max_cycle
    ):
        problems.append(
            Problem("--min-cycle", f"{args.min_cycle:g}: must be <= --max-cycle {args.max_cycle:g}")
        )
    before = len(problems)
    for name in ("begin", "end"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            problems.append(Problem(f"--{name}", f"{value:g}: must be a time >= 0 [s]"))
    if (
        len(problems) == before
        and args.begin is not None
        and args.end is not None
        and not args.end > args.begin
    ):
        problems.append(Problem("--end", f"{args.end:g}: must be after --begin {args.begin:g}"))
    if problems:
        raise InputError(problems)


def check_options(args: argparse.Namespace) -> None:
    """Options that would be ignored, and output targets, refused before any work."""
    problems = output_problems("--output", args.output, suffixes=OUT_SUFFIXES)
    if args.timespace is not None:
        suffixes = () if args.timespace.is_dir() else TIMESPACE_SUFFIXES
        problems += output_problems("--timespace", args.timespace, suffixes=suffixes)
    demand = str(args.demand).lower() if args.demand is not None else None
    if args.routes and demand is not None:
        problems.append(Problem("--routes", "give either --demand or --routes, not both"))
    if args.cameras and not (demand or "").endswith(".csv"):
        problems.append(
            Problem("--cameras", "used only with a counts CSV as --demand (signalbrain count)")
        )
    if not routes_demand(args):
        problems += [
            Problem(
                option,
                "cuts only SUMO routes (--routes, a .rou.xml as --demand, or a .sumocfg's "
                "routes); the demand given has no departure times",
            )
            for option, value in (("--begin", args.begin), ("--end", args.end))
            if value is not None
        ]
    if args.route and args.method != "maxband" and args.timespace is None:
        problems.append(
            Problem("--route", "used only by --method maxband and --timespace; give one of them")
        )
    if args.joint and args.method == "webster":
        problems.append(
            Problem("--joint", "used only by the coordinated methods transyt and maxband")
        )
    problems += _overwrite_problems(args)
    if problems:
        raise InputError(problems)


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (links and ``..`` resolved; ``b`` exists)."""
    try:
        return a.exists() and a.samefile(b)
    except OSError:
        return False


def _overwrite_problems(args: argparse.Namespace) -> list[Problem]:
    """``--output`` or ``--timespace`` naming a file the command reads (the network, demand,
    routes or cameras): the plan would silently replace the input."""
    inputs = [
        ("network (INPUT)", args.input),
        ("--demand", args.demand),
        *(("--routes", r) for r in args.routes or ()),
        *(("--cameras", c) for c in args.cameras),
    ]
    targets = [("--output", args.output), ("--timespace", args.timespace)]
    out: list[Problem] = []
    for option, target in targets:
        if target is None:
            continue
        for name, source in inputs:
            if source is not None and _same_file(target, source):
                out.append(Problem(option, f"{target} is the {name} file; write to another file"))
                break
    return out
