"""Packing a network's ring-barrier structure and lane groups into arrays for the kernels.

:class:`TimingArrays` extends :class:`~signalbrain.network.NetworkArrays` (same movement and
phase order) with what the isolated-timing kernel needs:

``isec_group_indptr``, ``group_seg_indptr``, ``seg_slot_indptr``, ``slot_phase``
    intersection -> barrier groups -> ring segments (the phases one ring runs inside one barrier
    group) -> phases in running order.
``phase_entry_indptr``, ``entry_movement``, ``entry_link``, ``entry_share``, ``entry_perm_left``
    the movements whose flow counts towards each phase's critical flow ratio, grouped by
    approach link. A movement protected somewhere counts in its protected phases only, its flow
    split evenly among them (``entry_share``); a movement that is only ever permitted counts in
    its permitted phases; a permitted-only left or U turn gets the gap-acceptance saturation flow
    across its opposing movements (``opp_indptr``, ``opp_movements``).
``mp_indptr``, ``mp_phase``, ``mp_carry``
    every phase giving a movement green, and whether the movement stays green into the next
    phase of the ring (so its green window spans the clearance between them).

Packing walks the network once in Python; re-planning for new flows only runs the kernels.
Intersections of one layout (the same rings, barriers, phases with the same movements, turns,
approach order and permissive pairs; names and limits aside) are packed once: the layout's
arrays, in local positions, are placed for all of them at once (:class:`_Layout`). Generated
grids and many city networks repeat a few layouts hundreds of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from signalbrain.demand.saturation import turn_factor
from signalbrain.network.arrays import NetworkArrays, to_arrays
from signalbrain.network.model import TURNS, Intersection, Network, pair

__all__ = ["TimingArrays", "pack_timing"]

I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]


@dataclass(frozen=True, eq=False)
class TimingArrays:
    """Arrays for the timing kernels; see the module docstring."""

    net: NetworkArrays
    intersection_ids: tuple[str, ...]
    movement_ids: tuple[str, ...]
    isec_group_indptr: I32
    group_seg_indptr: I32
    seg_slot_indptr: I32
    slot_phase: I32
    phase_next: I32
    phase_lo_s: F64
    phase_hi_s: F64
    phase_clear_s: F64
    phase_lost_s: F64
    isec_cycle_min_s: F64
    isec_cycle_max_s: F64
    phase_entry_indptr: I32
    entry_movement: I32
    entry_link: I32
    entry_share: F64
    entry_perm_left: I8
    movement_sat_base_vph: F64
    link_cap_vph: F64
    opp_indptr: I32
    opp_movements: I32
    mp_indptr: I32
    mp_phase: I32
    mp_carry: I8
    mp_protected: I8

    @property
    def n_intersections(self) -> int:
        """Number of intersections."""
        return len(self.intersection_ids)

    @property
    def n_phases(self) -> int:
        """Number of phases over all intersections."""
        return len(self.phase_lo_s)


def _sequence(isec: Intersection) -> tuple[list[list[list[int]]], dict[int, int]]:
    """Per barrier group, per ring, phase numbers in order; and each phase's successor."""
    groups: list[list[list[int]]] = []
    for group in isec.barriers:
        members = set(group)
        groups.append([[n for n in ring if n in members] for ring in isec.rings])
    nxt: dict[int, int] = {}
    for r in range(len(isec.rings)):
        order = [n for g in groups for n in g[r]]
        for i, n in enumerate(order):
            nxt[n] = order[(i + 1) % len(order)]
    return groups, nxt


class _Layout:
    """The arrays of one intersection layout in local positions (movement, phase of the
    intersection); phase ``-1`` in ``phase_next`` is a phase in no ring (global 0)."""

    __slots__ = (
        "e_count",
        "e_mv",
        "e_perm",
        "e_share",
        "group_nseg",
        "mp_carry",
        "mp_count",
        "mp_phase",
        "mp_prot",
        "n_groups",
        "opp_count",
        "opp_mv",
        "phase_next",
        "seg_len",
        "slots",
    )

    def __init__(self, isec: Intersection, link_rank: dict[str, int]) -> None:
        mpos = {m.id: i for i, m in enumerate(isec.movements)}
        ppos = {p.number: i for i, p in enumerate(isec.phases)}
        groups, nxt = _sequence(isec)
        slots: list[int] = []
        seg_len: list[int] = []
        group_nseg: list[int] = []
        for g in groups:
            n_seg = 0
            for ring_seq in g:
                if not ring_seq:
                    continue
                slots.extend(ppos[n] for n in ring_seq)
                seg_len.append(len(ring_seq))
                n_seg += 1
            group_nseg.append(n_seg)
        phase_next = [-1] * len(isec.phases)
        for n, m in nxt.items():
            phase_next[ppos[n]] = ppos[m]
        prot_count: dict[str, int] = {}
        perm_count: dict[str, int] = {}
        for ph in isec.phases:
            for mid in ph.protected:
                prot_count[mid] = prot_count.get(mid, 0) + 1
            for mid in ph.permitted:
                perm_count[mid] = perm_count.get(mid, 0) + 1
        n_mov = len(isec.movements)
        opp: list[list[int]] = [[] for _ in range(n_mov)]
        mp: list[list[tuple[int, int, int]]] = [[] for _ in range(n_mov)]
        e_count: list[int] = []
        e_mv: list[int] = []
        e_share: list[float] = []
        e_perm: list[int] = []
        for ph in isec.phases:
            entries: list[tuple[int, int, float, int]] = []
            nxt_ph = isec.phase(nxt[ph.number])
            for mid, protected in [(m, 1) for m in ph.protected] + [(m, 0) for m in ph.permitted]:
                mv = isec.movement(mid)
                carry = int(mid in nxt_ph.movements and nxt_ph.number != ph.number)
                mp[mpos[mid]].append((ppos[ph.number], carry, protected))
                if mv.turn == "P":
                    continue
                if protected:
                    entries.append((mpos[mid], link_rank[mv.from_link], 1.0 / prot_count[mid], 0))
                elif mid not in prot_count:
                    left = mv.turn in ("L", "U")
                    if left:
                        permissive = isec.permissive
                        for other in ph.protected:
                            if pair(mid, other) in permissive:  # permissive implies conflict
                                opp[mpos[mid]].append(mpos[other])
                    entries.append(
                        (mpos[mid], link_rank[mv.from_link], 1.0 / perm_count[mid], int(left))
                    )
            entries.sort(key=lambda e: e[1])  # approach order: links as the network lists them
            e_count.append(len(entries))
            for mi, _li, share, perm in entries:
                e_mv.append(mi)
                e_share.append(share)
                e_perm.append(perm)
        flat_mp = [t for lst in mp for t in lst]
        self.slots = np.array(slots, dtype=np.int32)
        self.seg_len = np.array(seg_len, dtype=np.int32)
        self.group_nseg = np.array(group_nseg, dtype=np.int32)
        self.n_groups = np.array([len(groups)], dtype=np.int32)
        self.phase_next = np.array(phase_next, dtype=np.int32)
        self.e_count = np.array(e_count, dtype=np.int32)
        self.e_mv = np.array(e_mv, dtype=np.int32)
        self.e_share = np.array(e_share, dtype=np.float64)
        self.e_perm = np.array(e_perm, dtype=np.int8)
        self.opp_count = np.array([len(o) for o in opp], dtype=np.int32)
        self.opp_mv = np.array([o for lst in opp for o in lst], dtype=np.int32)
        self.mp_count = np.array([len(o) for o in mp], dtype=np.int32)
        self.mp_phase = np.array([t[0] for t in flat_mp], dtype=np.int32)
        self.mp_carry = np.array([t[1] for t in flat_mp], dtype=np.int8)
        self.mp_prot = np.array([t[2] for t in flat_mp], dtype=np.int8)


def _place(
    layouts: list[_Layout],
    layout_of: npt.NDArray[np.intp],
    name: str,
    base: npt.NDArray[np.int64] | None,
    dtype: type[np.generic],
) -> npt.NDArray[np.generic]:
    """The arrays ``name`` of every intersection's layout one after the other in intersection
    order, local positions shifted by the intersection's ``base`` (a negative local position,
    "none", becomes 0)."""
    parts = [getattr(lay, name) for lay in layouts]
    sizes = np.array([p.size for p in parts], dtype=np.int64)[layout_of]
    start = np.zeros(layout_of.size, dtype=np.int64)
    np.cumsum(sizes[:-1], out=start[1:])
    out = np.zeros(int(sizes.sum()), dtype=dtype)
    for k, part in enumerate(parts):
        if not part.size:
            continue
        members = np.flatnonzero(layout_of == k)
        if not members.size:
            continue
        at = start[members][:, None] + np.arange(part.size)
        if base is None:
            out[at] = part[None, :]
        else:
            out[at] = np.where(part[None, :] < 0, 0, part[None, :] + base[members][:, None])
    return out


def _cumsum0(counts: npt.NDArray[np.generic]) -> I32:
    out = np.zeros(counts.size + 1, dtype=np.int32)
    np.cumsum(counts, out=out[1:])
    return out


def pack_timing(
    net: Network, *, lost_startup_s: float = 2.0, extension_s: float = 2.0
) -> TimingArrays:
    """Pack ``net`` for the timing kernels.

    Parameters
    ----------
    lost_startup_s, extension_s
        Start-up lost time and extension of effective green into the yellow [s]; a phase's lost
        time is ``lost_startup_s + yellow + all_red - extension_s`` (HCM 7th ed., ch. 19).
    """
    arr = to_arrays(net)
    link_pos = {k.id: i for i, k in enumerate(net.links)}
    mv_ptr = arr.isec_movement_indptr.tolist()
    ph_ptr = arr.isec_phase_indptr.tolist()
    pm_ptr = arr.phase_movement_indptr.tolist()
    pm = arr.phase_movements.tolist()
    pm_prot = arr.phase_movement_protected.tolist()
    ph_num = arr.phase_number.tolist()
    mv_turn = arr.movement_turn.tolist()
    mv_link = arr.movement_from_link.tolist()
    index: dict[tuple[object, ...], int] = {}
    layouts: list[_Layout] = []
    layout_of = np.zeros(len(net.intersections), dtype=np.intp)
    for s, isec in enumerate(net.intersections):
        m0, m1 = mv_ptr[s], mv_ptr[s + 1]
        p0, p1 = ph_ptr[s], ph_ptr[s + 1]
        q0, q1 = pm_ptr[p0], pm_ptr[p1]
        links = mv_link[m0:m1]
        rank = {v: i for i, v in enumerate(sorted(set(links)))}
        mpos = {m.id: i for i, m in enumerate(isec.movements)}
        key = (
            isec.rings,
            isec.barriers,
            tuple(ph_num[p0:p1]),
            tuple([q - q0 for q in pm_ptr[p0 : p1 + 1]]),
            tuple([m - m0 for m in pm[q0:q1]]),
            tuple(pm_prot[q0:q1]),
            tuple(mv_turn[m0:m1]),
            tuple([rank[v] for v in links]),
            frozenset(
                [tuple(sorted((mpos.get(a, -1), mpos.get(b, -1)))) for a, b in isec.permissive]
            ),
        )
        k = index.get(key)
        if k is None:
            k = index[key] = len(layouts)
            # the network's link order decides the order of a phase's approaches
            layouts.append(
                _Layout(isec, {m.from_link: link_pos.get(m.from_link, -1) for m in isec.movements})
            )
        layout_of[s] = k
    m_base = arr.isec_movement_indptr[:-1].astype(np.int64)
    p_base = arr.isec_phase_indptr[:-1].astype(np.int64)

    def place(name: str, base: npt.NDArray[np.int64] | None, dtype: type[np.generic]) -> Any:
        return _place(layouts, layout_of, name, base, dtype)

    entry_movement = place("e_mv", m_base, np.int32)
    mp_phase = place("mp_phase", p_base, np.int32)
    turn_factors = np.array([0.0 if t == "P" else turn_factor(t) for t in TURNS])
    sat_vphpl = np.array([k.sat_flow_vphpl for k in net.links], dtype=np.float64)
    vehicular = arr.movement_from_link >= 0
    sat_base = np.zeros(len(arr.movement_ids), dtype=np.float64)
    sat_base[vehicular] = (
        arr.movement_lanes[vehicular].astype(np.float64)
        * sat_vphpl[arr.movement_from_link[vehicular]]
        * turn_factors[arr.movement_turn[vehicular]]
    )
    clear = arr.phase_yellow_s + arr.phase_all_red_s
    lo = np.maximum(arr.phase_min_green_s, arr.phase_ped_min_s) + clear
    hi = np.maximum(arr.phase_max_green_s + clear, lo)
    lost = np.maximum(0.0, lost_startup_s + clear - extension_s)
    return TimingArrays(
        net=arr,
        intersection_ids=arr.intersection_ids,
        movement_ids=arr.movement_ids,
        isec_group_indptr=_cumsum0(place("n_groups", None, np.int32)),
        group_seg_indptr=_cumsum0(place("group_nseg", None, np.int32)),
        seg_slot_indptr=_cumsum0(place("seg_len", None, np.int32)),
        slot_phase=place("slots", p_base, np.int32),
        phase_next=place("phase_next", p_base, np.int32),
        phase_lo_s=np.ascontiguousarray(lo),
        phase_hi_s=np.ascontiguousarray(hi),
        phase_clear_s=np.ascontiguousarray(clear),
        phase_lost_s=np.ascontiguousarray(lost),
        isec_cycle_min_s=np.array([s.cycle_min_s for s in net.intersections], dtype=np.float64),
        isec_cycle_max_s=np.array([s.cycle_max_s for s in net.intersections], dtype=np.float64),
        phase_entry_indptr=_cumsum0(place("e_count", None, np.int32)),
        entry_movement=entry_movement,
        entry_link=np.ascontiguousarray(arr.movement_from_link[entry_movement]),
        entry_share=place("e_share", None, np.float64),
        entry_perm_left=place("e_perm", None, np.int8),
        movement_sat_base_vph=sat_base,
        link_cap_vph=np.ascontiguousarray(arr.link_sat_flow_vph),
        opp_indptr=_cumsum0(place("opp_count", None, np.int32)),
        opp_movements=place("opp_mv", m_base, np.int32),
        mp_indptr=_cumsum0(place("mp_count", None, np.int32)),
        mp_phase=mp_phase,
        mp_carry=place("mp_carry", None, np.int8),
        mp_protected=place("mp_prot", None, np.int8),
    )
