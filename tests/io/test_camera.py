"""Camera files: parsing, round trip and one clear message per kind of bad input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from signalbrain.errors import InputError
from signalbrain.io.camera import (
    CameraSpec,
    CountLine,
    Zone,
    camera_to_dict,
    parse_camera,
    read_camera,
    write_camera,
)
from signalbrain.network import Intersection, Link, Movement, Network, Node, Phase


def make_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "camera": "cam-A-north",
        "intersection": "A",
        "resize_width": 320,
        "interval_s": 60,
        "lines": [{"id": "northbound", "points": [[40, 150], [300, 150]], "approach": "S_A"}],
        "zones": [
            {
                "id": "A_S_in",
                "kind": "entry",
                "approach": "S_A",
                "polygon": [[0, 0], [100, 0], [100, 80], [0, 80]],
            },
            {
                "id": "A_N_out",
                "kind": "exit",
                "approach": "A_N",
                "polygon": [[200, 0], [300, 0], [300, 80], [200, 80]],
            },
            {"id": "A_S_queue", "kind": "queue", "polygon": [[0, 100], [100, 100], [100, 200]]},
        ],
    }
    doc.update(changes)
    return doc


def make_network() -> Network:
    nodes = (Node("A"), Node("S", 0.0, -100.0), Node("N", 0.0, 100.0))
    links = (Link("S_A", "S", "A", 1, 100.0, 13.9), Link("A_N", "A", "N", 1, 100.0, 13.9))
    isec = Intersection(
        "A", ("A",), (Movement("S_A_T", "S_A", "A_N", "T"),), (Phase(2, ("S_A_T",)),), frozenset()
    )
    return Network("tiny", nodes, links, (isec,))


def test_parse_full_document() -> None:
    spec = parse_camera(make_doc(), "cam.yaml")
    assert spec.camera == "cam-A-north"
    assert spec.intersection == "A"
    assert spec.resize_width == 320
    assert spec.interval_s == 60.0
    assert spec.lines == (CountLine("northbound", ((40.0, 150.0), (300.0, 150.0)), "S_A"),)
    assert [z.kind for z in spec.zones] == ["entry", "exit", "queue"]
    assert spec.zones[2].approach is None
    assert spec.movement_ids == ("A_S_in->A_N_out",)
    assert spec.zones_of("queue")[0].area_px2 == pytest.approx(5000.0)
    assert spec.source == "cam.yaml"


def test_optional_fields_default() -> None:
    doc = make_doc()
    for key in ("intersection", "resize_width", "interval_s", "zones"):
        del doc[key]
    spec = parse_camera(doc)
    assert spec.intersection is None
    assert spec.resize_width is None
    assert spec.interval_s == 60.0
    assert spec.zones == ()


def test_round_trip_through_file(tmp_path: Path) -> None:
    spec = parse_camera(make_doc())
    path = tmp_path / "cam.yaml"
    write_camera(spec, path)
    again = read_camera(path)
    assert again == CameraSpec(
        **{**{k: getattr(spec, k) for k in spec.__slots__}, "source": str(path)}
    )
    assert camera_to_dict(again) == camera_to_dict(spec)


def test_network_checks_pass_with_known_approaches() -> None:
    spec = parse_camera(make_doc(), network=make_network(), frame_size=(320, 240))
    assert spec.zones[0] == Zone("A_S_in", "entry", "S_A", ((0, 0), (100, 0), (100, 80), (0, 80)))


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    target: Any = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


BAD_CASES = [
    (
        "unknown top field",
        _set(make_doc(), ("colour",), "red"),
        "colour: unknown field; valid fields: camera",
    ),
    (
        "missing camera id",
        {k: v for k, v in make_doc().items() if k != "camera"},
        "camera: missing; expected a string",
    ),
    ("interval not positive", _set(make_doc(), ("interval_s",), 0), "interval_s = 0: must be >= 1"),
    (
        "interval below a second (bins without end)",
        _set(make_doc(), ("interval_s",), 1e-300),
        "interval_s = 1e-300: must be >= 1",
    ),
    (
        "interval beyond a day",
        _set(make_doc(), ("interval_s",), 90_000),
        "interval_s = 90000: must be <= 86400",
    ),
    (
        "integer too large for a float",
        _set(make_doc(), ("interval_s",), 10**400),
        "interval_s = 100000000000... (401 digits): too large; must be finite",
    ),
    (
        "coordinate too large for a float",
        _set(make_doc(), ("lines", 0, "points"), [[10**400, 1], [5, 5]]),
        "coordinates must be finite",
    ),
    (
        "bow-tie zone",
        _set(make_doc(), ("zones", 0, "polygon"), [[0, 0], [40, 40], [40, 0], [0, 40]]),
        "crosses itself (edge 0 from point 0 to 1 crosses edge 2)",
    ),
    (
        "resize width too small",
        _set(make_doc(), ("resize_width",), 8),
        "resize_width = 8: must be >= 32",
    ),
    (
        "resize width not integer",
        _set(make_doc(), ("resize_width",), "wide"),
        "resize_width = 'wide': expected an integer",
    ),
    (
        "unknown line field",
        _set(make_doc(), ("lines", 0, "direction"), "in"),
        "lines[0].direction: unknown field; valid fields: id, points, approach",
    ),
    (
        "degenerate line",
        _set(make_doc(), ("lines", 0, "points"), [[10, 10], [10, 10.5]]),
        "lines[0].points: is degenerate: the two points are 0.5 px apart",
    ),
    (
        "line with three points",
        _set(make_doc(), ("lines", 0, "points"), [[0, 0], [5, 5], [9, 9]]),
        "lines[0].points: has 3 points; expected exactly 2",
    ),
    (
        "bad point",
        _set(make_doc(), ("lines", 0, "points"), [[0, 0], [5, "y"]]),
        "lines[0].points[1] = [5, 'y']: expected a point [x, y] of two numbers",
    ),
    (
        "duplicate line id",
        _set(make_doc(), ("lines",), make_doc()["lines"] * 2),
        "lines[1].id = 'northbound': duplicate id (also lines[0])",
    ),
    (
        "unknown zone kind",
        _set(make_doc(), ("zones", 2, "kind"), "parking"),
        "zones[2].kind = 'parking': must be one of entry, exit, queue",
    ),
    (
        "polygon with two points",
        _set(make_doc(), ("zones", 2, "polygon"), [[0, 0], [5, 5]]),
        "zones[2].polygon: has 2 points; a polygon needs at least 3",
    ),
    (
        "collinear polygon",
        _set(make_doc(), ("zones", 2, "polygon"), [[0, 0], [5, 5], [10, 10]]),
        "zones[2].polygon: is degenerate: area 0 px^2",
    ),
    (
        "arrow in zone id",
        _set(make_doc(), ("zones", 0, "id"), "a->b"),
        "zones[0].id = 'a->b': must not contain '->'",
    ),
    (
        "entry without exit",
        _set(make_doc(), ("zones",), [make_doc()["zones"][0]]),
        "zones: has entry zones but no exit zone",
    ),
    (
        "nothing to count",
        _set(_set(make_doc(), ("lines",), []), ("zones",), []),
        "nothing to count: give at least one entry in lines or zones",
    ),
    ("not a mapping", ["camera"], "expected a mapping, got list"),
    ("empty file", None, "the camera file is empty"),
    # found in review: each of these was accepted
    (
        "figure-eight zone meeting at a corner",  # no strict crossing, so not seen
        _set(
            make_doc(),
            ("zones", 2, "polygon"),
            [[0, 0], [20, 0], [20, 20], [10, 20], [10, 0], [10, -10], [0, -10]],
        ),
        "zones[2].polygon: touches itself (edge 0 from point 0 to 1 meets edge 3 other than at "
        "a shared corner)",
    ),
    (
        "zone traced around twice",  # its area counted double
        _set(
            make_doc(),
            ("zones", 2, "polygon"),
            [[0, 0], [10, 0], [10, 10], [0, 10]] * 2,
        ),
        "zones[2].polygon: touches itself",
    ),
    (
        "zone doubling back along an edge",
        _set(make_doc(), ("zones", 2, "polygon"), [[0, 0], [20, 0], [10, 0], [10, 10]]),
        "zones[2].polygon: touches itself (edge 0 from point 0 to 1 meets edge 1",
    ),
    (
        "coordinate beyond any frame",  # 1e308 made lengths and areas inf
        _set(make_doc(), ("lines", 0, "points"), [[-1e308, 0], [1e308, 0]]),
        "lines[0].points[0] = [-1e+308, 0]: beyond any video frame; source-pixel coordinates "
        "must be within -1e+06 to 1e+06",
    ),
    (
        "empty line id",  # a counts.csv row with an empty id
        _set(make_doc(), ("lines", 0, "id"), ""),
        "lines[0].id = '': is empty; expected a line id",
    ),
    (
        "blank zone id",  # the movement "in-> "
        _set(make_doc(), ("zones", 1, "id"), " "),
        "zones[1].id = ' ': is empty; expected a zone id",
    ),
    (
        "resize width beyond any video",
        _set(make_doc(), ("resize_width",), 10**30),
        "resize_width = 1000000000000000000000000000000: must be <= 16384",
    ),
]


@pytest.mark.parametrize(
    ("doc", "expected"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_input_names_file_path_and_fix(doc: Any, expected: str) -> None:
    with pytest.raises(InputError) as info:
        parse_camera(doc, "cams/a.yaml")
    text = str(info.value)
    assert "cams/a.yaml" in text
    assert expected in text


def test_out_of_frame_only_checked_with_frame_size() -> None:
    doc = _set(make_doc(), ("lines", 0, "points"), [[40, 150], [700, 150]])
    parse_camera(doc)  # no frame size: nothing to check against
    with pytest.raises(
        InputError,
        match=r"lines\[0\]\.points\[1\] = \[700, 150\] is outside the "
        r"640x360 frame; x must be in \[0, 640\]",
    ):
        parse_camera(doc, "a.yaml", frame_size=(640, 360))
    zdoc = _set(make_doc(), ("zones", 1, "polygon"), [[200, 0], [300, -5], [300, 80]])
    with pytest.raises(InputError, match=r"zones\[1\]\.polygon\[1\] = \[300, -5\] is outside"):
        parse_camera(zdoc, frame_size=(640, 360))


def test_unknown_approach_and_intersection_with_network() -> None:
    net = make_network()
    doc = _set(_set(make_doc(), ("lines", 0, "approach"), "S_B"), ("zones", 1, "approach"), "X")
    with pytest.raises(InputError) as info:
        parse_camera(doc, "a.yaml", network=net)
    text = str(info.value)
    assert "2 problems" in text
    assert (
        "lines[0].approach = 'S_B': unknown approach; expected a link id of network 'tiny'" in text
    )
    assert "A_N, S_A" in text
    assert "zones[1].approach = 'X'" in text
    with pytest.raises(InputError, match="intersection = 'Q': unknown intersection"):
        parse_camera(make_doc(intersection="Q"), network=net)


def test_every_problem_reported_at_once() -> None:
    doc = _set(
        _set(make_doc(interval_s=-1), ("lines", 0, "points"), [[1, 1], [1, 1]]),
        ("zones", 2, "kind"),
        "lane",
    )
    with pytest.raises(InputError) as info:
        parse_camera(doc, "a.yaml")
    assert len(info.value.problems) == 3


def test_read_camera_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_camera(tmp_path / "nope.yaml")


def test_read_camera_malformed_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("camera: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="malformed YAML"):
        read_camera(path)


@pytest.mark.parametrize(
    "polygon",
    [
        [[0, 0], [100, 0], [100, 80], [0, 80], [0, 0]],  # closed by repeating the first point
        [[0, 0], [100, 0], [100, 0], [100, 80], [0, 80]],  # a corner given twice
        [[0, 0], [50, 0], [100, 0], [100, 80], [0, 80]],  # a corner on a straight edge
        [[0, 0], [100, 0], [50, 40], [100, 80], [0, 80]],  # concave
    ],
)
def test_simple_zones_stay_valid(polygon: list[list[int]]) -> None:
    spec = parse_camera(_set(make_doc(), ("zones", 0, "polygon"), polygon))
    assert spec.zones[0].polygon[0] == (0.0, 0.0)


def test_duplicate_key_in_camera_file(tmp_path: Path) -> None:
    """The second `zones:` replaced the first without a word."""
    path = tmp_path / "cam.yaml"
    text = yaml.safe_dump(make_doc(), sort_keys=False)
    path.write_text(text + "zones: []\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"cam.yaml: zones: given twice \(line \d+, column 1"):
        read_camera(path)
