"""``write_sumo_programs`` writes its file as text: it must equal, to the byte, what
``ElementTree`` writes for :func:`sumo_programs_xml` (the element tree the format is defined by)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from signalbrain.io import bundled_network, read_network
from signalbrain.io.sumo_programs import sumo_programs_xml, write_sumo_programs
from signalbrain.network import Network, SumoPhase, SumoProgram


def _tree_bytes(
    net: Network, programs: dict[str, SumoProgram], program_id: str, out: Path
) -> bytes:
    root = sumo_programs_xml(net, programs=programs, program_id=program_id)
    ET.ElementTree(root).write(out, encoding="UTF-8", xml_declaration=True)
    return out.read_bytes()


def _programs(net: Network) -> dict[str, SumoProgram]:
    """Programs with every optional attribute, characters that need escaping and non-ASCII."""
    out = {}
    for k, isec in enumerate(net.intersections):
        n = 5
        phases = (
            SumoPhase(31.0, "GGrrs"),
            SumoPhase(2.5, "yyrrs", min_dur_s=2.0, max_dur_s=4.25),
            SumoPhase(1e-3, "rrGGs", name='main & "side" <a> \t\n\r'),
            SumoPhase(7.0, "rryyo", max_dur_s=60.0, name="grün"),
        )
        params = (("a<b", 'x"y&z'), ("tab", "\t")) if k % 2 else ()
        out[isec.id] = SumoProgram(
            isec.id, "p", "actuated" if k % 2 else "static", 12.5 * k, phases, n, params
        )
    return out


@pytest.mark.parametrize("program_id", ["signalbrain", 'a&b<c>"d"'])
def test_text_equals_element_tree(tmp_path: Path, program_id: str) -> None:
    net = read_network(bundled_network("arterial"))
    programs = _programs(net)
    want = _tree_bytes(net, programs, program_id, tmp_path / "tree.add.xml")
    got = write_sumo_programs(
        net, tmp_path / "text.add.xml", programs=programs, program_id=program_id
    )
    assert got.read_bytes() == want


def test_no_programs_equals_element_tree(tmp_path: Path) -> None:
    net = read_network(bundled_network("single"))
    want = _tree_bytes(net, {}, "signalbrain", tmp_path / "tree.add.xml")
    got = write_sumo_programs(net, tmp_path / "text.add.xml", programs={})
    assert got.read_bytes() == want
