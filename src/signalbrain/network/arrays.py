"""Packed arrays (CSR) of a network: the only bridge between the model and numba kernels.

All arrays are contiguous, typed (``int32`` indices, ``float64`` quantities) and indexed by
position in :attr:`Network.nodes`, :attr:`Network.links`, the flattened movement list (intersection
by intersection, in order) and the flattened phase list.

CSR pairs
---------
``node_out_indptr, node_out_links``
    links leaving each node.
``link_down_indptr, link_down_movements``
    movements that leave each link (its turning options at the downstream intersection).
``link_up_indptr, link_up_movements``
    movements that feed each link.
``isec_movement_indptr``
    movements of intersection ``i`` are ``isec_movement_indptr[i]:isec_movement_indptr[i+1]``.
``isec_phase_indptr``
    phases of intersection ``i``, likewise.
``phase_movement_indptr, phase_movements, phase_movement_protected``
    movements each phase serves, and whether each is protected (1) or permitted (0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.network.model import TURNS, Network

__all__ = ["NetworkArrays", "to_arrays"]

I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]


def _csr(keys: I32, n: int) -> tuple[I32, I32]:
    """indptr and the stable order of items grouped by key in [0, n)."""
    order = np.argsort(keys, kind="stable").astype(np.int32)
    counts = np.bincount(keys, minlength=n) if len(keys) else np.zeros(n, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=indptr[1:])
    return indptr, order


@dataclass(frozen=True, eq=False)
class NetworkArrays:
    """Parallel arrays of a network; see the module docstring for the CSR layout."""

    node_ids: tuple[str, ...]
    link_ids: tuple[str, ...]
    movement_ids: tuple[str, ...]
    intersection_ids: tuple[str, ...]
    node_x_m: F64
    node_y_m: F64
    link_from: I32
    link_to: I32
    link_lanes: I32
    link_length_m: F64
    link_free_speed_mps: F64
    link_sat_flow_vph: F64
    node_out_indptr: I32
    node_out_links: I32
    movement_from_link: I32
    movement_to_link: I32
    movement_intersection: I32
    movement_turn: I8
    movement_lanes: I32
    link_down_indptr: I32
    link_down_movements: I32
    link_up_indptr: I32
    link_up_movements: I32
    isec_movement_indptr: I32
    isec_phase_indptr: I32
    phase_number: I32
    phase_min_green_s: F64
    phase_max_green_s: F64
    phase_yellow_s: F64
    phase_all_red_s: F64
    phase_ped_min_s: F64
    phase_movement_indptr: I32
    phase_movements: I32
    phase_movement_protected: I8

    def __post_init__(self) -> None:
        n_l, n_m = len(self.link_ids), len(self.movement_ids)
        shapes = {
            "link_from": n_l,
            "link_to": n_l,
            "link_lanes": n_l,
            "link_length_m": n_l,
            "movement_from_link": n_m,
            "movement_to_link": n_m,
            "movement_turn": n_m,
            "link_down_indptr": n_l + 1,
            "link_up_indptr": n_l + 1,
            "isec_movement_indptr": len(self.intersection_ids) + 1,
            "node_out_indptr": len(self.node_ids) + 1,
        }
        for name, n in shapes.items():
            arr = getattr(self, name)
            if arr.shape != (n,) or not arr.flags.c_contiguous:
                raise ValueError(
                    f"NetworkArrays.{name}: expected contiguous shape ({n},), got {arr.shape}"
                )


def to_arrays(net: Network) -> NetworkArrays:
    """Pack a network into :class:`NetworkArrays`."""
    node_pos = {n.id: i for i, n in enumerate(net.nodes)}
    link_pos = {k.id: i for i, k in enumerate(net.links)}
    link_from = np.array([node_pos[k.from_node] for k in net.links], dtype=np.int32)
    link_to = np.array([node_pos[k.to_node] for k in net.links], dtype=np.int32)
    out_indptr, out_links = _csr(link_from, len(net.nodes))

    turn_code = {t: i for i, t in enumerate(TURNS)}
    mv_ids: list[str] = []
    mv_from: list[int] = []
    mv_to: list[int] = []
    mv_isec: list[int] = []
    mv_turn: list[int] = []
    mv_lanes: list[int] = []
    isec_mv_ptr = [0]
    isec_ph_ptr = [0]
    ph_num: list[int] = []
    ph_lim: list[tuple[float, float, float, float, float]] = []
    ph_mv_ptr = [0]
    ph_mv: list[int] = []
    ph_prot: list[int] = []
    for s, isec in enumerate(net.intersections):
        local: dict[str, int] = {}
        for mv in isec.movements:
            local[mv.id] = len(mv_ids)
            mv_ids.append(mv.id)
            mv_from.append(link_pos.get(mv.from_link, -1))
            mv_to.append(link_pos.get(mv.to_link, -1))
            mv_isec.append(s)
            code = turn_code.get(mv.turn)
            mv_turn.append(TURNS.index(mv.turn) if code is None else code)  # (the usual error)
            mv_lanes.append(mv.lanes)
        isec_mv_ptr.append(len(mv_ids))
        clearances = isec.phase_clearances()  # a movement clears as its longest phase does
        for ph in isec.phases:
            ph_num.append(ph.number)
            yellow, all_red = clearances[ph.number]
            ph_lim.append((ph.min_green_s, ph.max_green_s, yellow, all_red, ph.ped_min_s))
            for mid in ph.protected:
                ph_mv.append(local[mid])
                ph_prot.append(1)
            for mid in ph.permitted:
                ph_mv.append(local[mid])
                ph_prot.append(0)
            ph_mv_ptr.append(len(ph_mv))
        isec_ph_ptr.append(len(ph_num))

    from_arr = np.array(mv_from, dtype=np.int32)
    to_arr = np.array(mv_to, dtype=np.int32)
    vehicular = np.flatnonzero(from_arr >= 0).astype(np.int32)
    down_ptr, down_order = _csr(from_arr[vehicular], len(net.links))
    up_ptr, up_order = _csr(to_arr[vehicular], len(net.links))
    lim = np.array(ph_lim, dtype=np.float64).reshape(-1, 5)
    return NetworkArrays(
        node_ids=tuple(node_pos),
        link_ids=tuple(link_pos),
        movement_ids=tuple(mv_ids),
        intersection_ids=tuple(s.id for s in net.intersections),
        node_x_m=np.array([n.x_m for n in net.nodes], dtype=np.float64),
        node_y_m=np.array([n.y_m for n in net.nodes], dtype=np.float64),
        link_from=link_from,
        link_to=link_to,
        link_lanes=np.array([k.lanes for k in net.links], dtype=np.int32),
        link_length_m=np.array([k.length_m for k in net.links], dtype=np.float64),
        link_free_speed_mps=np.array([k.free_speed_mps for k in net.links], dtype=np.float64),
        link_sat_flow_vph=np.array([k.capacity_vph for k in net.links], dtype=np.float64),
        node_out_indptr=out_indptr,
        node_out_links=out_links,
        movement_from_link=from_arr,
        movement_to_link=to_arr,
        movement_intersection=np.array(mv_isec, dtype=np.int32),
        movement_turn=np.array(mv_turn, dtype=np.int8),
        movement_lanes=np.array(mv_lanes, dtype=np.int32),
        link_down_indptr=down_ptr,
        link_down_movements=np.ascontiguousarray(vehicular[down_order]),
        link_up_indptr=up_ptr,
        link_up_movements=np.ascontiguousarray(vehicular[up_order]),
        isec_movement_indptr=np.array(isec_mv_ptr, dtype=np.int32),
        isec_phase_indptr=np.array(isec_ph_ptr, dtype=np.int32),
        phase_number=np.array(ph_num, dtype=np.int32),
        phase_min_green_s=np.ascontiguousarray(lim[:, 0]),
        phase_max_green_s=np.ascontiguousarray(lim[:, 1]),
        phase_yellow_s=np.ascontiguousarray(lim[:, 2]),
        phase_all_red_s=np.ascontiguousarray(lim[:, 3]),
        phase_ped_min_s=np.ascontiguousarray(lim[:, 4]),
        phase_movement_indptr=np.array(ph_mv_ptr, dtype=np.int32),
        phase_movements=np.array(ph_mv, dtype=np.int32),
        phase_movement_protected=np.array(ph_prot, dtype=np.int8),
    )
