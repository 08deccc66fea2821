"""Route edges to movement counts, for :func:`signalbrain.io.demand.read_sumo_routes`: each
pair of consecutive edges of a route that a network movement joins (:func:`movement_by_links`)
counts the route's vehicles for that movement (:func:`_count_pairs`), in one compiled loop
(:mod:`signalbrain.io._route_kernels`) when the kernels are built ahead of time, else in numpy
(:func:`_count_pairs_numpy`, also the kernel's test oracle). The timings are in the docstring of
:mod:`signalbrain.io.demand`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from signalbrain.io._routes_scan import RouteEdges
from signalbrain.io._xml_scan import available
from signalbrain.network.model import Network

__all__ = ["movement_by_links"]


def movement_by_links(network: Network) -> dict[tuple[str, str], str]:
    """Movement id by ``(from_link, to_link)``: the first movement of turn other than ``P``
    that joins the two links."""
    out: dict[tuple[str, str], str] = {}
    for s in network.intersections:
        for m in s.movements:
            if m.turn != "P":
                out.setdefault((m.from_link, m.to_link), m.id)
    return out


def _edge_numbers(by_links: Mapping[tuple[str, str], str]) -> dict[str, int]:
    """The edge numbers of the pair count: edges in order of first appearance in the pairs."""
    return {e: k for k, e in enumerate(dict.fromkeys(itertools.chain.from_iterable(by_links)))}


def _flat_edges(
    routes: list[tuple[RouteEdges, float, bool]], edge_ids: Mapping[str, int]
) -> tuple[npt.NDArray[np.int64], list[int]]:
    """All routes' edge numbers (-1: an edge no pair has) end to end, and each route's
    length."""
    lengths = [len(edges) for edges, _, _ in routes]
    if not any(isinstance(edges, np.ndarray) for edges, _, _ in routes):
        flat = np.fromiter(
            map(
                edge_ids.get,
                itertools.chain.from_iterable([edges for edges, _, _ in routes]),
                itertools.repeat(-1),
            ),
            dtype=np.int64,
            count=sum(lengths),
        )
        return flat, lengths
    parts = [
        edges
        if isinstance(edges, np.ndarray)
        else np.fromiter(
            map(edge_ids.get, edges, itertools.repeat(-1)), dtype=np.int64, count=len(edges)
        )
        for edges, _, _ in routes
    ]
    return np.concatenate(parts), lengths


def _count_pairs(
    routes: list[tuple[RouteEdges, float, bool]],
    by_links: Mapping[tuple[str, str], str],
    edge_ids: Mapping[str, int] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Vehicles per movement, and heavy vehicles per movement, from ``(edges, vehicles, heavy)``
    per route: every pair of consecutive edges that ``by_links`` knows counts the route's
    vehicles for that movement.

    The same sums, added in the same order, as a loop over routes and pairs, in one compiled
    loop (:func:`signalbrain.io._route_kernels.pair_count_kernel`) when the kernels are built
    ahead of time, else with the pair lookups vectorised in numpy (``np.bincount`` adds its
    weights in input order): the hot part of reading 9,000 routes on a 1,300-signal grid.
    Movements appear in order of their first count. ``edge_ids`` (default: worked out) must be
    :func:`_edge_numbers` of ``by_links``, the numbers of the routes given as arrays.
    """
    if edge_ids is None:
        edge_ids = _edge_numbers(by_links)
    names = list(dict.fromkeys(by_links.values()))
    index = {m: k for k, m in enumerate(names)}
    n_edges = max(len(edge_ids), 1)
    ends = np.fromiter(
        map(edge_ids.__getitem__, itertools.chain.from_iterable(by_links)),
        dtype=np.int64,
        count=2 * len(by_links),
    )
    keys = ends[0::2] * n_edges + ends[1::2]
    target = np.fromiter(map(index.__getitem__, by_links.values()), np.int64, len(by_links))
    order = np.argsort(keys, kind="stable")
    keys, target = keys[order], target[order]
    flat, lengths = _flat_edges(routes, edge_ids)
    if not keys.size or flat.size < 2:
        return {}, {}
    vehicles = np.array([n for _, n, _ in routes], dtype=np.float64)
    is_heavy = np.array([h for _, _, h in routes], dtype=bool)
    if not available():  # in JIT mode importing numba costs more than the loop saves
        return _count_pairs_numpy(flat, lengths, keys, target, n_edges, vehicles, is_heavy, names)
    from signalbrain.io._route_kernels import pair_count_kernel

    ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    head_ptr = np.searchsorted(keys, np.arange(n_edges + 1, dtype=np.int64) * n_edges)
    sums, heavy_sums = np.zeros(len(names)), np.zeros(len(names))
    first = np.full(len(names), -1, dtype=np.int64)
    heavy_first = np.full(len(names), -1, dtype=np.int64)
    pair_count_kernel(
        flat,
        ptr,
        keys,
        head_ptr.astype(np.int64, copy=False),
        target,
        n_edges,
        vehicles,
        is_heavy,
        sums,
        heavy_sums,
        first,
        heavy_first,
    )
    return _in_order(sums, first, names), _in_order(heavy_sums, heavy_first, names)


def _in_order(
    sums: npt.NDArray[Any], rank: npt.NDArray[np.int64], names: list[str]
) -> dict[str, float]:
    """``{name: sum}`` of the counted movements (``rank >= 0``), in order of ``rank``."""
    seen = np.flatnonzero(rank >= 0)
    ordered = seen[np.argsort(rank[seen], kind="stable")]
    return dict(zip([names[k] for k in ordered.tolist()], sums[ordered].tolist(), strict=True))


def _count_pairs_numpy(
    flat: npt.NDArray[np.int64],
    lengths: list[int],
    keys: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64],
    n_edges: int,
    vehicles: npt.NDArray[np.float64],
    is_heavy: npt.NDArray[np.bool_],
    names: list[str],
) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`_count_pairs` in numpy (without the compiled kernels; also their test oracle)."""
    route_of = np.repeat(np.arange(len(lengths)), lengths)
    head, tail = flat[:-1], flat[1:]
    ok = (route_of[:-1] == route_of[1:]) & (head >= 0) & (tail >= 0)
    code = head[ok] * n_edges + tail[ok]
    at = np.minimum(np.searchsorted(keys, code), keys.size - 1)
    hit = keys[at] == code
    movement = target[at[hit]]
    pair_route = route_of[:-1][ok][hit]
    weights, heavy = vehicles[pair_route], is_heavy[pair_route]

    def totals(moves: npt.NDArray[np.int64], w: npt.NDArray[np.float64]) -> dict[str, float]:
        sums = np.bincount(moves, weights=w, minlength=len(names))
        # rank of each movement's first count (no sort: np.minimum.at is one pass)
        first = np.full(len(names), moves.size, dtype=np.int64)
        np.minimum.at(first, moves, np.arange(moves.size))
        return _in_order(sums, np.where(first < moves.size, first, -1), names)

    return totals(movement, weights), totals(movement[heavy], weights[heavy])
