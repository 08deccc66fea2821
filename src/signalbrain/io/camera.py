"""Camera files: where a fixed camera counts (lines) and watches (entry, exit and queue zones).

A camera file (YAML, see ``DESIGN.md``, ``signalbrain count``) names the camera, optionally the
network intersection it watches, an optional processing width and the aggregation bin, then
*count lines* (directed segments; a vehicle crossing from the left to the right of the segment
counts as ``positive``) and *zones* (polygons: ``entry`` and ``exit`` zones give turning movements
``FROM->TO``, ``queue`` zones give occupancy over time). All coordinates are source-video pixels,
whatever ``resize_width`` the counter processes at.

:func:`read_camera` / :func:`parse_camera` gather every problem (unknown fields, degenerate lines
and polygons, duplicate ids, geometry outside the frame when the frame size is known, approaches
unknown to a given network) and raise one :class:`~signalbrain.errors.InputError`.
:func:`camera_to_dict` and :func:`write_camera` are the inverse.

This module holds the records, the parser and the writer; reading point lists and the frame and
polygon-shape checks are in :mod:`._camera_geometry`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from signalbrain.errors import Problem, format_path
from signalbrain.io._camera_geometry import MAX_COORD_PX as MAX_COORD_PX
from signalbrain.io._camera_geometry import Point as Point
from signalbrain.io._camera_geometry import (
    _check_in_frame,
    _corner_after,
    _points,
    _self_crossing,
    _signed_area,
)
from signalbrain.io._fields import MISSING, Fields, load_yaml
from signalbrain.io._yaml import Dumper

if TYPE_CHECKING:
    from signalbrain.network import Network

__all__ = [
    "ZONE_KINDS",
    "CameraSpec",
    "CountLine",
    "Zone",
    "camera_to_dict",
    "check_frame",
    "parse_camera",
    "read_camera",
    "write_camera",
]

ZONE_KINDS: tuple[str, ...] = ("entry", "exit", "queue")
DEFAULT_INTERVAL_S = 60.0
MIN_LINE_LENGTH_PX = 2.0  # shorter segments cannot tell left from right reliably
MIN_POLYGON_AREA_PX2 = 4.0
MIN_RESIZE_WIDTH_PX = 32
MAX_RESIZE_WIDTH_PX = 16_384  # twice 8K video; wider processing only burns memory
MAX_FRAME_PROBLEMS = 5  # points outside a video's frame listed one by one, then summarised
MIN_INTERVAL_S = 1.0  # count bins shorter than a second say nothing a traffic count can use
MAX_INTERVAL_S = 86_400.0  # one day

_TOP_KEYS = ("camera", "intersection", "resize_width", "interval_s", "lines", "zones")
_LINE_KEYS = ("id", "points", "approach")
_ZONE_KEYS = ("id", "kind", "approach", "polygon")


@dataclass(frozen=True, slots=True)
class CountLine:
    """A directed count line in source pixels.

    ``positive`` crossings go from the left to the right of the segment ``points[0] -> points[1]``
    as seen in the image (y down), i.e. where the cross product of the segment direction with the
    vehicle position relative to ``points[0]`` changes from negative to positive.
    """

    id: str
    points: tuple[Point, Point]
    approach: str | None = None

    @property
    def length_px(self) -> float:
        """Length of the segment [px]."""
        (x0, y0), (x1, y1) = self.points
        return math.hypot(x1 - x0, y1 - y0)


@dataclass(frozen=True, slots=True)
class Zone:
    """A polygon in source pixels: ``kind`` is ``entry``, ``exit`` or ``queue``."""

    id: str
    kind: str
    approach: str | None
    polygon: tuple[Point, ...]

    @property
    def area_px2(self) -> float:
        """Unsigned polygon area by the shoelace formula [px^2]."""
        return abs(_signed_area(self.polygon))


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """Everything a camera file says; ``source`` is the file it came from (for messages)."""

    camera: str
    intersection: str | None
    resize_width: int | None
    interval_s: float
    lines: tuple[CountLine, ...]
    zones: tuple[Zone, ...]
    source: str | None = None

    def zones_of(self, kind: str) -> tuple[Zone, ...]:
        """The zones of one kind, in file order."""
        return tuple(z for z in self.zones if z.kind == kind)

    @property
    def movement_ids(self) -> tuple[str, ...]:
        """Every possible turning movement ``FROM->TO`` (entry zone to exit zone), file order."""
        return tuple(
            f"{a.id}->{b.id}" for a in self.zones_of("entry") for b in self.zones_of("exit")
        )


def _approach(
    f: Fields, doc: Mapping[str, Any], path: str, network: Network | None, intersection: str | None
) -> str | None:
    if doc.get("approach") is None:
        return None
    value = f.string(doc, "approach", path)
    if not value or network is None:
        return value or None
    p = format_path(path, "approach")
    if not network.has_link(value):
        known = sorted(k.id for k in network.links)
        if intersection and any(s.id == intersection for s in network.intersections):
            isec = network.intersection(intersection)
            known = sorted(
                {
                    k.id
                    for k in network.links
                    if k.to_node in isec.nodes or k.from_node in isec.nodes
                }
            )
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        f.add(
            p,
            f"= {value!r}: unknown approach; expected a link id of network "
            f"{network.name!r}: {shown}",
        )
        return value
    if intersection and any(s.id == intersection for s in network.intersections):
        isec = network.intersection(intersection)
        link = network.link(value)
        if link.to_node not in isec.nodes and link.from_node not in isec.nodes:
            f.add(p, f"= {value!r}: link does not enter or leave intersection {intersection!r}")
    return value


def parse_camera(
    doc: Any,
    source: str | None = None,
    *,
    frame_size: tuple[int, int] | None = None,
    network: Network | None = None,
) -> CameraSpec:
    """Build a :class:`CameraSpec` from a parsed YAML document.

    Parameters
    ----------
    doc
        The document (a mapping) as loaded from YAML or JSON.
    source
        The file it came from, used in messages.
    frame_size
        ``(width, height)`` of the source video [px]; when given, every point must lie in it.
    network
        When given, ``intersection`` must be one of its intersections and every ``approach`` one of
        its link ids (touching that intersection, if named).

    Raises
    ------
    InputError
        Listing every problem, each with the file, YAML path and what would be valid.
    """
    f = Fields(source)
    if not isinstance(doc, Mapping):
        f.add(
            "",
            (
                "the camera file is empty"
                if doc is None
                else f"expected a mapping, got {type(doc).__name__}"
            )
            + "; expected a mapping with camera, interval_s, lines and zones",
        )
        f.raise_if_any()
    top = f.mapping(doc, "")
    f.unknown_keys(top, "", _TOP_KEYS)
    camera = f.string(top, "camera", "")
    if "camera" in top and not camera.strip() and isinstance(top.get("camera"), str):
        f.add("camera", "is empty; expected a camera id")
    intersection: str | None = None
    if top.get("intersection") is not None:
        intersection = f.string(top, "intersection", "") or None
        if (
            intersection
            and network is not None
            and not any(s.id == intersection for s in network.intersections)
        ):
            known = ", ".join(sorted(s.id for s in network.intersections)[:20])
            f.add(
                "intersection",
                f"= {intersection!r}: unknown intersection of network "
                f"{network.name!r}; expected one of {known}",
            )
    resize_width: int | None = None
    if top.get("resize_width") is not None:
        resize_width = f.integer(
            top, "resize_width", "", minimum=MIN_RESIZE_WIDTH_PX, maximum=MAX_RESIZE_WIDTH_PX
        )
    interval_s = f.number(
        top, "interval_s", "", DEFAULT_INTERVAL_S, minimum=MIN_INTERVAL_S, maximum=MAX_INTERVAL_S
    )

    lines: list[CountLine] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(f.sequence(top.get("lines", MISSING), "lines", required=False)):
        path = format_path("lines", i)
        line_doc = f.mapping(item, path)
        if not line_doc:
            continue
        f.unknown_keys(line_doc, path, _LINE_KEYS)
        lid = f.string(line_doc, "id", path)
        if isinstance(line_doc.get("id"), str) and not lid.strip():
            f.add(format_path(path, "id"), f"= {lid!r}: is empty; expected a line id")
        elif lid and lid in seen:
            f.add(format_path(path, "id"), f"= {lid!r}: duplicate id (also {seen[lid]})")
        elif lid:
            seen[lid] = path
        ppath = format_path(path, "points")
        pts = _points(f, line_doc.get("points", MISSING), ppath, exact=2, minimum=2)
        approach = _approach(f, line_doc, path, network, intersection)
        if len(pts) == 2:
            line = CountLine(lid, (pts[0], pts[1]), approach)
            if line.length_px < MIN_LINE_LENGTH_PX:
                f.add(
                    ppath,
                    f"is degenerate: the two points are {line.length_px:.3g} px apart; "
                    f"a count line needs two distinct points at least "
                    f"{MIN_LINE_LENGTH_PX:g} px apart",
                )
            _check_in_frame(f, pts, ppath, frame_size)
            lines.append(line)

    zones: list[Zone] = []
    seen_z: dict[str, str] = {}
    for i, item in enumerate(f.sequence(top.get("zones", MISSING), "zones", required=False)):
        path = format_path("zones", i)
        zdoc = f.mapping(item, path)
        if not zdoc:
            continue
        f.unknown_keys(zdoc, path, _ZONE_KEYS)
        zid = f.string(zdoc, "id", path)
        if isinstance(zdoc.get("id"), str) and not zid.strip():
            f.add(format_path(path, "id"), f"= {zid!r}: is empty; expected a zone id")
        if zid and "->" in zid:
            f.add(
                format_path(path, "id"),
                f"= {zid!r}: must not contain '->' (movement ids are FROM->TO)",
            )
        if zid and zid in seen_z:
            f.add(format_path(path, "id"), f"= {zid!r}: duplicate id (also {seen_z[zid]})")
        elif zid:
            seen_z[zid] = path
        kind = f.string(zdoc, "kind", path, choices=ZONE_KINDS)
        approach = _approach(f, zdoc, path, network, intersection)
        ppath = format_path(path, "polygon")
        pts = _points(f, zdoc.get("polygon", MISSING), ppath, exact=None, minimum=3)
        if len(pts) >= 3:
            zone = Zone(zid, kind, approach, tuple(pts))
            crossing = _self_crossing(pts)
            if crossing is not None and crossing[2]:
                a, b, _ = crossing
                f.add(
                    ppath,
                    f"crosses itself (edge {a} from point {a} to {_corner_after(pts, a)} "
                    f"crosses edge {b}); list the corners in order around the zone",
                )
            elif zone.area_px2 < MIN_POLYGON_AREA_PX2:
                f.add(
                    ppath,
                    f"is degenerate: area {zone.area_px2:.3g} px^2; a zone needs at "
                    f"least 3 points enclosing {MIN_POLYGON_AREA_PX2:g} px^2 or more",
                )
            elif crossing is not None:
                a, b, _ = crossing
                f.add(
                    ppath,
                    f"touches itself (edge {a} from point {a} to {_corner_after(pts, a)} meets "
                    f"edge {b} other than at a shared corner); list the corners in order once "
                    "around the zone",
                )
            _check_in_frame(f, pts, ppath, frame_size)
            zones.append(zone)

    if not top.get("lines") and not top.get("zones") and not f.problems:
        f.add("", "nothing to count: give at least one entry in lines or zones")
    kinds = {z.kind for z in zones}
    if "entry" in kinds and "exit" not in kinds:
        f.add("zones", "has entry zones but no exit zone; turning movements need both (kind: exit)")
    if "exit" in kinds and "entry" not in kinds:
        f.add(
            "zones", "has exit zones but no entry zone; turning movements need both (kind: entry)"
        )
    f.raise_if_any()
    return CameraSpec(
        camera=camera,
        intersection=intersection,
        resize_width=resize_width,
        interval_s=interval_s,
        lines=tuple(lines),
        zones=tuple(zones),
        source=source,
    )


def check_frame(spec: CameraSpec, frame_size: tuple[int, int], video: str | None = None) -> None:
    """Raise :class:`~signalbrain.errors.InputError` when a line or zone of ``spec`` lies outside
    a ``(width, height)`` frame (a camera file drawn for another camera or resolution)."""
    f = Fields(spec.source)
    for i, line in enumerate(spec.lines):
        _check_in_frame(f, line.points, format_path("lines", i, "points"), frame_size)
    for i, zone in enumerate(spec.zones):
        _check_in_frame(f, zone.polygon, format_path("zones", i, "polygon"), frame_size)
    of_video = "" if video is None else f" of video {video}"
    found = len(f.problems)
    f.problems = [Problem(p.path, p.message + of_video, p.source) for p in f.problems]
    if found > MAX_FRAME_PROBLEMS:  # a file drawn for another resolution: not every point
        pts = [p for ln in spec.lines for p in ln.points]
        pts += [p for z in spec.zones for p in z.polygon]
        xs, ys = [x for x, _ in pts], [y for _, y in pts]
        f.problems = [
            *f.problems[: MAX_FRAME_PROBLEMS - 1],
            Problem(
                "",
                f"and {found - MAX_FRAME_PROBLEMS + 1} more points outside the "
                f"{frame_size[0]}x{frame_size[1]} frame{of_video}: the lines and zones span "
                f"x {min(xs):g}..{max(xs):g}, y {min(ys):g}..{max(ys):g} (source pixels); "
                "is the camera file drawn for another camera or resolution?",
                spec.source,
            ),
        ]
    f.raise_if_any()


def read_camera(
    path: str | Path, *, frame_size: tuple[int, int] | None = None, network: Network | None = None
) -> CameraSpec:
    """Read and validate a camera file (see :func:`parse_camera`)."""
    return parse_camera(load_yaml(path), str(path), frame_size=frame_size, network=network)


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else float(v)


def camera_to_dict(spec: CameraSpec) -> dict[str, Any]:
    """The camera file document of ``spec`` (inverse of :func:`parse_camera`)."""
    doc: dict[str, Any] = {"camera": spec.camera}
    if spec.intersection is not None:
        doc["intersection"] = spec.intersection
    if spec.resize_width is not None:
        doc["resize_width"] = spec.resize_width
    doc["interval_s"] = _num(spec.interval_s)
    doc["lines"] = []
    for line in spec.lines:
        item: dict[str, Any] = {
            "id": line.id,
            "points": [[_num(x), _num(y)] for x, y in line.points],
        }
        if line.approach is not None:
            item["approach"] = line.approach
        doc["lines"].append(item)
    doc["zones"] = []
    for zone in spec.zones:
        z: dict[str, Any] = {"id": zone.id, "kind": zone.kind}
        if zone.approach is not None:
            z["approach"] = zone.approach
        z["polygon"] = [[_num(x), _num(y)] for x, y in zone.polygon]
        doc["zones"].append(z)
    return doc


def write_camera(spec: CameraSpec, path: str | Path) -> None:
    """Write ``spec`` as a camera YAML file."""
    text = yaml.dump(camera_to_dict(spec), Dumper=Dumper, sort_keys=False, default_flow_style=None)
    Path(path).write_text(text, encoding="utf-8")
