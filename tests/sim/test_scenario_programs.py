"""The all-green programs the benchmarks load to measure what no signal timing can improve on."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from signalbrain.sim.scenario import all_green_programs

NET = """<net>
  <tlLogic id="A" type="static" programID="0" offset="0">
    <phase duration="30" state="GGrr"/>
    <phase duration="3" state="yyrr"/>
  </tlLogic>
  <tlLogic id="B" type="actuated" programID="1" offset="5">
    <phase duration="20" state="rGgsr"/>
  </tlLogic>
  <tlLogic id="empty" type="static" programID="0" offset="0"/>
</net>
"""


def test_every_light_with_phases_gets_one_green_phase_over_all_its_links(tmp_path: Path) -> None:
    net = tmp_path / "x.net.xml"
    net.write_text(NET, encoding="utf-8")
    out = all_green_programs(net, tmp_path / "green.add.xml")
    logics = ET.parse(out).getroot().findall("tlLogic")
    assert [t.get("id") for t in logics] == ["A", "B"]
    for logic, links in zip(logics, (4, 5), strict=True):
        phases = logic.findall("phase")
        assert len(phases) == 1
        assert phases[0].get("state") == "G" * links
        assert logic.get("programID") == "sb_all_green"
        assert logic.get("type") == "static"
