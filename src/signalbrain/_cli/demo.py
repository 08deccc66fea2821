"""``signalbrain demo``: the main job end to end on bundled defaults.

Today it loads, validates and summarises every bundled network; it grows as the timing,
control and escort work lands.
"""

from __future__ import annotations

import argparse
from typing import Any

from signalbrain.io import bundled_names, bundled_network, read_network
from signalbrain.network.summary import summarize


def register(sub: Any) -> None:
    """Add the demo command."""
    p = sub.add_parser("demo", help="run the main job on the bundled networks")
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    for name in bundled_names():
        net = read_network(bundled_network(name))
        print(summarize(net).format())
        print()
    return 0
