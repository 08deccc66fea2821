"""Network validation: gather every problem, then raise one error.

Paths in the messages follow the network YAML layout (``links.W_A.lanes``,
``intersections.A.phases[2].protected[0]``), so a message points at the line to fix whether the
network was read from YAML, imported from SUMO or built in code.

This module holds the bounds of link and cycle values and the checks of a network as a whole:
nodes, links, each intersection's nodes, movements and cycle limits against them, and
connectivity. The checks of an intersection's own structure (conflicts, phases, rings and
barriers) and the phase bounds are in :mod:`._shape_checks`, those of its SUMO program in
:mod:`._sumo_checks`.
"""

from __future__ import annotations

from collections.abc import Collection
from numbers import Integral, Real

from signalbrain.errors import InputError, Problem, format_path
from signalbrain.network._shape_checks import MAX_ALL_RED_S as MAX_ALL_RED_S
from signalbrain.network._shape_checks import MAX_GREEN_S as MAX_GREEN_S
from signalbrain.network._shape_checks import MAX_YELLOW_S as MAX_YELLOW_S
from signalbrain.network._shape_checks import (
    MIN_YELLOW_S,
    _check_conflicts,
    _check_phases,
    _check_rings,
    _fmt,
    shape_problems,
)
from signalbrain.network._shape_checks import _green_safe as _green_safe
from signalbrain.network._shape_checks import _phase_ok as _phase_ok
from signalbrain.network._sumo_checks import SUMO_STATE_CHARS, check_sumo
from signalbrain.network.model import Intersection, Link, Movement, Network

__all__ = [
    "MAX_CYCLE_S",
    "MAX_LENGTH_M",
    "MAX_SAT_FLOW_VPHPL",
    "MAX_SPEED_MPS",
    "MIN_YELLOW_S",
    "SUMO_STATE_CHARS",
    "check_network",
    "shape_problems",
    "validate_network",
]

MAX_LANES = 64  # lanes of one link (the widest roads have about 20)
# Upper bounds of link and cycle values, generous to any real road: beyond them a value is a typo
# or a unit slip (1e300 saturation flow silently reshaped every plan)
MAX_SAT_FLOW_VPHPL = 4000.0  # HCM: 1,900 veh/h/ln at signals, 2,400 pc/h/ln on freeways
MAX_SPEED_MPS = 100.0  # 360 km/h
MAX_LENGTH_M = 100_000.0  # 100 km, as for generated spacings
MAX_CYCLE_S = 3600.0  # field cycles are 40-240 s; as timing.optimize accepts


def _link_ok(net: Network, link: Link, seen: set[str]) -> bool:
    """The common case of :func:`_check_links` in one expression: nothing to report."""
    return (
        link.id not in seen
        and net.has_node(link.from_node)
        and net.has_node(link.to_node)
        and link.from_node != link.to_node
        and 1 <= link.lanes <= MAX_LANES
        and 0 < link.length_m <= MAX_LENGTH_M
        and 0 < link.free_speed_mps <= MAX_SPEED_MPS
        and 0 < link.sat_flow_vphpl <= MAX_SAT_FLOW_VPHPL
    )


def _check_links(net: Network, out: list[Problem]) -> None:
    seen: set[str] = set()
    for link in net.links:
        if _link_ok(net, link, seen):
            seen.add(link.id)
            continue
        p = format_path("links", link.id)
        if link.id in seen:
            out.append(Problem(p, "duplicate link id"))
        seen.add(link.id)
        for name, node in (("from", link.from_node), ("to", link.to_node)):
            if not net.has_node(node):
                out.append(
                    Problem(
                        format_path(p, name),
                        f"{node!r}: unknown node; known: {_fmt(n.id for n in net.nodes)}",
                    )
                )
        if link.from_node == link.to_node:
            out.append(Problem(p, f"starts and ends at the same node {link.from_node!r}"))
        if not 1 <= link.lanes <= MAX_LANES:
            out.append(
                Problem(format_path(p, "lanes"), f"= {link.lanes}: must be 1 to {MAX_LANES}")
            )
        for name, most, unit in (
            ("length_m", MAX_LENGTH_M, "m"),
            ("free_speed_mps", MAX_SPEED_MPS, "m/s"),
            ("sat_flow_vphpl", MAX_SAT_FLOW_VPHPL, "veh/h/lane"),
        ):
            value = getattr(link, name)
            if not value > 0:
                out.append(Problem(format_path(p, name), f"= {value}: must be > 0"))
            elif not value <= most:
                out.append(
                    Problem(format_path(p, name), f"= {value:g}: must be <= {most:g} {unit}")
                )


def _movement_ok(net: Network, mv: Movement, nodes: set[str], seen: set[str]) -> bool:
    """The common case of :func:`_check_movements` in one expression: nothing to report."""
    if mv.id in seen or not 1 <= mv.lanes <= MAX_LANES:
        return False
    if mv.turn == "P":
        return True
    if not (net.has_link(mv.from_link) and net.has_link(mv.to_link)):
        return False
    return net.link(mv.from_link).to_node in nodes and net.link(mv.to_link).from_node in nodes


def _check_movements(net: Network, isec: Intersection, base: str, out: list[Problem]) -> None:
    nodes = set(isec.nodes)
    seen: set[str] = set()
    for i, mv in enumerate(isec.movements):
        if _movement_ok(net, mv, nodes, seen):
            seen.add(mv.id)
            continue
        p = format_path(base, "movements", i)
        if mv.id in seen:
            out.append(Problem(format_path(p, "id"), f"{mv.id!r}: duplicate movement id"))
        seen.add(mv.id)
        if not 1 <= mv.lanes <= MAX_LANES:
            out.append(Problem(format_path(p, "lanes"), f"= {mv.lanes}: must be 1 to {MAX_LANES}"))
        if mv.turn == "P":
            continue
        for name, link_id, end in (("from", mv.from_link, "to"), ("to", mv.to_link, "from")):
            if not net.has_link(link_id):
                out.append(Problem(format_path(p, name), f"{link_id!r}: unknown link"))
                continue
            link = net.link(link_id)
            node = link.to_node if end == "to" else link.from_node
            if node not in nodes:
                out.append(
                    Problem(
                        format_path(p, name),
                        f"{link_id!r} does not {'end' if end == 'to' else 'start'} at "
                        f"this intersection (nodes: {_fmt(nodes)})",
                    )
                )


def _check_cycle_limits(isec: Intersection, base: str, out: list[Problem]) -> None:
    if not isec.cycle_max_s <= MAX_CYCLE_S:
        out.append(
            Problem(
                format_path(base, "cycle_max_s"),
                f"= {isec.cycle_max_s:g}: must be <= {MAX_CYCLE_S:g} s",
            )
        )
    if not 0 < isec.cycle_min_s <= isec.cycle_max_s:
        out.append(
            Problem(
                format_path(base, "cycle_min_s"),
                f"= {isec.cycle_min_s}: must be > 0 and <= cycle_max_s = {isec.cycle_max_s}",
            )
        )


_NUMBERS: dict[str, tuple[str, ...]] = {
    "nodes": ("x_m", "y_m"),
    "links": ("length_m", "free_speed_mps", "sat_flow_vphpl"),
    "phases": ("min_green_s", "max_green_s", "yellow_s", "all_red_s", "ped_min_s"),
    "intersections": ("cycle_min_s", "cycle_max_s"),
}
_INTEGERS: dict[str, tuple[str, ...]] = {
    "links": ("lanes",),
    "movements": ("lanes",),
    "phases": ("number",),
}


def _type_problems(net: Network) -> list[Problem]:
    """Fields of a network built in code that hold something other than a number (the YAML
    reader checks its own); only looked for when the checks proper meet a TypeError."""
    out: list[Problem] = []

    def check(kind: str, path: str, obj: object) -> None:
        for name in _NUMBERS.get(kind, ()):
            v = getattr(obj, name)
            if isinstance(v, bool) or not isinstance(v, Real):
                out.append(Problem(format_path(path, name), f"= {v!r}: expected a number"))
        for name in _INTEGERS.get(kind, ()):
            v = getattr(obj, name)
            if isinstance(v, bool) or not isinstance(v, Integral):
                out.append(Problem(format_path(path, name), f"= {v!r}: expected an integer"))

    for node in net.nodes:
        check("nodes", format_path("nodes", node.id), node)
    for link in net.links:
        check("links", format_path("links", link.id), link)
    for isec in net.intersections:
        base = format_path("intersections", isec.id)
        check("intersections", base, isec)
        for mv in isec.movements:
            check("movements", format_path(base, "movements", mv.id), mv)
        for ph in isec.phases:
            check("phases", format_path(base, "phases", ph.number), ph)
    return out


def check_network(
    net: Network, *, require_connected: bool = True, shaped: Collection[str] = ()
) -> list[Problem]:
    """Every problem found in a network (empty when it is valid).

    ``shaped``: ids of intersections whose own structure is known to have no
    :func:`shape_problems`, e.g. copies of one checked junction layout under other names (the
    SUMO import, :class:`signalbrain.io._sumo_templates.IntersectionBuilder`). Only that part of
    their checks is skipped: their movements against the network's links and nodes (which also
    finds duplicate movement ids, so the renaming was one to one) and their cycle limits are
    checked as every other intersection's. With a problem found, call again without ``shaped``
    for the whole list (:func:`validate_network` does)."""
    try:
        return _check_network(net, require_connected=require_connected, shaped=shaped)
    except TypeError:  # a field of a network built in code that is not a number
        problems = _type_problems(net)
        if not problems:
            raise
        return problems


def _check_network(
    net: Network, *, require_connected: bool, shaped: Collection[str]
) -> list[Problem]:
    out: list[Problem] = []
    seen_nodes: set[str] = set()
    for node in net.nodes:
        if node.id in seen_nodes:
            out.append(Problem(format_path("nodes", node.id), "duplicate node id"))
        seen_nodes.add(node.id)
    _check_links(net, out)
    owner: dict[str, str] = {}
    for isec in net.intersections:
        base = format_path("intersections", isec.id)
        if not isec.nodes:
            out.append(
                Problem(
                    format_path(base, "nodes"),
                    "is empty; expected the ids of the junction nodes it controls",
                )
            )
        for n in isec.nodes:
            if not net.has_node(n):
                out.append(Problem(format_path(base, "nodes"), f"{n!r}: unknown node"))
            elif n in owner and owner[n] != isec.id:
                out.append(
                    Problem(
                        format_path(base, "nodes"),
                        f"{n!r} is already controlled by intersection {owner[n]!r}",
                    )
                )
            owner[n] = isec.id
        _check_movements(net, isec, base, out)
        if isec.id not in shaped:
            _check_conflicts(isec, base, out)
            _check_phases(isec, base, out)
            _check_rings(isec, base, out)
        _check_cycle_limits(isec, base, out)
        check_sumo(isec, base, out)
    if require_connected and net.nodes and not out:
        import networkx as nx  # slow import: only for this check

        from signalbrain.network.graph import to_graph

        graph = to_graph(net)
        parts = list(nx.weakly_connected_components(graph))
        if len(parts) > 1:
            parts.sort(key=len, reverse=True)
            small = [_fmt(p, 5) for p in parts[1:4]]
            out.append(
                Problem(
                    "nodes",
                    f"the network falls apart into {len(parts)} disconnected "
                    f"parts; besides the largest: {'; '.join(small)}",
                )
            )
    return [p if p.source else Problem(p.path, p.message, net.source) for p in out]


def validate_network(
    net: Network, *, require_connected: bool = True, shaped: Collection[str] = ()
) -> Network:
    """Return ``net`` if valid, else raise one :class:`InputError` listing every problem
    (``shaped``: as in :func:`check_network`; the list is always the whole one)."""
    problems = check_network(net, require_connected=require_connected, shaped=shaped)
    if problems and shaped:
        problems = check_network(net, require_connected=require_connected)
    if problems:
        raise InputError(problems)
    return net
