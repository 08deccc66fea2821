"""The synthetic scene: a four-arm intersection seen from straight above, and its camera file.

World coordinates are metres with the origin at the centre of the intersection, x to the right
and y down the image (so image pixels are ``(x, y) * px_per_m + centre``). Traffic drives on the
right: a vehicle heading ``d`` keeps to its right-hand side, ``right(d) = (-d_y, d_x)`` in these
y-down coordinates. Each arm has one inbound and one outbound lane.

Arms are named by where their traffic comes from: approach ``N`` carries vehicles arriving from
the north (moving down the image). :func:`movement_path` gives the centre line of every movement
(approach, turn ``L``/``T``/``R``) as a dense polyline; :func:`scene_camera` the matching camera
file: one count line across each arm, an entry and an exit zone per arm and a queue zone on every
inbound lane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.io.camera import CameraSpec, CountLine, Zone

__all__ = ["APPROACHES", "TURNS", "Geometry", "movement_path", "scene_camera"]

APPROACHES: tuple[str, ...] = ("N", "E", "S", "W")
TURNS: tuple[str, ...] = ("L", "T", "R")
# travel direction of the vehicles of each approach (y down)
_DIRECTION = {"N": (0.0, 1.0), "S": (0.0, -1.0), "E": (-1.0, 0.0), "W": (1.0, 0.0)}
_EXIT_ARM = {(0.0, 1.0): "S", (0.0, -1.0): "N", (-1.0, 0.0): "W", (1.0, 0.0): "E"}

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Geometry:
    """Sizes of the scene.

    Attributes
    ----------
    width_px, height_px
        Frame size [px].
    px_per_m
        Image scale [px/m].
    lane_m
        Lane width [m].
    stop_m
        Distance of the stop lines from the centre [m].
    line_m
        Distance of the count lines from the centre [m].
    queue_m
        Length of the queue zones upstream of the stop line [m].
    zone_near_m, zone_far_m
        Extent of the entry and exit zones from the centre [m].
    """

    width_px: int = 640
    height_px: int = 480
    px_per_m: float = 8.0
    lane_m: float = 3.6
    stop_m: float = 9.0
    line_m: float = 19.0
    queue_m: float = 18.0
    zone_near_m: float = 11.0
    zone_far_m: float = 27.0

    @property
    def centre_px(self) -> tuple[float, float]:
        """Image position of the world origin [px]."""
        return self.width_px / 2.0, self.height_px / 2.0

    @property
    def half_extent_m(self) -> tuple[float, float]:
        """Half the visible width and height [m]."""
        return self.width_px / 2.0 / self.px_per_m, self.height_px / 2.0 / self.px_per_m

    def to_px(self, xy_m: FloatArray) -> FloatArray:
        """World metres ``(..., 2)`` to image pixels."""
        cx, cy = self.centre_px
        out: FloatArray = np.asarray(xy_m, dtype=np.float64) * self.px_per_m + np.array([cx, cy])
        return out


def _right(d: FloatArray) -> FloatArray:
    return np.array([-d[1], d[0]])


def direction(approach: str) -> FloatArray:
    """Unit travel direction of an approach's inbound vehicles."""
    return np.array(_DIRECTION[approach])


def exit_arm(approach: str, turn: str) -> str:
    """The arm a movement leaves by."""
    d = direction(approach)
    e = {"T": d, "R": _right(d), "L": -_right(d)}[turn]
    return _EXIT_ARM[(float(e[0]) + 0.0, float(e[1]) + 0.0)]


def movement_path(
    geo: Geometry, approach: str, turn: str, *, margin_m: float = 12.0
) -> tuple[FloatArray, FloatArray, float]:
    """Centre line of one movement.

    Returns
    -------
    points, s, stop_s
        Polyline ``(n, 2)`` [m] from off-screen to off-screen, its cumulative length ``(n,)`` [m]
        and the arc length of the stop line [m].
    """
    d = direction(approach)
    r = _right(d)
    half_w, half_h = geo.half_extent_m
    reach = max(half_w, half_h) + margin_m
    e = {"T": d, "R": r, "L": -r}[turn]
    re = _right(e)
    off = geo.lane_m / 2.0
    start = -d * reach + r * off
    stop = -d * geo.stop_m + r * off
    exit0 = e * geo.stop_m + re * off
    end = e * reach + re * off
    pts: list[FloatArray] = [start, stop]
    if turn == "T":
        pts.append(exit0)
    else:
        corner = stop + d * float(np.dot(exit0 - stop, d))
        pts.extend(
            (1 - u) ** 2 * stop + 2 * (1 - u) * u * corner + u**2 * exit0
            for u in np.linspace(0.0, 1.0, 24)[1:]
        )
    pts.append(end)
    points = np.array(pts)
    seg = np.hypot(*np.diff(points, axis=0).T)
    s = np.concatenate(([0.0], np.cumsum(seg)))
    return points, s, float(s[1])


def _rect(
    geo: Geometry, approach: str, lane_sign: float, near_m: float, far_m: float
) -> tuple[tuple[float, float], ...]:
    """Polygon [px] of one lane of an arm between two distances from the centre."""
    d = direction(approach)
    r = _right(d)
    a = r * (lane_sign * geo.lane_m / 2.0)
    w = r * (geo.lane_m / 2.0 - 0.1)
    corners = [-d * near_m + a - w, -d * far_m + a - w, -d * far_m + a + w, -d * near_m + a + w]
    px = geo.to_px(np.array(corners))
    return tuple((round(float(x), 1), round(float(y), 1)) for x, y in px)


def scene_camera(
    geo: Geometry,
    *,
    camera: str = "synthetic",
    interval_s: float = 30.0,
    resize_width: int | None = None,
) -> CameraSpec:
    """The camera file of the scene.

    One count line across each arm at ``line_m`` (both lanes, directed so that inbound vehicles
    cross it ``positive``); an entry zone on each inbound lane and an exit zone on each outbound
    lane between ``zone_near_m`` and ``zone_far_m``; a queue zone of ``queue_m`` behind each stop
    line. Ids: lines ``N``, zones ``N_in``, ``N_out``, ``N_queue``.
    """
    lines = []
    zones = []
    half_w, half_h = geo.half_extent_m
    for a in APPROACHES:
        d = direction(a)
        r = _right(d)
        base = -d * geo.line_m
        # inbound vehicles move along d: positive means from the left to the right of the line;
        # a line pointing along -r (the drivers' left) has the approaching side on its left.
        p0 = base + r * (geo.lane_m + 0.5)
        p1 = base - r * (geo.lane_m + 0.5)
        px = geo.to_px(np.array([p0, p1]))
        lines.append(
            CountLine(
                a, ((float(px[0, 0]), float(px[0, 1])), (float(px[1, 0]), float(px[1, 1]))), None
            )
        )
        visible = (half_h if d[0] == 0 else half_w) - 0.25  # zones stay inside the frame
        far = min(geo.zone_far_m, visible)
        zones.append(Zone(f"{a}_in", "entry", None, _rect(geo, a, 1.0, geo.zone_near_m, far)))
        zones.append(Zone(f"{a}_out", "exit", None, _rect(geo, a, -1.0, geo.zone_near_m, far)))
    for a in APPROACHES:
        visible = (half_h if direction(a)[0] == 0 else half_w) - 0.25
        zones.append(
            Zone(
                f"{a}_queue",
                "queue",
                None,
                _rect(geo, a, 1.0, geo.stop_m, min(geo.stop_m + geo.queue_m, visible)),
            )
        )
    return CameraSpec(
        camera=camera,
        intersection=None,
        resize_width=resize_width,
        interval_s=interval_s,
        lines=tuple(lines),
        zones=tuple(zones),
    )
