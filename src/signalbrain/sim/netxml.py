"""The parts of a SUMO ``.net.xml`` the closed loop needs, read in one streaming pass.

The road model itself comes from :func:`signalbrain.io.sumo_net.read_sumo_net`; this module only
indexes what the adapter needs to place detectors and to convert programs: lane ids and lengths,
the traffic-light connections (``tl``/``linkIndex``) and the ``tlLogic`` programs as loaded,
their phases in the order SUMO runs them (a converted program is written without ``next``
attributes, so phases that have them are put in the order they give: see :func:`_running_order`).
Reading it directly keeps the ``sumo``, ``actuated`` and ``delay_based`` baselines independent of
how far signalbrain's import understands a junction.

References
----------
Eclipse SUMO documentation, "Networks/SUMO Road Networks" (edges, lanes, connections, tlLogic).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from signalbrain._files import open_maybe_gzip
from signalbrain.errors import InputError, Problem
from signalbrain.network import SumoPhase, SumoProgram

__all__ = ["SumoLane", "SumoNetIndex", "TlsConnection", "read_net_index", "running_programs"]

# Vehicle classes that count as road traffic a detector should see.
_MOTOR = frozenset(
    {
        "passenger",
        "private",
        "taxi",
        "bus",
        "coach",
        "delivery",
        "truck",
        "trailer",
        "emergency",
        "motorcycle",
        "moped",
        "evehicle",
        "authority",
        "army",
        "vip",
        "custom1",
        "custom2",
    }
)


@dataclass(frozen=True, slots=True)
class SumoLane:
    """A normal (non-internal) lane: ``motor`` is False for lanes closed to road vehicles
    (sidewalks, bike lanes, rails)."""

    id: str
    edge: str
    index: int
    length_m: float
    motor: bool = True


@dataclass(frozen=True, slots=True)
class TlsConnection:
    """A connection controlled by a traffic light, at signal link index ``link_index``."""

    tls_id: str
    link_index: int
    from_edge: str
    from_lane: str
    to_edge: str
    to_lane: str


@dataclass(frozen=True, slots=True)
class SumoNetIndex:
    """Lanes, controlled connections, programs and edge adjacency of a SUMO network."""

    source: str
    lanes: Mapping[str, SumoLane]
    edge_lanes: Mapping[str, tuple[str, ...]]
    connections: tuple[TlsConnection, ...]
    programs: tuple[SumoProgram, ...]
    predecessors: Mapping[str, frozenset[str]]
    controlled_edges: frozenset[str] = field(default_factory=frozenset)

    @property
    def tls_ids(self) -> tuple[str, ...]:
        """Traffic lights with at least one controlled connection, in file order."""
        return tuple(dict.fromkeys(c.tls_id for c in self.connections))

    def incoming_lanes(self, tls_id: str) -> tuple[str, ...]:
        """Distinct motor-vehicle lanes entering a traffic light's controlled connections."""
        return tuple(
            dict.fromkeys(
                c.from_lane
                for c in self.connections
                if c.tls_id == tls_id and self.lanes[c.from_lane].motor
            )
        )


def _motor(allow: str | None, disallow: str | None) -> bool:
    if allow is not None:
        classes = set(allow.split())
        return "all" in classes or bool(classes & _MOTOR)
    if disallow is not None:
        classes = set(disallow.split())
        return not ("all" in classes or classes >= _MOTOR)
    return True


def _number(elem: ET.Element, name: str, source: str) -> float | None:
    text = elem.get(name)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(
            [
                Problem(
                    f"{elem.tag}[id={elem.get('id', '?')}].{name}",
                    f"{text!r} is not a number",
                    source,
                )
            ]
        ) from None


def read_net_index(path: str | Path) -> SumoNetIndex:
    """Index a SUMO network file (streaming; internal lanes are skipped).

    Raises
    ------
    InputError
        The file is missing or is not a SUMO network.
    """
    source = str(path)
    if not Path(path).is_file():
        raise InputError(f"SUMO network not found: {source}")
    lanes: dict[str, SumoLane] = {}
    edge_lanes: dict[str, list[str]] = {}
    connections: list[TlsConnection] = []
    programs: list[SumoProgram] = []
    predecessors: dict[str, set[str]] = {}
    controlled: set[str] = set()
    internal: set[str] = set()
    root_seen = False
    try:
        stream = open_maybe_gzip(path)
    except OSError as exc:
        raise InputError([Problem("", f"cannot read: {exc}", source)]) from None
    try:
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if elem.tag != "net":
                        raise InputError(
                            [Problem("", f"root element is <{elem.tag}>, expected <net>", source)]
                        )
                continue
            tag = elem.tag
            if tag == "edge":
                edge_id = elem.get("id", "")
                if elem.get("function") == "internal":
                    internal.add(edge_id)
                else:
                    for lane in elem.iter("lane"):
                        lane_id = lane.get("id", "")
                        lanes[lane_id] = SumoLane(
                            lane_id,
                            edge_id,
                            int(lane.get("index", "0")),
                            _number(lane, "length", source) or 0.0,
                            _motor(lane.get("allow"), lane.get("disallow")),
                        )
                        edge_lanes.setdefault(edge_id, []).append(lane_id)
                elem.clear()
            elif tag == "connection":
                src, dst = elem.get("from", ""), elem.get("to", "")
                if src in internal or dst in internal or src.startswith(":"):
                    continue
                predecessors.setdefault(dst, set()).add(src)
                tls = elem.get("tl")
                if tls is not None:
                    controlled.add(src)
                    connections.append(
                        TlsConnection(
                            tls,
                            int(elem.get("linkIndex", "-1")),
                            src,
                            f"{src}_{elem.get('fromLane', '0')}",
                            dst,
                            f"{dst}_{elem.get('toLane', '0')}",
                        )
                    )
            elif tag == "tlLogic":
                programs.append(_program(elem, source))
                elem.clear()
    except ET.ParseError as exc:
        raise InputError([Problem("", f"malformed network XML: {exc}", source)]) from None
    except (OSError, EOFError) as exc:  # a damaged gzip stream
        raise InputError([Problem("", f"cannot read: {exc}", source)]) from None
    finally:
        stream.close()
    # a level crossing or rail signal names its junction as tl but has no tlLogic (SUMO builds
    # its logic): no traffic light to drive, convert or audit
    logics = {p.tls_id for p in programs}
    connections = [
        c for c in connections if c.link_index >= 0 and c.from_lane in lanes and c.tls_id in logics
    ]
    counts: dict[str, int] = {}
    for c in connections:
        counts[c.tls_id] = max(counts.get(c.tls_id, 0), c.link_index + 1)
    programs = [
        SumoProgram(
            p.tls_id,
            p.program_id,
            p.type,
            p.offset_s,
            p.phases,
            max(counts.get(p.tls_id, 0), p.link_count),
            p.params,
        )
        for p in programs
    ]
    return SumoNetIndex(
        source=source,
        lanes=lanes,
        edge_lanes={k: tuple(v) for k, v in edge_lanes.items()},
        connections=tuple(connections),
        programs=tuple(programs),
        predecessors={k: frozenset(v) for k, v in predecessors.items()},
        controlled_edges=frozenset(controlled),
    )


def running_programs(
    index: SumoNetIndex, additional_files: Sequence[str | Path] = ()
) -> tuple[SumoProgram, ...]:
    """The program SUMO runs at each traffic light of ``index``, in the network's order: the
    last one loaded, the network's first, then those of ``additional_files`` in order (a
    configuration's, then the user's), as SUMO activates them. Programs of traffic lights the
    network does not have are left out.

    Raises
    ------
    InputError
        An additional file is missing or is malformed XML.
    """
    last: dict[str, SumoProgram] = {p.tls_id: p for p in index.programs}
    for path in additional_files:
        source = str(path)
        try:
            with open_maybe_gzip(path) as stream:
                events = ET.iterparse(stream, events=("end",))
                for _, elem in events:
                    if elem.tag != "tlLogic":
                        continue
                    known = last.get(elem.get("id", ""))
                    if known is not None:
                        program = _program(elem, source)
                        count = max(known.link_count, program.link_count)
                        last[known.tls_id] = replace(program, link_count=count)
                    elem.clear()
        except FileNotFoundError:
            raise InputError(f"additional file not found: {source}") from None
        except ET.ParseError as exc:
            raise InputError([Problem("", f"malformed additional file: {exc}", source)]) from None
        except (OSError, EOFError) as exc:
            raise InputError([Problem("", f"cannot read: {exc}", source)]) from None
    return tuple(last.values())


def _running_order(nexts: Sequence[str]) -> list[int]:
    """The phase indices in the order SUMO runs them, from phase 0, when phases have ``next``
    attributes (``nexts``, ``""`` where a phase has none: the following phase); the first of
    several targets, as the network import reads them. Phases never reached are left out; a
    sequence that loops back to a phase other than 0 gives that loop (phase 0 and the phases
    before the loop run once). File order when no phase has ``next`` or a target is not a phase
    index (which SUMO refuses)."""
    n = len(nexts)
    if not any(nexts):
        return list(range(n))
    order: list[int] = []
    k = 0
    while k not in order:
        order.append(k)
        targets = nexts[k].split()
        if not targets:
            k = (k + 1) % n
        elif targets[0].isdigit() and int(targets[0]) < n:
            k = int(targets[0])
        else:
            return list(range(n))
    return order[order.index(k) :]


def _program(elem: ET.Element, source: str) -> SumoProgram:
    elems = list(elem.iter("phase"))
    phases = [
        SumoPhase(
            duration_s=_number(elems[k], "duration", source) or 0.0,
            state=elems[k].get("state", ""),
            min_dur_s=_number(elems[k], "minDur", source),
            max_dur_s=_number(elems[k], "maxDur", source),
            name=elems[k].get("name", ""),
        )
        for k in _running_order([ph.get("next", "").strip() for ph in elems])
    ]
    params = tuple((p.get("key", ""), p.get("value", "")) for p in elem.iter("param"))
    link_count = max((len(p.state) for p in phases), default=0)
    return SumoProgram(
        tls_id=elem.get("id", ""),
        program_id=elem.get("programID", "0"),
        type=elem.get("type", "static"),
        offset_s=_number(elem, "offset", source) or 0.0,
        phases=tuple(phases),
        link_count=link_count,
        params=params,
    )
