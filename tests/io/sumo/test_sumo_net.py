"""SUMO network import on networks that netgenerate builds: structure, conflicts, states, errors."""

from __future__ import annotations

import gzip
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from signalbrain.errors import InputError
from signalbrain.io.sumo_net import SAT_FLOW_VPHPL, read_sumo_net
from signalbrain.io.sumo_state import constant_link_states, signal_state
from signalbrain.network import (
    CONFLICT,
    NONE,
    PERMISSIVE,
    Intersection,
    Network,
    validate_network,
)

pytest.importorskip("sumolib")


def _approach(isec: Intersection, from_node: str) -> str:
    """The incoming edge of ``isec`` coming from the direction of ``from_node``."""
    edges = {m.from_link for m in isec.movements}
    matches = [e for e in edges if e.startswith(from_node + isec.nodes[0])]
    assert len(matches) == 1, (from_node, edges)
    return matches[0]


def _movement(isec: Intersection, from_node: str, turn: str) -> str:
    edge = _approach(isec, from_node)
    return next(m.id for m in isec.movements if m.from_link == edge and m.turn == turn)


def normalised_state(isec: Intersection, phase_index: int) -> str:
    """The documented normalisation of an original green phase's state: modelled links show
    G (protected), g (g, o, O) or r (everything else); unmodelled links keep their constant
    character, or r."""
    assert isec.sumo is not None
    state = isec.sumo.phases[phase_index].state
    modelled = {i for m in isec.movements for i in m.sumo_link_indices}
    fixed = constant_link_states(isec.sumo)
    out = []
    for i, ch in enumerate(state):
        if i in modelled:
            out.append("G" if ch == "G" else "g" if ch in "goO" else "r")
        else:
            out.append(fixed.get(i, "r"))
    return "".join(out)


def _sumo_index(name: str) -> int:
    match = re.fullmatch(r"sumo phase (\d+)", name)
    assert match, name
    return int(match.group(1))


# --- structure ---------------------------------------------------------------------------------


def test_grid_imports_every_signal_with_valid_model(grid_net: Path) -> None:
    net = read_sumo_net(grid_net)
    validate_network(net, require_connected=True)
    assert net.signal_count == 9
    assert net.name == "grid"
    assert net.source == str(grid_net)
    for isec in net.intersections:
        assert isec.sumo is not None
        assert isec.nodes == (isec.id,)
        assert len(isec.approach_links) == 4
        assert len(isec.phases) == 4
        assert isec.rings == (tuple(range(1, 5)),)
        assert not isec.notes
        indices = sorted(i for m in isec.movements for i in m.sumo_link_indices)
        assert indices == list(range(isec.sumo.link_count))
        for mv in isec.movements:
            assert re.fullmatch(r"[^ ]+\.[LTRU]\d*", mv.id)
            assert mv.id.startswith(mv.from_link + ".")
    link = net.link(net.intersection("B1").movements[0].from_link)
    assert link.lanes == 3  # two lanes plus the left-turn lane
    assert link.sat_flow_vphpl == SAT_FLOW_VPHPL
    assert link.free_speed_mps == pytest.approx(13.89)


def test_through_movement_groups_its_lanes(grid_net: Path) -> None:
    isec = read_sumo_net(grid_net).intersection("B1")
    through = isec.movement(_movement(isec, "A1", "T"))
    assert through.lanes == 2
    assert len(through.sumo_link_indices) == 2
    assert isec.movement(_movement(isec, "A1", "L")).lanes == 1


def test_shared_lanes_follow_the_connections_lanes(grid_net: Path) -> None:
    # two lanes and a left-turn lane: right and through share the right lane, the left-turn lane
    # carries the left turn and the U-turn only
    isec = read_sumo_net(grid_net).intersection("B1")
    right, through, left, u_turn = (_movement(isec, "A1", t) for t in ("R", "T", "L", "U"))
    assert isec.lane_sharers(right) == {through}
    assert isec.lane_sharers(left) == {u_turn}
    # every signal: pairs stay within one approach, and every multi-connection lane is a pair
    net = read_sumo_net(grid_net)
    for one in net.intersections:
        assert one.shared_lanes
        for a, b in one.shared_lanes:
            assert one.movement(a).from_link == one.movement(b).from_link


def test_timing_limits_follow_documented_defaults(grid_net: Path) -> None:
    isec = read_sumo_net(grid_net).intersection("B1")
    assert isec.sumo is not None
    for ph in isec.phases:
        k = _sumo_index(ph.name)
        duration = isec.sumo.phases[k].duration_s
        assert ph.min_green_s == 5.0
        assert ph.max_green_s == max(2 * duration, 60.0)
        assert ph.yellow_s == isec.sumo.phases[k + 1].duration_s  # the following yellow phase
        assert ph.all_red_s == 0.0
    assert isec.cycle_max_s >= sum(p.duration_s for p in isec.sumo.phases)


def test_cycle_floor_is_30_s_alone_and_two_phases_beside_a_signal(
    grid_net: Path, make_net: Callable[..., Path]
) -> None:
    """A signal with a signalised neighbour may cycle as fast as two of its phases allow (the
    network sweep picks its group's cycle); one that runs alone keeps 30 s."""
    from signalbrain.timing._coord_pack import pack_arcs

    net = read_sumo_net(grid_net)
    arcs = pack_arcs(net)
    linked = set(arcs.arc_u.tolist()) | set(arcs.arc_v.tolist())
    assert len(linked) == net.signal_count > 1
    for isec in net.intersections:
        two = sum(sorted(p.min_split_s for p in isec.phases)[:2])
        assert isec.cycle_min_s == min(30.0, two) < 30.0
    lone = read_sumo_net(
        make_net("lone", "--grid.number", "3", "--grid.length", "200", "--tls.set", "B1")
    )
    assert [(s.id, s.cycle_min_s) for s in lone.intersections] == [("B1", 30.0)]


def test_min_and_max_duration_are_read(make_net: Callable[..., Path]) -> None:
    net_file = make_net(
        "actuated",
        "--grid.number",
        "2",
        "--grid.length",
        "100",
        "--tls.guess",
        "true",
        "--tls.default-type",
        "actuated",
    )
    for isec in read_sumo_net(net_file).intersections:
        assert isec.sumo is not None
        assert isec.sumo.type == "actuated"
        for ph in isec.phases:
            sp = isec.sumo.phases[_sumo_index(ph.name)]
            assert sp.min_dur_s is not None
            assert sp.max_dur_s is not None
            assert (ph.min_green_s, ph.max_green_s) == (sp.min_dur_s, sp.max_dur_s)


# --- conflicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("A1", "T"), ("C1", "T"), NONE),  # opposing throughs
        (("A1", "T"), ("B0", "T"), CONFLICT),  # crossing throughs
        (("B2", "T"), ("A1", "T"), CONFLICT),
        (("A1", "L"), ("C1", "T"), PERMISSIVE),  # left turn against the opposing through
        (("B0", "L"), ("B2", "T"), PERMISSIVE),
        (("A1", "L"), ("B0", "T"), CONFLICT),  # left turn across a crossing through
        (("A1", "T"), ("A1", "L"), NONE),  # same approach
    ],
)
def test_conflicts_from_junction_requests(
    grid_net: Path, a: tuple[str, str], b: tuple[str, str], expected: int
) -> None:
    isec = read_sumo_net(grid_net).intersection("B1")
    assert isec.relation(_movement(isec, *a), _movement(isec, *b)) == expected


def test_imported_phases_are_safe(grid_net: Path, incoming_net: Path) -> None:
    for path in (grid_net, incoming_net):
        for isec in read_sumo_net(path).intersections:
            for ph in isec.phases:
                assert isec.unsafe_pairs(ph.protected, ph.permitted) == []


def test_joined_traffic_light_has_all_its_junctions(joined_net: Path) -> None:
    isec = read_sumo_net(joined_net).intersection("joinedS_A0_A1_B0_B1")
    assert sorted(isec.nodes) == ["A0", "A1", "B0", "B1"]
    assert isec.sumo is not None
    assert isec.sumo.link_count == 64
    assert len(isec.movements) == 64


@pytest.mark.parametrize("fixture", ["joined_net", "pedestrian_net", "grid_net"])
def test_conflicts_agree_with_sumolib_junction_lookup(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """Junction request rows are numbered per junction (incoming lanes, then connections, with
    pedestrian crossings last); a joined traffic light numbers its links 0..63 over four
    junctions. Every movement pair must be a foe pair exactly when sumolib says so."""
    import sumolib

    path = request.getfixturevalue(fixture)
    snet = sumolib.net.readNet(
        str(path), withConnections=True, withInternal=True, withPedestrianConnections=True
    )
    checked = 0
    for isec in read_sumo_net(path).intersections:
        by_index = {}
        for edge in snet.getEdges():
            for conns in edge.getOutgoing().values():
                for c in conns:
                    if c.getTLSID() == isec.id:
                        by_index[c.getTLLinkIndex()] = c
        for i, ma in enumerate(isec.movements):
            for mb in isec.movements[i + 1 :]:
                ca, cb = by_index[ma.sumo_link_indices[0]], by_index[mb.sumo_link_indices[0]]
                node = ca.getJunction()
                if node.getID() != cb.getJunction().getID():
                    assert isec.relation(ma.id, mb.id) == NONE
                    continue
                ia, ib = node.getLinkIndex(ca), node.getLinkIndex(cb)
                assert min(ia, ib) >= 0
                foes = node.areFoes(ia, ib) or node.forbids(ca, cb) or node.forbids(cb, ca)
                assert (isec.relation(ma.id, mb.id) != NONE) == foes, (ma.id, mb.id)
                checked += 1
    assert checked > 100


def test_pedestrian_crossings_are_movements(pedestrian_net: Path) -> None:
    isec = read_sumo_net(pedestrian_net).intersection("A0")
    crossings = [m for m in isec.movements if m.turn == "P"]
    assert len(crossings) == 4
    assert all(re.fullmatch(r"A0_c\d\.P", m.id) for m in crossings)
    assert not isec.notes  # pedestrian green to red is no missing yellow
    served = {m for ph in isec.phases for m in ph.movements}
    assert {m.id for m in crossings} <= served


# --- states ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["grid_net", "incoming_net", "joined_net", "pedestrian_net"])
def test_signal_state_reproduces_green_phases(fixture: str, request: pytest.FixtureRequest) -> None:
    net = read_sumo_net(request.getfixturevalue(fixture))
    for isec in net.intersections:
        assert isec.phases
        for ph in isec.phases:
            state = signal_state(isec, ph.protected, ph.permitted)
            assert state == normalised_state(isec, _sumo_index(ph.name))


def test_signal_state_yellow_and_red(grid_net: Path) -> None:
    isec = read_sumo_net(grid_net).intersection("B1")
    assert isec.sumo is not None
    ph = isec.phases[0]
    state = signal_state(isec, yellow=ph.protected)
    assert len(state) == isec.sumo.link_count
    expected = ["r"] * isec.sumo.link_count
    for mid in ph.protected:
        for i in isec.movement(mid).sumo_link_indices:
            expected[i] = "y"
    assert state == "".join(expected)
    assert signal_state(isec) == "r" * isec.sumo.link_count


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"protected": ["nope.T"]}, "unknown movement"),
        ({"protected": ["A1B1.160.00.T"], "permitted": ["A1B1.160.00.T"]}, "both"),
    ],
)
def test_signal_state_rejects_bad_requests(
    grid_net: Path, kwargs: dict[str, list[str]], message: str
) -> None:
    isec = read_sumo_net(grid_net).intersection("B1")
    with pytest.raises(InputError, match=message):
        signal_state(isec, **kwargs)


# --- bad input and edge cases ------------------------------------------------------------------


def test_network_without_traffic_lights(plain_net: Path) -> None:
    net = read_sumo_net(plain_net)
    assert net.signal_count == 0
    assert len(net.links) > 0
    validate_network(net)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"file not found: .*missing\.net\.xml"):
        read_sumo_net(tmp_path / "missing.net.xml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<net><edge id='a' ", "malformed XML"),
        ("this is not xml at all", "malformed XML"),
        ("<routes><vehicle id='v' depart='0'/></routes>", r"not a SUMO network.*<routes>"),
        ("", "malformed XML"),
    ],
)
def test_garbage_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.net.xml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        read_sumo_net(path)
    assert str(path) in str(info.value)


def test_gzipped_and_left_hand_networks(
    grid_net: Path, make_net: Callable[..., Path], tmp_path: Path
) -> None:
    packed = tmp_path / "grid.net.xml.gz"
    with grid_net.open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    net = read_sumo_net(packed)
    assert net.name == "grid"
    plain = read_sumo_net(grid_net)
    assert (net.nodes, net.links, net.intersections) == (
        plain.nodes,
        plain.links,
        plain.intersections,
    )
    assert net.driving_side == "right"
    left = read_sumo_net(
        make_net(
            "lefthand",
            "--grid.number",
            "2",
            "--grid.length",
            "100",
            "-j",
            "traffic_light",
            "--lefthand",
            "true",
        )
    )
    assert left.driving_side == "left"
    assert left.signal_count == 12  # -j traffic_light: the fringe nodes too
    validate_network(left)
    isec = left.intersection("A0")
    # driving on the left, the right turn crosses the opposing through
    right = _movement(isec, "A1", "R")
    assert isec.relation(right, _movement(isec, "bottom0", "T")) != NONE
    assert isec.relation(_movement(isec, "A1", "L"), _movement(isec, "bottom0", "T")) == NONE


def test_several_programs_pick_the_one_sumo_runs(grid_net: Path, tmp_path: Path) -> None:
    tree = ET.parse(grid_net)
    root = tree.getroot()
    original = next(e for e in root.iter("tlLogic") if e.get("id") == "B1")
    extra = ET.fromstring(ET.tostring(original))
    extra.set("programID", "evening")
    for ph in extra:
        ph.set("duration", "20")
    root.insert(list(root).index(original) + 1, extra)
    path = tmp_path / "two.net.xml"
    tree.write(path)
    isec = read_sumo_net(path).intersection("B1")
    assert isec.sumo is not None
    assert isec.sumo.program_id == "evening"
    assert {p.duration_s for p in isec.sumo.phases} == {20.0}
    assert any("the file also has 0" in n for n in isec.notes)
    first = read_sumo_net(path, program_id="0").intersection("B1")
    assert first.sumo is not None
    assert first.sumo.phases[0].duration_s == 33.0
    evening = read_sumo_net(path, program_id="evening")
    assert evening.intersection("B1").sumo == isec.sumo
    assert any("has no program 'evening'" in n for n in evening.intersection("A0").notes)
    with pytest.raises(InputError, match="programs: 0, evening"):
        read_sumo_net(path, program_id="morning")


def test_unknown_program_id(grid_net: Path) -> None:
    with pytest.raises(InputError, match=r"no traffic light has a program 'nope'; programs: 0"):
        read_sumo_net(grid_net, program_id="nope")
    assert read_sumo_net(grid_net, program_id="0").signal_count == 9


def test_missing_sumolib_asks_for_the_extra(
    grid_net: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sumolib", None)
    with pytest.raises(InputError, match=r"signalbrain\[sumo\]"):
        read_sumo_net(grid_net)


def test_internal_edges_name_their_junction() -> None:
    from signalbrain.io.sumo_net import internal_edge_junction

    assert internal_edge_junction(":J_3") == "J"
    assert internal_edge_junction(":cluster_12_34_0") == "cluster_12_34"  # ids with "_"
    assert internal_edge_junction("J_3") is None


def test_import_checks_each_layout_once_and_stays_valid_in_full(
    grid_net: Path, joined_net: Path, pedestrian_net: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from signalbrain.io import sumo_net
    from signalbrain.network.validate import check_network

    seen: list[set[str]] = []
    real = sumo_net.validate_network

    def spy(net: Network, **kw: Any) -> Network:
        seen.append(set(kw["shaped"]))
        return real(net, **kw)

    monkeypatch.setattr(sumo_net, "validate_network", spy)
    for path in (grid_net, joined_net, pedestrian_net):
        net = read_sumo_net(path)
        assert seen[-1] == {s.id for s in net.intersections}
        assert check_network(net, require_connected=False) == []  # every check, no shortcut


def test_a_cycle_beyond_any_plan_caps_cycle_max(grid_net: Path, tmp_path: Path) -> None:
    """A program of 4,000 s and more imported with cycle_max_s = its cycle, which validation
    now refuses (> 3,600 s): the import caps it and says so."""
    text = grid_net.read_text()
    first = re.search(r"<tlLogic [^>]*>.*?</tlLogic>", text, re.S)
    assert first is not None
    tls_id = re.search(r'id="([^"]+)"', first.group(0))
    assert tls_id is not None

    def green_1000(m: re.Match[str]) -> str:  # greens of 1,000 s: max greens within 3,600 s
        phase = m.group(0)
        state = re.search(r'state="([^"]+)"', phase)
        assert state is not None
        if "y" in state.group(1).lower() or not set("Gg") & set(state.group(1)):
            return phase
        return re.sub(r'duration="[^"]+"', 'duration="1000"', phase)

    longer = re.sub(r"<phase [^>]*/>", green_1000, first.group(0))
    path = tmp_path / "long.net.xml"
    path.write_text(text.replace(first.group(0), longer, 1))
    isec = read_sumo_net(path).intersection(tls_id.group(1))
    assert isec.sumo is not None
    assert sum(ph.duration_s for ph in isec.sumo.phases) > 3600
    assert isec.cycle_max_s == 3600
    assert any("cycle_max_s set to 3600 s" in note for note in isec.notes)


@pytest.mark.parametrize(
    ("repl", "message"),
    [
        (r'\1tl="\2" linkIndex="-1"', r"connection from='[^']+' .*: linkIndex=-1: must be >= 0"),
        (r'\1tl="ZZ" linkIndex="\3"', r"connection from='[^']+' to='[^']+' .*tl='ZZ': no tlLogic"),
    ],
)
def test_controlled_connections_sumo_refuses_are_refused(
    grid_net: Path, tmp_path: Path, repl: str, message: str
) -> None:
    """SUMO refuses a negative ``linkIndex`` and a ``tl`` no ``tlLogic`` defines; the import
    used to accept both: a movement at link index -1 (its state written at the last index of
    the string) or a link silently missing from its traffic light's model."""
    text = grid_net.read_text()
    pattern = r'(<connection [^>]*)tl="([^"]+)" linkIndex="(\d+)"'
    text, n = re.subn(pattern, repl, text, count=1)
    assert n == 1
    bad = tmp_path / "bad.net.xml"
    bad.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        read_sumo_net(bad)
    assert str(bad) in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "repl", "message"),
    [
        (r'(<phase) duration="[^"]*"', r"\1", r"<phase>: required attribute 'duration' is missing"),
        (r'(<phase duration=")[^"]*"', r'\g<1>0:42"', r"<phase>: duration='0:42' is not a valid"),
        (
            r'(<tlLogic id="[^"]*"[^>]*) offset="0"',
            r"\1",
            r"<tlLogic id='\w+'>: required .*'offset'",
        ),
        (r"(<phase [^>]*)/>", r'\1 minDur="x"/>', r"<phase>: minDur='x' is not a valid number"),
        (
            r'(<connection [^>]*tl="[^"]+") linkIndex="\d+"',
            r'\1 linkIndex="two"',
            r"<connection from='[^']+' to='[^']+'>: linkIndex='two' is not a valid number",
        ),
    ],
)
def test_a_missing_or_malformed_attribute_names_its_element_and_line(
    grid_net: Path, tmp_path: Path, pattern: str, repl: str, message: str
) -> None:
    """The error used to be the bare Python exception (``cannot read SUMO network:
    KeyError('duration')``, ``ValueError("could not convert string to float: 'x'")``): no
    element, no line to look at in a 15 MB file."""
    text = grid_net.read_text()
    text, n = re.subn(pattern, repl, text, count=1)
    assert n == 1
    bad = tmp_path / "bad.net.xml"
    bad.write_text(text)
    with pytest.raises(InputError, match=rf"bad\.net\.xml: line \d+: {message}"):
        read_sumo_net(bad)


def test_phase_next_attributes_give_the_order_clearances_are_read_in(
    grid_net: Path, tmp_path: Path
) -> None:
    """SUMO runs a phase's ``next`` target after it, not the following phase of the file. The
    generated program written greens first, then yellows, each phase with the ``next`` that
    keeps SUMO's order: the import read it in file order, noted 'green switches straight to
    red with no yellow' that SUMO never shows and gave the greens made-up clearances."""
    text = grid_net.read_text()
    logic = re.search(r'(<tlLogic id="([^"]+)"[^>]*>)(.*?)(</tlLogic>)', text, re.S)
    assert logic is not None
    phases = re.findall(r"<phase [^>]*/>", logic.group(3))
    n = len(phases)
    order = [j for j in range(n) if j % 2 == 0] + [j for j in range(n) if j % 2 == 1]
    position = {j: k for k, j in enumerate(order)}
    body = "".join(
        "\n        " + phases[j].replace("/>", f' next="{position[(j + 1) % n]}"/>') for j in order
    )
    path = tmp_path / "next.net.xml"
    path.write_text(
        text.replace(logic.group(0), logic.group(1) + body + "\n    " + logic.group(4), 1)
    )
    tls = logic.group(2)
    isec, plain = read_sumo_net(path).intersection(tls), read_sumo_net(grid_net).intersection(tls)
    assert not any("no yellow" in n for n in isec.notes), isec.notes
    assert any("'next' attributes" in n for n in isec.notes)
    assert [(p.protected, p.permitted, p.yellow_s, p.all_red_s) for p in isec.phases] == [
        (p.protected, p.permitted, p.yellow_s, p.all_red_s) for p in plain.phases
    ]


def test_a_phase_next_that_names_no_phase_is_refused(grid_net: Path, tmp_path: Path) -> None:
    text = re.sub(r"(<phase [^>]*)/>", r'\1 next="9"/>', grid_net.read_text(), count=1)
    path = tmp_path / "bad.net.xml"
    path.write_text(text)
    with pytest.raises(InputError, match=r"<tlLogic id='\w+' programID='0'> phase 0: next='9'"):
        read_sumo_net(path)
