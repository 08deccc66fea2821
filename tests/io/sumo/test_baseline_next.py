"""``sumo run --controller actuated|delay_based`` keeps the phase order a program's ``next``
attributes give.

The converted programs are written without ``next``, so SUMO ran their phases in file order: a
program whose yellows lead (``next``) to all-red phases listed at its end ran each yellow
straight into the next green, 72 short all-reds in 300 s at one such light of a 3x3 grid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.sim.netxml import _running_order, read_net_index

from .conftest import NetFactory, write_config


@pytest.mark.parametrize(
    ("nexts", "order"),
    [
        (["", "", ""], [0, 1, 2]),
        (["1", "4", "", "5", "2", "0"], [0, 1, 4, 2, 3, 5]),
        (["1 2", "0", ""], [0, 1]),  # the first of several targets
        (["1", "2", "1"], [1, 2]),  # loops back past phase 0: the loop
        (["1", "x", ""], [0, 1, 2]),  # not a phase index: SUMO refuses it, file order
    ],
)
def test_running_order(nexts: list[str], order: list[int]) -> None:
    assert _running_order(nexts) == order


def _with_all_red_at_the_end(m: re.Match[str]) -> str:
    """A four-phase program (green, yellow, green, yellow) as green, yellow -> all-red ->
    green, yellow -> all-red -> first green, the all-red phases listed last."""
    phases = re.findall(r'<phase duration="[^"]*"\s+state="([^"]+)"/>', m.group(2))
    if len(phases) != 4:
        return m.group(0)
    g1, y1, g2, y2 = phases
    red = "r" * len(g1)
    body = (
        f'<phase duration="30" state="{g1}" next="1"/><phase duration="4" state="{y1}" next="4"/>'
        f'<phase duration="30" state="{g2}"/><phase duration="4" state="{y2}" next="5"/>'
        f'<phase duration="2" state="{red}" next="2"/><phase duration="2" state="{red}" next="0"/>'
    )
    return f"{m.group(1)}{body}</tlLogic>"


@pytest.fixture(scope="module")
def next_net(make_net: NetFactory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    plain: Path = make_net("nextgrid", "--grid.number", "2", "-j", "traffic_light")
    text = plain.read_text(encoding="utf-8")
    out = tmp_path_factory.mktemp("next") / "nextgrid.net.xml"
    pattern = r"(<tlLogic [^>]*>)(.*?)</tlLogic>"
    out.write_text(re.sub(pattern, _with_all_red_at_the_end, text, flags=re.S))
    return out


def test_the_index_has_the_phases_in_running_order(next_net: Path) -> None:
    programs = [p for p in read_net_index(next_net).programs if len(p.phases) == 6]
    assert programs
    for p in programs:
        assert [ph.duration_s for ph in p.phases] == [30, 4, 2, 30, 4, 2]


@pytest.mark.parametrize("controller", ["actuated", "delay_based"])
def test_converted_programs_keep_their_all_red(
    next_net: Path,
    make_net: NetFactory,
    trips_for: Callable[[Path], Path],
    tmp_path: Path,
    controller: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    routes = trips_for(make_net("nextgrid"))
    cfg = write_config(tmp_path / "next.sumocfg", next_net, routes, 300)
    out = tmp_path / "run.json"
    args = ["sumo", "run", str(cfg), "--controller", controller, "--end", "300", "-q"]
    assert main([*args, "--json", str(out)]) == 0
    capsys.readouterr()
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["vehicles"]["departed"] > 0
    assert not any(result["safety"].values())
