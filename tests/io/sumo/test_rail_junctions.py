"""A road network with a level crossing (``rail_crossing``) or a railway signal
(``rail_signal``) imports.

netconvert names such a junction as the ``tl`` of its connections but writes no ``tlLogic``
for it: SUMO builds that logic itself. The importer refused the whole network, each such
connection a problem "tl='RX': no tlLogic has this id", so ``validate``, ``import-sumo``,
``optimize`` and ``sumo run`` exited 2 on a network SUMO runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.errors import InputError
from signalbrain.io import read_sumo_net
from signalbrain.sim.netxml import read_net_index

from .conftest import run_tool, write_config
from .test_sumo_net_scan import same_as_expat

NODES = """<nodes>
 <node id="W" x="-200" y="0"/><node id="C" x="0" y="0" type="traffic_light"/>
 <node id="E" x="200" y="0"/><node id="N" x="0" y="200"/><node id="S" x="0" y="-200"/>
 <node id="RX" x="100" y="0" type="rail_crossing"/>
 <node id="RN" x="100" y="200" type="rail_signal"/><node id="RS" x="100" y="-200"/>
 <node id="RNN" x="100" y="400"/>
</nodes>"""

ROADS = [("W", "C", 2), ("C", "RX", 2), ("RX", "E", 2), ("N", "C", 1), ("S", "C", 1)]


def _edges() -> str:
    out = ["<edges>"]
    for a, b, lanes in ROADS:
        for u, v in ((a, b), (b, a)):
            out.append(f'<edge id="{u}{v}" from="{u}" to="{v}" numLanes="{lanes}" speed="13.9"/>')
    for eid, u, v in (("r1", "RNN", "RN"), ("r2", "RN", "RX"), ("r3", "RX", "RS")):
        out.append(f'<edge id="{eid}" from="{u}" to="{v}" allow="rail" speed="30"/>')
    return "\n".join([*out, "</edges>"])


@pytest.fixture(scope="module")
def rail_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """One signalised road junction C, a level crossing RX east of it and a rail signal RN."""
    out = sumo_nets / "rail.net.xml"
    if not out.exists():
        (sumo_nets / "rail.nod.xml").write_text(NODES, encoding="utf-8")
        (sumo_nets / "rail.edg.xml").write_text(_edges(), encoding="utf-8")
        netconvert = str(sumo_home / "bin" / "netconvert")
        args = ["-n", "rail.nod.xml", "-e", "rail.edg.xml", "-o", str(out)]
        run_tool(sumo_home, [netconvert, *args], sumo_nets)
    text = out.read_text(encoding="utf-8")
    assert 'tl="RX"' in text
    assert 'tl="RN"' in text
    assert '<tlLogic id="RX"' not in text
    return out


def test_rail_junctions_are_no_traffic_lights_to_time(rail_net: Path) -> None:
    net = read_sumo_net(rail_net, strict=True)
    assert [s.id for s in net.intersections] == ["C"]
    assert {"RX", "RN"} <= {n.id for n in net.nodes}
    same_as_expat(rail_net)


def test_a_tl_with_no_program_elsewhere_is_still_refused(rail_net: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.net.xml"
    text = rail_net.read_text(encoding="utf-8")
    broken.write_text(text.replace('type="rail_crossing"', 'type="traffic_light"'), "utf-8")
    with pytest.raises(InputError, match="tl='RX': no tlLogic has this id"):
        read_sumo_net(broken)


def test_optimize_and_run(
    rail_net: Path,
    trips_for: Callable[[Path], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    routes = trips_for(rail_net)
    cfg = write_config(tmp_path / "rail.sumocfg", rail_net, routes, 200)
    assert main(["validate", str(rail_net)]) == 0
    assert main(["optimize", str(cfg), "-o", str(tmp_path / "plan.add.xml")]) == 0
    out = tmp_path / "run.json"
    args = ["sumo", "run", str(cfg), "--controller", "fixed", "--end", "200", "-q"]
    assert main([*args, "--json", str(out)]) == 0
    capsys.readouterr()
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["vehicles"]["departed"] > 0
    assert not any(result["safety"].values())
    assert not any("RX" in n or "RN" in n for n in result["notes"]), result["notes"]


def test_the_run_index_has_no_rail_junctions_as_traffic_lights(rail_net: Path) -> None:
    """They were counted as signals and noted as "left to SUMO's own program (not
    understood): RN, RX"."""
    assert read_net_index(rail_net).tls_ids == ("C",)
