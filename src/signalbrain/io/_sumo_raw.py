"""The raw network a pass over a SUMO ``.net.xml`` fills, and what is read off it.

The records (:class:`Conn`, :class:`RawEdge`, :class:`RawPhase`, :class:`RawProgram`,
:class:`RawNet`) are what both readers build: the expat pass of :mod:`signalbrain.io._sumo_xml`
and the compiled scanner of :mod:`signalbrain.io._sumo_net_scan`. Beside them, the bookkeeping
both readers share (:func:`file_conn` files a connection under its lane and traffic light,
:func:`add_lane` counts a lane into its edge's summary, reading ``allow``/``disallow`` as
sumolib does) and the readings of a junction's request numbering that
the network import makes (:func:`junction_indices`, :func:`request_bits`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "RAIL_JUNCTION_TYPES",
    "VEHICLE_CLASSES",
    "Conn",
    "RawEdge",
    "RawNet",
    "RawPhase",
    "RawProgram",
    "add_lane",
    "file_conn",
    "junction_indices",
    "request_bits",
]

VEHICLE_CLASSES = frozenset(
    (
        "aircraft",
        "army",
        "authority",
        "bicycle",
        "bus",
        "cable_car",
        "cityrail",
        "coach",
        "container",
        "custom1",
        "custom2",
        "delivery",
        "drone",
        "emergency",
        "evehicle",
        "hov",
        "lightrail",
        "moped",
        "motorcycle",
        "passenger",
        "pedestrian",
        "private",
        "public_army",
        "public_authority",
        "public_emergency",
        "public_transport",
        "rail",
        "rail_electric",
        "rail_fast",
        "rail_slow",
        "rail_urban",
        "scooter",
        "ship",
        "subway",
        "taxi",
        "trailer",
        "tram",
        "transport",
        "truck",
        "vip",
        "wheelchair",
    )
)
"""SUMO vehicle classes (SUMO docs, "Vehicle Type Parameter Defaults"; the set sumolib uses for
lanes without ``allow``), deprecated names included: what ``disallow`` is taken from."""


class Conn:
    """One ``connection`` element (``tl`` and ``link_index`` are None when uncontrolled)."""

    __slots__ = ("direction", "from_edge", "from_lane", "link_index", "tl", "to_edge")

    def __init__(
        self,
        from_edge: str,
        to_edge: str,
        from_lane: int,
        direction: str,
        tl: str | None,
        link_index: int | None,
    ) -> None:
        self.from_edge = from_edge
        self.to_edge = to_edge
        self.from_lane = from_lane
        self.direction = direction
        self.tl = tl
        self.link_index = link_index


@dataclass(slots=True)
class RawEdge:
    """A normal edge (no ``function``) and the summary of its lanes."""

    id: str
    from_node: str
    to_node: str
    car_lanes: int = 0
    """Lanes open to passenger cars."""
    vehicle_lanes: int = 0
    """Lanes open to some vehicle class other than pedestrians."""
    length_m: float = 0.0
    """Length of the first lane (sumolib's ``Edge.getLength``)."""
    speed_mps: float = 0.0
    """Speed of the last lane (sumolib's ``Edge.getSpeed``)."""
    lane_count: int = 0


RawPhase = tuple[float, str, float | None, float | None, str, str]
"""A ``phase``: (duration [s], state, minDur, maxDur, name, next); ``next`` is the attribute's
text ("" when absent)."""


@dataclass(slots=True)
class RawProgram:
    """A ``tlLogic``: type, offset [s] and phases ``(duration_s, state, min_dur, max_dur, name,
    next)``;
    ``min_dur``/``max_dur`` are None when absent or negative."""

    type: str
    offset_s: float
    phases: list[RawPhase] = field(default_factory=list)


RAIL_JUNCTION_TYPES = frozenset({"rail_crossing", "rail_signal"})
"""Junction types whose signals SUMO runs without a ``tlLogic`` (a level crossing closing the
road for trains, a railway block signal)."""


@dataclass(slots=True)
class RawNet:
    """What the pass collects."""

    lefthand: bool = False
    functions: dict[str, str] = field(default_factory=dict)
    edges: dict[str, RawEdge] = field(default_factory=dict)
    node_order: dict[str, None] = field(default_factory=dict)
    """Node ids in sumolib's order: end nodes of normal edges, then junctions, first seen."""
    coords: dict[str, tuple[float, float]] = field(default_factory=dict)
    inc_lanes: dict[str, list[str]] = field(default_factory=dict)
    requests: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)
    conns_by_lane: dict[str, list[Conn]] = field(default_factory=dict)
    tl_conns: dict[str, list[Conn]] = field(default_factory=dict)
    programs: dict[str, dict[str, RawProgram]] = field(default_factory=dict)
    """``{tls_id: {program_id: program}}`` in file order; a repeated program id replaces the
    earlier program in place (as sumolib does)."""
    tls_params: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    rail_junctions: set[str] = field(default_factory=set)
    """Junctions of a :data:`RAIL_JUNCTION_TYPES` type: their connections name them as ``tl``
    but SUMO builds their logic itself, so the file has no ``tlLogic`` for them."""


def _car_lane(allow: str | None, disallow: str | None) -> tuple[bool, bool]:
    """(open to passenger cars, open to a vehicle class other than pedestrians), with sumolib's
    reading of ``allow``/``disallow`` (``disallow`` wins when both are given)."""
    if disallow is None:
        if allow is None:
            return True, True
        classes = set(allow.split())
        return "passenger" in classes, bool(classes - {"pedestrian"})
    if disallow == "all":
        return False, False
    banned = set(disallow.split())
    return "passenger" not in banned, bool(VEHICLE_CLASSES - banned - {"pedestrian"})


def file_conn(
    conns_by_lane: dict[str, list[Conn]], tl_conns: dict[str, list[Conn]], conn: Conn
) -> None:
    """File a connection under its lane (``<from edge>_<lane>``) and, when it has a traffic
    light and link index, under that traffic light (both passes use this)."""
    key = f"{conn.from_edge}_{conn.from_lane}"
    by_lane = conns_by_lane.get(key)
    if by_lane is None:
        conns_by_lane[key] = [conn]
    else:
        by_lane.append(conn)
    tl = conn.tl
    if tl is not None and conn.link_index is not None:
        tl_list = tl_conns.get(tl)
        if tl_list is None:
            tl_conns[tl] = [conn]
        else:
            tl_list.append(conn)


def add_lane(
    edge: RawEdge, allow: str | None, disallow: str | None, length: str | None, speed: str | None
) -> None:
    """Count a lane into its edge's summary (``length`` is read for the first lane only;
    ``TypeError``/``ValueError`` for a missing or malformed number)."""
    if allow is None and disallow is None:
        edge.car_lanes += 1
        edge.vehicle_lanes += 1
    else:
        car, vehicle = _car_lane(allow, disallow)
        edge.car_lanes += car
        edge.vehicle_lanes += vehicle
    if edge.lane_count == 0:
        edge.length_m = float(length)  # type: ignore[arg-type]
    edge.speed_mps = float(speed)  # type: ignore[arg-type]
    edge.lane_count += 1


def junction_indices(raw: RawNet, junction: str) -> dict[int, int]:
    """``id(connection) -> junction request index`` (SUMO's NBRequest numbering, as in
    ``sumolib.net.node.Node.getLinkIndex``: incoming lanes in order, each lane's connections in
    file order, pedestrian links other than walking area to crossing skipped)."""
    out: dict[int, int] = {}
    index = 0
    functions = raw.functions
    for lane in raw.inc_lanes.get(junction, []):
        for conn in raw.conns_by_lane.get(lane, ()):
            f_from = functions.get(conn.from_edge, "")
            f_to = functions.get(conn.to_edge, "")
            if f_to == "walkingarea" or (f_from == "walkingarea" and f_to != "crossing"):
                continue
            out[id(conn)] = index
            index += 1
    return out


def request_bits(row: str) -> set[int]:
    """Indices set in a request row (SUMO writes link 0 as the last character)."""
    n = len(row)
    return {n - 1 - k for k, ch in enumerate(row) if ch == "1"}
