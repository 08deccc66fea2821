"""The geometry of a camera file's count lines and zones, in source-video pixels.

Point lists ``[[x, y], ...]`` read with their problems reported (:func:`_points`), points
outside a known frame (:func:`_check_in_frame`), and the shape of a zone polygon: its shoelace
area (:func:`_signed_area`) and whether its edges cross or touch (:func:`_self_crossing`).
The records and the file's parser are in :mod:`signalbrain.io.camera`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signalbrain.errors import format_path
from signalbrain.io._fields import MISSING, Fields, _shown, finite_pair

MAX_COORD_PX = 1_000_000.0  # beyond any video frame: a typo or a unit mix-up

Point = tuple[float, float]


def _signed_area(polygon: Sequence[Point]) -> float:
    s = 0.0
    n = len(polygon)
    for i in range(n):
        x0, y0 = polygon[i]
        x1, y1 = polygon[(i + 1) % n]
        s += x0 * y1 - x1 * y0
    return 0.5 * s


def _self_crossing(polygon: Sequence[Point]) -> tuple[int, int, bool] | None:
    """The first pair of edges that cross or touch other than at their shared corner (edge ``i``
    runs from point ``i`` to point ``i + 1``, numbered as given) and whether they cross, or None
    for a simple polygon.

    A bow-tie's shoelace area is the difference of its two lobes, so the area test alone would
    judge it wrongly; a figure eight whose edges meet at a corner (a corner on another edge, an
    edge doubling back on itself) is as wrong, though no two edges cross strictly. A point
    repeated in a row, or the first point repeated at the end, adds no edge."""

    def orient(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    def on_segment(a: Point, b: Point, c: Point) -> bool:  # c, collinear with a-b, lies on it
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(
            a[1], b[1]
        )

    def meet(a: Point, b: Point, c: Point, d: Point) -> bool | None:  # True: they cross
        o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
        if o1 * o2 < 0 and o3 * o4 < 0:
            return True
        touch = (
            (o1 == 0 and on_segment(a, b, c))
            or (o2 == 0 and on_segment(a, b, d))
            or (o3 == 0 and on_segment(c, d, a))
            or (o4 == 0 and on_segment(c, d, b))
        )
        return False if touch else None

    # corners without repeats, with their numbers in the file
    keep = [i for i in range(len(polygon)) if polygon[i] != polygon[i - 1]] or [0]
    pts = [polygon[i] for i in keep]
    n = len(pts)
    if n < 3:
        return None  # all on one or two points: the area test reports it
    for i in range(n):
        a, b = pts[i], pts[(i + 1) % n]
        # adjacent edges share corner b: they meet elsewhere only by doubling back along a line
        c = pts[(i + 2) % n]
        if (
            orient(a, b, c) == 0
            and (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]) < 0
        ):
            return keep[i], keep[(i + 1) % n], False
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # the closing edge meets the first at point 0
            cross = meet(a, b, pts[j], pts[(j + 1) % n])
            if cross is not None:
                return keep[i], keep[j], cross
    return None


def _corner_after(polygon: Sequence[Point], i: int) -> int:
    """The number of the point where edge ``i`` of a polygon ends (repeats skipped)."""
    n = len(polygon)
    for k in range(1, n):
        if polygon[(i + k) % n] != polygon[i]:
            return (i + k) % n
    return (i + 1) % n


def _points(f: Fields, value: Any, path: str, *, exact: int | None, minimum: int) -> list[Point]:
    """A list of ``[x, y]`` pairs of finite numbers; problems are recorded in ``f``."""
    items = f.sequence(value, path)
    if not items and value is not MISSING and value is not None and isinstance(value, list):
        f.add(
            path,
            "is empty; expected "
            + (f"{exact} points" if exact else f"at least {minimum} points")
            + " [[x, y], ...]",
        )
        return []
    out: list[Point] = []
    ok = True
    for i, item in enumerate(items):
        p = format_path(path, i)
        if (
            not isinstance(item, list | tuple)
            or len(item) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in item)
        ):
            f.add(p, f"= {_shown(item)}: expected a point [x, y] of two numbers (source pixels)")
            ok = False
            continue
        point = finite_pair(item[0], item[1])
        if point is None:
            f.add(p, f"= {_shown(item)}: coordinates must be finite")
            ok = False
            continue
        if not (abs(point[0]) <= MAX_COORD_PX and abs(point[1]) <= MAX_COORD_PX):
            f.add(
                p,
                f"= [{point[0]:g}, {point[1]:g}]: beyond any video frame; source-pixel "
                f"coordinates must be within -{MAX_COORD_PX:g} to {MAX_COORD_PX:g}",
            )
            ok = False
            continue
        out.append(point)
    if ok and items:
        if exact is not None and len(items) != exact:
            f.add(path, f"has {len(items)} points; expected exactly {exact} [[x0, y0], [x1, y1]]")
            return []
        if len(items) < minimum:
            f.add(path, f"has {len(items)} points; a polygon needs at least {minimum}")
            return []
    return out if ok else []


def _check_in_frame(
    f: Fields, pts: Sequence[Point], path: str, frame_size: tuple[int, int] | None
) -> None:
    if frame_size is None:
        return
    w, h = frame_size
    for i, (x, y) in enumerate(pts):
        if not (0.0 <= x <= w and 0.0 <= y <= h):
            f.add(
                format_path(path, i),
                f"= [{x:g}, {y:g}] is outside the {w}x{h} frame; "
                f"x must be in [0, {w}] and y in [0, {h}] (source pixels)",
            )
