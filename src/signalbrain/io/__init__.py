"""Every file format at the edge: network YAML, SUMO nets and programs, plans, counts, cameras.

``load_network`` picks the reader by file name: ``.yaml``/``.yml`` (signalbrain network YAML),
``.net.xml`` (SUMO network) or ``.sumocfg`` (the SUMO config's ``net-file``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from signalbrain.errors import InputError, Problem
from signalbrain.io.bundled import bundled_demand, bundled_dir, bundled_names, bundled_network
from signalbrain.io.sumo_net import read_sumo_net
from signalbrain.io.sumo_programs import write_sumo_programs
from signalbrain.io.sumo_state import signal_state
from signalbrain.network.model import Network

if TYPE_CHECKING:
    from signalbrain.io.network_yaml import (
        network_to_dict,
        parse_network,
        read_network,
        write_network,
    )

__all__ = [
    "bundled_demand",
    "bundled_dir",
    "bundled_names",
    "bundled_network",
    "load_network",
    "network_to_dict",
    "parse_network",
    "read_network",
    "read_sumo_net",
    "signal_state",
    "sumocfg_files",
    "write_network",
    "write_sumo_programs",
]


_YAML_NAMES = ("network_to_dict", "parse_network", "read_network", "write_network")


def __getattr__(name: str) -> object:
    # the network YAML reader and writer load on first use: PyYAML costs ~0.02-0.03 s of
    # start-up that SUMO imports (signalbrain optimize NET.net.xml) do not need
    if name in _YAML_NAMES:
        from signalbrain.io import network_yaml

        return getattr(network_yaml, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sumocfg_files(path: str | Path) -> dict[str, list[Path]]:
    """Input files of a SUMO configuration: ``{"net-file": [...], "route-files": [...],
    "additional-files": [...]}`` resolved against the config's folder."""
    cfg = Path(path)
    try:
        root = ET.parse(cfg).getroot()
    except FileNotFoundError:
        raise InputError(f"file not found: {cfg}") from None
    except (ET.ParseError, OSError) as exc:
        raise InputError([Problem("", f"not a readable SUMO config: {exc}", str(cfg))]) from None
    out: dict[str, list[Path]] = {"net-file": [], "route-files": [], "additional-files": []}
    for elem in root.iter():
        key = _CONFIG_ABBREVIATIONS.get(elem.tag, elem.tag)
        if key in out:
            value = elem.get("value", elem.get("v", ""))
            out[key] += [cfg.parent / v.strip() for v in value.split(",") if v.strip()]
    return out


_CONFIG_ABBREVIATIONS = {"n": "net-file", "r": "route-files", "a": "additional-files"}
"""The one-letter option names SUMO also takes in a configuration (``<n v="city.net.xml"/>``;
SUMO takes ``v`` for ``value`` as well)."""


def load_network(path: str | Path) -> Network:
    """Read a network from YAML, a SUMO ``.net.xml`` or a ``.sumocfg`` (by file name; a
    configuration's ``tlLogic`` programs in its additional files count as SUMO counts them)."""
    p = Path(path)
    name = p.name.lower()
    if name.endswith((".yaml", ".yml")):
        from signalbrain.io.network_yaml import read_network

        return read_network(p)
    if name.endswith(".sumocfg"):
        files = sumocfg_files(p)
        nets = files["net-file"]
        if not nets:
            raise InputError(
                [Problem("input.net-file", "missing: the config names no network", str(p))]
            )
        if not nets[0].is_file():
            raise InputError(
                [Problem("input.net-file", f"network file not found: {nets[0]}", str(p))]
            )
        # whatever its name, SUMO reads it as the network; the programs SUMO runs include
        # those of the configuration's additional files
        return read_sumo_net(nets[0], additional_files=files["additional-files"])
    if name.endswith((".net.xml", ".net.xml.gz")):
        return read_sumo_net(p)
    raise InputError(f"{p}: unknown network format; expected .yaml, .yml, .net.xml or .sumocfg")
