"""SUMO ``NEMA`` programs (``netconvert --tls.default-type NEMA``) are left to SUMO.

A NEMA program runs its phases two at a time, one per ring (``ring1``/``ring2`` params), and
takes its yellow and red from phase attributes. The importer read its phases one after another
as a static program's: concurrent phases became conflicts, the clearances a forced 3 s yellow
and 1 s all-red (the program's own red is 2 s) under an "unsafe original program: green
switches straight to red with no yellow" note. ``sumo run --controller actuated`` converted the
programs to type ``actuated``, which ignores those attributes: SUMO ran green to green with no
yellow (1972 short yellows and all-reds in 300 s on a 3x3 grid), and ``--controller sumo``
counted SUMO's own NEMA operation as thousands of seconds of conflicting green.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.errors import InputError
from signalbrain.io import read_sumo_net
from signalbrain.io.sumo_net import unimported_lights

from .conftest import NetFactory, write_config

LIGHTS = ["A0", "A1", "B0", "B1"]


@pytest.fixture(scope="module")
def nema_net(make_net: NetFactory) -> Path:
    """2x2 grid (approaches attached) of traffic lights running NEMA programs."""
    net: Path = make_net(
        "nema",
        "--grid.number",
        "2",
        "--grid.length",
        "200",
        "--default-junction-type",
        "traffic_light",
        "--tls.default-type",
        "NEMA",
    )
    return net


def test_nema_lights_are_left_to_sumo_with_a_note(nema_net: Path) -> None:
    net = read_sumo_net(nema_net)
    assert not {s.id for s in net.intersections} & set(LIGHTS)
    left = unimported_lights(net)
    assert sorted(left) == LIGHTS
    assert "a NEMA program" in left["A0"]


def test_strict_refuses_them_naming_the_file_and_program(nema_net: Path) -> None:
    with pytest.raises(InputError) as info:
        read_sumo_net(nema_net, strict=True)
    text = str(info.value)
    assert str(nema_net) in text
    assert "tlLogic id='A0' type='NEMA'" in text


@pytest.mark.parametrize("controller", ["actuated", "sumo"])
def test_sumo_run_keeps_nema_programs_safe(
    nema_net: Path,
    trips_for: Callable[[Path], Path],
    tmp_path: Path,
    controller: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    routes = trips_for(nema_net)
    cfg = write_config(tmp_path / "nema.sumocfg", nema_net, routes, 300)
    out = tmp_path / "run.json"
    args = ["sumo", "run", str(cfg), "--controller", controller, "--end", "300", "-q"]
    assert main([*args, "--json", str(out)]) == 0
    capsys.readouterr()
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["safety"] == {
        "conflicting_green_s": 0.0,
        "short_yellow": 0,
        "short_all_red": 0,
        "short_green": 0,
    }
    if controller == "actuated":
        assert any(n.startswith("NEMA programs kept as SUMO runs them") for n in result["notes"])
