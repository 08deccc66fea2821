"""Corridors: an ordered route of signals with its through movements and travel times.

A :class:`Corridor` is what two-way bandwidth optimisation (:mod:`signalbrain.timing.maxband`) and
the time-space diagram (:mod:`signalbrain.report.timespace`) work on. Between two consecutive
signals the corridor follows the link that joins them, also through unsignalized nodes where the
road has a single way on. At each signal the *outbound* movement continues along the corridor in
the direction of the listed order, the *inbound* movement in the opposite direction.
:func:`find_corridor` builds one from a list of signals, or finds the longest straight route of
the network when none is given (one whose consecutive signals a road joins both ways, as a
corridor needs).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from signalbrain.errors import InputError
from signalbrain.network.model import Intersection, Link, Network

__all__ = ["Corridor", "find_corridor"]

_MAX_CHAIN = 20


@dataclass(frozen=True, slots=True)
class Corridor:
    """An ordered route of signals.

    ``position_m`` is each signal's distance from the first along the route;
    ``out_travel_s[i]`` / ``in_travel_s[i]`` the free-flow travel time from signal ``i`` to
    ``i + 1`` and back; ``out_movements`` / ``in_movements`` the through movement of each signal
    in each direction (``None`` where the signal has none).
    """

    signals: tuple[str, ...]
    position_m: tuple[float, ...]
    out_travel_s: tuple[float, ...]
    in_travel_s: tuple[float, ...]
    out_movements: tuple[str | None, ...]
    in_movements: tuple[str | None, ...]


def _chain(
    net: Network,
    out_links: dict[str, list[Link]],
    first: Link,
    target: set[str],
    exclude: tuple[str, ...] = (),
) -> list[Link] | None:
    chain = [first]
    current = first
    for _ in range(_MAX_CHAIN):
        if current.to_node in target and current.to_node not in exclude:
            return chain
        if net.intersection_at(current.to_node) is not None:
            return None
        nxt = [k for k in out_links.get(current.to_node, ()) if k.to_node != current.from_node]
        if len(nxt) != 1:
            return None
        current = nxt[0]
        chain.append(current)
    return None


def _join(
    net: Network, out_links: dict[str, list[Link]], a: Intersection, b: Intersection
) -> list[Link] | None:
    target = set(b.nodes)
    best: list[Link] | None = None
    for node in a.nodes:
        for link in out_links.get(node, ()):
            if link.to_node in a.nodes:
                continue
            chain = _chain(net, out_links, link, target)
            if chain is not None and (
                best is None or sum(k.length_m for k in chain) < sum(k.length_m for k in best)
            ):
                best = chain
    return best


def _through(isec: Intersection, from_link: str | None, to_link: str | None) -> str | None:
    cands = [
        m
        for m in isec.movements
        if m.turn != "P"
        and (from_link is None or m.from_link == from_link)
        and (to_link is None or m.to_link == to_link)
    ]
    if not cands:
        return None
    cands.sort(key=lambda m: (m.turn != "T", m.id))
    return cands[0].id


def _straight_next(
    net: Network,
    out_links: dict[str, list[Link]],
    isec: Intersection,
    arriving: str | None,
    seen: set[str],
    signal_nodes: set[str],
) -> tuple[Intersection, list[Link]] | None:
    if arriving is None:
        return None
    for m in isec.movements:
        if m.from_link != arriving or m.turn != "T":
            continue
        chain = _chain(net, out_links, net.link(m.to_link), signal_nodes, isec.nodes)
        if chain is None:
            continue
        nxt = net.intersection_at(chain[-1].to_node)
        if nxt is not None and nxt.id not in seen and _join(net, out_links, nxt, isec) is not None:
            return nxt, chain
    return None


def _auto(net: Network, out_links: dict[str, list[Link]]) -> list[str]:
    best: list[str] = []
    signal_nodes = {n for s in net.intersections for n in s.nodes}
    for start in net.intersections:
        for node in start.nodes:
            for link in out_links.get(node, ()):
                chain = _chain(net, out_links, link, signal_nodes, start.nodes)
                if chain is None:
                    continue
                route = [start.id]
                seen = {start.id}
                cur = net.intersection_at(chain[-1].to_node)
                if cur is None or _join(net, out_links, cur, start) is None:
                    continue  # a corridor runs both ways: no road back, no corridor
                arriving: str | None = chain[-1].id
                while cur is not None and cur.id not in seen:
                    route.append(cur.id)
                    seen.add(cur.id)
                    step = _straight_next(net, out_links, cur, arriving, seen, signal_nodes)
                    if step is None:
                        break
                    cur, ch = step
                    arriving = ch[-1].id
                if len(route) > len(best):
                    best = route
    return best


def find_corridor(net: Network, signals: Sequence[str] | None = None) -> Corridor:
    """The corridor through ``signals`` in order, or the longest straight one of ``net``."""
    out_links: dict[str, list[Link]] = {}
    for k in net.links:
        out_links.setdefault(k.from_node, []).append(k)
    ids = list(signals) if signals is not None else _auto(net, out_links)
    known = {s.id for s in net.intersections}
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise InputError(
            f"route: unknown intersections {', '.join(unknown)}; known: "
            f"{', '.join(sorted(known)[:12])}"
        )
    if len(ids) < 2:
        raise InputError("route: a corridor needs at least two signals")
    isecs = [net.intersection(s) for s in ids]
    out_chain: list[list[Link]] = []
    in_chain: list[list[Link]] = []
    for a, b in itertools.pairwise(isecs):
        fwd = _join(net, out_links, a, b)
        back = _join(net, out_links, b, a)
        if fwd is None or back is None:
            raise InputError(
                f"route: no road joins {a.id} and {b.id} both ways (consecutive "
                "signals must be neighbours)"
            )
        out_chain.append(fwd)
        in_chain.append(back)
    pos = [0.0]
    for ch in out_chain:
        pos.append(pos[-1] + sum(k.length_m for k in ch))
    n = len(isecs)
    out_mv: list[str | None] = []
    in_mv: list[str | None] = []
    for i, isec in enumerate(isecs):
        arrive_out = out_chain[i - 1][-1].id if i > 0 else None
        leave_out = out_chain[i][0].id if i < n - 1 else None
        out_mv.append(_through(isec, arrive_out, leave_out))
        arrive_in = in_chain[i][-1].id if i < n - 1 else None
        leave_in = in_chain[i - 1][0].id if i > 0 else None
        in_mv.append(_through(isec, arrive_in, leave_in))
    return Corridor(
        tuple(ids),
        tuple(pos),
        tuple(sum(k.free_flow_time_s for k in ch) for ch in out_chain),
        tuple(sum(k.free_flow_time_s for k in ch) for ch in in_chain),
        tuple(out_mv),
        tuple(in_mv),
    )
