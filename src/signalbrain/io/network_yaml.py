"""Network YAML: read, parse and write (schema documented in ``networks/README.md``).

``read_network`` gathers every problem of a file - YAML syntax, wrong types, unknown fields,
dangling references, conflicting phases, unserved movements, disconnected parts - and raises one
:class:`~signalbrain.errors.InputError` naming the file and the YAML path of each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from signalbrain.errors import InputError, Problem, format_path
from signalbrain.io._fields import (
    MISSING,
    Fields,
    _shown,
    finite_pair,
    load_yaml,
    not_a_mapping,
)
from signalbrain.io._yaml import Dumper
from signalbrain.network.geometry import infer_conflicts, infer_movements, movement_legs
from signalbrain.network.model import (
    TURNS,
    Intersection,
    Link,
    Movement,
    Network,
    Node,
    Phase,
    SumoPhase,
    SumoProgram,
    Turn,
    pair,
)
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
_MOVE = ("id", "from", "to", "turn", "lanes", "sumo_link_indices")
_PHASE = (
    "number",
    "name",
    "protected",
    "permitted",
    "min_green_s",
    "max_green_s",
    "yellow_s",
    "all_red_s",
    "ped_min_s",
)
_PHASE_LIMITS = ("min_green_s", "max_green_s", "yellow_s", "all_red_s", "ped_min_s")
_SUMO = ("tls_id", "program_id", "type", "offset_s", "link_count", "phases", "params")
_SUMO_PHASE = ("duration_s", "state", "min_dur_s", "max_dur_s", "name")


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


def _parse_movements(
    f: Fields,
    raw: Any,
    base: str,
    node_ids: list[str],
    links: dict[str, Link],
    nodes: dict[str, Node],
    side: str,
) -> list[Movement]:
    if raw is MISSING or raw == "auto":
        if node_ids and all(n in nodes for n in node_ids):
            return infer_movements(node_ids, links, nodes, side)
        return []
    out: list[Movement] = []
    for i, item in enumerate(f.sequence(raw, format_path(base, "movements"))):
        p = format_path(base, "movements", i)
        mv = f.mapping(item, p)
        f.unknown_keys(mv, p, _MOVE)
        a = f.string(mv, "from", p)
        b = f.string(mv, "to", p)
        turn = f.string(mv, "turn", p, choices=TURNS)
        mid = f.string(mv, "id", p, f"{a}.{turn}")
        q = format_path(p, "sumo_link_indices")
        raw_indices = dict(enumerate(f.sequence(mv.get("sumo_link_indices"), q, required=False)))
        indices = [f.integer(raw_indices, j, q, minimum=0) for j in raw_indices]
        turn_value: Turn = turn if turn in TURNS else "T"  # type: ignore[assignment]
        out.append(
            Movement(mid, a, b, turn_value, f.integer(mv, "lanes", p, 1, minimum=1), tuple(indices))
        )
    return out


def _parse_conflicts(
    f: Fields,
    raw: Any,
    base: str,
    movements: list[Movement],
    node_ids: list[str],
    links: dict[str, Link],
    nodes: dict[str, Node],
    side: str,
) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    if raw is MISSING or raw == "auto":
        ok = all(
            m.turn == "P"
            or all(
                k in links and links[k].from_node in nodes and links[k].to_node in nodes
                for k in (m.from_link, m.to_link)
            )
            for m in movements
        )
        if not ok or not node_ids or not all(n in nodes for n in node_ids):
            return frozenset(), frozenset()
        return infer_conflicts(movements, movement_legs(movements, links, nodes, node_ids), side)
    conflicts: set[tuple[str, str]] = set()
    permissive: set[tuple[str, str]] = set()
    p0 = format_path(base, "conflicts")
    doc = f.mapping(raw, p0)
    f.unknown_keys(doc, p0, ("conflict", "permissive"))
    for kind, target in (("conflict", conflicts), ("permissive", permissive)):
        target |= _parse_pairs(f, doc.get(kind), format_path(p0, kind))
    conflicts |= permissive
    return frozenset(conflicts), frozenset(permissive)


def _parse_pairs(f: Fields, raw: Any, path: str) -> frozenset[tuple[str, str]]:
    """An optional list of movement-id pairs ``[[A, B], ...]`` (sorted pairs)."""
    out: set[tuple[str, str]] = set()
    for i, item in enumerate(f.sequence(raw, path, required=False)):
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not all(isinstance(x, str | int) and not isinstance(x, bool) for x in item)
        ):
            f.add(format_path(path, i), f"= {_shown(item)}: expected a pair of movement ids [A, B]")
            continue
        a, b = str(item[0]), str(item[1])
        if a == b:
            f.add(
                format_path(path, i),
                f"= [{a}, {a}]: pairs a movement with itself; expected two different movements",
            )
            continue
        out.add(pair(a, b))
    return frozenset(out)


def _parse_phases(f: Fields, raw: Any, base: str, limits: Mapping[str, Any]) -> list[Phase]:
    out: list[Phase] = []
    for i, item in enumerate(f.sequence(raw, format_path(base, "phases"))):
        p = format_path(base, "phases", i)
        ph = f.mapping(item, p)
        f.unknown_keys(ph, p, _PHASE)
        values = {k: f.number(ph, k, p, limits[k]) for k in _PHASE_LIMITS}
        out.append(
            Phase(
                number=f.integer(ph, "number", p, i + 1, minimum=1),
                protected=tuple(f.string_list(ph, "protected", p, [])),
                permitted=tuple(f.string_list(ph, "permitted", p, [])),
                name=f.string(ph, "name", p, ""),
                **values,
            )
        )
    return out


def _parse_int_groups(f: Fields, raw: Any, path: str) -> tuple[tuple[int, ...], ...]:
    groups: list[tuple[int, ...]] = []
    for i, group in enumerate(f.sequence(raw, path, required=False)):
        q = format_path(path, i)
        items = dict(enumerate(f.sequence(group, q)))
        nums = [f.integer(items, j, q) for j in items]
        groups.append(tuple(nums))
    return tuple(groups)


def _parse_sumo(f: Fields, raw: Any, base: str) -> SumoProgram | None:
    if raw is MISSING or raw is None:
        return None
    p = format_path(base, "sumo")
    doc = f.mapping(raw, p)
    f.unknown_keys(doc, p, _SUMO)
    phases = []
    for i, item in enumerate(f.sequence(doc.get("phases"), format_path(p, "phases"))):
        q = format_path(p, "phases", i)
        ph = f.mapping(item, q)
        f.unknown_keys(ph, q, _SUMO_PHASE)
        phases.append(
            SumoPhase(
                f.number(ph, "duration_s", q, minimum=0),
                f.string(ph, "state", q),
                None if ph.get("min_dur_s") is None else f.number(ph, "min_dur_s", q),
                None if ph.get("max_dur_s") is None else f.number(ph, "max_dur_s", q),
                f.string(ph, "name", q, ""),
            )
        )
    params = tuple(
        (str(k), str(v))
        for k, v in f.mapping(doc.get("params"), format_path(p, "params"), required=False).items()
    )
    return SumoProgram(
        f.string(doc, "tls_id", p),
        f.string(doc, "program_id", p, "0"),
        f.string(doc, "type", p, "static"),
        f.number(doc, "offset_s", p, 0.0),
        tuple(phases),
        # default: the length of the states (check_network refuses states of other lengths)
        f.integer(doc, "link_count", p, len(phases[0].state) if phases else 0, minimum=0),
        params,
    )


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


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def _inferred(net: Network, s: Intersection) -> tuple[bool, bool]:
    """Whether an intersection's movements and conflicts equal those the geometry implies."""
    links = {k.id: k for k in net.links}
    nodes = {n.id: n for n in net.nodes}
    if not s.nodes or not all(n in nodes for n in s.nodes):
        return False, False
    auto = infer_movements(list(s.nodes), links, nodes, net.driving_side)
    same_movements = sorted(auto, key=lambda m: m.id) == sorted(s.movements, key=lambda m: m.id)
    if not all(m.turn == "P" or (m.from_link in links and m.to_link in links) for m in s.movements):
        return same_movements, False
    conflicts, permissive = infer_conflicts(
        s.movements, movement_legs(s.movements, links, nodes, s.nodes), net.driving_side
    )
    return same_movements, (conflicts, permissive) == (s.conflicts, s.permissive)


def network_to_dict(net: Network, *, compact: bool = False) -> dict[str, Any]:
    """The YAML document of a network.

    Every movement, conflict and limit is written out, except with ``compact=True``, where
    movements and conflicts that equal those inferred from the geometry are left out (``auto``).
    """
    doc: dict[str, Any] = {"name": net.name, "driving_side": net.driving_side}
    if net.notes:
        doc["notes"] = list(net.notes)
    doc["nodes"] = {n.id: [_num(n.x_m), _num(n.y_m)] for n in net.nodes}
    doc["links"] = {
        k.id: {
            "from": k.from_node,
            "to": k.to_node,
            "lanes": k.lanes,
            "length_m": _num(k.length_m),
            "free_speed_mps": _num(k.free_speed_mps),
            "sat_flow_vphpl": _num(k.sat_flow_vphpl),
        }
        for k in net.links
    }
    isecs: dict[str, Any] = {}
    for s in net.intersections:
        d: dict[str, Any] = {"nodes": list(s.nodes)}
        if s.notes:
            d["notes"] = list(s.notes)
        d["cycle_min_s"] = _num(s.cycle_min_s)
        d["cycle_max_s"] = _num(s.cycle_max_s)
        same_movements, same_conflicts = _inferred(net, s) if compact else (False, False)
        moves = []
        for m in () if same_movements else s.movements:
            mv: dict[str, Any] = {
                "id": m.id,
                "from": m.from_link,
                "to": m.to_link,
                "turn": m.turn,
                "lanes": m.lanes,
            }
            if m.sumo_link_indices:
                mv["sumo_link_indices"] = list(m.sumo_link_indices)
            moves.append(mv)
        if moves:
            d["movements"] = moves
        if s.shared_lanes:
            d["shared_lanes"] = [list(p) for p in sorted(s.shared_lanes)]
        if not same_conflicts:
            d["conflicts"] = {
                "conflict": [list(p) for p in sorted(s.conflicts - s.permissive)],
                "permissive": [list(p) for p in sorted(s.permissive)],
            }
        d["phases"] = [
            {
                "number": p.number,
                **({"name": p.name} if p.name else {}),
                "protected": list(p.protected),
                "permitted": list(p.permitted),
                **{k: _num(getattr(p, k)) for k in _PHASE_LIMITS},
            }
            for p in s.phases
        ]
        d["rings"] = [list(r) for r in s.rings]
        d["barriers"] = [list(b) for b in s.barriers]
        if s.sumo is not None:
            prog = s.sumo
            d["sumo"] = {
                "tls_id": prog.tls_id,
                "program_id": prog.program_id,
                "type": prog.type,
                "offset_s": _num(prog.offset_s),
                "link_count": prog.link_count,
                "phases": [
                    {
                        "duration_s": _num(ph.duration_s),
                        "state": ph.state,
                        **({"min_dur_s": _num(ph.min_dur_s)} if ph.min_dur_s is not None else {}),
                        **({"max_dur_s": _num(ph.max_dur_s)} if ph.max_dur_s is not None else {}),
                        **({"name": ph.name} if ph.name else {}),
                    }
                    for ph in prog.phases
                ],
                **({"params": dict(prog.params)} if prog.params else {}),
            }
        isecs[s.id] = d
    doc["intersections"] = isecs
    return doc


class _FlowListDumper(Dumper):
    """Dumps short lists of scalars in flow style ([a, b]) to keep files readable."""


def _repr_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(x, dict | list) for x in data) or all(
        isinstance(x, list) and all(not isinstance(y, dict | list) for y in x) for x in data
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _repr_dict(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.Node:
    flow = len(data) <= 10 and all(
        not isinstance(v, dict)
        and not (isinstance(v, list) and any(isinstance(x, dict | list) for x in v))
        for v in data.values()
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_FlowListDumper.add_representer(list, _repr_list)
_FlowListDumper.add_representer(dict, _repr_dict)


def write_network(net: Network, path: str | Path, *, compact: bool = False) -> Path:
    """Write a network as YAML (atomically); returns the path written.

    ``compact`` leaves out movements and conflicts that the geometry implies (see
    :func:`network_to_dict`)."""
    target = Path(path)
    text = yaml.dump(
        network_to_dict(net, compact=compact), Dumper=_FlowListDumper, sort_keys=False, width=100
    )
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise InputError([Problem("", f"cannot write: {exc}", str(target))]) from None
    return target
