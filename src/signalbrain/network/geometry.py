"""Intersection geometry: turn types and conflicts inferred from where the legs point.

When a network file does not list movements or conflicts, they follow from the node coordinates.
Each leg of an intersection has a compass angle; its incoming lane sits a little to one side of the
leg's axis and its outgoing lane to the other (which side depends on ``driving_side``). A
movement is then a chord of a small circle around the junction, from its entry point to its exit
point, and two movements conflict when their chords cross (the paths cross) or when they share
the exit (merge). This rule holds for any number of legs and any angles, so skewed and 5-leg
junctions work too.

A conflicting pair is *permissive* (may be green together when one yields, as a permitted left)
when a left or U turn crosses or merges with the through or right movement of the opposing leg, or
when a right turn merges with another stream. Crossing throughs never are, nor a left turn merging
with the crossing street's through.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from signalbrain.network.model import Link, Movement, Node, Turn, pair

__all__ = [
    "LegAngles",
    "classify_turn",
    "heading_deg",
    "infer_conflicts",
    "infer_movements",
    "leg_angle_deg",
    "movement_legs",
]

# Angular offset of the entry and exit points from the leg axis [deg]; any small value works.
_SIDE_OFFSET_DEG = 5.0


def heading_deg(x0: float, y0: float, x1: float, y1: float) -> float:
    """Compass-free heading of the vector from (x0, y0) to (x1, y1): degrees counter-clockwise
    from +x, in [0, 360)."""
    return math.degrees(math.atan2(y1 - y0, x1 - x0)) % 360.0


def leg_angle_deg(center: tuple[float, float], other: tuple[float, float]) -> float:
    """Angle [deg] at which a leg leaves the centre towards its other end."""
    return heading_deg(center[0], center[1], other[0], other[1])


def classify_turn(
    in_heading_deg: float, out_heading_deg: float, driving_side: str = "right"
) -> Turn:
    """Turn type from the heading of travel on the incoming and the outgoing link.

    A change of heading within +-45 deg is a through, beyond +-150 deg a U turn; a counter-clockwise
    change is a left turn. ``driving_side`` does not change left/right, only which side crosses
    opposing traffic (see :func:`infer_conflicts`).
    """
    delta = (out_heading_deg - in_heading_deg + 180.0) % 360.0 - 180.0
    if abs(delta) <= 45.0:
        return "T"
    if abs(delta) >= 150.0:
        return "U"
    return "L" if delta > 0 else "R"


@dataclass(frozen=True, slots=True)
class LegAngles:
    """For each movement, the angle of its entry leg and of its exit leg [deg]."""

    entry_deg: dict[str, float]
    exit_deg: dict[str, float]


def _chord(entry_leg: float, exit_leg: float, driving_side: str) -> tuple[float, float]:
    # Right-hand traffic: a vehicle approaching along a leg at angle a travels towards a+180 and
    # keeps to its right, which lies at a+offset seen from the centre; it leaves on the other side.
    s = _SIDE_OFFSET_DEG if driving_side == "right" else -_SIDE_OFFSET_DEG
    return ((entry_leg + s) % 360.0, (exit_leg - s) % 360.0)


def _interleave(c1: tuple[float, float], c2: tuple[float, float]) -> bool:
    lo, hi = sorted(c1)

    def inside(a: float) -> bool:
        return lo < a < hi

    return inside(c2[0]) != inside(c2[1])


def _opposing(a: float, b: float) -> bool:
    d = abs((a - b + 180.0) % 360.0 - 180.0)
    return d >= 135.0


def infer_conflicts(
    movements: Sequence[Movement], legs: LegAngles, driving_side: str = "right"
) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """Conflicting and permissive pairs of movements from leg angles.

    Returns
    -------
    conflicts, permissive
        Sets of sorted id pairs; ``permissive`` is a subset of ``conflicts``.
    """
    conflicts: set[tuple[str, str]] = set()
    permissive: set[tuple[str, str]] = set()
    chords = {
        m.id: _chord(legs.entry_deg[m.id], legs.exit_deg[m.id], driving_side)
        for m in movements
        if m.turn != "P"
    }
    vehicular = [m for m in movements if m.turn != "P"]
    for i, a in enumerate(vehicular):
        for b in vehicular[i + 1 :]:
            if a.from_link == b.from_link:
                continue  # diverging from one approach never conflicts
            merge = a.to_link == b.to_link
            if not merge and not _interleave(chords[a.id], chords[b.id]):
                continue
            key = pair(a.id, b.id)
            conflicts.add(key)
            opposing = _opposing(legs.entry_deg[a.id], legs.entry_deg[b.id])
            left_vs_opposing = opposing and (
                (a.turn in "LU" and b.turn in "TR") or (b.turn in "LU" and a.turn in "TR")
            )
            # A right turn may merge into a stream while yielding (permitted right); a left turn
            # merging with the crossing street's through may not.
            right_merge = merge and "R" in (a.turn, b.turn)
            if left_vs_opposing or right_merge:
                permissive.add(key)
    return frozenset(conflicts), frozenset(permissive)


def _center(node_ids: Sequence[str], nodes: Mapping[str, Node]) -> tuple[float, float]:
    xs = [nodes[n].x_m for n in node_ids]
    ys = [nodes[n].y_m for n in node_ids]
    return (sum(xs) / len(xs), sum(ys) / len(ys))


def movement_legs(
    movements: Sequence[Movement],
    links: Mapping[str, Link],
    nodes: Mapping[str, Node],
    node_ids: Sequence[str],
) -> LegAngles:
    """Leg angles of each movement's entry and exit, seen from the intersection centre."""
    c = _center(node_ids, nodes)
    entry: dict[str, float] = {}
    exit_: dict[str, float] = {}
    for m in movements:
        if m.turn == "P":
            continue
        up = nodes[links[m.from_link].from_node]
        down = nodes[links[m.to_link].to_node]
        entry[m.id] = leg_angle_deg(c, (up.x_m, up.y_m))
        exit_[m.id] = leg_angle_deg(c, (down.x_m, down.y_m))
    return LegAngles(entry, exit_)


def infer_movements(
    node_ids: Sequence[str],
    links: Mapping[str, Link],
    nodes: Mapping[str, Node],
    driving_side: str = "right",
    *,
    allow_u_turns: bool = False,
) -> list[Movement]:
    """Every movement from each incoming to each outgoing link of an intersection.

    Ids are ``FROM_LINK.TURN`` (``FROM_LINK.TURN2`` ... when one approach has two exits of the same
    turn type). Through movements get the approach's lanes, turns one lane each.
    """
    members = set(node_ids)
    incoming = [k for k in links.values() if k.to_node in members and k.from_node not in members]
    outgoing = [k for k in links.values() if k.from_node in members and k.to_node not in members]
    out: list[Movement] = []
    known = [k for k in (*incoming, *outgoing) if k.from_node in nodes and k.to_node in nodes]
    incoming = [k for k in incoming if k in known]
    outgoing = [k for k in outgoing if k in known]
    for a in incoming:
        pa, pb = nodes[a.from_node], nodes[a.to_node]
        h_in = heading_deg(pa.x_m, pa.y_m, pb.x_m, pb.y_m)
        used: dict[str, int] = {}
        for b in outgoing:
            if b.to_node == a.from_node and not allow_u_turns:
                continue
            qa, qb = nodes[b.from_node], nodes[b.to_node]
            turn = classify_turn(h_in, heading_deg(qa.x_m, qa.y_m, qb.x_m, qb.y_m), driving_side)
            if turn == "U" and not allow_u_turns:
                continue
            used[turn] = used.get(turn, 0) + 1
            suffix = "" if used[turn] == 1 else str(used[turn])
            lanes = a.lanes if turn == "T" else 1
            out.append(Movement(f"{a.id}.{turn}{suffix}", a.id, b.id, turn, lanes))
    return out
