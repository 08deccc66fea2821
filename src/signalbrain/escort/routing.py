"""Congestion-aware, turn-aware routing of an escorted vehicle, and its ETA at every signal.

The search runs on the link graph of :func:`signalbrain.network.to_link_graph` (nodes are links,
edges are the movements an intersection allows), so a route never takes a forbidden turn. The
cost of entering a link is the escort's travel time over it,

    t = length_m / clip(measured speed, min_speed_mps, free_speed_mps)
        + queue_weight * flush_s(queue) + turn penalty,

where ``flush_s`` is the green needed to discharge the standing queue at the link's stop line
(start-up lost time plus per-lane queue times the saturation headway): the window flushes it ahead
of the vehicle, but a long queue risks spill-back and clearing it delays cross traffic, so routes
avoid it when an alternative is about as fast [1]_. Turns pay a penalty (a permitted left must
still yield to oncoming traffic). The measured speed counts only on links without a standing
queue (at least one vehicle per lane): detectors near the stop line then measure the queue, which
the window flushes, not the speed the escort will drive at. Dijkstra's algorithm [2]_ runs on
plain adjacency lists built once per network, so re-planning on every position update stays fast.

References
----------
.. [1] Highway Capacity Manual, 7th ed., ch. 19 (saturation headway, start-up lost time).
.. [2] Dijkstra, E. W. (1959). A note on two problems in connexion with graphs. Numerische
   Mathematik 1, 269-271.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from signalbrain.control.base import LaneObservation
from signalbrain.errors import InputError, Problem
from signalbrain.escort.model import EscortConfig, LinkCondition
from signalbrain.network import Network, to_link_graph

__all__ = ["Route", "RoutingGraph", "SignalCrossing", "TravelTimes", "crossings"]


def _finite(x: float) -> float:
    """A reading as a count: ``x`` if finite and positive, else 0."""
    return max(float(x), 0.0) if math.isfinite(x) else 0.0


@dataclass(frozen=True, slots=True)
class Route:
    """A path of links; ``movements[i]`` and ``intersections[i]`` join ``links[i]`` to
    ``links[i + 1]`` (``None`` at unsignalized nodes). ``cost_s`` is the routing cost [s]."""

    links: tuple[str, ...]
    movements: tuple[str | None, ...]
    intersections: tuple[str | None, ...]
    cost_s: float


@dataclass(frozen=True, slots=True)
class SignalCrossing:
    """Where and when the escort crosses one signal.

    ``index`` is the position of the approach link in :attr:`Route.links`; ``eta_s`` the predicted
    arrival at the stop line [s]; ``queue_veh`` the vehicles to flush on the approach (standing
    queue plus a share of those moving within detector reach, see
    :meth:`TravelTimes.to_flush_veh`); ``storage_veh`` the vehicles that fit, standing at
    ``EscortConfig.jam_spacing_m`` per lane, on the route's links from the signal crossed before
    (or the vehicle) to this stop line (``None``: the approach link's alone); ``per_lane_veh``
    the vehicles to flush per lane in the lanes that serve the escort's movement
    (:meth:`TravelTimes.to_flush_per_lane`; ``None``: ``queue_veh`` over all the lanes).
    """

    intersection: str
    movement: str
    approach_link: str
    index: int
    distance_m: float
    eta_s: float
    queue_veh: float
    storage_veh: float | None = None
    per_lane_veh: float | None = None


class TravelTimes:
    """Current escort travel time per link, from free-flow speeds and measured conditions.

    Parameters
    ----------
    network
        The road network.
    config
        Planner constants (queue discharge, speed floor).
    conditions
        Measured :class:`LinkCondition` by link id (missing links are free-flowing).
    """

    def __init__(
        self,
        network: Network,
        config: EscortConfig | None = None,
        conditions: Mapping[str, LinkCondition] | None = None,
    ) -> None:
        self.network = network
        self.config = config or EscortConfig()
        n = len(network.links)
        self._length = [k.length_m for k in network.links]
        self._free = [k.free_speed_mps for k in network.links]
        self._lanes = [k.lanes for k in network.links]
        self._speed = list(self._free)
        self._queue = [0.0] * n
        self._ahead = [0.0] * n
        # per link, the latest per-lane readings (read only for the crossings of a route)
        self._lanes_seen: list[tuple[LaneObservation, ...]] = [()] * n
        self._queue_avg = [0.0] * n
        self._seen_s: list[float | None] = [None] * n
        self.drive_s = [k.free_flow_time_s for k in network.links]
        self.cost_s = list(self.drive_s)
        cfg = self.config
        self.turn_s = {
            "L": cfg.left_turn_s,
            "R": cfg.right_turn_s,
            "U": 2 * cfg.left_turn_s,
            "T": 0.0,
            "P": 0.0,
            "": 0.0,
        }
        if conditions:
            self.update(conditions)

    def update(self, conditions: Mapping[str, LinkCondition], t_s: float | None = None) -> None:
        """New measured conditions of the given links (others keep theirs).

        With ``t_s``, speeds and queues enter the routing cost smoothed exponentially with the
        time constant ``EscortConfig.smoothing_s`` (stop-line detectors swing with every red);
        the queue used to time the flush is always the latest.
        """
        cfg = self.config
        if t_s is not None and not math.isfinite(t_s):
            t_s = None  # no usable time: this reading is taken as it is, without smoothing
        for link_id, cond in conditions.items():
            if not self.network.has_link(link_id):
                continue
            i = self.network.link_position(link_id)
            free = self._free[i]
            queue = _finite(cond.queue_veh)
            measured = cond.speed_mps
            if measured is None or not math.isfinite(measured) or queue >= self._lanes[i]:
                speed = free  # a standing queue is flushed ahead; its speed says nothing more
            else:
                floor = max(cfg.min_speed_mps, cfg.min_speed_fraction * free)
                speed = min(max(measured, floor), free)
            last = self._seen_s[i]
            if t_s is None or last is None or cfg.smoothing_s <= 0:
                alpha = 1.0
            else:
                alpha = 1.0 - math.exp(-max(t_s - last, 0.0) / cfg.smoothing_s)
            self._seen_s[i] = t_s
            self._speed[i] += alpha * (speed - self._speed[i])
            self._queue_avg[i] += alpha * (queue - self._queue_avg[i])
            self._queue[i] = queue
            self._ahead[i] = queue + cfg.moving_weight * _finite(cond.moving_veh)
            self._lanes_seen[i] = cond.lanes
            self.drive_s[i] = self._length[i] / self._speed[i]
            self.cost_s[i] = self.drive_s[i] + cfg.queue_weight * cfg.flush_s(
                self._queue_avg[i], self._lanes[i]
            )

    def queue_veh(self, link_index: int) -> float:
        """Measured standing queue on a link [veh]."""
        return self._queue[link_index]

    def to_flush_veh(self, link_index: int) -> float:
        """Vehicles to discharge ahead of the escort [veh]: the standing queue plus
        ``moving_weight`` of the vehicles moving within detector reach."""
        return self._ahead[link_index]

    def to_flush_per_lane(self, link_index: int, movement: str) -> float | None:
        """Vehicles per lane to discharge ahead of an escort taking ``movement`` [veh]: those
        ahead (as :meth:`to_flush_veh`) in the lanes that serve the movement, over the number
        of those lanes; ``None`` without per-lane readings or when no lane at the stop line
        serves it.

        A queue stands in the lanes its vehicles turn from: on atlanta_1x5 (seed 1) eight
        vehicles stood in the through lane of a two-lane approach and at most one in the other
        (a left-turn lane), so the through escort met a queue twice as long per lane as the
        link's total spread over both lanes, and stopped at its tail.

        Readings of lanes without movements (the detector zone continued upstream over the
        lanes feeding a short approach, see :mod:`signalbrain.sim.detectors`) are vehicles that
        have not chosen their stop-line lane yet: they join the escort's lanes in the share the
        lanes at the stop line show (those serving the movement against all, one vehicle added
        to each lane so that empty lanes split evenly). Spread over every lane of the link
        instead, they made cologne1's first ambulance (11 SUMO seeds) meet a queue on its
        left-turn lane twice as long as planned: the queue upstream of a merge 41 m before the
        signal stood almost all in that lane, and the ambulance, merging from a side road,
        yielded to it for 10-25 s."""
        seen = self._lanes_seen[link_index]
        if not seen:
            return None
        w = self.config.moving_weight

        def ahead(ln: LaneObservation) -> float:
            return _finite(ln.queue_veh) + w * _finite(max(ln.vehicles_veh - ln.queue_veh, 0.0))

        at_stop = [ln for ln in seen if ln.movements]
        serving = [ahead(ln) for ln in at_stop if movement in ln.movements]
        if not serving:
            return None
        upstream = sum(ahead(ln) for ln in seen if not ln.movements)
        if upstream > 0:
            share = (sum(serving) + len(serving)) / (
                sum(ahead(ln) for ln in at_stop) + len(at_stop)
            )
            return (sum(serving) + share * upstream) / len(serving)
        return sum(serving) / len(serving)

    def speed_mps(self, link_index: int) -> float:
        """Planning speed of the escort on a link [m/s]."""
        return self._speed[link_index]


class RoutingGraph:
    """Adjacency lists of the turn-aware link graph, built once per network."""

    def __init__(self, network: Network) -> None:
        self.network = network
        graph = to_link_graph(network)
        pos = network.link_position
        self._succ: list[list[tuple[int, str | None, str | None, str]]] = [
            [] for _ in network.links
        ]
        for u, v, data in graph.edges(data=True):
            mv, isec = data.get("movement"), data.get("intersection")
            turn = network.intersection(isec).movement(mv).turn if mv and isec else ""
            self._succ[pos(u)].append((pos(v), mv, isec, turn))
        self._into: dict[str, list[int]] = {}
        self._out_of: dict[str, list[int]] = {}
        for i, link in enumerate(network.links):
            self._out_of.setdefault(link.from_node, []).append(i)
            self._into.setdefault(link.to_node, []).append(i)

    def add_passages(self, passages: Iterable[tuple[str, str, str]]) -> int:
        """Join links the model has no movement for but the road lets a vehicle pass.

        A SUMO link whose program never changes it (a right turn always green) is left out of
        the model (see :mod:`signalbrain.io.sumo_net`): SUMO keeps running it as it was, so a
        route may take it with no signal to serve, as at an unsignalised node.

        Parameters
        ----------
        passages
            ``(from_link, to_link, turn)`` with ``turn`` one of ``L``, ``T``, ``R``, ``U`` or
            ``""`` (unknown: no turn penalty). Pairs with an unknown link, or already joined,
            are skipped.

        Returns
        -------
        int
            How many passages were added.
        """
        net = self.network
        added = 0
        for u, v, turn in passages:
            if not (net.has_link(u) and net.has_link(v)):
                continue
            iu, iv = net.link_position(u), net.link_position(v)
            if any(step[0] == iv for step in self._succ[iu]):
                continue
            self._succ[iu].append((iv, None, None, turn if turn in ("L", "T", "R", "U") else ""))
            added += 1
        return added

    @cached_property
    def coordinated(self) -> frozenset[str]:
        """Ids of the signals that have a signalised neighbour: an arc of the timing engine's
        platoon model (:func:`signalbrain.timing._coord_pack.pack_arcs`, a cruise of at most
        180 s through unsignalised junctions) leads to or from another signal. The rest run
        alone: their offsets keep nothing in step (see :mod:`signalbrain.escort.recovery`)."""
        from signalbrain.timing._coord_pack import pack_arcs

        ids = [s.id for s in self.network.intersections]
        return frozenset(ids[i] for i in pack_arcs(self.network).linked_signals())

    def _endpoints(self, key: str, *, start: bool, what: str) -> list[int]:
        net = self.network
        if net.has_link(key):
            return [net.link_position(key)]
        if net.has_node(key):
            found = (self._out_of if start else self._into).get(key, [])
            if not found:
                way = "leaves" if start else "enters"
                raise InputError(
                    [Problem(what, f"{key!r}: no link of network {net.name!r} {way} this node")],
                    source=net.source,
                )
            return found
        raise InputError(
            [Problem(what, f"{key!r}: not a link or node of network {net.name!r}")],
            source=net.source,
        )

    def shortest(
        self,
        origin: str,
        destination: str,
        times: TravelTimes,
        *,
        first_cost_s: float | None = None,
    ) -> Route:
        """Least-cost route from ``origin`` to ``destination`` (link or node ids).

        ``first_cost_s`` replaces the cost of the origin link (the part still to drive); by
        default a trip starting at a link pays nothing for it, and one starting at a node pays
        the full first link.

        Raises
        ------
        InputError
            Unknown origin or destination, or no route between them.
        """
        net = self.network
        sources = self._endpoints(origin, start=True, what="origin")
        targets = set(self._endpoints(destination, start=False, what="destination"))
        origin_is_link = net.has_link(origin)
        cost = times.cost_s
        turn_s = times.turn_s
        dist: dict[int, float] = {}
        prev: dict[int, tuple[int, str | None, str | None]] = {}
        heap: list[tuple[float, int]] = []
        for s in sources:
            c0 = first_cost_s if first_cost_s is not None else (0.0 if origin_is_link else cost[s])
            if c0 < dist.get(s, math.inf):
                dist[s] = c0
                heapq.heappush(heap, (c0, s))
        done: set[int] = set()
        reached = -1
        while heap:
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            if u in targets:
                reached = u
                break
            for v, mv, isec, turn in self._succ[u]:
                nd = d + cost[v] + turn_s[turn]
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    prev[v] = (u, mv, isec)
                    heapq.heappush(heap, (nd, v))
        if reached < 0:
            raise InputError(
                f"no route from {origin!r} to {destination!r} in network "
                f"{net.name!r} (turns allowed by the intersections)",
                source=net.source,
            )
        links = [reached]
        movements: list[str | None] = []
        isecs: list[str | None] = []
        while links[-1] in prev:
            u, mv, isec = prev[links[-1]]
            links.append(u)
            movements.append(mv)
            isecs.append(isec)
        links.reverse()
        movements.reverse()
        isecs.reverse()
        ids = net.links
        return Route(tuple(ids[i].id for i in links), tuple(movements), tuple(isecs), dist[reached])

    def follow(self, links: Iterable[str], times: TravelTimes) -> Route:
        """A :class:`Route` along a given sequence of link ids (checked against allowed turns)."""
        net = self.network
        seq = list(links)
        problems = [
            Problem(f"route[{i}]", f"{k!r}: unknown link")
            for i, k in enumerate(seq)
            if not net.has_link(k)
        ]
        if problems or not seq:
            raise InputError(
                problems or [Problem("route", "empty; expected link ids")], source=net.source
            )
        idx = [net.link_position(k) for k in seq]
        movements: list[str | None] = []
        isecs: list[str | None] = []
        cost = 0.0
        for j in range(len(idx) - 1):
            step = next((s for s in self._succ[idx[j]] if s[0] == idx[j + 1]), None)
            if step is None:
                raise InputError(
                    [
                        Problem(
                            f"route[{j + 1}]",
                            f"{seq[j]!r} -> {seq[j + 1]!r}: no allowed movement joins these links",
                        )
                    ],
                    source=net.source,
                )
            movements.append(step[1])
            isecs.append(step[2])
            cost += times.cost_s[idx[j + 1]] + times.turn_s[step[3]]
        return Route(tuple(seq), tuple(movements), tuple(isecs), cost)


def crossings(
    route: Route,
    times: TravelTimes,
    *,
    t_s: float,
    index: int = 0,
    position_m: float = 0.0,
    speed_mps: float | None = None,
) -> list[SignalCrossing]:
    """ETA at the stop line of every signal still ahead on ``route``.

    The vehicle is on ``route.links[index]`` at ``position_m`` from its start at time ``t_s``.
    The rest of that link is driven at a blend of the reported speed and the planning speed
    (``EscortConfig.speed_blend``, never below the speed floor); later links at their planning
    speed (queues are flushed ahead of the vehicle, so they add no time to the ETA).
    """
    net = times.network
    cfg = times.config
    i0 = net.link_position(route.links[index])
    length = net.links[i0].length_m
    remaining = min(max(length - position_m, 0.0), length)
    v_plan = times.speed_mps(i0)
    if speed_mps is not None and math.isfinite(speed_mps):
        v = cfg.speed_blend * max(speed_mps, 0.0) + (1.0 - cfg.speed_blend) * v_plan
        v = max(v, min(cfg.min_speed_mps, v_plan))
    else:
        v = v_plan
    t = t_s + remaining / v
    dist = remaining
    stretch = remaining * net.links[i0].lanes  # lane metres since the last signal crossed
    out: list[SignalCrossing] = []
    for j in range(index, len(route.links) - 1):
        if j > index:
            k = net.link_position(route.links[j])
            t += times.drive_s[k]
            dist += net.links[k].length_m
            stretch += net.links[k].length_m * net.links[k].lanes
        isec = route.intersections[j]
        mv = route.movements[j]
        if isec is not None and mv is not None:
            k = net.link_position(route.links[j])
            flush = times.to_flush_veh(k)
            storage = stretch / cfg.jam_spacing_m
            per_lane = times.to_flush_per_lane(k, mv)
            out.append(
                SignalCrossing(isec, mv, route.links[j], j, dist, t, flush, storage, per_lane)
            )
            stretch = 0.0
    return out
