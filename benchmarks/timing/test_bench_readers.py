"""Reading SUMO files at 100 and 1,296 signals: the compiled scanner's passes against the
pure-Python passes they stand in for, in the same run.

Most of what ``signalbrain optimize --method webster`` spends on the 1,296-signal grid of the
comparison with ``tlsCycleAdaptation.py`` (``benchmarks/README.md``, timing (e)) is reading its
two files. Each benchmark here has a baseline in its group: the network import
(:func:`~signalbrain.io.sumo_net.read_sumo_net`) with the scanner against the same import with
expat, and the route count (:func:`~signalbrain.io.demand.read_sumo_routes`) with the scanner
and the compiled pair count against ElementTree with the numpy count. Networks and routes are
generated as in ``sumo_compare.py``: ``netgenerate`` grids of 200 m blocks with a traffic light
at every junction, ``randomTrips.py -p 0.4`` over an hour (the 36 x 36 grid gets about 9,000
routed vehicles; generating it takes about a minute).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from signalbrain.io import _route_pairs, _sumo_xml, demand, sumo_net
from signalbrain.io._xml_scan import available
from signalbrain.network.model import Network

from .sumo_compare import generate

SIDES = (10, 36)
"""Grid side: 100 and 1,296 signals."""


@pytest.fixture(scope="module", params=SIDES, ids=lambda side: f"{side * side}signals")
def grid(
    request: pytest.FixtureRequest, sumo_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, Network]:
    side = int(request.param)
    if not available():
        pytest.skip("the kernels are not built ahead of time (run make)")
    sc = generate(
        tmp_path_factory.mktemp("readers"), f"grid{side}", x=side, y=side, length=200.0, period=0.4
    )
    net = sumo_net.read_sumo_net(sc["net"])
    return sc["net"], sc["routes"][0], net


@pytest.mark.parametrize("method", ["scanner", "expat"])
def test_read_sumo_net(
    benchmark: pytest.FixtureDef,  # type: ignore[type-arg]
    grid: tuple[Path, Path, Network],
    method: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _routes, want = grid
    benchmark.group = f"read_sumo_net {want.signal_count} signals"
    if method == "expat":
        expat = _sumo_xml.scan_net
        monkeypatch.setattr(sumo_net, "scan_net", lambda p: expat(p, method="expat"))
    got = benchmark.pedantic(sumo_net.read_sumo_net, args=(path,), rounds=5, warmup_rounds=1)
    assert got == want


@pytest.mark.parametrize("method", ["scanner", "elementtree"])
def test_read_sumo_routes(
    benchmark: pytest.FixtureDef,  # type: ignore[type-arg]
    grid: tuple[Path, Path, Network],
    method: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _path, routes, net = grid
    benchmark.group = f"read_sumo_routes {net.signal_count} signals"
    want = demand.read_sumo_routes([routes], net, begin_s=0.0)
    if method == "elementtree":
        monkeypatch.setattr(demand, "scan_routes", lambda *a, **k: None)
        monkeypatch.setattr(_route_pairs, "available", lambda: False)  # the numpy pair count
    got = benchmark.pedantic(
        demand.read_sumo_routes, args=([routes], net), kwargs={"begin_s": 0.0}, rounds=5
    )
    assert got == want
