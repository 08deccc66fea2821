"""The parts of an intersection in a network YAML file: movements, conflicts, phases, rings and
barriers, and the SUMO program it was imported from.

Each ``_parse_*`` function reads one part of ``intersections.ID`` into the
:mod:`signalbrain.network.model` records, reporting malformed fields to the
:class:`~signalbrain.io._fields.Fields` collector under the part's YAML path; movements and
conflicts given as ``auto`` (or left out) are inferred from the geometry. The intersection
itself is assembled by :func:`signalbrain.io.network_yaml.parse_network`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalbrain.errors import format_path
from signalbrain.io._fields import MISSING, Fields, _shown
from signalbrain.network.geometry import infer_conflicts, infer_movements, movement_legs
from signalbrain.network.model import (
    TURNS,
    Link,
    Movement,
    Node,
    Phase,
    SumoPhase,
    SumoProgram,
    Turn,
    pair,
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
