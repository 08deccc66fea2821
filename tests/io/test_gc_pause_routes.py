"""What keeps ``read_sumo_routes`` fast: the cyclic garbage collector is paused while it reads
(see the ``_sumo_xml`` module docstring for the measurements), restored afterwards, errors
included, and the flows are those of the plain reader."""

from __future__ import annotations

import gc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from signalbrain.errors import InputError
from signalbrain.io import demand
from signalbrain.io.demand import read_sumo_routes
from signalbrain.network.generate import grid


def routes_for(tmp_path: Path, text: str | None = None) -> Path:
    """A route file over the first movement of a one-intersection grid (or ``text``)."""
    net = grid(1, 1)
    mv = net.intersections[0].movements[0]
    path = tmp_path / "r.rou.xml"
    path.write_text(
        text
        or (
            "<routes>\n"
            f'    <vehicle id="0" depart="0.00"><route edges="{mv.from_link} {mv.to_link}"/>'
            "</vehicle>\n"
            f'    <vehicle id="1" depart="1800.00"><route edges="{mv.from_link} {mv.to_link}"/>'
            "</vehicle>\n"
            "</routes>\n"
        )
    )
    return path


def test_routes_are_read_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector_state: None
) -> None:
    net = grid(1, 1)
    mv = net.intersections[0].movements[0]
    seen: list[bool] = []
    real_iter = demand._iter_xml
    real_scan = demand.scan_routes

    def spy(path: Path) -> Iterator[tuple[str, ET.Element]]:
        seen.append(gc.isenabled())
        return real_iter(path)

    def spy_scan(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(demand, "_iter_xml", spy)
    monkeypatch.setattr(demand, "scan_routes", spy_scan)
    gc.enable()
    d = read_sumo_routes(routes_for(tmp_path), net)
    assert seen
    assert not any(seen)  # the scanner's pass, and the ElementTree pass where it declines
    assert gc.isenabled()
    assert d.flows_vph == {mv.id: pytest.approx(4.0)}  # 2 vehicles over 1,800 s


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_found(
    tmp_path: Path, enabled: bool, collector_state: None
) -> None:
    if enabled:
        gc.enable()
    else:
        gc.disable()
    read_sumo_routes(routes_for(tmp_path), grid(1, 1))
    assert gc.isenabled() is enabled


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<routes><vehicle id='0' depart='0'>", "malformed XML"),
        ("<routes><vehicle id='0' depart='soon'/></routes>", "bad number in routes"),
    ],
)
def test_the_collector_is_restored_after_an_error(
    tmp_path: Path, text: str, message: str, collector_state: None
) -> None:
    gc.enable()
    with pytest.raises(InputError, match=message):
        read_sumo_routes(routes_for(tmp_path, text), grid(1, 1))
    assert gc.isenabled()
