"""The streaming SUMO reader against the sumolib-based reader it replaced (the oracle in
``sumolib_reference.py``): the imported networks must be equal (``==``), field for field."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.io.sumo_net import read_sumo_net
from signalbrain.network import Network

from .sumolib_reference import read_sumo_net_sumolib

pytest.importorskip("sumolib")

SHARED_NETS = (
    "resco/cologne1",
    "resco/cologne3",
    "resco/ingolstadt1",
    "resco/ingolstadt7",
    "libsignal/atlanta_1x5",
    "libsignal/hangzhou_1x1_bc-tyc_18041610_1h",
    "libsignal/hangzhou_1x1_kn-hz_18041608_1h",
)

GENERATED = {  # name -> netgenerate options (other than --grid, the seed and the output)
    "oracle_priority_mix": (
        "--grid.number",
        "4",
        "--grid.length",
        "120",
        "-L",
        "2",
        "--tls.guess",
        "true",
        "--rand.iterations",
        "0",
    ),
    "oracle_left_lanes": (
        "--grid.x-number",
        "3",
        "--grid.y-number",
        "2",
        "--grid.length",
        "180",
        "-L",
        "3",
        "--turn-lanes",
        "1",
        "--turn-lanes.length",
        "50",
        "-j",
        "traffic_light",
        "--tls.layout",
        "incoming",
    ),
    "oracle_lefthand_ped": (
        "--grid.number",
        "2",
        "--grid.length",
        "90",
        "-L",
        "2",
        "--lefthand",
        "true",
        "-j",
        "traffic_light",
        "--sidewalks.guess",
        "true",
        "--crossings.guess",
        "true",
    ),
    "oracle_bike": (
        "--grid.number",
        "2",
        "--grid.length",
        "100",
        "-L",
        "2",
        "--bikelanes.guess",
        "true",
        "--tls.guess",
        "true",
        "--no-turnarounds",
        "true",
    ),
    "oracle_actuated": (
        "--grid.number",
        "3",
        "--grid.length",
        "150",
        "-L",
        "1",
        "-j",
        "traffic_light",
        "--tls.default-type",
        "actuated",
        "--tls.join",
        "true",
        "--tls.join-dist",
        "160",
    ),
}


def _check_equal(new: Network, old: Network) -> None:
    assert new.name == old.name
    assert new.driving_side == old.driving_side
    assert new.source == old.source
    assert new.nodes == old.nodes
    assert new.links == old.links
    assert [s.id for s in new.intersections] == [s.id for s in old.intersections]
    for a, b in zip(new.intersections, old.intersections, strict=True):
        assert a == b, a.id
    assert new == old


@pytest.mark.shared
@pytest.mark.parametrize("scenario", SHARED_NETS)
def test_shared_scenarios_read_as_with_sumolib(scenario: str, shared_data: Path) -> None:
    nets = sorted((shared_data / "scenarios" / scenario).glob("*.net.xml*"))
    assert nets, scenario
    for path in nets:
        _check_equal(read_sumo_net(path), read_sumo_net_sumolib(path))


@pytest.mark.parametrize(
    "fixture", ["grid_net", "incoming_net", "joined_net", "pedestrian_net", "plain_net"]
)
def test_fixture_nets_read_as_with_sumolib(fixture: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    _check_equal(read_sumo_net(path), read_sumo_net_sumolib(path))


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_nets_read_as_with_sumolib(name: str, make_net: Callable[..., Path]) -> None:
    path = make_net(name, *GENERATED[name])
    _check_equal(read_sumo_net(path), read_sumo_net_sumolib(path))


@pytest.mark.parametrize("program_id", [None, "0", "evening"])
def test_program_choice_and_gzip_as_with_sumolib(
    grid_net: Path, tmp_path: Path, program_id: str | None
) -> None:
    text = grid_net.read_text()
    head, tail = text.split('<tlLogic id="B1"', 1)
    body = tail.split("</tlLogic>", 1)[0]
    extra = (
        '<tlLogic id="B1"'
        + body.replace('programID="0"', 'programID="evening"')
        + '<param key="note" value="added"/></tlLogic>\n    '
    )
    path = tmp_path / "two.net.xml.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(head + extra + '<tlLogic id="B1"' + tail)
    plain = tmp_path / "two.net.xml"
    with gzip.open(path, "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    for p in (path, plain):
        _check_equal(
            read_sumo_net(p, program_id=program_id), read_sumo_net_sumolib(p, program_id=program_id)
        )


@pytest.mark.slow
def test_large_grid_reads_as_with_sumolib(make_net: Callable[..., Path]) -> None:
    path = make_net(
        "oracle_grid12",
        "--grid.number",
        "12",
        "--grid.length",
        "200",
        "-L",
        "2",
        "-j",
        "traffic_light",
        "--no-turnarounds",
        "true",
    )
    _check_equal(read_sumo_net(path), read_sumo_net_sumolib(path))


def test_repeated_layouts_share_one_model(
    make_net: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Traffic lights with the same layout are modelled once and renamed (the import of large
    grids depends on it); the result is still the sumolib reader's."""
    import signalbrain.io.sumo_net as sumo_net
    from signalbrain.io._sumo_templates import IntersectionBuilder

    builders: list[IntersectionBuilder] = []

    def recording() -> IntersectionBuilder:
        builders.append(IntersectionBuilder())
        return builders[-1]

    monkeypatch.setattr(sumo_net, "IntersectionBuilder", recording)
    path = make_net(
        "oracle_grid5",
        "--grid.number",
        "5",
        "--grid.length",
        "150",
        "-L",
        "2",
        "-j",
        "traffic_light",
        "--no-turnarounds",
        "true",
    )
    net = read_sumo_net(path)
    assert net.signal_count == 25
    layouts = len(builders[0]._templates)
    assert 1 < layouts < 25
    _check_equal(net, read_sumo_net_sumolib(path))
