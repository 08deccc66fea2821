"""Boolean attributes of a SUMO network are read as SUMO reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.io.sumo_net import read_sumo_net

from .conftest import netgenerate


@pytest.mark.parametrize(("value", "side"), [("1", "left"), ("YES", "left"), ("0", "right")])
def test_lefthand_is_read_as_sumo_reads_it(
    sumo_home: Path, sumo_nets: Path, tmp_path: Path, value: str, side: str
) -> None:
    """``lefthand="1"`` (SUMO: left-hand traffic) was read as right-hand traffic: only the
    word ``true`` counted."""
    net = netgenerate(
        sumo_home, sumo_nets, "lefthand_bool", "--grid.number", "3", "-j", "traffic_light",
        "--lefthand",
    )  # fmt: skip
    text = net.read_text(encoding="utf-8")
    assert 'lefthand="true"' in text
    copy = tmp_path / "copy.net.xml"
    copy.write_text(text.replace('lefthand="true"', f'lefthand="{value}"'), encoding="utf-8")
    assert read_sumo_net(copy).driving_side == side


def test_a_lefthand_sumo_would_refuse_is_named(
    sumo_home: Path, sumo_nets: Path, tmp_path: Path
) -> None:
    net = netgenerate(
        sumo_home, sumo_nets, "lefthand_bool", "--grid.number", "3", "-j", "traffic_light",
        "--lefthand",
    )  # fmt: skip
    copy = tmp_path / "copy.net.xml"
    copy.write_text(net.read_text(encoding="utf-8").replace('lefthand="true"', 'lefthand="maybe"'))
    with pytest.raises(InputError, match=r"copy\.net\.xml: <net> lefthand='maybe': SUMO reads"):
        read_sumo_net(copy)
