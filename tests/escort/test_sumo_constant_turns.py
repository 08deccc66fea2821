"""A turn the model leaves out (SUMO keeps it green) is driven by escorts, live and planned.

In ``netgenerate --grid --grid.number 3 --default-junction-type traffic_light`` the right turn
from the south approach of the T junction A1 is green in every phase: the importer leaves that
link out of the model (SUMO keeps running it). An ambulance turning there was refused whole
("'A0A1' -> 'A1B1': no allowed movement joins these links; not escorted", logged twice), so the
signals B1 and C1 further on got no window and it stopped at both.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROUTES = """<routes>
  <vType id="amb" vClass="emergency"/>
  <vehicle id="ev0" type="amb" depart="100"><route edges="A0A1 A1B1 B1C1 C1C2"/></vehicle>
</routes>
"""


@pytest.fixture(scope="module")
def grid_cfg(tmp_path_factory: pytest.TempPathFactory, sumo_home: Path) -> Path:
    folder = tmp_path_factory.mktemp("constant_turns")
    net = folder / "grid.net.xml"
    options = ["--grid", "--grid.number", "3", "--grid.length", "200"]
    options += ["--default-junction-type", "traffic_light", "-o", str(net)]
    subprocess.run(
        [str(sumo_home / "bin" / "netgenerate"), *options], check=True, capture_output=True
    )
    (folder / "ev.rou.xml").write_text(ROUTES, encoding="utf-8")
    cfg = folder / "run.sumocfg"
    cfg.write_text(
        '<configuration><input><net-file value="grid.net.xml"/>'
        '<route-files value="ev.rou.xml"/></input>'
        '<time><begin value="0"/><end value="300"/></time></configuration>',
        encoding="utf-8",
    )
    return cfg


def test_a_route_through_a_constant_green_turn_is_escorted(
    grid_cfg: Path, cli_process: Callable[..., Any]
) -> None:
    out = grid_cfg.parent / "auto.json"
    args = ["sumo", "run", str(grid_cfg), "--controller", "fixed", "--quiet"]
    done = cli_process([*args, "--escort", "auto", "--json", str(out)])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "not escorted" not in done.stderr
    doc = json.loads(out.read_text())
    assert doc["escort"]["vehicles"] == ["ev0"]
    assert doc["escort"]["calls"] == 2  # B1 and C1; A1's right turn needs no window
    assert doc["emergency"][0]["stops"] == 0
    assert not any(doc["safety"].values())


def test_the_escort_command_takes_the_constant_green_turn(grid_cfg: Path, tmp_path: Path) -> None:
    """``signalbrain escort`` planned a 1.1 km detour with a U turn at B2 (three windows)
    instead of the right turn at A1."""
    from signalbrain.cli import main

    out = tmp_path / "plan.json"
    net = grid_cfg.parent / "grid.net.xml"
    assert main(["escort", str(net), "--from", "A0A1", "--to", "A1B1", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["route"] == ["A0A1", "A1B1"]
    assert doc["signals"] == []


def test_the_escort_command_names_a_light_left_to_sumo_on_the_route(
    grid_cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The corner light A0 (one all-green phase) is left to SUMO: the schedule listed no signal
    and said nothing of it."""
    from signalbrain.cli import main

    net = grid_cfg.parent / "grid.net.xml"
    assert main(["escort", str(net), "--from", "A1A0", "--to", "A0B0"]) == 0
    out = capsys.readouterr().out
    assert "note: traffic light A0 left to SUMO's own program" in out
    assert "the escort does not preempt it" in out
    assert "traffic light C2" not in out  # not on the route
