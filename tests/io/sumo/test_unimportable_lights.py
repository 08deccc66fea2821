"""Traffic lights with nothing to model are left to SUMO, not a reason to refuse the network.

``netgenerate --grid --default-junction-type traffic_light`` (SUMO's own generator, as a user
runs it) gives every corner junction a traffic light whose one phase shows all green. ``sumo
run`` left such lights to SUMO; ``validate``, ``import-sumo`` and ``optimize`` refused the whole
network (exit 2, "intersections.A0.phases: no phases"), so the plain generated grid could not
be timed at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.errors import InputError
from signalbrain.io import load_network, read_sumo_net
from signalbrain.io.sumo_net import unimported_lights

from .conftest import run_tool, write_config

CORNERS = ["A0", "A2", "C0", "C2"]


@pytest.fixture(scope="module")
def corner_net(sumo_home: Path, sumo_nets: Path) -> Path:
    """3x3 grid with nothing attached, every junction a traffic light: the corners run one
    all-green phase."""
    out = sumo_nets / "corners.net.xml"
    if not out.exists():
        netgenerate = str(sumo_home / "bin" / "netgenerate")
        options = ["--grid", "--grid.number", "3", "--grid.length", "200"]
        options += ["--default-junction-type", "traffic_light", "-o", str(out)]
        run_tool(sumo_home, [netgenerate, *options], sumo_nets)
    return out


def _all_lights_constant(net: Path, folder: Path) -> Path:
    """A copy of ``net`` in which every traffic light runs one phase, all green."""
    text = net.read_text(encoding="utf-8")

    def one_phase(m: re.Match[str]) -> str:
        links = len(re.findall(r'state="([^"]+)"', m.group(0))[0])
        return f'{m.group(1)}<phase duration="90" state="{"G" * links}"/></tlLogic>'

    out = folder / "constant.net.xml"
    out.write_text(re.sub(r"(<tlLogic [^>]*>).*?</tlLogic>", one_phase, text, flags=re.S))
    return out


def test_the_corners_are_left_out_with_a_note_and_the_rest_imported(corner_net: Path) -> None:
    net = read_sumo_net(corner_net)
    assert sorted(s.id for s in net.intersections) == ["A1", "B0", "B1", "B2", "C1"]
    left = unimported_lights(net)
    assert sorted(left) == CORNERS
    assert "its program changes no link's state (GG): nothing to time" in left["A0"]
    # the corner junctions stay in the model as uncontrolled nodes: routes through them map
    assert {n.id for n in net.nodes} >= set(CORNERS)


def test_strict_refuses_them_naming_each(corner_net: Path) -> None:
    with pytest.raises(InputError) as info:
        read_sumo_net(corner_net, strict=True)
    paths = {p.path for p in info.value.problems}
    assert paths == {f"intersections.{c}.phases" for c in CORNERS}


def test_validate_passes_and_names_them(
    corner_net: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(corner_net)]) == 0
    out = capsys.readouterr().out
    assert "signals     5" in out
    for c in CORNERS:
        assert f"traffic light {c} left to SUMO's own program" in out


def test_import_sumo_keeps_the_notes_in_the_yaml(
    corner_net: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "corners.yaml"
    assert main(["import-sumo", str(corner_net), "-o", str(out)]) == 0
    again = load_network(out)
    assert sorted(unimported_lights(again)) == CORNERS
    assert len(again.intersections) == 5


def test_optimize_times_the_others_and_leaves_the_corners_programs_alone(
    corner_net: Path,
    tmp_path: Path,
    trips_for: Callable[[Path], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "plan.add.xml"
    argv = ["optimize", str(corner_net), "--routes", str(trips_for(corner_net)), "-o", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for c in CORNERS:
        assert f"note: traffic light {c} left to SUMO's own program" in printed
    timed = re.findall(r'<tlLogic id="([^"]+)"', out.read_text(encoding="utf-8"))
    assert sorted(set(timed)) == ["A1", "B0", "B1", "B2", "C1"]


def test_a_network_of_nothing_but_such_lights_is_refused_saying_why(
    corner_net: Path,
    tmp_path: Path,
    trips_for: Callable[[Path], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    constant = _all_lights_constant(corner_net, tmp_path)
    assert read_sumo_net(constant).intersections == ()
    argv = ["optimize", str(constant), "--routes", str(trips_for(corner_net))]
    assert main([*argv, "-o", str(tmp_path / "plan.add.xml")]) == 2
    err = capsys.readouterr().err
    assert "has no traffic lights signalbrain can time" in err
    assert "traffic light B1 left to SUMO's own program" in err
    assert "nothing to time" in err
    assert not (tmp_path / "plan.add.xml").exists()


def _switched_off(corner_net: Path, folder: Path) -> tuple[Path, Path]:
    """An additional file switching B1 off the way SUMO's documentation does (``programID
    "off"``, no phases), and a configuration loading it."""
    add = folder / "off.add.xml"
    add.write_text(
        '<additional><tlLogic id="B1" programID="off" type="static" offset="0"/></additional>',
        encoding="utf-8",
    )
    return add, folder / "off.sumocfg"


def test_a_light_switched_off_is_left_out_with_a_note(corner_net: Path, tmp_path: Path) -> None:
    """It was refused with the whole network: "traffic light 'B1' program 'off': has no
    phases" (optimize and sumo run exited 2)."""
    add, _ = _switched_off(corner_net, tmp_path)
    net = read_sumo_net(corner_net, additional_files=[add])
    assert "B1" not in {s.id for s in net.intersections}
    assert "switches the light off" in unimported_lights(net)["B1"]
    with pytest.raises(InputError, match="tlLogic id='B1'"):
        read_sumo_net(corner_net, additional_files=[add], strict=True)


@pytest.mark.parametrize("controller", ["fixed", "actuated"])
def test_sumo_run_with_a_light_switched_off(
    corner_net: Path,
    trips_for: Callable[[Path], Path],
    tmp_path: Path,
    controller: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``actuated`` converted the off program too, and SUMO refused the converted program
    without phases ("has a duration of 0"): exit 2."""
    add, cfg = _switched_off(corner_net, tmp_path)
    write_config(cfg, corner_net, trips_for(corner_net), 120, additional=add)
    out = tmp_path / "run.json"
    args = ["sumo", "run", str(cfg), "--controller", controller, "--end", "120", "-q"]
    assert main([*args, "--json", str(out)]) == 0
    capsys.readouterr()
    data = json.loads(out.read_text(encoding="utf-8"))
    notes = data["notes"]
    assert any("B1" in n and "off" in n for n in notes)
    # the light switched off is no signal to audit: its junction's right of way rules (it was
    # audited by its network program's model and counted 120 s of conflicting green)
    assert any("not audited" in n and "B1 (switched off)" in n for n in notes), notes
    assert data["safety"] == {
        "conflicting_green_s": 0.0,
        "short_yellow": 0,
        "short_all_red": 0,
        "short_green": 0,
    }
