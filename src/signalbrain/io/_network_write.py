"""A network back to its YAML document, and the file writer.

:func:`network_to_dict` writes out every movement, conflict and limit (or, with
``compact=True``, leaves out the movements and conflicts the geometry implies);
:func:`write_network` dumps it with short lists and mappings in flow style, atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from signalbrain.errors import InputError, Problem
from signalbrain.io._intersection_yaml import _PHASE_LIMITS
from signalbrain.io._yaml import Dumper
from signalbrain.network.geometry import infer_conflicts, infer_movements, movement_legs
from signalbrain.network.model import Intersection, Network

__all__ = ["network_to_dict", "write_network"]


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
