"""The network of a ``.sumocfg`` as ``load_network`` (``validate``, ``import-sumo``,
``optimize``) finds it: whatever SUMO itself accepts as the configuration's ``net-file``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.io import load_network, read_sumo_net, sumocfg_files, write_sumo_programs
from signalbrain.io.sumo_programs import DEFAULT_PROGRAM_ID

pytest.importorskip("sumolib")


def _config(folder: Path, body: str) -> Path:
    path = folder / "city.sumocfg"
    path.write_text(f"<configuration><input>{body}</input></configuration>", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("net_name", "body"),
    [
        # a network file not named .net.xml: SUMO reads it, load_network refused its suffix
        ("city.xml", '<net-file value="nets/city.xml"/>'),
        # SUMO's one-letter option name and its short value attribute: "names no network"
        ("city.net.xml", '<n value="nets/city.net.xml"/>'),
        ("city.net.xml", '<n v="nets/city.net.xml"/><r v="a.rou.xml"/>'),
    ],
)
def test_the_configs_network_is_read_as_sumo_reads_it(
    grid_net: Path, tmp_path: Path, net_name: str, body: str
) -> None:
    (tmp_path / "nets").mkdir()
    shutil.copy(grid_net, tmp_path / "nets" / net_name)
    config = _config(tmp_path, body)
    assert sumocfg_files(config)["net-file"] == [tmp_path / "nets" / net_name]
    assert load_network(config).intersections
    if "<r " in body:
        assert sumocfg_files(config)["route-files"] == [tmp_path / "a.rou.xml"]


def test_a_missing_network_file_names_the_config(tmp_path: Path) -> None:
    config = _config(tmp_path, '<net-file value="gone.net.xml"/>')
    with pytest.raises(InputError, match=r"city\.sumocfg: input\.net-file: network file not"):
        load_network(config)


def _field_program(grid_net: Path, folder: Path, program_id: str = "field") -> tuple[str, Path]:
    """An additional file with a second program for the first traffic light of ``grid_net``:
    its first phase 20 s long."""
    text = grid_net.read_text()
    logic = re.search(r'<tlLogic id="([^"]+)".*?</tlLogic>', text, re.S)
    assert logic is not None
    program = re.sub(r'programID="[^"]*"', f'programID="{program_id}"', logic.group(0))
    program = re.sub(r'(<phase duration=")[^"]*"', r'\g<1>20"', program, count=1)
    path = folder / "field.add.xml"
    path.write_text(f"<additional>\n    {program}\n</additional>\n", encoding="utf-8")
    return logic.group(1), path


def test_programs_of_the_configs_additional_files_are_the_ones_imported(
    grid_net: Path, tmp_path: Path
) -> None:
    """SUMO runs the program loaded last, an additional file's over the network's (checked
    with TraCI: getProgram gives the additional file's id). The import used to model the
    network's program whatever the configuration loaded."""
    tls, extra = _field_program(grid_net, tmp_path)
    config = _config(
        tmp_path, f'<net-file value="{grid_net}"/><additional-files value="{extra.name}"/>'
    )
    isec = load_network(config).intersection(tls)
    assert isec.sumo is not None
    assert (isec.sumo.program_id, isec.sumo.phases[0].duration_s) == ("field", 20.0)
    assert any("program 'field' imported" in n for n in isec.notes)
    others = [s for s in load_network(config).intersections if s.id != tls]
    assert all(s.sumo is not None and s.sumo.program_id == "0" for s in others)


def test_an_additional_program_sumo_refuses_is_refused(grid_net: Path, tmp_path: Path) -> None:
    _, extra = _field_program(grid_net, tmp_path, program_id="0")
    with pytest.raises(InputError, match=r"field\.add\.xml: <tlLogic id='\w+' programID='0'>"):
        read_sumo_net(grid_net, additional_files=[extra])
    with pytest.raises(InputError, match=r"additional file not found: .*gone\.add\.xml"):
        read_sumo_net(grid_net, additional_files=[tmp_path / "gone.add.xml"])
    extra.write_text(extra.read_text().replace('duration="20"', 'duration="soon"'))
    extra.write_text(extra.read_text().replace('programID="0"', 'programID="x"'))
    with pytest.raises(InputError, match=r"field\.add\.xml: line \d+: <phase>: duration='soon'"):
        read_sumo_net(grid_net, additional_files=[extra])


def test_an_earlier_signalbrain_plan_in_the_config_is_not_the_design_modelled(
    grid_net: Path, tmp_path: Path
) -> None:
    """A configuration that loads an earlier ``optimize`` output: its programs (programID
    ``signalbrain``) are signalbrain's own, not the design to model, and modelling them made
    the next plan's programID clash with the imported one (exit 2, no way to choose another)."""
    tls, extra = _field_program(grid_net, tmp_path, program_id=DEFAULT_PROGRAM_ID)
    config = _config(
        tmp_path, f'<net-file value="{grid_net}"/><additional-files value="{extra.name}"/>'
    )
    net = load_network(config)
    isec = net.intersection(tls)
    assert isec.sumo is not None
    assert isec.sumo.program_id == "0"
    write_sumo_programs(net, tmp_path / "plan.add.xml")
