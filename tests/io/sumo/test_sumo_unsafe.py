"""Original SUMO programs that are unsafe: flagged in notes, made safe in the model.

Each case edits one traffic light's program in a netgenerate network and imports it again.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from signalbrain.io.sumo_net import read_sumo_net
from signalbrain.io.sumo_state import signal_state

pytest.importorskip("sumolib")


def _replace_program(
    net_file: Path, out: Path, tls_id: str, phases: list[tuple[float, str]]
) -> Path:
    tree = ET.parse(net_file)
    tl = next(e for e in tree.getroot().iter("tlLogic") if e.get("id") == tls_id)
    for ph in list(tl):
        tl.remove(ph)
    for duration, state in phases:
        ET.SubElement(tl, "phase", {"duration": str(duration), "state": state})
    tree.write(out)
    return out


def test_unsafe_program_is_flagged_and_model_made_safe(grid_net: Path, tmp_path: Path) -> None:
    """Green straight to red (no yellow) and crossing throughs green together."""
    isec0 = read_sumo_net(grid_net).intersection("B1")
    assert isec0.sumo is not None
    ns_t = [
        i
        for m in isec0.movements
        if m.turn == "T" and m.from_link[:2] in ("B0", "B2")
        for i in m.sumo_link_indices
    ]
    ew_t = [
        i
        for m in isec0.movements
        if m.turn == "T" and m.from_link[:2] in ("A1", "C1")
        for i in m.sumo_link_indices
    ]
    n = isec0.sumo.link_count

    def state(green: list[int]) -> str:
        return "".join("G" if i in green else "r" for i in range(n))

    bad = _replace_program(
        grid_net,
        tmp_path / "bad.net.xml",
        "B1",
        [(30, state(ns_t)), (30, state(ew_t)), (20, state(ns_t + ew_t))],
    )
    isec = read_sumo_net(bad).intersection("B1")
    text = "\n".join(isec.notes)
    assert "no yellow" in text
    assert "conflicting links green together" in text
    assert "split into 2 phases" in text
    for ph in isec.phases:
        assert ph.yellow_s == 3.0
        assert ph.all_red_s >= 1.0
        assert isec.unsafe_pairs(ph.protected, ph.permitted) == []
    assert len(isec.phases) == 4  # the mixed phase is split in two
    assert isec.sumo is not None
    assert isec.sumo.phases[2].state == state(ns_t + ew_t)


def test_short_yellow_and_constant_links(grid_net: Path, tmp_path: Path) -> None:
    isec0 = read_sumo_net(grid_net).intersection("B1")
    assert isec0.sumo is not None
    right = [i for m in isec0.movements if m.turn == "R" for i in m.sumo_link_indices]
    prog = [(p.duration_s, p.state) for p in isec0.sumo.phases]
    # right turns always green; yellow phases cut to 2 s
    prog = [
        (2.0 if "y" in s else d, "".join("G" if i in right else c for i, c in enumerate(s)))
        for d, s in prog
    ]
    bad = _replace_program(grid_net, tmp_path / "short.net.xml", "B1", prog)
    isec = read_sumo_net(bad).intersection("B1")
    text = "\n".join(isec.notes)
    assert "yellow shorter than 3 s" in text
    assert "never changes" in text
    assert not any(m.turn == "R" for m in isec.movements)
    for ph in isec.phases:
        assert ph.yellow_s == 3.0
        state = signal_state(isec, ph.protected, ph.permitted)
        assert all(state[i] == "G" for i in right)


def test_protected_permissive_pair_is_demoted(grid_net: Path, tmp_path: Path) -> None:
    """The original shows lefts 'g' against the opposing through (so the pair is permissive), and
    in another phase 'G' together with it: the model demotes the left there."""
    isec0 = read_sumo_net(grid_net).intersection("B1")
    assert isec0.sumo is not None
    ns_t = {
        i
        for m in isec0.movements
        if m.turn == "T" and m.from_link[:2] in ("B0", "B2")
        for i in m.sumo_link_indices
    }
    prog = [(p.duration_s, p.state) for p in isec0.sumo.phases]
    d, s = prog[2]  # the protected left phase of the first street
    prog[2] = (d, "".join("G" if i in ns_t else c for i, c in enumerate(s)))
    bad = _replace_program(grid_net, tmp_path / "demote.net.xml", "B1", prog)
    isec = read_sumo_net(bad).intersection("B1")
    text = "\n".join(isec.notes)
    assert "demoted to permitted" in text
    assert len(isec.phases) == 4
    ph = isec.phases[1]
    lefts = {m.id for m in isec.movements if m.turn == "L" and m.from_link[:2] in ("B0", "B2")}
    assert lefts <= set(ph.permitted)
    assert {m.id for m in isec.movements if set(m.sumo_link_indices) <= ns_t} <= set(ph.protected)
    assert isec.unsafe_pairs(ph.protected, ph.permitted) == []


def test_green_into_a_green_that_keeps_it_takes_the_later_clearance(
    grid_net: Path, tmp_path: Path
) -> None:
    """A green phase running straight into one that keeps all its greens ends nothing: it is no
    missing yellow, and its movements clear with the later phase's yellow and all-red (as in
    RESCO ingolstadt7, where the model's 1 s all-red made the audit count a short all-red in
    every cycle of the original program)."""
    isec0 = read_sumo_net(grid_net).intersection("B1")
    assert isec0.sumo is not None
    n = isec0.sumo.link_count

    def links(street: tuple[str, ...], turns: str) -> list[int]:
        return [
            i
            for m in isec0.movements
            if m.turn in turns and m.from_link[:2] in street
            for i in m.sumo_link_indices
        ]

    ns_t, ns_tr = links(("B0", "B2"), "T"), links(("B0", "B2"), "TR")
    ew_tr = links(("A1", "C1"), "TR")

    def state(green: list[int], yellow: list[int] = ()) -> str:  # type: ignore[assignment]
        return "".join("G" if i in green else "y" if i in yellow else "r" for i in range(n))

    prog = [
        (20, state(ns_t)),
        (10, state(ns_tr)),  # green on: nothing ends
        (4, state([], ns_tr)),
        (2, state([])),
        (30, state(ew_tr)),
        (4, state([], ew_tr)),
        (2, state([])),
    ]
    isec = read_sumo_net(
        _replace_program(grid_net, tmp_path / "on.net.xml", "B1", prog)
    ).intersection("B1")
    assert not any("unsafe" in note for note in isec.notes)
    assert len(isec.phases) == 3
    assert [(ph.yellow_s, ph.all_red_s) for ph in isec.phases] == [(4, 2), (4, 2), (4, 2)]
