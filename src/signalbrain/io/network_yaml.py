"""Network YAML: read, parse and write (schema documented in ``networks/README.md``).

``read_network`` gathers every problem of a file - YAML syntax, wrong types, unknown fields,
dangling references, conflicting phases, unserved movements, disconnected parts - and raises one
:class:`~signalbrain.errors.InputError` naming the file and the YAML path of each.

This module holds the defaults, the nodes and links, and the assembly of the network and its
intersections; the parts of an intersection (movements, conflicts, phases, rings and barriers,
SUMO program) are read in :mod:`._intersection_yaml`, and :func:`network_to_dict` and
:func:`write_network` live in :mod:`._network_write`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from signalbrain.errors import format_path
from signalbrain.io._fields import (
    MISSING,
    Fields,
    _shown,
    finite_pair,
    load_yaml,
    not_a_mapping,
)
from signalbrain.io._intersection_yaml import _MOVE as _MOVE
from signalbrain.io._intersection_yaml import _PHASE as _PHASE
from signalbrain.io._intersection_yaml import _PHASE_LIMITS as _PHASE_LIMITS
from signalbrain.io._intersection_yaml import _SUMO as _SUMO
from signalbrain.io._intersection_yaml import _SUMO_PHASE as _SUMO_PHASE
from signalbrain.io._intersection_yaml import (
    _parse_conflicts,
    _parse_int_groups,
    _parse_movements,
    _parse_pairs,
    _parse_phases,
    _parse_sumo,
)
from signalbrain.io._network_write import _FlowListDumper as _FlowListDumper
from signalbrain.io._network_write import _inferred as _inferred
from signalbrain.io._network_write import _num as _num
from signalbrain.io._network_write import _repr_dict as _repr_dict
from signalbrain.io._network_write import _repr_list as _repr_list
from signalbrain.io._network_write import network_to_dict, write_network
from signalbrain.network.model import Intersection, Link, Network, Node
from signalbrain.network.validate import (
    MAX_ALL_RED_S,
    MAX_CYCLE_S,
    MAX_GREEN_S,
    MAX_LANES,
    MAX_SAT_FLOW_VPHPL,
    MAX_SPEED_MPS,
    MAX_YELLOW_S,
    check_network,
)

__all__ = ["DEFAULTS", "network_to_dict", "parse_network", "read_network", "write_network"]

DEFAULTS: dict[str, float] = {
    "lanes": 1,
    "free_speed_mps": 13.89,
    "sat_flow_vphpl": 1900.0,
    "min_green_s": 5.0,
    "max_green_s": 60.0,
    "yellow_s": 3.5,
    "all_red_s": 1.5,
    "ped_min_s": 0.0,
    "cycle_min_s": 40.0,
    "cycle_max_s": 150.0,
}
"""Values used where neither the file's ``defaults`` nor the element gives one."""

_DEFAULT_MAXIMA: dict[str, float] = {
    "lanes": MAX_LANES,
    "free_speed_mps": MAX_SPEED_MPS,
    "sat_flow_vphpl": MAX_SAT_FLOW_VPHPL,
    "min_green_s": MAX_GREEN_S,
    "max_green_s": MAX_GREEN_S,
    "yellow_s": MAX_YELLOW_S,
    "all_red_s": MAX_ALL_RED_S,
    "ped_min_s": MAX_GREEN_S,
    "cycle_min_s": MAX_CYCLE_S,
    "cycle_max_s": MAX_CYCLE_S,
}
"""Largest value of each default (as :mod:`signalbrain.network.validate` bounds the elements),
so that a wrong default is reported once, not at every element using it."""

_TOP = ("name", "driving_side", "defaults", "nodes", "links", "intersections", "notes")
_LINK = ("from", "to", "lanes", "length_m", "free_speed_mps", "sat_flow_vphpl")
_ISEC = (
    "nodes",
    "movements",
    "conflicts",
    "shared_lanes",
    "phases",
    "rings",
    "barriers",
    "cycle_min_s",
    "cycle_max_s",
    "sumo",
    "notes",
)


def read_network(path: str | Path, *, require_connected: bool = True) -> Network:
    """Read and validate a network YAML file.

    Raises
    ------
    InputError
        Listing every problem, each with the file and YAML path.
    """
    return parse_network(load_yaml(path), source=str(path), require_connected=require_connected)


def _parse_nodes(f: Fields, doc: Mapping[str, Any]) -> tuple[list[Node], set[str]]:
    """The nodes, and the ids of those whose coordinates are malformed (already reported; they
    stand in the list at (0, 0) so that links naming them are not reported again)."""
    out: list[Node] = []
    bad: set[str] = set()
    for nid, value in f.mapping(doc.get("nodes", MISSING), "nodes").items():
        p = format_path("nodes", nid)
        found = len(f.problems)
        if isinstance(value, list):
            point = None
            if len(value) != 2 or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value
            ):
                f.add(p, f"= {_shown(value)}: expected [x_m, y_m] or {{x_m: .., y_m: ..}}")
            else:
                point = finite_pair(value[0], value[1])
                if point is None:
                    f.add(p, f"= {_shown(value)}: coordinates must be finite")
            out.append(Node(nid, *(point or (0.0, 0.0))))
        else:
            node = f.mapping(value, p)
            f.unknown_keys(node, p, ("x_m", "y_m"))
            out.append(Node(nid, f.number(node, "x_m", p, 0.0), f.number(node, "y_m", p, 0.0)))
        if len(f.problems) > found:
            bad.add(nid)
            out[-1] = Node(nid, 0.0, 0.0)
    return out, bad


def _parse_links(
    f: Fields, doc: Mapping[str, Any], nodes: dict[str, Node], defaults: Mapping[str, Any]
) -> list[Link]:
    out: list[Link] = []
    for lid, value in f.mapping(doc.get("links", MISSING), "links").items():
        p = format_path("links", lid)
        link = f.mapping(value, p)
        f.unknown_keys(link, p, _LINK)
        a = f.string(link, "from", p)
        b = f.string(link, "to", p)
        length: Any = link.get("length_m", MISSING)
        if length is MISSING and a in nodes and b in nodes:
            length = math.hypot(nodes[a].x_m - nodes[b].x_m, nodes[a].y_m - nodes[b].y_m)
        elif length is MISSING:
            # no length from the geometry: the unknown or malformed node is reported (here or
            # by check_network) and the network is refused, so this stand-in is never used
            length = 1.0
        out.append(
            Link(
                lid,
                a,
                b,
                lanes=f.integer(link, "lanes", p, defaults["lanes"]),
                length_m=f.number({"length_m": length}, "length_m", p),
                free_speed_mps=f.number(link, "free_speed_mps", p, defaults["free_speed_mps"]),
                sat_flow_vphpl=f.number(link, "sat_flow_vphpl", p, defaults["sat_flow_vphpl"]),
            )
        )
    return out


def parse_network(
    doc: Any, source: str | None = None, *, require_connected: bool = True
) -> Network:
    """Build and validate a :class:`Network` from a parsed YAML document."""
    f = Fields(source)
    if not isinstance(doc, Mapping):
        f.add(
            "",
            f"{not_a_mapping(doc)}; expected a mapping with nodes, links and intersections",
        )
        f.raise_if_any()
    top = f.mapping(doc, "")
    f.unknown_keys(top, "", _TOP)
    side = f.string(top, "driving_side", "", "right", choices=("right", "left"))
    user_defaults = f.mapping(top.get("defaults"), "defaults", required=False)
    f.unknown_keys(user_defaults, "defaults", tuple(DEFAULTS))
    defaults: dict[str, Any] = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in user_defaults:
            found = len(f.problems)
            most = _DEFAULT_MAXIMA[key]
            value = (
                f.integer(user_defaults, key, "defaults", minimum=1, maximum=int(most))
                if key == "lanes"
                else f.number(user_defaults, key, "defaults", minimum=0, maximum=most)
            )
            # a malformed default is reported once, here, not again at every element using it
            if len(f.problems) == found:
                defaults[key] = value
    nodes, bad_nodes = _parse_nodes(f, top)
    node_map = {n.id: n for n in nodes if n.id not in bad_nodes}
    # paths whose semantic problems follow from one already reported (see the end)
    quiet: list[str] = []
    if "nodes" in top and not isinstance(top["nodes"], Mapping):
        quiet += ["links", "intersections", "nodes"]  # every reference would be unknown
    if "links" in top and not isinstance(top["links"], Mapping):
        quiet += ["intersections"]
    links = _parse_links(f, top, node_map, defaults)
    link_map = {k.id: k for k in links}
    intersections: list[Intersection] = []
    for iid, value in f.mapping(top.get("intersections", MISSING), "intersections").items():
        base = format_path("intersections", iid)
        d = f.mapping(value, base)
        f.unknown_keys(d, base, _ISEC)
        found = len(f.problems)
        node_ids = f.string_list(d, "nodes", base, [iid])
        if not node_ids and len(f.problems) == found:
            f.add(
                format_path(base, "nodes"),
                f"is empty; expected the ids of the junction nodes it controls (default [{iid}])",
            )
        if not node_ids or any(
            k.from_node in bad_nodes or k.to_node in bad_nodes
            for k in links
            if k.from_node in node_ids or k.to_node in node_ids
        ):
            quiet.append(base)  # no geometry to infer movements from or check them against
        movements = _parse_movements(
            f, d.get("movements", MISSING), base, node_ids, link_map, node_map, side
        )
        conflicts, permissive = _parse_conflicts(
            f, d.get("conflicts", MISSING), base, movements, node_ids, link_map, node_map, side
        )
        limits = {k: defaults[k] for k in _PHASE_LIMITS}
        phases = _parse_phases(f, d.get("phases", MISSING), base, limits)
        rings = _parse_int_groups(f, d.get("rings"), format_path(base, "rings"))
        barriers = _parse_int_groups(f, d.get("barriers"), format_path(base, "barriers"))
        intersections.append(
            Intersection(
                iid,
                tuple(node_ids),
                tuple(movements),
                tuple(phases),
                conflicts,
                permissive,
                rings,
                barriers,
                cycle_min_s=f.number(d, "cycle_min_s", base, defaults["cycle_min_s"], minimum=0),
                cycle_max_s=f.number(d, "cycle_max_s", base, defaults["cycle_max_s"], minimum=0),
                sumo=_parse_sumo(f, d.get("sumo", MISSING), base),
                notes=tuple(f.string_list(d, "notes", base, [])),
                shared_lanes=_parse_pairs(
                    f, d.get("shared_lanes"), format_path(base, "shared_lanes")
                ),
            )
        )
    name = f.string(top, "name", "", Path(source).stem if source else "network")
    net = Network(
        name,
        tuple(nodes),
        tuple(links),
        tuple(intersections),
        "left" if side == "left" else "right",
        source,
        tuple(f.string_list(top, "notes", "", [])),
    )
    # Semantic checks run even when some fields were malformed, so one pass reports everything;
    # a field already reported as malformed is not reported again.
    reported = [p.path for p in f.problems] + quiet
    for problem in check_network(net, require_connected=require_connected and not reported):
        if not any(
            problem.path == r or problem.path.startswith((r + ".", r + "[")) for r in reported
        ):
            f.problems.append(problem)
    f.raise_if_any()
    return net
