"""What keeps ``scan_net`` fast: the cyclic garbage collector is paused while the pass makes its
containers (see the ``_sumo_xml`` module docstring for the measurements), and is left as it was
found afterwards, errors included."""

from __future__ import annotations

import gc
import xml.parsers.expat
from pathlib import Path
from typing import Any

import pytest

from signalbrain.errors import InputError
from signalbrain.io import _sumo_net_scan, _sumo_xml
from signalbrain.io._sumo_xml import paused_gc, scan_net

NET = """<?xml version="1.0" encoding="UTF-8"?>
<net version="1.20">
    <edge id="WC" from="W" to="C" priority="-1">
        <lane id="WC_0" index="0" speed="13.89" length="98.00" shape="0.00,-1.60 98.00,-1.60"/>
    </edge>
    <junction id="C" type="priority" x="100.00" y="0.00" incLanes="WC_0" intLanes="" shape="">
        <request index="0" response="0" foes="0" cont="0"/>
    </junction>
</net>
"""

BROKEN = {  # what the pass raises on, with the collector restored all the same
    "malformed": (NET.replace("</net>", ""), xml.parsers.expat.ExpatError),
    "not a network": (NET.replace("net", "routes"), InputError),
    "missing attribute": (NET.replace(' speed="13.89"', ""), KeyError),
}


@pytest.fixture
def net_file(tmp_path: Path) -> Path:
    path = tmp_path / "n.net.xml"
    path.write_text(NET)
    return path


def test_the_pass_runs_with_the_collector_paused(
    net_file: Path, monkeypatch: pytest.MonkeyPatch, collector_state: None
) -> None:
    seen: list[bool] = []
    real_open = _sumo_xml.open_maybe_gzip

    def spy(path: Path) -> Any:
        seen.append(gc.isenabled())
        return real_open(path)

    monkeypatch.setattr(_sumo_xml, "open_maybe_gzip", spy)
    gc.enable()
    raw = scan_net(net_file, method="expat")
    assert seen == [False]
    assert gc.isenabled()
    assert raw.edges["WC"].length_m == 98.0
    assert raw.requests["C"] == {0: ("0", "0")}


def test_the_scanner_builds_with_the_collector_paused(
    net_file: Path, monkeypatch: pytest.MonkeyPatch, collector_state: None
) -> None:
    seen: list[bool] = []
    real = _sumo_net_scan._raw_net

    def spy(scanned: Any) -> Any:
        seen.append(gc.isenabled())
        return real(scanned)

    monkeypatch.setattr(_sumo_net_scan, "_raw_net", spy)
    gc.enable()
    raw = _sumo_net_scan.read_raw_net(net_file, compiled_only=False)
    assert seen == [False]
    assert gc.isenabled()
    assert raw is not None
    assert raw.edges["WC"].length_m == 98.0
    assert raw.requests["C"] == {0: ("0", "0")}


@pytest.mark.parametrize("method", ["auto", "expat"])
@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_found(
    net_file: Path, enabled: bool, method: str, collector_state: None
) -> None:
    if enabled:
        gc.enable()
    else:
        gc.disable()
    scan_net(net_file, method=method)
    assert gc.isenabled() is enabled


@pytest.mark.parametrize("method", ["auto", "expat"])
@pytest.mark.parametrize("case", list(BROKEN))
def test_the_collector_is_restored_after_an_error(
    tmp_path: Path, case: str, method: str, collector_state: None
) -> None:
    text, error = BROKEN[case]
    path = tmp_path / "broken.net.xml"
    path.write_text(text)
    gc.enable()
    with pytest.raises(error):
        scan_net(path, method=method)
    assert gc.isenabled()


def test_paused_gc_nests(collector_state: None) -> None:
    gc.enable()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause found it paused: leaves it so
    assert gc.isenabled()


def test_the_import_builds_its_models_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector_state: None
) -> None:
    """The whole import, not only the pass: the signal models, the network and its validation
    are thousands more acyclic objects (a 1,296-signal grid imported with the collector on in
    a process already holding networks: 0.37-0.47 s instead of 0.30-0.31 s)."""
    from signalbrain.io import sumo_net

    seen: list[bool] = []
    real = sumo_net.validate_network

    def spy(net: Any, **kw: Any) -> Any:
        seen.append(gc.isenabled())
        return real(net, **kw)

    monkeypatch.setattr(sumo_net, "validate_network", spy)
    whole = tmp_path / "whole.net.xml"  # the network with its other junction
    dead_end = '<junction id="W" type="dead_end" x="0.00" y="0.00" incLanes="" intLanes=""/>'
    whole.write_text(NET.replace("</net>", f"    {dead_end}\n</net>"))
    gc.enable()
    assert sumo_net.read_sumo_net(whole).links[0].id == "WC"
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(InputError):
        sumo_net.read_sumo_net(tmp_path / "missing.net.xml")
    assert gc.isenabled()
