"""The scanner's route pass against the ElementTree pass it stands in for: the same demand, in
the same order, where it reads a file; the ElementTree pass (same result, same errors) where it
declines one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from signalbrain.demand import Demand
from signalbrain.errors import InputError
from signalbrain.io import demand as demand_io
from signalbrain.io._routes_scan import scan_routes
from signalbrain.network import Network
from signalbrain.network.generate import grid


@pytest.fixture(scope="module")
def net() -> Network:
    return grid(2, 2)


def _route(net: Network) -> str:
    """Three links straight through two signals."""
    a = net.intersections[0]
    for m in a.movements:
        if m.turn != "T":
            continue
        b = net.intersection_at(net.link(m.to_link).to_node)
        if b is None:
            continue
        m2 = next((x for x in b.movements if x.from_link == m.to_link and x.turn == "T"), None)
        if m2 is not None:
            return f"{m.from_link} {m.to_link} {m2.to_link}"
    raise AssertionError("no straight route")


def _both(
    monkeypatch: pytest.MonkeyPatch, files: list[Path], net: Network, **kw: Any
) -> tuple[Demand, Demand]:
    fast = demand_io.read_sumo_routes(list(files), net, **kw)
    with monkeypatch.context() as m:
        m.setattr(demand_io, "scan_routes", lambda *a, **k: None)
        slow = demand_io.read_sumo_routes(list(files), net, **kw)
    return fast, slow


def _same(fast: Demand, slow: Demand) -> None:
    assert list(fast.flows_vph.items()) == list(slow.flows_vph.items())
    assert list(fast.heavy_share.items()) == list(slow.heavy_share.items())


def _answers(path: Path) -> bool:
    return (
        scan_routes(
            path, {}, {}, demand_io.HEAVY_VCLASSES, demand_io._time, None, None, compiled_only=False
        )
        is not None
    )


def test_routed_vehicles_types_and_references(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    route = _route(net)
    first = tmp_path / "a.rou.xml"
    first.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<routes>
  <vTypeDistribution id="mix">
    <vType id="lorry" vClass="truck"/><vType id="car"/>
  </vTypeDistribution>
  <route id="r0" edges="{route}"/>
  <route id="" edges="{route}"/>
  <vehicle id="v0" depart="0" route="r0"/>
  <vehicle id="v1" depart="0:01:00" type="lorry">
    <param key="a" value="b"/><route edges="{route}"/><route edges="x"/>
  </vehicle>
  <vehicle id="v2" depart="triggered" route="r0" type="car"/>
  <vehicle id="v3" depart="120" route="unknown"/>
  <vehicle id="v4" depart="150"><route edges=""/></vehicle>
  <trip id="t0" depart="200" type="lorry"><route edges="{route}"/></trip>
  <vehicle id="v5" depart="3000" route="r0"/>
</routes>
""")
    second = tmp_path / "b.rou.xml"
    second.write_text(f"""<routes>
  <vehicle id="w0" depart="300" route="r0" type="lorry"/>
  <route id="r0" edges="{route.split()[0]}"/>
  <vehicle id="w1" depart="400" route="r0"/>
  <vType id="lorry" vClass="passenger"/>
  <vehicle id="w2" depart="500" route="r0" type="lorry"/>
</routes>
""")
    assert _answers(first)
    assert _answers(second)
    for kw in ({}, {"begin_s": 60.0}, {"begin_s": 0.0, "end_s": 400.0}):
        fast, slow = _both(monkeypatch, [first, second], net, **kw)
        _same(fast, slow)
    fast, _ = _both(monkeypatch, [first, second], net)
    assert any(v > 0 for v in fast.heavy_share.values())


@pytest.mark.parametrize(
    "body",
    [
        '<flow id="f" begin="0" end="600" number="10" route="r0"/>',  # flows: the other pass
        '<routeDistribution id="d"><route id="x" edges="{route}" probability="1"/>'
        "</routeDistribution>",
        '<trip id="t" depart="5" from="{first}" to="{last}"/>',  # needs a shortest path
        '<vehicle id="v" depart="5" route="r0"/><vehicle id="w" depart="a&amp;b" route="r0"/>',
    ],
)
def test_what_the_scanner_declines_reads_the_same(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    route = _route(net)
    parts = route.split()
    text = body.format(route=route, first=parts[0], last=parts[-1])
    path = tmp_path / "r.rou.xml"
    path.write_text(f'<routes><route id="r0" edges="{route}"/>{text}</routes>')
    assert not _answers(path)
    if "&amp;" in body:
        with pytest.raises(InputError, match="bad number"):
            demand_io.read_sumo_routes(path, net)
        return
    _same(*_both(monkeypatch, [path], net))


def test_a_bad_number_gives_the_error_it_always_gave(net: Network, tmp_path: Path) -> None:
    path = tmp_path / "r.rou.xml"
    path.write_text(
        f'<routes><vehicle id="v" depart="soon"><route edges="{_route(net)}"/></vehicle></routes>'
    )
    assert not _answers(path)
    with pytest.raises(InputError, match="bad number in routes"):
        demand_io.read_sumo_routes(path, net)


def test_generated_routes(sumo_home: Path, grid_net: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """randomTrips.py -r (duarouter's output): read by the scanner, the same demand."""
    from signalbrain.io import read_sumo_net

    from .conftest import random_trips

    routes = random_trips(sumo_home, grid_net)
    assert _answers(routes)
    _same(*_both(monkeypatch, [routes], read_sumo_net(grid_net)))
