"""signalbrain's YAML dialect: YAML 1.2 core schema scalars, and writers whose files read back.

PyYAML's SafeLoader resolves YAML 1.1, where ``010`` was the int 8 (node ``010`` became node
``8``), ``1:30`` the int 90, ``yes``/``off`` booleans, ``2024-01-01`` a date and ``1e3`` text.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from signalbrain.errors import InputError
from signalbrain.io import read_network, write_network
from signalbrain.io._fields import load_yaml
from signalbrain.io._yaml import Dumper, Loader
from signalbrain.network.generate import grid
from signalbrain.network.model import Network

SCALARS: list[tuple[str, Any]] = [
    # YAML 1.1 gave the value in the comment
    ("010", "010"),  # 8: ids keep their leading zeros (YAML 1.2 core would give 10)
    ("-007", "-007"),  # -7
    ("00", "00"),  # 0
    ("0x1F", 31),
    ("0o17", 15),  # '0o17'
    ("0b101", "0b101"),  # 5
    ("1_000", "1_000"),  # 1000
    ("1:30", "1:30"),  # 90 (sexagesimal)
    ("12:30:00", "12:30:00"),  # 45000
    ("yes", "yes"),  # True
    ("No", "No"),  # False
    ("on", "on"),  # True
    ("OFF", "OFF"),  # False
    ("2024-01-01", "2024-01-01"),  # datetime.date
    ("2024-01-01 12:00:00", "2024-01-01 12:00:00"),  # datetime.datetime
    ("1e3", 1000.0),  # '1e3'
    ("-2.5E-3", -0.0025),
    ("+1e+2", 100.0),  # '+1e+2'
    ("-.5", -0.5),  # '-.5'
    ("=", "="),  # ConstructorError
    ("0", 0),
    ("-0", 0),
    ("+5", 5),
    ("12", 12),
    ("1.", 1.0),
    (".5", 0.5),
    ("1.10", 1.1),
    (".inf", math.inf),
    ("-.Inf", -math.inf),
    ("true", True),
    ("FALSE", False),
    ("tRUE", "tRUE"),
    ("null", None),
    ("~", None),
    ("", None),
    ("0x", "0x"),
    ("0o8", "0o8"),
    ("inf", "inf"),
]


@pytest.mark.parametrize(("text", "value"), SCALARS, ids=[c[0] or "empty" for c in SCALARS])
def test_plain_scalars_read_by_yaml_1_2_core(tmp_path: Path, text: str, value: Any) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(f"v: {text}\n", encoding="utf-8")
    got = load_yaml(path)["v"]
    assert type(got) is type(value) or type(got).__base__ is type(value)  # WrittenFloat
    assert got == value


def test_nan_and_explicit_tags(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: .NaN\nb: !!timestamp 2024-01-01\nc: !!str 5\n", encoding="utf-8")
    doc = load_yaml(path)
    assert math.isnan(doc["a"])
    assert doc["b"] == datetime.date(2024, 1, 1)  # asked for by name
    assert doc["c"] == "5"


def test_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: &x {p: 1}\nb: {<<: *x, q: 2}\n", encoding="utf-8")
    assert load_yaml(path) == {"a": {"p": 1}, "b": {"p": 1, "q": 2}}


def test_pyyaml_itself_is_left_alone() -> None:
    assert yaml.safe_load("v: 010") == {"v": 8}
    assert yaml.SafeLoader is not Loader
    assert "tag:yaml.org,2002:timestamp" in {
        tag
        for resolvers in yaml.SafeLoader.yaml_implicit_resolvers.values()
        for tag, _ in resolvers
    }


NET = """
nodes: {010: [0, 0], 1:30: [300, 0], yes: [0, 300]}
links:
  a: {from: 010, to: 1:30, length_m: 1e3}
  b: {from: 1:30, to: 010}
  c: {from: yes, to: 010}
  d: {from: 010, to: yes}
intersections:
  010:
    phases:
      - {number: 1, protected: [b.R, c.L]}
    sumo: {tls_id: 010, link_count: 1, phases: [{duration_s: 9, state: G}], params: {on: off}}
"""


def test_network_ids_keep_their_names(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(NET, encoding="utf-8")
    net = read_network(path)
    assert [n.id for n in net.nodes] == ["010", "1:30", "yes"]  # were 8, 90, True
    assert net.link("a").from_node == "010"
    assert net.link("a").length_m == 1000.0  # was refused as text
    isec = net.intersection("010")
    assert isec.sumo is not None
    assert isec.sumo.tls_id == "010"
    assert isec.sumo.params == (("on", "off"),)  # was ('True', 'False')


TRICKY_IDS = ["010", "1e3", "0o17", "yes", "1:30", "2024-01-01", "0x1F", "1_000", "-.5", "~", "="]


def _renamed(net: Network, names: dict[str, str]) -> Network:
    """A copy of ``net`` whose nodes carry the given names, written and read back."""
    from dataclasses import replace

    nodes = tuple(replace(n, id=names.get(n.id, n.id)) for n in net.nodes)
    links = tuple(
        replace(
            k,
            from_node=names.get(k.from_node, k.from_node),
            to_node=names.get(k.to_node, k.to_node),
        )
        for k in net.links
    )
    isecs = tuple(
        replace(s, nodes=tuple(names.get(n, n) for n in s.nodes)) for s in net.intersections
    )
    return replace(net, nodes=nodes, links=links, intersections=isecs)


def test_written_network_reads_back_with_tricky_ids(tmp_path: Path) -> None:
    base = grid(3, 4)
    names = dict(zip((n.id for n in base.nodes), TRICKY_IDS, strict=False))
    net = _renamed(base, names)
    out = write_network(net, tmp_path / "net.yaml")
    back = read_network(out)
    assert [n.id for n in back.nodes] == [n.id for n in net.nodes]
    assert back.links == net.links
    # and PyYAML's own YAML 1.1 reading of the file agrees on every id
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert list(doc["nodes"]) == [n.id for n in net.nodes]


@pytest.mark.parametrize("value", [*TRICKY_IDS, "0", "1.5", "true", "null", "", "Off"])
def test_dumper_quotes_what_either_yaml_would_misread(value: str) -> None:
    doc = {"k": value, value: [value, 1, 1.5, True, None, math.inf]}
    text = yaml.dump(doc, Dumper=Dumper)
    assert yaml.load(text, Loader=Loader) == doc
    assert yaml.safe_load(text) == doc


def test_leading_zero_integer_is_named(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(NET.replace("b: {from: 1:30, to: 010}", "b: {from: 1:30, to: 010, lanes: 02}"))
    with pytest.raises(
        InputError,
        match=r"links\.b\.lanes = '02': expected an integer, got a "
        r"string \(YAML reads 02, with a leading zero, as text; write 2\)",
    ):
        read_network(path)


NUMBER_IDS = """
nodes:
  1.1: [0, 0]
  "1.10": [0, 300]
  0x1F: [300, 0]
  1e3: [300, 300]
links:
  a: {from: 1.1, to: 1.10}
  b: {from: 1.10, to: 0x1F}
  c: {from: 0x1F, to: 1e3}
intersections: {}
"""


def test_number_ids_keep_their_spelling(tmp_path: Path) -> None:
    """An id written as a number is the id as written: ``1.10`` was renamed ``1.1`` (so a link
    to node 1.10 went to node 1.1), ``0x1F`` became ``31`` and ``1e3`` ``1000.0``."""
    path = tmp_path / "net.yaml"
    path.write_text(NUMBER_IDS, encoding="utf-8")
    net = read_network(path)
    assert [n.id for n in net.nodes] == ["1.1", "1.10", "0x1F", "1e3"]
    assert (net.link("a").from_node, net.link("a").to_node) == ("1.1", "1.10")
    assert (net.link("c").from_node, net.link("c").to_node) == ("0x1F", "1e3")
    back = read_network(write_network(net, tmp_path / "out.yaml"))
    assert [n.id for n in back.nodes] == [n.id for n in net.nodes]
    ends = [(k.from_node, k.to_node) for k in net.links]
    assert [(k.from_node, k.to_node) for k in back.links] == ends


@pytest.mark.parametrize(("first", "second"), [("1.1", "1.10"), ("31", "0x1F"), ("1", "1.0")])
def test_number_keys_equal_as_numbers_are_named_not_merged(
    tmp_path: Path, first: str, second: str
) -> None:
    """PyYAML kept only the second of two keys that are one number written two ways."""
    path = tmp_path / "net.yaml"
    path.write_text(f"nodes:\n  {first}: [0, 0]\n  {second}: [0, 300]\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_yaml(path)
    text = str(info.value)
    assert f"nodes.{second}: given twice (line 3, column 3; first on line 2)" in text, text
    assert f"{first} and {second} are the same number to YAML: quote ids that differ" in text


def test_numbers_read_keep_their_value_and_spelling() -> None:
    doc = yaml.load("a: 1.10\nb: 0x1F\nc: 1.5\nd: 7\ne: .Inf\n", Loader=Loader)
    assert doc == {"a": 1.1, "b": 31, "c": 1.5, "d": 7, "e": math.inf}
    assert [type(v) for v in doc.values()][2:4] == [float, int]  # plain where str() agrees
    assert (doc["a"].text, doc["b"].text, doc["e"].text) == ("1.10", "0x1F", ".Inf")


def test_a_number_in_the_wrong_place_is_shown_as_written(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text("nodes: {A: [0, 0], B: [0, 300]}\nlinks: 1e3\nintersections: {}\n")
    with pytest.raises(InputError, match=r"links = 1e3: expected a mapping, got a number"):
        read_network(path)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("!!int 1.5", "'1.5' is not a valid !!int"),
        ("!!float abc", "'abc' is not a valid !!float"),
        ("!!bool maybe", "'maybe' is not a valid !!bool"),
        ("!!timestamp abc", "'abc' is not a valid !!timestamp"),
        ("9" * 5000, "a number of 5000 digits is too long to read"),
    ],
)
def test_a_value_its_tag_cannot_hold_is_named_by_line(
    tmp_path: Path, value: str, problem: str
) -> None:
    """PyYAML let these escape as ValueError, KeyError or AttributeError: an internal error."""
    path = tmp_path / "x.yaml"
    path.write_text(f"nodes:\n  A: [0, {value}]\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"malformed YAML at line 2, column 10: {problem}"):
        load_yaml(path)
