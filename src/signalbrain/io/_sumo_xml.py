"""One streaming pass over a SUMO ``.net.xml`` for what :mod:`sumolib` keeps private or drops.

Used by :mod:`signalbrain.io.sumo_net`: the ``lefthand`` flag, edge functions, each junction's
``incLanes`` and ``request`` rows, every connection in file order (per lane and per traffic
light) and ``tlLogic`` params. Gzipped files are read transparently.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signalbrain.errors import InputError

__all__ = ["Conn", "RawNet", "junction_indices", "request_bits", "scan_net"]


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
                    raise InputError(f"not a SUMO network: the root element is <{tag}>, "
                                     "expected <net>", source=str(path))
                raw.lefthand = a.get("lefthand", "false").lower() == "true"
            elif tag == "edge" and depth == 2:
                raw.functions[a["id"]] = a.get("function", "")
            elif tag == "junction" and depth == 2:
                junction = a["id"]
                raw.inc_lanes[junction] = a.get("incLanes", "").split()
            elif tag == "request" and junction is not None:
                raw.requests.setdefault(junction, {})[int(a["index"])] = (a["foes"],
                                                                          a["response"])
            elif tag == "connection" and depth == 2:
                conn = Conn(a["from"], a["to"], int(a["fromLane"]), int(a["toLane"]),
                             a.get("dir", "s"), a.get("tl"),
                             int(a["linkIndex"]) if "linkIndex" in a else None)
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
