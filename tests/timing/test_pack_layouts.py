"""``pack_timing`` packs each intersection layout once: its arrays must equal, to the bit and
dtype, those of packing every intersection on its own (the oracle below, the former
implementation)."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from signalbrain.demand.saturation import turn_factor
from signalbrain.io import bundled_names, bundled_network, load_network, read_network
from signalbrain.network.arrays import to_arrays
from signalbrain.network.generate import arterial, grid
from signalbrain.network.model import Intersection, Network, pair
from signalbrain.timing._pack import TimingArrays, pack_timing


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


def _pack_one_by_one(
    net: Network, *, lost_startup_s: float = 2.0, extension_s: float = 2.0
) -> TimingArrays:
    """The packing before layouts were shared: every intersection walked on its own."""
    arr = to_arrays(net)
    link_pos = {k.id: i for i, k in enumerate(net.links)}
    g_ptr, s_ptr, sl_ptr = [0], [0], [0]
    slot_phase: list[int] = []
    phase_next = np.zeros(arr.phase_number.size, dtype=np.int32)
    e_ptr = [0]
    e_mv: list[int] = []
    e_link: list[int] = []
    e_share: list[float] = []
    e_perm: list[int] = []
    sat_base = np.zeros(len(arr.movement_ids), dtype=np.float64)
    opp: list[list[int]] = [[] for _ in arr.movement_ids]
    mp: list[list[tuple[int, int, int]]] = [[] for _ in arr.movement_ids]
    for s, isec in enumerate(net.intersections):
        m0 = int(arr.isec_movement_indptr[s])
        p0 = int(arr.isec_phase_indptr[s])
        mpos = {m.id: m0 + i for i, m in enumerate(isec.movements)}
        ppos = {p.number: p0 + i for i, p in enumerate(isec.phases)}
        groups, nxt = _sequence(isec)
        for g in groups:
            for ring_seq in g:
                if not ring_seq:
                    continue
                slot_phase.extend(ppos[n] for n in ring_seq)
                sl_ptr.append(len(slot_phase))
            s_ptr.append(len(sl_ptr) - 1)
        g_ptr.append(len(s_ptr) - 1)
        for n, m in nxt.items():
            phase_next[ppos[n]] = ppos[m]
        for mv in isec.movements:
            if mv.turn == "P":
                continue
            link = net.link(mv.from_link)
            sat_base[mpos[mv.id]] = mv.lanes * link.sat_flow_vphpl * turn_factor(mv.turn)
        prot_count: dict[str, int] = {}
        perm_count: dict[str, int] = {}
        for ph in isec.phases:
            for mid in ph.protected:
                prot_count[mid] = prot_count.get(mid, 0) + 1
            for mid in ph.permitted:
                perm_count[mid] = perm_count.get(mid, 0) + 1
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
                    entries.append((mpos[mid], link_pos[mv.from_link], 1.0 / prot_count[mid], 0))
                elif mid not in prot_count:
                    left = mv.turn in ("L", "U")
                    if left:
                        permissive = isec.permissive
                        for other in ph.protected:
                            if pair(mid, other) in permissive:  # permissive implies conflict
                                opp[mpos[mid]].append(mpos[other])
                    entries.append(
                        (mpos[mid], link_pos[mv.from_link], 1.0 / perm_count[mid], int(left))
                    )
            entries.sort(key=lambda e: e[1])
            for mi, li, share, perm in entries:
                e_mv.append(mi)
                e_link.append(li)
                e_share.append(share)
                e_perm.append(perm)
            e_ptr.append(len(e_mv))
    clear = arr.phase_yellow_s + arr.phase_all_red_s
    lo = np.maximum(arr.phase_min_green_s, arr.phase_ped_min_s) + clear
    hi = np.maximum(arr.phase_max_green_s + clear, lo)
    lost = np.maximum(0.0, lost_startup_s + clear - extension_s)
    opp_ptr = np.zeros(len(opp) + 1, dtype=np.int32)
    np.cumsum([len(o) for o in opp], out=opp_ptr[1:])
    mp_ptr = np.zeros(len(mp) + 1, dtype=np.int32)
    np.cumsum([len(o) for o in mp], out=mp_ptr[1:])
    flat_mp = [t for lst in mp for t in lst]
    return TimingArrays(
        net=arr,
        intersection_ids=arr.intersection_ids,
        movement_ids=arr.movement_ids,
        isec_group_indptr=np.array(g_ptr, dtype=np.int32),
        group_seg_indptr=np.array(s_ptr, dtype=np.int32),
        seg_slot_indptr=np.array(sl_ptr, dtype=np.int32),
        slot_phase=np.array(slot_phase, dtype=np.int32),
        phase_next=phase_next,
        phase_lo_s=np.ascontiguousarray(lo),
        phase_hi_s=np.ascontiguousarray(hi),
        phase_clear_s=np.ascontiguousarray(clear),
        phase_lost_s=np.ascontiguousarray(lost),
        isec_cycle_min_s=np.array([s.cycle_min_s for s in net.intersections], dtype=np.float64),
        isec_cycle_max_s=np.array([s.cycle_max_s for s in net.intersections], dtype=np.float64),
        phase_entry_indptr=np.array(e_ptr, dtype=np.int32),
        entry_movement=np.array(e_mv, dtype=np.int32),
        entry_link=np.array(e_link, dtype=np.int32),
        entry_share=np.array(e_share, dtype=np.float64),
        entry_perm_left=np.array(e_perm, dtype=np.int8),
        movement_sat_base_vph=sat_base,
        link_cap_vph=np.ascontiguousarray(arr.link_sat_flow_vph),
        opp_indptr=opp_ptr,
        opp_movements=np.array([o for lst in opp for o in lst], dtype=np.int32),
        mp_indptr=mp_ptr,
        mp_phase=np.array([t[0] for t in flat_mp], dtype=np.int32),
        mp_carry=np.array([t[1] for t in flat_mp], dtype=np.int8),
        mp_protected=np.array([t[2] for t in flat_mp], dtype=np.int8),
    )


def _assert_same(net: Network) -> None:
    got, want = pack_timing(net), _pack_one_by_one(net)
    for f in fields(TimingArrays):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype, f.name
            assert np.array_equal(a, b), f.name
        elif f.name != "net":
            assert a == b, f.name


@pytest.mark.parametrize("name", bundled_names())
def test_bundled(name: str) -> None:
    _assert_same(read_network(bundled_network(name)))


@pytest.mark.parametrize("phasing", ["nema", "two-phase"])
def test_generated_grid_and_arterial(phasing: str) -> None:
    _assert_same(grid(4, 5, phasing=phasing))
    _assert_same(arterial(6, phasing=phasing))


def test_link_order_decides_approach_order() -> None:
    """Same layouts with the links listed in another order: the approaches of a phase follow the
    network's link order, which now differs between intersections of one layout."""
    net = grid(3, 4, phasing="two-phase")  # a phase serves two approaches
    links = list(net.links)
    shuffled = [links[i] for i in np.random.default_rng(7).permutation(len(links))]
    _assert_same(replace(net, links=tuple(shuffled)))


def test_mixed_layouts_and_limits() -> None:
    """Intersections of one layout with other limits, one with its phases in another order, one
    whose permitted lefts oppose nothing."""
    net = grid(3, 3, phasing="two-phase")
    isecs = list(net.intersections)
    isecs[1] = replace(isecs[1], cycle_min_s=40.0, cycle_max_s=90.0)
    ph = isecs[4].phases
    isecs[4] = replace(isecs[4], phases=(ph[1], ph[0], *ph[2:]))
    isecs[8] = replace(isecs[8], permissive=frozenset())  # else the layout of isecs[7]
    _assert_same(replace(net, intersections=tuple(isecs)))


def test_shared_scenarios(shared_data: Path) -> None:
    pytest.importorskip("sumolib")
    nets = sorted((shared_data / "scenarios").rglob("*.net.xml*"))
    assert nets
    for path in nets:
        _assert_same(load_network(path))
