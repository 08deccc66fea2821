"""The scanner's network pass against the expat pass it stands in for: the same ``RawNet``, field
for field and in the same order, on SUMO's own networks; files it cannot read the expat way are
left to expat, with the errors they always gave."""

from __future__ import annotations

import gzip
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from signalbrain.errors import InputError
from signalbrain.io._sumo_net_scan import read_raw_net
from signalbrain.io._sumo_xml import Conn, RawNet, scan_net
from signalbrain.io.sumo_net import read_sumo_net

from .test_sumo_reader_oracle import GENERATED, SHARED_NETS

FIXTURES = ["grid_net", "incoming_net", "joined_net", "pedestrian_net", "plain_net"]


def _conns(conns: list[Conn]) -> list[tuple[Any, ...]]:
    return [(c.from_edge, c.to_edge, c.from_lane, c.direction, c.tl, c.link_index) for c in conns]


def key(raw: RawNet) -> tuple[Any, ...]:
    """Every field of a RawNet, dict orders included."""
    return (
        raw.lefthand,
        list(raw.functions.items()),
        list(raw.edges.items()),
        list(raw.node_order),
        list(raw.coords.items()),
        list(raw.inc_lanes.items()),
        [(k, list(v.items())) for k, v in raw.requests.items()],
        [(k, _conns(v)) for k, v in raw.conns_by_lane.items()],
        [(k, _conns(v)) for k, v in raw.tl_conns.items()],
        [(k, list(v.items())) for k, v in raw.programs.items()],
        list(raw.tls_params.items()),
        sorted(raw.rail_junctions),
    )


def scanner(path: Path) -> RawNet:
    raw = read_raw_net(path, compiled_only=False)
    assert raw is not None, f"the scanner declined {path.name}"
    return raw


def same_as_expat(path: Path) -> None:
    assert key(scanner(path)) == key(scan_net(path, method="expat"))


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_nets(fixture: str, request: pytest.FixtureRequest) -> None:
    same_as_expat(request.getfixturevalue(fixture))


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_nets(name: str, make_net: Callable[..., Path]) -> None:
    same_as_expat(make_net(name, *GENERATED[name]))


@pytest.mark.shared
@pytest.mark.parametrize("scenario", SHARED_NETS)
def test_shared_scenarios(scenario: str, shared_data: Path) -> None:
    nets = sorted((shared_data / "scenarios" / scenario).glob("*.net.xml*"))
    assert nets, scenario
    for path in nets:
        same_as_expat(path)


def test_gzipped_net(grid_net: Path, tmp_path: Path) -> None:
    packed = tmp_path / "grid.net.xml.gz"
    with grid_net.open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert key(scanner(packed)) == key(scan_net(grid_net, method="expat"))


def _edit(src: Path, dst: Path, *subs: tuple[str, str]) -> Path:
    text = src.read_text()
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text, count=1)
        assert n == 1, pattern
    dst.write_text(text)
    return dst


def test_program_children_params_and_repeats(grid_net: Path, tmp_path: Path) -> None:
    """Params after the phases and after other tlLogic children belong to the program, not after
    an edge or connection; a repeated program id replaces the program in place; lanes after a
    lane's param stay with their edge; allow/disallow lists count as sumolib counts them."""
    path = _edit(
        grid_net,
        tmp_path / "edited.net.xml",
        (
            r"(<phase [^>]*/>)(\s*</tlLogic>)",
            r'\1<condition id="c" value="1"/><param key="k" value="v"/>\2',
        ),
        (r"(<tlLogic [^>]*>)", r'\1<param key="first" value="1"/>'),
        (
            r'(<lane id="[A-Z0-9]+_0"[^>]*)/>',
            r'\1 disallow="passenger bus"><param key="p" value="q"/></lane>',
        ),
        (r'(<lane id="[A-Z0-9]+_1"[^>]*)/>', r'\1 allow="pedestrian bicycle"/>'),
        (r"(<connection [^>]*/>)", r'\1<param key="after_connection" value="x"/>'),
    )
    text = path.read_text()
    first = re.search(r"<tlLogic [^>]*>.*?</tlLogic>", text, re.S)
    assert first is not None
    text = text.replace(
        first.group(0), first.group(0) + first.group(0).replace('offset="0"', 'offset="7"'), 1
    )
    path.write_text(text)
    raw = scanner(path)
    assert key(raw) == key(scan_net(path, method="expat"))
    params = [p for ps in raw.tls_params.values() for p in ps]
    assert ("k", "v") in params
    assert ("first", "1") in params
    assert ("after_connection", "x") not in params


def test_layout_it_cannot_follow_is_left_to_expat(grid_net: Path, tmp_path: Path) -> None:
    """An edge after the junctions (not SUMO's layout): the scanner declines, the reader still
    reads it with expat."""
    text = grid_net.read_text()
    edge = re.search(r"\s*<edge id=\"[^\"]+\" from=[^>]*>.*?</edge>", text, re.S)
    assert edge is not None
    text = text.replace(edge.group(0), "", 1)
    text = text.replace("</net>", edge.group(0) + "\n</net>")
    moved = tmp_path / "moved.net.xml"
    moved.write_text(text)
    assert read_raw_net(moved, compiled_only=False) is None
    assert key(scan_net(moved)) == key(scan_net(moved, method="expat"))


@pytest.mark.parametrize(
    ("pattern", "repl", "message"),
    [
        (r'(<lane id="[A-Z0-9]+_0"[^>]*) speed="[^"]*"', r"\1", "'speed'"),
        (
            r'(<phase duration=")[^"]*"',
            r'\1soon"',
            "<phase>: duration='soon' is not a valid number",
        ),
        (r"</net>", "", "malformed XML"),
        (r'(<connection from="[^"]*") to="[^"]*"', r"\1", "'to'"),
    ],
)
def test_bad_files_give_the_errors_they_always_gave(
    grid_net: Path, tmp_path: Path, pattern: str, repl: str, message: str
) -> None:
    bad = _edit(grid_net, tmp_path / "bad.net.xml", (pattern, repl))
    assert read_raw_net(bad, compiled_only=False) is None
    with pytest.raises(InputError, match=re.escape(message)):
        read_sumo_net(bad)


def test_net_with_only_schema_tags_reads_as_expat_reads_it(grid_net: Path, tmp_path: Path) -> None:
    """A network without ``<location>`` (or any other tag the pass does not read: hand-made or
    older files) left the scanner's "last unknown tag before each phase" lookup with nothing to
    search, and the import stopped with an IndexError (exit 1)."""
    bare = _edit(grid_net, tmp_path / "bare.net.xml", (r"\s*<location [^>]*/>", ""))
    assert re.findall(r"<(\w+)", bare.read_text()).count("location") == 0
    same_as_expat(bare)
    assert read_sumo_net(bare).intersections
