"""Where signalbrain places its own detectors in a SUMO network, and the additional file for them.

Controllers must sense traffic the way the field does. For every lane entering a controlled
junction signalbrain places a lane-area detector (SUMO E2, a camera's or radar's zone) over the
last ``reach_m`` metres before the stop line and an induction loop (E1) at the stop line; when the
approach lane is shorter than the reach, the zone continues upstream over the lanes of every
feeding edge (merges included) that does not end at another signal, until the reach is covered.
Each lane leaving the junction gets a lane-area detector over its first ``exit_reach_m`` metres
(spill-back), unless it is an approach of another equipped signal, whose own zone at the far end
sees where the queue builds. Nothing else is read: never vehicles' routes or destinations.

References
----------
Eclipse SUMO documentation, "Simulation/Output/Lanearea Detectors (E2)" and
"Simulation/Output/Induction Loops Detectors (E1)".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from signalbrain.sim.netxml import SumoNetIndex

__all__ = [
    "DEFAULT_EXIT_REACH_M",
    "DEFAULT_REACH_M",
    "DetectorSpec",
    "place_detectors",
    "write_detectors",
]

DEFAULT_REACH_M = 120.0  # a camera's or radar's useful reach upstream of the stop line
DEFAULT_EXIT_REACH_M = 50.0
_MIN_ZONE_M = 1.0
_LOOP_SETBACK_M = 1.0  # stop-line loop centre this far before the lane end


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """One SUMO detector signalbrain places.

    Parameters
    ----------
    id
        Detector id in SUMO (``sb.<kind>.<tls>.<n>``).
    kind
        ``"area"`` (E2 zone) or ``"loop"`` (E1 at the stop line).
    role
        ``"approach"`` (upstream of the stop line) or ``"exit"`` (downstream of the junction).
    tls_id
        The traffic light the detector serves.
    edge
        The approach or exit edge (at the junction) whose readings this detector feeds.
    lane
        The lane the detector lies on.
    start_m, end_m
        Zone on ``lane`` from the lane start [m] (equal for a loop).
    to_stop_m
        Distance from the downstream end of ``lane`` to the stop line [m] (0 on the approach lane,
        the approach length on an upstream lane; negative for exits, unused).
    """

    id: str
    kind: Literal["area", "loop"]
    role: Literal["approach", "exit"]
    tls_id: str
    edge: str
    lane: str
    start_m: float
    end_m: float
    to_stop_m: float = 0.0

    @property
    def length_m(self) -> float:
        """Zone length [m]."""
        return self.end_m - self.start_m


def place_detectors(
    index: SumoNetIndex,
    tls_ids: Iterable[str] | None = None,
    *,
    reach_m: float = DEFAULT_REACH_M,
    exit_reach_m: float = DEFAULT_EXIT_REACH_M,
) -> tuple[DetectorSpec, ...]:
    """Detectors for the given traffic lights (all controlled ones by default).

    Parameters
    ----------
    index
        The network's lanes and controlled connections.
    tls_ids
        Traffic lights to equip.
    reach_m
        Zone length upstream of each stop line [m].
    exit_reach_m
        Zone length downstream on each exit lane [m] (0 places no exit detectors).
    """
    wanted = index.tls_ids if tls_ids is None else tuple(tls_ids)
    wanted_set = set(wanted)
    watched = {c.from_edge for c in index.connections if c.tls_id in wanted_set}
    out: list[DetectorSpec] = []
    for tls in wanted:
        n = 0

        def add(
            kind: Literal["area", "loop"],
            role: Literal["approach", "exit"],
            edge: str,
            lane: str,
            start: float,
            end: float,
            to_stop: float,
            tls: str = tls,
        ) -> None:
            nonlocal n
            out.append(
                DetectorSpec(
                    f"sb.{kind}.{tls}.{n}",
                    kind,
                    role,
                    tls,
                    edge,
                    lane,
                    round(start, 2),
                    round(end, 2),
                    round(to_stop, 2),
                )
            )
            n += 1

        lanes = index.incoming_lanes(tls)
        short_edges: dict[str, float] = {}
        for lane_id in lanes:
            lane = index.lanes[lane_id]
            length = lane.length_m
            add("area", "approach", lane.edge, lane_id, max(0.0, length - reach_m), length, 0.0)
            add(
                "loop",
                "approach",
                lane.edge,
                lane_id,
                max(0.0, length - _LOOP_SETBACK_M),
                max(0.0, length - _LOOP_SETBACK_M),
                0.0,
            )
            if length < reach_m:
                short_edges[lane.edge] = min(short_edges.get(lane.edge, length), length)
        for edge, covered in short_edges.items():
            # Walk upstream through every feeding edge that does not end at a signal until the
            # reach is covered (a camera at the stop line sees merging lanes too).
            frontier = [(edge, covered)]
            visited = {edge}
            while frontier:
                current, dist = frontier.pop()
                for pred in sorted(index.predecessors.get(current, frozenset())):
                    if pred in visited or pred in index.controlled_edges:
                        continue
                    visited.add(pred)
                    rest = reach_m - dist
                    ups = [index.lanes[u] for u in index.edge_lanes.get(pred, ())]
                    ups = [u for u in ups if u.motor and u.length_m >= _MIN_ZONE_M]
                    for up in ups:
                        add(
                            "area",
                            "approach",
                            edge,
                            up.id,
                            max(0.0, up.length_m - rest),
                            up.length_m,
                            dist,
                        )
                    shortest = min((u.length_m for u in ups), default=0.0)
                    if ups and shortest < rest:
                        frontier.append((pred, dist + shortest))
        if exit_reach_m > 0:
            exits = dict.fromkeys(
                c.to_lane for c in index.connections if c.tls_id == tls and c.to_lane in index.lanes
            )
            for lane_id in exits:
                lane = index.lanes[lane_id]
                if lane.edge in watched:
                    continue  # the next signal's own approach zone sees this link's queue
                if lane.motor and lane.length_m >= _MIN_ZONE_M:
                    add(
                        "area",
                        "exit",
                        lane.edge,
                        lane_id,
                        0.0,
                        min(exit_reach_m, lane.length_m),
                        0.0,
                    )
    return tuple(d for d in out if d.kind == "loop" or d.length_m >= _MIN_ZONE_M)


def write_detectors(specs: Iterable[DetectorSpec], path: str | Path) -> Path:
    """Write detectors as a SUMO additional file (no file output: readings go over the API)."""
    root = ET.Element("additional")
    for d in specs:
        if d.kind == "area":
            ET.SubElement(
                root,
                "laneAreaDetector",
                id=d.id,
                lane=d.lane,
                pos=f"{d.start_m:g}",
                endPos=f"{d.end_m:g}",
                period="86400",
                file="NUL",
                friendlyPos="true",
            )
        else:
            ET.SubElement(
                root,
                "inductionLoop",
                id=d.id,
                lane=d.lane,
                pos=f"{d.start_m:g}",
                period="86400",
                file="NUL",
                friendlyPos="true",
            )
    ET.indent(root)
    out = Path(path)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out
