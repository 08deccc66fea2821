"""Arcs between signals for the platoon-progression model, packed for the kernels.

An *arc* joins signal ``u`` to signal ``v`` along a link that leaves ``u`` and, possibly through
unsignalized nodes with a single way on (SUMO splits edges at geometry nodes), ends at an approach
link of ``v``. Vehicles released by ``u``'s movements into the arc's first link arrive at ``v``'s
stop line as a dispersed platoon after the arc's free-flow travel time.

Arrays (``A`` arcs, ``S`` signals, movement positions as in
:class:`~signalbrain.timing._pack.TimingArrays`):

``arc_u``, ``arc_v``, ``arc_travel_s``, ``arc_link``
    upstream and downstream signal, cruise time from stop line to stop line [s] (see
    :func:`cruise_time_s`), approach link at ``v``.
``arc_feed_indptr``, ``arc_feed``
    movements of ``u`` that send traffic into the arc.
``link_arc``
    per link, the arc ending on it (-1 if none): arrivals on other approaches are uniform.
``sig_in_indptr``, ``sig_in``, ``sig_out_indptr``, ``sig_out``
    arcs ending at / starting from each signal (CSR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.network.model import Link, Network

__all__ = ["CRUISE_SPEED_RATIO", "ArcArrays", "cruise_time_s", "pack_arcs"]

I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]

MAX_CHAIN_LINKS = 20
CRUISE_SPEED_RATIO = 0.94
"""Mean cruise speed over the speed limit of vehicles that are not held up. Drivers keep a little
below the limit on average; in SUMO (Krauss driver with its default imperfection ``sigma = 0.5``
and speed factors of mean 1) the 10th to 25th percentiles of the stop-line-to-stop-line times
of all vehicles were 19 to 20 s over the 250 m of a generated grid and 22 to 24 s over the 300 m
of a generated corridor, 0.90 to 0.95 of the limit."""


@dataclass(frozen=True, eq=False)
class ArcArrays:
    """Arcs of the platoon model; see the module docstring."""

    arc_u: I32
    arc_v: I32
    arc_travel_s: F64
    arc_link: I32
    arc_feed_indptr: I32
    arc_feed: I32
    link_arc: I32
    sig_in_indptr: I32
    sig_in: I32
    sig_out_indptr: I32
    sig_out: I32

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return int(self.arc_u.size)

    def linked_signals(self) -> frozenset[int]:
        """Signals at either end of an arc, i.e. with a signalised neighbour; the others run
        alone (a coordination group of one)."""
        return frozenset((*self.arc_u.tolist(), *self.arc_v.tolist()))


def _csr(keys: list[int], n: int) -> tuple[I32, I32]:
    k = np.asarray(keys, dtype=np.int64)
    order = np.argsort(k, kind="stable").astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(
        np.bincount(k, minlength=n) if k.size else np.zeros(n, dtype=np.int64), out=indptr[1:]
    )
    return indptr, order


def cruise_time_s(net: Network, link: Link, speed_ratio: float = CRUISE_SPEED_RATIO) -> float:
    """Cruise time [s] along ``link`` from the upstream stop line to the downstream one.

    A link's ``length_m`` ends at the junctions (SUMO edges stop where the junction area starts),
    so the path a platoon drives between two stop lines also crosses the upstream junction: the
    distance is the larger of ``length_m`` and the straight distance between the link's nodes
    (nodes without coordinates give 0, and the length stands). The speed is the link's
    ``free_speed_mps`` times ``speed_ratio`` (TRANSYT's *cruise speed*, normally measured).
    """
    a, b = net.node(link.from_node), net.node(link.to_node)
    dist = math.hypot(a.x_m - b.x_m, a.y_m - b.y_m)
    return max(link.length_m, dist) / (link.free_speed_mps * speed_ratio)


def pack_arcs(
    net: Network, max_travel_s: float = 180.0, speed_ratio: float = CRUISE_SPEED_RATIO
) -> ArcArrays:
    """Find every arc of ``net`` with a cruise time (:func:`cruise_time_s`) up to
    ``max_travel_s``."""
    sig_of_node = {n: i for i, s in enumerate(net.intersections) for n in s.nodes}
    link_pos = {k.id: i for i, k in enumerate(net.links)}
    out_links: dict[str, list[str]] = {}
    for k in net.links:
        out_links.setdefault(k.from_node, []).append(k.id)
    feeders: dict[str, list[int]] = {}
    pos = 0
    for s in net.intersections:
        for m in s.movements:
            if m.turn != "P":
                feeders.setdefault(m.to_link, []).append(pos)
            pos += 1
    arc_u: list[int] = []
    arc_v: list[int] = []
    arc_t: list[float] = []
    arc_link: list[int] = []
    feed: list[list[int]] = []
    for first, movers in feeders.items():
        link = net.link(first)
        u = sig_of_node.get(link.from_node)
        if u is None:
            continue
        travel = cruise_time_s(net, link, speed_ratio)
        current = link
        for _ in range(MAX_CHAIN_LINKS):
            v = sig_of_node.get(current.to_node)
            if v is not None or travel > max_travel_s:
                break
            nxt = [
                x
                for x in out_links.get(current.to_node, ())
                if net.link(x).to_node != current.from_node
            ]
            if len(nxt) != 1:
                break
            current = net.link(nxt[0])
            travel += cruise_time_s(net, current, speed_ratio)
        v = sig_of_node.get(current.to_node)
        if v is None or v == u or travel > max_travel_s:
            continue
        arc_u.append(u)
        arc_v.append(v)
        arc_t.append(travel)
        arc_link.append(link_pos[current.id])
        feed.append(movers)
    n_sig = len(net.intersections)
    link_arc = np.full(len(net.links), -1, dtype=np.int32)
    for a, li in enumerate(arc_link):
        link_arc[li] = a
    f_ptr = np.zeros(len(feed) + 1, dtype=np.int32)
    np.cumsum([len(f) for f in feed], out=f_ptr[1:])
    in_ptr, in_arcs = _csr(arc_v, n_sig)
    out_ptr, out_arcs = _csr(arc_u, n_sig)
    return ArcArrays(
        arc_u=np.array(arc_u, dtype=np.int32),
        arc_v=np.array(arc_v, dtype=np.int32),
        arc_travel_s=np.array(arc_t, dtype=np.float64),
        arc_link=np.array(arc_link, dtype=np.int32),
        arc_feed_indptr=f_ptr,
        arc_feed=np.array([m for f in feed for m in f], dtype=np.int32),
        link_arc=link_arc,
        sig_in_indptr=in_ptr,
        sig_in=in_arcs,
        sig_out_indptr=out_ptr,
        sig_out=out_arcs,
    )
