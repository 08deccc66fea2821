"""The road model: nodes, directed links, movements, phases, intersections and the network.

Everything here is a frozen, slotted dataclass with units in field names. A :class:`Network` is
built once (by :mod:`signalbrain.io`, the generator or code) and never mutated; derived views (the
routing graph, packed arrays for kernels) are computed from it by :mod:`signalbrain.network.graph`
and :mod:`signalbrain.network.arrays`.

Vocabulary
----------
link
    A directed road section between two nodes with ``lanes``, ``length_m``, ``free_speed_mps`` and
    ``sat_flow_vphpl`` (saturation flow per lane [veh/h/lane]).
movement
    A permitted path through an intersection from one incoming link to one outgoing link, with a
    turn type ``L``, ``T``, ``R``, ``U`` (``P`` for a pedestrian crossing imported from SUMO).
phase
    A green interval numbered as in NEMA where it applies. It gives *protected* green (SUMO ``G``)
    to some movements and *permitted* green (SUMO ``g``: go, but yield) to others, and carries its
    timing limits.
conflict
    Two movements whose paths cross or merge. A conflicting pair may be green together only if it
    is *permissive* (e.g. a left turn and the opposing through) and at least one of the two is
    permitted, i.e. yields. Everything else that conflicts must never be green at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "CONFLICT",
    "NONE",
    "PERMISSIVE",
    "TURNS",
    "Intersection",
    "Link",
    "Movement",
    "Network",
    "Node",
    "Phase",
    "SumoPhase",
    "SumoProgram",
    "Turn",
    "pair",
]

Turn = Literal["L", "T", "R", "U", "P"]
TURNS: tuple[str, ...] = ("L", "T", "R", "U", "P")

# Values of the conflict matrix.
NONE = 0
PERMISSIVE = 1  # crossing or merging, but may be green together when one of them yields
CONFLICT = 2  # must never be green together


def pair(a: str, b: str) -> tuple[str, str]:
    """The canonical (sorted) key of an unordered pair of movement ids."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True, slots=True)
class Node:
    """A point of the road network: an intersection, a boundary (zone) node or a junction."""

    id: str
    x_m: float = 0.0
    y_m: float = 0.0


@dataclass(frozen=True, slots=True)
class Link:
    """A directed road section from ``from_node`` to ``to_node``."""

    id: str
    from_node: str
    to_node: str
    lanes: int
    length_m: float
    free_speed_mps: float
    sat_flow_vphpl: float = 1900.0

    @property
    def capacity_vph(self) -> float:
        """Saturation flow of all lanes together [veh/h]."""
        return self.lanes * self.sat_flow_vphpl

    @property
    def free_flow_time_s(self) -> float:
        """Travel time at free speed [s]."""
        return self.length_m / self.free_speed_mps


@dataclass(frozen=True, slots=True)
class Movement:
    """A path through an intersection from ``from_link`` to ``to_link``.

    ``sumo_link_indices`` are the traffic-light link indices of the SUMO connections this movement
    stands for (empty for networks not imported from SUMO); a plan's signal state is written back to
    SUMO at exactly these indices.
    """

    id: str
    from_link: str
    to_link: str
    turn: Turn
    lanes: int = 1
    sumo_link_indices: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Phase:
    """A green interval with its timing limits [s]."""

    number: int
    protected: tuple[str, ...]
    permitted: tuple[str, ...] = ()
    min_green_s: float = 5.0
    max_green_s: float = 60.0
    yellow_s: float = 3.0
    all_red_s: float = 1.0
    ped_min_s: float = 0.0
    name: str = ""

    @property
    def movements(self) -> tuple[str, ...]:
        """Every movement with green (protected first)."""
        return self.protected + self.permitted

    @property
    def clearance_s(self) -> float:
        """Yellow plus all-red [s]."""
        return self.yellow_s + self.all_red_s

    @property
    def min_split_s(self) -> float:
        """Shortest green-plus-clearance this phase may take [s]: the larger of the minimum green
        and the pedestrian minimum (walk plus flashing don't walk), plus yellow and all-red."""
        return max(self.min_green_s, self.ped_min_s) + self.clearance_s


@dataclass(frozen=True, slots=True)
class SumoPhase:
    """One phase of a SUMO ``tlLogic`` program, kept verbatim."""

    duration_s: float
    state: str
    min_dur_s: float | None = None
    max_dur_s: float | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class SumoProgram:
    """A SUMO traffic-light program as imported, so it can be written back unchanged."""

    tls_id: str
    program_id: str
    type: str
    offset_s: float
    phases: tuple[SumoPhase, ...]
    link_count: int
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Intersection:
    """A signal controller and everything it serves.

    ``rings`` lists phase numbers per ring in sequence order; phases of different rings run
    concurrently, separated by ``barriers`` (groups of phase numbers that cross a barrier together).
    A single-ring (stage-based) controller has one ring and one barrier group.

    ``conflicts`` holds every conflicting pair of movement ids (sorted pairs, see :func:`pair`);
    ``permissive`` the subset that may be green together when one of them yields.

    ``shared_lanes`` holds the pairs of movements (sorted, of one approach) whose traffic queues in
    a common lane, e.g. a through and a left turn from a shared left lane: a vehicle of one cannot
    pass the vehicles of the other standing ahead of it. Empty means every movement has lanes of
    its own (or nothing is known); SUMO import fills it from the connections' lanes.
    """

    id: str
    nodes: tuple[str, ...]
    movements: tuple[Movement, ...]
    phases: tuple[Phase, ...]
    conflicts: frozenset[tuple[str, str]]
    permissive: frozenset[tuple[str, str]] = frozenset()
    rings: tuple[tuple[int, ...], ...] = ()
    barriers: tuple[tuple[int, ...], ...] = ()
    cycle_min_s: float = 30.0
    cycle_max_s: float = 180.0
    sumo: SumoProgram | None = None
    notes: tuple[str, ...] = ()
    shared_lanes: frozenset[tuple[str, str]] = frozenset()
    _movement_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _phase_index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_movement_index", {m.id: i for i, m in enumerate(self.movements)})
        object.__setattr__(self, "_phase_index", {p.number: i for i, p in enumerate(self.phases)})
        if not self.rings and self.phases:
            object.__setattr__(self, "rings", (tuple(p.number for p in self.phases),))
        if not self.barriers and self.rings:
            object.__setattr__(self, "barriers", (tuple(n for r in self.rings for n in r),))

    def movement(self, movement_id: str) -> Movement:
        """The movement with this id (``KeyError`` if unknown)."""
        return self.movements[self._movement_index[movement_id]]

    def has_movement(self, movement_id: str) -> bool:
        """Whether this intersection has a movement with this id."""
        return movement_id in self._movement_index

    def movement_position(self, movement_id: str) -> int:
        """Index of a movement in :attr:`movements` (and in :meth:`conflict_matrix`)."""
        return self._movement_index[movement_id]

    def phase(self, number: int) -> Phase:
        """The phase with this number (``KeyError`` if unknown)."""
        return self.phases[self._phase_index[number]]

    def movement_clearances(self) -> tuple[dict[str, float], dict[str, float]]:
        """Each movement's yellow and all-red [s]: the longest over the phases serving it
        (the rule of the conflict monitor and the audit)."""
        yellow: dict[str, float] = {}
        all_red: dict[str, float] = {}
        for ph in self.phases:
            for m in ph.movements:
                yellow[m] = max(yellow.get(m, 0.0), ph.yellow_s)
                all_red[m] = max(all_red.get(m, 0.0), ph.all_red_s)
        return yellow, all_red

    def phase_clearances(self) -> dict[int, tuple[float, float]]:
        """The yellow and all-red [s] each phase's plan shows: the longest over every phase
        that serves any of its movements.

        The conflict monitor and the audit clear a movement by the longest yellow and all-red
        of the phases serving it (:class:`~signalbrain.control._rules.MovementClearances`);
        a plan that ended the movement with a shorter phase's clearance cut it short. (A SUMO
        import gives a phase whose pedestrian crossings end a clearance of its own while the
        vehicle-only phase after it, serving the same movements, has none: optimised programs
        of such a network showed 678 short all-reds in 360 s.)
        """
        yellow, all_red = self.movement_clearances()
        return {
            ph.number: (
                max([ph.yellow_s, *(yellow[m] for m in ph.movements)]),
                max([ph.all_red_s, *(all_red[m] for m in ph.movements)]),
            )
            for ph in self.phases
        }

    def relation(self, a: str, b: str) -> int:
        """:data:`NONE`, :data:`PERMISSIVE` or :data:`CONFLICT` between two movements."""
        key = pair(a, b)
        if key not in self.conflicts:
            return NONE
        return PERMISSIVE if key in self.permissive else CONFLICT

    def conflict_matrix(self) -> npt.NDArray[np.int8]:
        """Square matrix over :attr:`movements`: 0 none, 1 permissive, 2 conflict."""
        n = len(self.movements)
        out = np.zeros((n, n), dtype=np.int8)
        for a, b in self.conflicts:
            if a in self._movement_index and b in self._movement_index:
                i, j = self._movement_index[a], self._movement_index[b]
                value = PERMISSIVE if (a, b) in self.permissive else CONFLICT
                out[i, j] = out[j, i] = value
        return out

    def lane_sharers(self, movement_id: str) -> frozenset[str]:
        """Movements whose traffic shares a lane with ``movement_id`` (see ``shared_lanes``)."""
        return frozenset(
            b if a == movement_id else a for a, b in self.shared_lanes if movement_id in (a, b)
        )

    def unsafe_pairs(
        self, protected: Iterable[str], permitted: Iterable[str] = ()
    ) -> list[tuple[str, str]]:
        """Pairs of movements that must not be green together in a state giving protected green
        to ``protected`` and permitted green to ``permitted``."""
        prot = list(dict.fromkeys(protected))
        perm = [m for m in dict.fromkeys(permitted) if m not in prot]
        out: list[tuple[str, str]] = []
        green = prot + perm
        n_prot = len(prot)
        for i in range(len(green)):
            for j in range(i + 1, len(green)):
                rel = self.relation(green[i], green[j])
                both_protected = i < n_prot and j < n_prot
                if rel == CONFLICT or (rel == PERMISSIVE and both_protected):
                    out.append(pair(green[i], green[j]))
        return out

    def concurrent_phase_pairs(self) -> Iterator[tuple[int, int]]:
        """Pairs of phase numbers (different rings, same barrier) that can be green at once."""
        for group in self.barriers:
            members = set(group)
            rings = [[n for n in ring if n in members] for ring in self.rings]
            for r1 in range(len(rings)):
                for r2 in range(r1 + 1, len(rings)):
                    for a in rings[r1]:
                        for b in rings[r2]:
                            yield a, b

    def signal_groups(self) -> dict[str, tuple[str, ...]]:
        """Signal groups: movements that show the same indication in every phase.

        One group is one set of signal heads (a European *signal group*, a NEMA *vehicle signal*).
        Groups are numbered ``SG1``, ``SG2``... in order of their first movement; movements that no
        phase serves form a group of their own.
        """
        keys: dict[tuple[tuple[int, str], ...], list[str]] = {}
        for mv in self.movements:
            key = tuple(
                (ph.number, "G" if mv.id in ph.protected else "g")
                for ph in self.phases
                if mv.id in ph.protected or mv.id in ph.permitted
            )
            keys.setdefault(key or (("unserved", mv.id),), []).append(mv.id)  # type: ignore[arg-type]
        return {f"SG{i + 1}": tuple(ids) for i, ids in enumerate(keys.values())}

    @property
    def approach_links(self) -> tuple[str, ...]:
        """Incoming links with at least one movement, in first-seen order."""
        return tuple(dict.fromkeys(m.from_link for m in self.movements if m.turn != "P"))


@dataclass(frozen=True, slots=True)
class Network:
    """A road network with its signalized intersections.

    ``source`` names the file it was read from (used in messages); ``driving_side`` is ``right``
    or ``left`` and decides which turns cross opposing traffic.
    """

    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    intersections: tuple[Intersection, ...]
    driving_side: Literal["right", "left"] = "right"
    source: str | None = field(default=None, compare=False)
    notes: tuple[str, ...] = ()
    _node_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _link_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _isec_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _node_isec: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_node_index", {n.id: i for i, n in enumerate(self.nodes)})
        object.__setattr__(self, "_link_index", {k.id: i for i, k in enumerate(self.links)})
        object.__setattr__(self, "_isec_index", {s.id: i for i, s in enumerate(self.intersections)})
        object.__setattr__(
            self, "_node_isec", {n: s.id for s in self.intersections for n in s.nodes}
        )

    def node(self, node_id: str) -> Node:
        """The node with this id (``KeyError`` if unknown)."""
        return self.nodes[self._node_index[node_id]]

    def link(self, link_id: str) -> Link:
        """The link with this id (``KeyError`` if unknown)."""
        return self.links[self._link_index[link_id]]

    def intersection(self, intersection_id: str) -> Intersection:
        """The intersection with this id (``KeyError`` if unknown)."""
        return self.intersections[self._isec_index[intersection_id]]

    def has_node(self, node_id: str) -> bool:
        """Whether a node with this id exists."""
        return node_id in self._node_index

    def has_link(self, link_id: str) -> bool:
        """Whether a link with this id exists."""
        return link_id in self._link_index

    def node_position(self, node_id: str) -> int:
        """Index of a node in :attr:`nodes`."""
        return self._node_index[node_id]

    def link_position(self, link_id: str) -> int:
        """Index of a link in :attr:`links`."""
        return self._link_index[link_id]

    def intersection_at(self, node_id: str) -> Intersection | None:
        """The intersection controlling a node, if any."""
        isec = self._node_isec.get(node_id)
        return None if isec is None else self.intersection(isec)

    @property
    def signal_count(self) -> int:
        """Number of signal controllers."""
        return len(self.intersections)

    @property
    def movement_count(self) -> int:
        """Number of movements over all intersections."""
        return sum(len(s.movements) for s in self.intersections)

    @property
    def phase_count(self) -> int:
        """Number of phases over all intersections."""
        return sum(len(s.phases) for s in self.intersections)
