"""The sumolib-based SUMO importer that :func:`signalbrain.io.sumo_net.read_sumo_net` replaced:
the test oracle for the streaming reader.

This is the reader as it was before the single streaming pass (commit 6aeb811): sumolib for
edges, lanes, nodes and programs plus one ``iterparse`` pass for what sumolib drops. It shares
only :func:`~signalbrain.io.sumo_tls.build_intersection` (the signal model) and the network
dataclasses with the package, so an equal result means the new reader reads the same things.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from signalbrain.errors import InputError
from signalbrain.io.sumo_net import _coordinated_floors
from signalbrain.io.sumo_tls import SumoLink, build_intersection
from signalbrain.network.geometry import classify_turn, heading_deg
from signalbrain.network.model import (
    Intersection,
    Link,
    Network,
    Node,
    SumoPhase,
    SumoProgram,
    Turn,
)
from signalbrain.network.validate import validate_network


@dataclass(slots=True)
class Conn:
    from_edge: str
    to_edge: str
    from_lane: int
    to_lane: int
    direction: str
    tl: str | None
    link_index: int | None


@dataclass(slots=True)
class RawNet:
    """What one pass over the XML collects besides sumolib."""

    lefthand: bool = False
    functions: dict[str, str] = field(default_factory=dict)
    inc_lanes: dict[str, list[str]] = field(default_factory=dict)
    requests: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)
    conns_by_lane: dict[str, list[Conn]] = field(default_factory=dict)
    tl_conns: dict[str, list[Conn]] = field(default_factory=dict)
    tls_params: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)


def _open(path: Path) -> Any:
    with path.open("rb") as fh:
        magic = fh.read(2)
    return gzip.open(path) if magic == b"\x1f\x8b" else path.open("rb")


def scan_net(path: Path) -> RawNet:
    """One streaming pass: root attributes, junction rows, connections in order, tlLogic params."""
    raw = RawNet()
    junction: str | None = None
    tls: tuple[str, str] | None = None
    depth = 0
    with _open(path) as fh:
        for event, elem in ET.iterparse(fh, events=("start", "end")):
            if event == "end":
                depth -= 1
                if elem.tag == "junction":
                    junction = None
                elif elem.tag == "tlLogic":
                    tls = None
                if depth <= 1:
                    elem.clear()
                continue
            depth += 1
            tag, a = elem.tag, elem.attrib
            if depth == 1:
                if tag != "net":
                    raise InputError(
                        f"not a SUMO network: the root element is <{tag}>, expected <net>",
                        source=str(path),
                    )
                raw.lefthand = a.get("lefthand", "false").lower() == "true"
            elif tag == "edge" and depth == 2:
                raw.functions[a["id"]] = a.get("function", "")
            elif tag == "junction" and depth == 2:
                junction = a["id"]
                raw.inc_lanes[junction] = a.get("incLanes", "").split()
            elif tag == "request" and junction is not None:
                raw.requests.setdefault(junction, {})[int(a["index"])] = (a["foes"], a["response"])
            elif tag == "connection" and depth == 2:
                conn = Conn(
                    a["from"],
                    a["to"],
                    int(a["fromLane"]),
                    int(a["toLane"]),
                    a.get("dir", "s"),
                    a.get("tl"),
                    int(a["linkIndex"]) if "linkIndex" in a else None,
                )
                raw.conns_by_lane.setdefault(f"{conn.from_edge}_{conn.from_lane}", []).append(conn)
                if conn.tl is not None and conn.link_index is not None:
                    raw.tl_conns.setdefault(conn.tl, []).append(conn)
            elif tag == "tlLogic" and depth == 2:
                tls = (a["id"], a.get("programID", "0"))
                raw.tls_params.setdefault(tls, [])
            elif tag == "param" and tls is not None and depth == 3:
                raw.tls_params[tls].append((a["key"], a.get("value", "")))
    return raw


def junction_indices(raw: RawNet, junction: str) -> dict[int, int]:
    """``id(connection) -> junction request index`` (SUMO's NBRequest numbering, as in
    ``sumolib.net.node.Node.getLinkIndex``: incoming lanes in order, each lane's connections in
    file order, pedestrian links other than walking area to crossing skipped)."""
    out: dict[int, int] = {}
    index = 0
    for lane in raw.inc_lanes.get(junction, []):
        for conn in raw.conns_by_lane.get(lane, []):
            f_from = raw.functions.get(conn.from_edge, "")
            f_to = raw.functions.get(conn.to_edge, "")
            if f_to == "walkingarea" or (f_from == "walkingarea" and f_to != "crossing"):
                continue
            out[id(conn)] = index
            index += 1
    return out


def request_bits(row: str) -> set[int]:
    """Indices set in a request row (SUMO writes link 0 as the last character)."""
    n = len(row)
    return {n - 1 - k for k, ch in enumerate(row) if ch == "1"}


SAT_FLOW_VPHPL = 1800.0
"""Saturation flow given to every imported lane [veh/h/lane] (HCM 7th ed. base 1900, adjusted)."""

_DIR_TURN: dict[str, Turn] = {"s": "T", "l": "L", "L": "L", "r": "R", "R": "R", "t": "U"}
_NOT_VEHICLE = {"pedestrian"}


def _lanes(edge: Any) -> int:
    lanes = edge.getLanes()
    cars = sum(1 for lane in lanes if lane.allows("passenger"))
    if cars:
        return cars
    return sum(1 for lane in lanes if set(lane.getPermissions()) - _NOT_VEHICLE)


def _turn(conn: Conn, net: Any) -> Turn:
    if conn.direction in _DIR_TURN:
        return _DIR_TURN[conn.direction]
    a, b = net.getEdge(conn.from_edge), net.getEdge(conn.to_edge)
    (x0, y0), (x1, y1) = a.getFromNode().getCoord(), a.getToNode().getCoord()
    (u0, v0), (u1, v1) = b.getFromNode().getCoord(), b.getToNode().getCoord()
    return classify_turn(heading_deg(x0, y0, x1, y1), heading_deg(u0, v0, u1, v1))


def _program(
    tls: Any, program_id: str | None, raw: RawNet, source: str
) -> tuple[SumoProgram | None, list[str]]:
    programs = tls.getPrograms()
    tls_id = tls.getID()
    if not programs:
        return None, []
    notes = []
    if program_id is not None and program_id in programs:
        chosen = program_id
    else:
        chosen = list(programs)[-1]
        if program_id is not None:
            notes.append(f"has no program {program_id!r}: imported {chosen!r}, the one SUMO runs")
    if len(programs) > 1:
        notes.append(
            f"program {chosen!r} imported; the file also has "
            f"{', '.join(p for p in programs if p != chosen)}"
        )
    prog = programs[chosen]
    phases = tuple(
        SumoPhase(
            float(p.duration),
            p.state,
            float(p.minDur) if p.minDur is not None and p.minDur >= 0 else None,
            float(p.maxDur) if p.maxDur is not None and p.maxDur >= 0 else None,
            p.name or "",
        )
        for p in prog.getPhases()
    )
    return SumoProgram(
        tls_id,
        str(chosen),
        str(prog.getType()),
        float(prog.getOffset()),
        phases,
        len(phases[0].state) if phases else 0,
        tuple(raw.tls_params.get((tls_id, str(chosen)), ())),
    ), notes


def _check_program(program: SumoProgram, tls_conns: list[Conn], source: str) -> None:
    lengths = {len(p.state) for p in program.phases}
    problems = []
    if not program.phases:
        problems.append("has no phases")
    if len(lengths) > 1:
        problems.append(f"phases have states of different lengths {sorted(lengths)}")
    top = max((c.link_index for c in tls_conns if c.link_index is not None), default=-1)
    if program.phases and top >= min(lengths):
        problems.append(
            f"a connection uses link index {top} but states have {min(lengths)} characters"
        )
    if problems:
        raise InputError(
            f"traffic light {program.tls_id!r} program {program.program_id!r}: "
            + "; ".join(problems),
            source=source,
        )


def _intersection(
    tls: Any, net: Any, raw: RawNet, program_id: str | None, source: str, edge_ok: set[str]
) -> Intersection | None:
    program, notes = _program(tls, program_id, raw, source)
    if program is None:
        return None
    tls_id = tls.getID()
    conns = raw.tl_conns.get(tls_id, [])
    _check_program(program, conns, source)
    links: list[SumoLink] = []
    junction_of: dict[int, tuple[str, int]] = {}
    junctions: dict[str, dict[int, int]] = {}
    by_junction_index: dict[tuple[str, int], int] = {}
    for conn in conns:
        if conn.link_index is None:
            continue
        f_from = raw.functions.get(conn.from_edge, "")
        f_to = raw.functions.get(conn.to_edge, "")
        if f_from == "walkingarea" and f_to == "crossing":
            crossing = conn.to_edge.lstrip(":")
            node = crossing.rsplit("_", 1)[0]
            link = SumoLink(conn.link_index, crossing, crossing, 0, "P", node)
        elif conn.from_edge in edge_ok and conn.to_edge in edge_ok:
            node = net.getEdge(conn.from_edge).getToNode().getID()
            link = SumoLink(
                conn.link_index,
                conn.from_edge,
                conn.to_edge,
                conn.from_lane,
                _turn(conn, net),
                node,
            )
        else:
            continue
        if node not in junctions:
            junctions[node] = junction_indices(raw, node)
        jidx = junctions[node].get(id(conn))
        if jidx is not None:
            junction_of[conn.link_index] = (node, jidx)
            by_junction_index[(node, jidx)] = conn.link_index
        links.append(link)
    foes: set[tuple[int, int]] = set()
    yields: set[tuple[int, int]] = set()
    per_node: dict[str, list[tuple[int, int]]] = {}
    for (node, jj), j in by_junction_index.items():
        per_node.setdefault(node, []).append((jj, j))
    for i, (node, ji) in junction_of.items():
        row = raw.requests.get(node, {}).get(ji)
        if row is None:
            continue
        foe_bits, response_bits = request_bits(row[0]), request_bits(row[1])
        for jj, j in per_node[node]:
            if j == i:
                continue
            if jj in foe_bits or jj in response_bits:
                foes.add((i, j))
            if jj in response_bits:
                yields.add((i, j))
    nodes = list(dict.fromkeys(k.junction for k in links if k.turn != "P"))
    isec = build_intersection(tls_id, nodes, links, foes, yields, program)
    if notes:
        isec = replace(isec, notes=tuple(notes) + isec.notes)
    return isec


def _read(path: Path) -> Any:
    try:
        import sumolib  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        raise InputError(
            "reading SUMO networks needs sumolib: install signalbrain[sumo]", source=str(path)
        ) from None
    return sumolib.net.readNet(str(path), withPrograms=True, withConnections=True)


def _edges(net: Any) -> Iterator[tuple[Any, int]]:
    for edge in net.getEdges(withInternal=False):
        if edge.getFunction() not in ("", "normal"):
            continue
        lanes = _lanes(edge)
        if lanes:
            yield edge, lanes


def read_sumo_net_sumolib(path: str | Path, *, program_id: str | None = None) -> Network:
    """Import a SUMO network with its traffic lights.

    Parameters
    ----------
    path
        A SUMO ``.net.xml`` (or gzipped ``.net.xml.gz``) file.
    program_id
        Import this ``tlLogic`` program of every traffic light that has it (the others keep the
        default, with a note); by default the one SUMO runs (the last in the file).

    Returns
    -------
    Network
        Valid under ``validate_network(net, require_connected=False)``; SUMO-derived notes (e.g.
        ``unsafe original program: ...``) are in each ``Intersection.notes``. A network without
        traffic lights has zero intersections.

    Raises
    ------
    InputError
        Missing or unreadable file, malformed XML, not a SUMO network, sumolib not installed, a
        ``program_id`` no traffic light has, or a network whose import fails validation.

    Notes
    -----
    The mapping rules are in the module docstring. Behaviour of the state characters follows the
    SUMO documentation, "Traffic Lights" (https://sumo.dlr.de/docs/Simulation/Traffic_Lights.html).
    """
    p = Path(path)
    source = str(path)
    if not p.is_file():
        raise InputError(f"file not found: {source}")
    try:
        raw = scan_net(p)
    except ET.ParseError as exc:
        raise InputError(f"malformed XML: {exc}", source=source) from None
    except (OSError, EOFError, KeyError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"cannot read SUMO network: {exc!r}", source=source) from None
    try:
        net = _read(p)
    except InputError:
        raise
    except Exception as exc:  # sumolib raises assorted errors on broken files
        raise InputError(f"cannot read SUMO network: {exc!r}", source=source) from None
    links: list[Link] = []
    for edge, lanes in _edges(net):
        links.append(
            Link(
                edge.getID(),
                edge.getFromNode().getID(),
                edge.getToNode().getID(),
                lanes,
                max(float(edge.getLength()), 0.1),
                float(edge.getSpeed()),
                SAT_FLOW_VPHPL,
            )
        )
    edge_ok = {k.id for k in links}
    if program_id is not None:
        known = sorted({str(p) for t in net.getTrafficLights() for p in t.getPrograms()})
        if program_id not in known:
            raise InputError(
                f"no traffic light has a program {program_id!r}; programs: "
                f"{', '.join(known) or 'none'}",
                source=source,
            )
    intersections = []
    for tls in sorted(net.getTrafficLights(), key=lambda t: t.getID()):
        isec = _intersection(tls, net, raw, program_id, source, edge_ok)
        if isec is not None:
            intersections.append(isec)
    used = {k.from_node for k in links} | {k.to_node for k in links}
    used |= {n for s in intersections for n in s.nodes}
    nodes = []
    for node in net.getNodes():
        if node.getID() in used:
            x, y = node.getCoord()
            nodes.append(Node(node.getID(), float(x), float(y)))
    name = p.name.removesuffix(".gz").removesuffix(".xml").removesuffix(".net")
    side: Literal["right", "left"] = "left" if raw.lefthand else "right"
    network = Network(name, tuple(nodes), tuple(links), tuple(intersections), side, source)
    # the cycle floors of coordinated signals follow the importer's own rule (tested on its own
    # in test_sumo_net.py): this reference checks what is read from the file
    return validate_network(_coordinated_floors(network), require_connected=False)
