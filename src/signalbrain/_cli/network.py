"""``signalbrain validate`` and ``signalbrain import-sumo``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from signalbrain._cli._outputs import output_problems
from signalbrain.errors import InputError
from signalbrain.io import load_network, write_network
from signalbrain.network.summary import summarize

NETWORK_SUFFIXES = (".yaml", ".yml")
"""What ``import-sumo`` writes: network YAML (what ``validate`` and the other commands read)."""


def register(sub: Any) -> None:
    """Add the network commands."""
    p = sub.add_parser(
        "validate",
        help="check a network file and print a summary",
        description="Check a network (YAML, .net.xml or .sumocfg) and print "
        "signals, links, movements, phases and problems.",
    )
    p.add_argument("path", type=Path, help="network YAML, SUMO .net.xml or .sumocfg")
    p.set_defaults(func=_validate)

    p = sub.add_parser(
        "import-sumo",
        help="import a SUMO network into network YAML",
        description="Read junctions, edges, connections with their link indices, "
        "tlLogic programs and conflicts from a SUMO network.",
    )
    p.add_argument("net", type=Path, help="SUMO .net.xml (or .sumocfg)")
    p.add_argument("-o", "--output", type=Path, required=True, help="network YAML to write")
    p.set_defaults(func=_import_sumo)


def _validate(args: argparse.Namespace) -> int:
    print(summarize(load_network(args.path)).format())
    return 0


def _import_sumo(args: argparse.Namespace) -> int:
    # checked before the import: a folder or another suffix (.json got YAML, '.' exit 1)
    suffixes = () if args.output.is_dir() else NETWORK_SUFFIXES
    problems = output_problems("--output", args.output, suffixes=suffixes)
    if problems:
        raise InputError(problems)
    net = load_network(args.net)
    write_network(net, args.output)
    print(summarize(net).format())
    print(f"wrote {args.output}")
    return 0
