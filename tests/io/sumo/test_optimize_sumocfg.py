"""``signalbrain optimize CONFIG.sumocfg``: the demand period merges the command line with the
configuration, and a period with no departures is refused instead of planned as no demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.cli import main


def _config(folder: Path, net: Path, routes: Path) -> Path:
    cfg = folder / "grid.sumocfg"
    cfg.write_text(
        "<configuration><input>"
        f'<net-file value="{net}"/><route-files value="{routes}"/>'
        '</input><time><begin value="0"/><end value="300"/></time></configuration>\n',
        encoding="utf-8",
    )
    return cfg


def test_a_begin_after_the_configurations_end_is_named(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    grid_net: Path,
    trips_for: Callable[[Path], Path],
) -> None:
    cfg = _config(tmp_path, grid_net, trips_for(grid_net))
    out = tmp_path / "plan.yaml"
    # was: exit 0 and a plan of minimum greens from no demand at all
    assert main(["optimize", str(cfg), "--begin", "700", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--begin: 700: the demand period 700-300 s is empty" in err
    assert f"the other end is {cfg}'s" in err
    # a period past the last departure, both ends given: refused naming the routes and period
    assert main(["optimize", str(cfg), "--begin", "1000", "--end", "2000", "-o", str(out)]) == 2
    assert "no vehicle departing between 1000 s and 2000 s drives a movement" in (
        capsys.readouterr().err
    )
    assert not out.exists()
    assert main(["optimize", str(cfg), "--begin", "100", "-o", str(out)]) == 0
    assert out.is_file()


def test_an_empty_period_of_the_configurations_own_is_blamed_on_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    grid_net: Path,
    trips_for: Callable[[Path], Path],
) -> None:
    """Both ends from the configuration (end before begin): it blamed ``--end``, an option
    the engineer had not given."""
    cfg = _config(tmp_path, grid_net, trips_for(grid_net))
    text = cfg.read_text(encoding="utf-8").replace('begin value="0"', 'begin value="500"')
    cfg.write_text(text, encoding="utf-8")
    out = tmp_path / "plan.yaml"
    assert main(["optimize", str(cfg), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}: time.end: 300: the demand period 500-300 s is empty" in err
    assert "--end" in err  # the way out: give both ends
    assert not out.exists()


def test_a_network_without_traffic_lights_is_named_as_such(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    plain_net: Path,
    trips_for: Callable[[Path], Path],
) -> None:
    """A SUMO network with no tlLogic was refused blaming its routes ("no vehicle drives a
    movement of network ... routes of another network?"), which sent the engineer to check the
    wrong file. It is refused naming the network and what it lacks."""
    out = tmp_path / "plan.yaml"
    argv = ["optimize", str(plain_net), "--routes", str(trips_for(plain_net)), "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        f"{plain_net}: network 'plain' has no traffic lights signalbrain can time: it has none"
        in err
    )
    assert "no vehicle" not in err
    assert not out.exists()


def test_a_configuration_with_no_end_plans_its_whole_demand(
    tmp_path: Path, grid_net: Path, trips_for: Callable[[Path], Path]
) -> None:
    cfg = _config(tmp_path, grid_net, trips_for(grid_net))
    cfg.write_text(cfg.read_text().replace('<end value="300"/>', '<end value="-1"/>'))
    out = tmp_path / "plan.yaml"
    assert main(["optimize", str(cfg), "-o", str(out)]) == 0
    assert out.is_file()
