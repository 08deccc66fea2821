"""A configuration whose network is a gzipped ``.net.xml.gz`` runs as the plain one does.

``validate``, ``import-sumo`` and ``optimize`` read gzipped networks, and SUMO runs them, but
``sumo run`` indexed the network with a plain XML parser: every controller ended at once with
"gz.net.xml.gz: malformed network XML: not well-formed (invalid token): line 1, column 0"
(exit 2).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.sim.netxml import read_net_index, running_programs

from .conftest import NetFactory, write_config


@pytest.fixture(scope="module")
def gz_net(make_net: NetFactory, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 2x2 grid of traffic lights as ``.net.xml`` and the same bytes gzipped."""
    plain: Path = make_net("gzgrid", "--grid.number", "2", "-j", "traffic_light")
    packed = tmp_path_factory.mktemp("gz") / "gzgrid.net.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    return plain, packed


def test_the_index_of_a_gzipped_network_is_the_plain_ones(gz_net: tuple[Path, Path]) -> None:
    plain, packed = gz_net
    a, b = read_net_index(plain), read_net_index(packed)
    assert (a.lanes, a.connections, a.programs) == (b.lanes, b.connections, b.programs)
    add = packed.with_name("programs.add.xml.gz")
    text = plain.read_text(encoding="utf-8")
    logic = text[text.index("<tlLogic ") : text.index("</tlLogic>") + len("</tlLogic>")]
    logic = logic.replace('programID="0"', 'programID="other"')
    add.write_bytes(gzip.compress(f"<additional>{logic}</additional>".encode()))
    assert "other" in {p.program_id for p in running_programs(b, [add])}


@pytest.mark.parametrize("controller", ["fixed", "actuated"])
def test_sumo_run_on_a_gzipped_network(
    gz_net: tuple[Path, Path],
    trips_for: Callable[[Path], Path],
    tmp_path: Path,
    controller: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plain, packed = gz_net
    routes = trips_for(plain)
    cfg = write_config(tmp_path / "gz.sumocfg", packed, routes, 200)
    out = tmp_path / "run.json"
    args = ["sumo", "run", str(cfg), "--controller", controller, "--end", "200", "-q"]
    assert main([*args, "--json", str(out)]) == 0
    capsys.readouterr()
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["vehicles"]["departed"] > 0
    assert not any(result["safety"].values())
