"""Demand readers: YAML, counts CSV (with camera zones), SUMO routes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from signalbrain.errors import InputError
from signalbrain.io.camera import parse_camera
from signalbrain.io.demand import (
    read_counts_csv,
    read_demand,
    read_demand_yaml,
    read_sumo_routes,
)
from signalbrain.network import Network
from signalbrain.network.generate import grid


def test_demand_yaml(tmp_path: Path) -> None:
    net = grid(1, 1)
    mv = net.intersections[0].movements
    p = tmp_path / "d.yaml"
    p.write_text(
        f"peak_hour_factor: 0.8\nflows_vph: {{{mv[0].id}: 400, {mv[1].id}: 80}}\n"
        f"heavy_share: {{{mv[0].id}: 0.1}}\n"
    )
    d = read_demand(p, net)
    assert d.flow_vph(mv[0].id) == pytest.approx(500.0)
    assert d.heavy(mv[0].id) == 0.1
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"{mv[0].id}: 100\n")
    assert read_demand_yaml(bare).flows_vph == {mv[0].id: 100.0}
    bad = tmp_path / "bad.yaml"
    bad.write_text("flows_vph: {nope: -5}\npeak_hour_factor: 2\n")
    with pytest.raises(InputError) as err:
        read_demand_yaml(bad, net)
    assert "flows_vph.nope = -5" in str(err.value)
    assert "peak_hour_factor = 2" in str(err.value)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("flows_vph: {nope: 5}\n")
    with pytest.raises(InputError, match="unknown movement ids: nope"):
        read_demand_yaml(unknown, net)


def test_counts_csv_with_camera_zones(tmp_path: Path) -> None:
    net = grid(1, 1)
    isec = net.intersections[0]
    m = next(x for x in isec.movements if x.turn == "T")
    cam = parse_camera(
        {
            "camera": "c1",
            "intersection": isec.id,
            "zones": [
                {
                    "id": "in",
                    "kind": "entry",
                    "approach": m.from_link,
                    "polygon": [[0, 0], [10, 0], [10, 10], [0, 10]],
                },
                {
                    "id": "out",
                    "kind": "exit",
                    "approach": m.to_link,
                    "polygon": [[20, 0], [30, 0], [30, 10], [20, 10]],
                },
            ],
        },
        network=net,
    )
    csv = tmp_path / "counts.csv"
    csv.write_text(
        "video,camera,t_start_s,t_end_s,kind,id,vehicles\n"
        "v.mp4,c1,0,60,movement,in->out,10\n"
        "v.mp4,c1,60,120,movement,in->out,8\n"
        "v.mp4,c1,0,120,line,nowhere,3\n"
    )
    d = read_counts_csv(csv, net, cameras={"c1": cam})
    assert d.flows_vph == {m.id: pytest.approx(18 / 120 * 3600)}
    # without the camera, FROM->TO must be link ids
    with pytest.raises(InputError, match="matches no network movement"):
        read_counts_csv(csv, net)
    by_links = tmp_path / "links.csv"
    by_links.write_text(
        "video,camera,t_start_s,t_end_s,kind,id,vehicles\n"
        f"v,c,0,900,movement,{m.from_link}->{m.to_link},50\n"
        f"v,c,0,900,line,{isec.movements[-1].from_link},100\n"
    )
    d2 = read_counts_csv(by_links, net)
    assert d2.flow_vph(m.id) == pytest.approx(200.0)
    other = [x for x in isec.movements if x.from_link == isec.movements[-1].from_link]
    assert sum(d2.flow_vph(x.id) for x in other) == pytest.approx(400.0)  # line split by turns
    bad = tmp_path / "bad.csv"
    bad.write_text("video,camera,t_start_s\nv,c,0\n")
    with pytest.raises(InputError, match="missing columns"):
        read_counts_csv(bad, net)


def test_counts_csv_passes_over_empty_rows_of_unmodelled_movements(tmp_path: Path) -> None:
    """``signalbrain count`` writes every entry-exit pair, U turns included; a network without
    U-turn movements still takes the file when nobody made one, and refuses it when some did."""
    net = grid(1, 1)
    isec = net.intersections[0]
    m = next(x for x in isec.movements if x.turn == "T")
    entry = net.link(m.from_link)
    back = next(
        k for k in net.links if (k.from_node, k.to_node) == (entry.to_node, entry.from_node)
    )
    assert not any(x.to_link == back.id for x in isec.movements if x.from_link == entry.id)
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    cam = parse_camera(
        {
            "camera": "c1",
            "intersection": isec.id,
            "zones": [
                {"id": "in", "kind": "entry", "approach": entry.id, "polygon": square},
                {"id": "out", "kind": "exit", "approach": m.to_link, "polygon": square},
                {"id": "back", "kind": "exit", "approach": back.id, "polygon": square},
            ],
        },
        network=net,
    )
    head = "video,camera,t_start_s,t_end_s,kind,id,vehicles\n"
    csv = tmp_path / "counts.csv"
    csv.write_text(head + "v.mp4,c1,0,60,movement,in->out,10\nv.mp4,c1,0,60,movement,in->back,0\n")
    d = read_counts_csv(csv, net, cameras={"c1": cam})
    assert d.flows_vph == {m.id: pytest.approx(600.0)}
    csv.write_text(head + "v.mp4,c1,0,60,movement,in->out,10\nv.mp4,c1,0,60,movement,in->back,2\n")
    with pytest.raises(InputError, match=r"row 3: movement 'in->back' .* matches no network"):
        read_counts_csv(csv, net, cameras={"c1": cam})


def test_sumo_routes(tmp_path: Path) -> None:
    net = grid(1, 2)
    a, b = net.intersections
    t = next(m for m in a.movements if m.turn == "T" and m.to_link.endswith(b.id))
    t2 = next(m for m in b.movements if m.from_link == t.to_link and m.turn == "T")
    route = f"{t.from_link} {t.to_link} {t2.to_link}"
    rou = tmp_path / "r.rou.xml"
    rou.write_text(f"""<routes>
  <vType id="truck" vClass="truck"/>
  <route id="r0" edges="{route}"/>
  <vehicle id="v0" depart="0" route="r0"/>
  <vehicle id="v1" depart="10" type="truck"><route edges="{route}"/></vehicle>
  <flow id="f0" begin="0" end="1800" vehsPerHour="200" route="r0"/>
  <trip id="t0" depart="1800" from="{t.from_link}" to="{t2.to_link}"/>
</routes>""")
    d = read_sumo_routes(rou, net)
    # period 0..1800 s = 0.5 h; vehicles: 2 + 100 (flow) + 1 (trip, routed) = 103
    assert d.flows_vph[t.id] == pytest.approx(206.0)
    assert d.flows_vph[t2.id] == pytest.approx(206.0)
    assert d.heavy(t.id) == pytest.approx(1 / 103)
    assert read_demand(rou, net, begin_s=0.0, end_s=3600.0).flows_vph[t.id] == pytest.approx(103.0)
    # a window: vehicles departing outside it are not counted, flows only their share inside it
    # (900..1800 s: 50 of the flow's vehicles, the trip at 1800 s is outside, v0 and v1 before)
    window = read_sumo_routes(rou, net, begin_s=900.0, end_s=1800.0)
    assert window.flows_vph[t.id] == pytest.approx(50 / 0.25)
    broken = tmp_path / "broken.rou.xml"
    broken.write_text("<routes><vehicle")
    with pytest.raises(InputError, match="malformed XML"):
        read_sumo_routes(broken, net)


def test_a_wrong_field_holding_a_whole_document_is_named_not_printed(tmp_path: Path) -> None:
    net = grid(1, 1)
    p = tmp_path / "d.yaml"
    big = {f"n{i}": [i, i] for i in range(500)}
    p.write_text(yaml.safe_dump({"flows_vph": {"x": big}}), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_demand(p, net)
    message = str(exc.value)
    assert "flows_vph.x = {'n0': [0, 0], 'n1': [1, 1]" in message
    assert "...: expected a number, got a mapping" in message
    assert len(message) < 300  # was the whole mapping (8 kB)


def test_a_network_file_given_as_demand_says_so(tmp_path: Path) -> None:
    from signalbrain.io import bundled_network

    path = bundled_network("arterial")
    with pytest.raises(InputError, match="a network file, not demand; expected flows_vph"):
        read_demand(path, grid(1, 1))


# -- found in review: each of these was accepted, or refused with a message that misled ------
HEAD = "video,camera,t_start_s,t_end_s,kind,id,vehicles\n"


def _through(net: Network) -> tuple[str, str, str]:
    """(movement id, from link, to link) of a through movement of a 1x1 grid."""
    m = next(x for x in net.intersections[0].movements if x.turn == "T")
    return m.id, m.from_link, m.to_link


@pytest.mark.parametrize(
    ("what", "rows", "message"),
    [
        (
            "a row given twice",  # its vehicles were counted twice
            "v,c,0,900,movement,{a}->{b},50\nv,c,0,900,movement,{a}->{b},50\n",
            "row 3: repeats row 2 (same video, camera, time bin, kind and id): its vehicles "
            "would be counted twice",
        ),
        (
            "overlapping bins",  # the overlap was counted twice
            "v,c,450,1350,movement,{a}->{b},50\nv,c,0,900,movement,{a}->{b},50\n",
            "row 2: time bin from 450 s overlaps the bin of row 3 ending at 900 s",
        ),
        (
            "an end time that is not finite",  # flow 0, then 'no counted vehicle maps ...'
            "v,c,0,inf,movement,{a}->{b},50\n",
            "row 2: t_end_s = inf: must be finite",
        ),
        (
            "a row with a value too many",  # the extra value was dropped
            "v,c,0,900,movement,{a}->{b},5,0\n",
            "row 2: has 8 values; the header has 7 columns",
        ),
        (
            "a row with values missing",
            "v,c,0,900,movement\n",
            "row 2: has 5 values; the header has 7 columns",
        ),
        (
            "a count that is not a number",  # said 't_start_s, t_end_s and vehicles ...'
            "v,c,0,900,movement,{a}->{b},lots\n",
            "row 2: vehicles = 'lots': expected a number",
        ),
        (
            "times reversed",
            "v,c,900,0,movement,{a}->{b},5\n",
            "row 2: t_end_s = 0 must be after t_start_s = 900",
        ),
        (
            "a negative count",
            "v,c,0,900,movement,{a}->{b},-5\n",
            "row 2: vehicles = -5: must be >= 0",
        ),
    ],
)
def test_counts_csv_rows(tmp_path: Path, what: str, rows: str, message: str) -> None:
    net = grid(1, 1)
    _, a, b = _through(net)
    path = tmp_path / "counts.csv"
    path.write_text(HEAD + rows.format(a=a, b=b), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_counts_csv(path, net)
    assert f"{path}: {message}" in str(info.value)


def test_counts_csv_header(tmp_path: Path) -> None:
    net = grid(1, 1)
    mid, a, b = _through(net)
    path = tmp_path / "counts.csv"
    row = f"v,c,0,900,movement,{a}->{b},50\n"
    # a spreadsheet's byte-order mark: was 'missing columns video'
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + row).encode())
    assert read_counts_csv(path, net).flows_vph == {mid: pytest.approx(200.0)}
    # a column twice: the last one was used
    path.write_text(HEAD.strip() + ",vehicles\n" + row.strip() + ",70\n")
    with pytest.raises(InputError, match="row 1: column 'vehicles' appears 2 times"):
        read_counts_csv(path, net)
    # semicolons, as some locales' spreadsheets write
    path.write_text(HEAD.replace(",", ";") + row.replace(",", ";"))
    with pytest.raises(InputError, match="; columns must be separated by commas"):
        read_counts_csv(path, net)
    path.write_bytes((HEAD + row.replace("v,c", "v,caf\xe9")).encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text: byte 0xe9 at line 2, column 6"):
        read_counts_csv(path, net)


def test_counts_csv_line_and_zone_of_one_id(tmp_path: Path) -> None:
    """A line named like a zone took over the zone's approach: movement rows then mapped to
    the wrong link (or to none)."""
    net = grid(1, 1)
    mid, a, b = _through(net)
    other = next(k.id for k in net.links if k.id not in (a, b) and k.to_node == net.link(a).to_node)
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    cam = parse_camera(
        {
            "camera": "c1",
            "lines": [{"id": "in", "points": [[0, 50], [99, 50]], "approach": other}],
            "zones": [
                {"id": "in", "kind": "entry", "approach": a, "polygon": square},
                {"id": "out", "kind": "exit", "approach": b, "polygon": square},
            ],
        },
        network=net,
    )
    path = tmp_path / "counts.csv"
    path.write_text(HEAD + "v,c1,0,900,movement,in->out,50\n")
    assert read_counts_csv(path, net, cameras={"c1": cam}).flows_vph == {mid: pytest.approx(200)}


@pytest.mark.parametrize(
    ("what", "text", "message"),
    [
        (
            "a key given twice",  # the last flow was used
            "flows_vph: {M: 5, M: 500}\n",
            "flows_vph.M: given twice (line 1, column",
        ),
        (
            "a typo of flows_vph",  # read as a movement 'flow_vph' holding a mapping
            "flow_vph: {M: 5}\n",
            "flow_vph: unknown field; valid fields: flows_vph, heavy_share, peak_hour_factor; "
            "did you mean 'flows_vph'?",
        ),
        (
            "no flows at all",  # an all-zero plan
            "flows_vph: {}\n",
            "flows_vph: has no flows; expected flows_vph: {MOVEMENT_ID: veh/h, ...}",
        ),
        (
            "a heavy share of an unknown movement",  # dropped without a word
            "flows_vph: {M: 5}\nheavy_share: {W_A.Q: 0.1}\n",
            "heavy_share: unknown movement ids: W_A.Q; movement ids look like",
        ),
        (
            "a number with a leading zero",  # YAML 1.1 read 0500 as the octal 320
            "flows_vph: {M: 0500}\n",
            "flows_vph.M = '0500': expected a number, got a string (YAML reads 0500, with a "
            "leading zero, as text; write 500)",
        ),
        ("an empty file", "", "the file is empty; expected flows_vph: {MOVEMENT_ID: veh/h"),
        ("a list", "- 5\n", "= [5]: got a list; expected flows_vph:"),
    ],
)
def test_demand_yaml_problems(tmp_path: Path, what: str, text: str, message: str) -> None:
    net = grid(1, 1)
    mid, _, _ = _through(net)
    path = tmp_path / "d.yaml"
    path.write_text(text.replace("M:", f"{mid}:"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_demand_yaml(path, net)
    assert f"{path}: {message.replace('M:', f'{mid}:').replace('.M', f'.{mid}')}" in str(info.value)
