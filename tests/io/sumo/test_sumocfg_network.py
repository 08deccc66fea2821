"""The network of a ``.sumocfg`` as ``load_network`` (``validate``, ``import-sumo``,
``optimize``) finds it: whatever SUMO itself accepts as the configuration's ``net-file``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.io import load_network, sumocfg_files

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
