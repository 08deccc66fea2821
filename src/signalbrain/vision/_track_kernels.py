"""Numba kernels of the per-frame counting work (:mod:`signalbrain.vision.counting`).

:func:`zone_cover` samples the foreground cover of every queue zone in one pass over the zones'
own pixels, instead of eroding the whole mask and gathering each zone's pixels with numpy.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "confirmed_fragment_owners",
    "cross_lines",
    "fragment_owners",
    "kalman_correct",
    "kalman_predict",
    "match_cost",
    "queue_sample",
    "resize_matched",
    "segment_box_clip",
    "unique_matches",
    "zone_cover",
    "zone_pixels",
]

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def zone_pixels(masks: list[npt.NDArray[np.bool_]]) -> tuple[I64, I64, I64]:
    """Pixel lists of boolean zone masks, concatenated: ``(ys, xs, starts)``; zone ``q`` owns
    entries ``starts[q]:starts[q + 1]`` (row-major order)."""
    ys: list[I64] = []
    xs: list[I64] = []
    starts = [0]
    for m in masks:
        y, x = np.nonzero(m)
        ys.append(y.astype(np.int64))
        xs.append(x.astype(np.int64))
        starts.append(starts[-1] + len(y))
    if not masks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(1, np.int64)
    return np.concatenate(ys), np.concatenate(xs), np.array(starts, np.int64)


@njit(cache=True, nogil=True)
def zone_cover(mask: U8, ys: I64, xs: I64, starts: I64, out: I64) -> None:  # pragma: no cover
    """Foreground pixels of every zone, and those of them whose 4-neighbours in the picture are
    all foreground too (``cv2.erode`` with a 3x3 cross: pixels outside the picture do not
    erode), into ``out[q, 0]`` and ``out[q, 1]``."""
    h, w = mask.shape
    for q in range(starts.shape[0] - 1):
        fg = 0
        inner = 0
        for k in range(starts[q], starts[q + 1]):
            y = ys[k]
            x = xs[k]
            if mask[y, x] != 0:
                fg += 1
                if (
                    (y == 0 or mask[y - 1, x] != 0)
                    and (y == h - 1 or mask[y + 1, x] != 0)
                    and (x == 0 or mask[y, x - 1] != 0)
                    and (x == w - 1 or mask[y, x + 1] != 0)
                ):
                    inner += 1
        out[q, 0] = fg
        out[q, 1] = inner


@njit(cache=True, nogil=True)
def kalman_predict(x: F64, p: F64, q: F64, box: F64) -> None:  # pragma: no cover - jitted
    """Advance every constant-velocity filter one frame, in place: ``x (n, 4)`` = (cx, cy, vx,
    vy) becomes ``F x``, ``p (n, 4, 4)`` becomes ``F p F' + q``, and each box ``(n, 4)`` (xyxy)
    keeps its size around the new centre. ``F`` adds the velocity to the position; its entries
    are 0 and 1, so every sum has two non-zero terms and the result equals ``x @ F.T`` and
    ``F @ p @ F.T`` to the bit."""
    for i in range(x.shape[0]):
        x[i, 0] = x[i, 0] + x[i, 2]
        x[i, 1] = x[i, 1] + x[i, 3]
        # F p: rows 0 and 1 gain rows 2 and 3
        for j in range(4):
            p[i, 0, j] = p[i, 0, j] + p[i, 2, j]
            p[i, 1, j] = p[i, 1, j] + p[i, 3, j]
        # (F p) F': columns 0 and 1 gain columns 2 and 3
        for j in range(4):
            p[i, j, 0] = p[i, j, 0] + p[i, j, 2]
            p[i, j, 1] = p[i, j, 1] + p[i, j, 3]
        for j in range(4):
            for k in range(4):
                p[i, j, k] = p[i, j, k] + q[j, k]
        w = box[i, 2] - box[i, 0]
        h = box[i, 3] - box[i, 1]
        cx = x[i, 0]
        cy = x[i, 1]
        box[i, 0] = cx - w / 2
        box[i, 1] = cy - h / 2
        box[i, 2] = cx + w / 2
        box[i, 3] = cy + h / 2


@njit(cache=True, nogil=True)
def kalman_correct(x: F64, p: F64, rows: I64, z: F64, r: F64) -> None:  # pragma: no cover
    """Kalman correction of filters ``rows`` with measured centres ``z (k, 2)``, in place
    (measurement matrix: the position; ``r (2, 2)`` the measurement noise covariance)."""
    for k in range(rows.shape[0]):
        i = rows[k]
        s00 = p[i, 0, 0] + r[0, 0]
        s01 = p[i, 0, 1] + r[0, 1]
        s10 = p[i, 1, 0] + r[1, 0]
        s11 = p[i, 1, 1] + r[1, 1]
        det = s00 * s11 - s01 * s10
        i00 = s11 / det
        i01 = -s01 / det
        i10 = -s10 / det
        i11 = s00 / det
        y0 = z[k, 0] - x[i, 0]
        y1 = z[k, 1] - x[i, 1]
        g = np.empty((4, 2))
        for a in range(4):
            g[a, 0] = p[i, a, 0] * i00 + p[i, a, 1] * i10
            g[a, 1] = p[i, a, 0] * i01 + p[i, a, 1] * i11
        for a in range(4):
            x[i, a] = x[i, a] + (g[a, 0] * y0 + g[a, 1] * y1)
        old = np.empty((2, 4))
        for b in range(4):
            old[0, b] = p[i, 0, b]
            old[1, b] = p[i, 1, b]
        for a in range(4):
            for b in range(4):
                p[i, a, b] = p[i, a, b] - (g[a, 0] * old[0, b] + g[a, 1] * old[1, b])


@njit(cache=True, nogil=True)
def match_cost(
    box: F64, centre: F64, det: F64, gate: float, invalid: float, cost: F64
) -> None:  # pragma: no cover - jitted
    """Assignment cost of tracks (predicted boxes ``box (n, 4)``, centres ``centre (n, 2)``) to
    detections ``det (m, 4)`` into ``cost (n, m)``: ``1 - IoU`` for overlapping boxes, else
    ``1 +`` the centre distance over the track's half diagonal (at least 1 px), ``invalid``
    beyond ``gate`` half diagonals."""
    for i in range(box.shape[0]):
        a0 = box[i, 0]
        a1 = box[i, 1]
        a2 = box[i, 2]
        a3 = box[i, 3]
        area_a = (a2 - a0) * (a3 - a1)
        half = max(0.5 * math.hypot(a2 - a0, a3 - a1), 1.0)
        for j in range(det.shape[0]):
            b0 = det[j, 0]
            b1 = det[j, 1]
            b2 = det[j, 2]
            b3 = det[j, 3]
            iw = max(min(a2, b2) - max(a0, b0), 0.0)
            ih = max(min(a3, b3) - max(a1, b1), 0.0)
            inter = iw * ih
            area_b = (b2 - b0) * (b3 - b1)
            iou = inter / max(area_a + area_b - inter, 1e-9)
            if iou > 0:
                cost[i, j] = 1.0 - iou
                continue
            dcx = (b0 + b2) * 0.5
            dcy = (b1 + b3) * 0.5
            rel = math.hypot(centre[i, 0] - dcx, centre[i, 1] - dcy) / half
            cost[i, j] = invalid if rel > gate else 1.0 + rel


@njit(cache=True, nogil=True)
def unique_matches(cost: F64, invalid: float, rows: I64, cols: I64) -> int:  # pragma: no cover
    """If every track has at most one admissible detection (cost below ``invalid``) and every
    detection at most one admissible track, write those pairs to ``rows`` and ``cols`` (track
    order) and return their number: the minimum-cost assignment then holds exactly them.
    Otherwise return -1 (a real assignment problem)."""
    n, m = cost.shape
    used = np.zeros(m, np.bool_)
    k = 0
    for i in range(n):
        found = -1
        for j in range(m):
            if cost[i, j] < invalid:
                if found >= 0:
                    return -1
                found = j
        if found >= 0:
            if used[found]:
                return -1
            used[found] = True
            rows[k] = i
            cols[k] = found
            k += 1
    return k


@njit(cache=True, nogil=True)
def fragment_owners(
    centre: F64, half: F64, det: F64, inside: float, own: npt.NDArray[np.bool_]
) -> bool:  # pragma: no cover - jitted
    """Which detections ``det (m, 4)`` are fragments of which track: ``own[k, j]`` is set when
    at least ``inside`` of detection ``j``'s box lies in the box ``centre[k] +- half[k]`` and in
    no other track's. Returns whether some track owns two or more detections."""
    k_n = centre.shape[0]
    m = det.shape[0]
    for j in range(m):
        d0 = det[j, 0]
        d1 = det[j, 1]
        d2 = det[j, 2]
        d3 = det[j, 3]
        area = max((d2 - d0) * (d3 - d1), 1e-9)
        owners = 0
        for k in range(k_n):
            g0 = centre[k, 0] - half[k, 0]
            g1 = centre[k, 1] - half[k, 1]
            g2 = centre[k, 0] + half[k, 0]
            g3 = centre[k, 1] + half[k, 1]
            ix = max(min(g2, d2) - max(g0, d0), 0.0)
            iy = max(min(g3, d3) - max(g1, d1), 0.0)
            own[k, j] = (ix * iy) / area >= inside
            owners += own[k, j]
        if owners != 1:
            for k in range(k_n):
                own[k, j] = False
    for k in range(k_n):
        count = 0
        for j in range(m):
            count += own[k, j]
        if count >= 2:
            return True
    return False


@njit(cache=True, nogil=True)
def confirmed_fragment_owners(
    x: F64,
    ref: F64,
    box: F64,
    rows: I64,
    grow: float,
    det: F64,
    inside: float,
    own: npt.NDArray[np.bool_],
) -> bool:  # pragma: no cover - jitted
    """:func:`fragment_owners` for the tracks ``rows`` of the tracker's arrays: centres
    ``x[rows, :2]``, half sizes the larger of the remembered size ``ref`` and the box size
    ``box`` (xyxy), times ``grow`` (the numpy formulation's arithmetic, to the bit)."""
    k_n = rows.shape[0]
    centre = np.empty((k_n, 2))
    half = np.empty((k_n, 2))
    for k in range(k_n):
        r = rows[k]
        for a in range(2):
            centre[k, a] = x[r, a]
            half[k, a] = max(ref[r, a], box[r, a + 2] - box[r, a]) * grow
    return fragment_owners(centre, half, det, inside, own)


@njit(cache=True, nogil=True)
def queue_sample(
    mask: U8,
    ys: I64,
    xs: I64,
    starts: I64,
    area: F64,
    inside: npt.NDArray[np.bool_],
    centre: F64,
    velocity: F64,
    confirmed: npt.NDArray[np.bool_],
    size_px2: F64,
    fps: float,
    stop_speed: float,
    out: F64,
) -> None:  # pragma: no cover - jitted
    """One queue sample added to ``out (zones, 3)``: per zone the covered share of its area
    (border pixels of the foreground count one half: foreground plus eroded foreground, over
    two, see :func:`zone_cover`), the confirmed tracks whose centre is in the zone and those
    of them moving slower than ``stop_speed`` vehicle sizes (square root of ``size_px2``) per
    second. ``inside (zones, h, w)`` are the zone masks; ``centre`` and ``velocity`` ``(n, 2)``
    [px, px/frame] the tracks'."""
    n_zones = starts.shape[0] - 1
    counts = np.zeros((n_zones, 2), np.int64)
    zone_cover(mask, ys, xs, starts, counts)
    for q in range(n_zones):
        out[q, 0] += 0.5 * float(counts[q, 0] + counts[q, 1]) / area[q]
    h, w = mask.shape
    for i in range(centre.shape[0]):
        if not confirmed[i]:
            continue
        v = math.hypot(velocity[i, 0], velocity[i, 1]) * fps
        stopped = v < stop_speed * math.sqrt(max(size_px2[i], 1.0))
        px = min(max(int(centre[i, 0]), 0), w - 1)
        py = min(max(int(centre[i, 1]), 0), h - 1)
        for q in range(n_zones):
            if inside[q, py, px]:
                out[q, 1] += 1.0
                if stopped:
                    out[q, 2] += 1.0


@njit(cache=True, nogil=True)
def segment_box_clip(box: F64, a: F64, b: F64, out: F64) -> None:  # pragma: no cover - jitted
    """Parameter interval ``out[i, j] = (t0, t1)`` of segment ``a[j] -> b[j]`` (``a + t (b -
    a)``, ``0 <= t <= 1``) inside box ``i`` (``box (n, 4)`` xyxy; Liang-Barsky clipping),
    ``nan`` where the segment misses the box."""
    for i in range(box.shape[0]):
        for j in range(a.shape[0]):
            lo = 0.0
            hi = 1.0
            for ax in range(2):
                p = b[j, ax] - a[j, ax]
                q0 = box[i, ax] - a[j, ax]
                q1 = box[i, ax + 2] - a[j, ax]
                flat = abs(p) < 1e-12
                if flat:
                    t0 = -np.inf
                    t1 = np.inf
                else:
                    t0 = q0 / p
                    t1 = q1 / p
                lo = max(lo, min(t0, t1))
                hi = min(hi, max(t0, t1))
                if flat and (q0 > 0 or q1 < 0):  # parallel to this axis and beside the box
                    hi = -np.inf
            if hi < lo:
                out[i, j, 0] = np.nan
                out[i, j, 1] = np.nan
            else:
                out[i, j, 0] = lo
                out[i, j, 1] = hi


@njit(cache=True, nogil=True)
def resize_matched(
    box: F64, ref: F64, x: F64, rows: I64, found: F64, k_new: float, k_old: float, memory: float
) -> None:  # pragma: no cover - jitted
    """Matched tracks ``rows`` take the sizes of their detections ``found (k, 4)`` smoothed
    (``k_new`` of the new size, ``k_old`` of the old) around their corrected centres ``x``;
    their remembered largest size ``ref`` decays by ``memory`` and grows to the new size."""
    for k in range(rows.shape[0]):
        r = rows[k]
        w = k_new * (found[k, 2] - found[k, 0]) + k_old * (box[r, 2] - box[r, 0])
        h = k_new * (found[k, 3] - found[k, 1]) + k_old * (box[r, 3] - box[r, 1])
        cx = x[r, 0]
        cy = x[r, 1]
        box[r, 0] = cx - w / 2
        box[r, 1] = cy - h / 2
        box[r, 2] = cx + w / 2
        box[r, 3] = cy + h / 2
        ref[r, 0] = max(ref[r, 0] * memory, w)
        ref[r, 1] = max(ref[r, 1] * memory, h)


@njit(cache=True, nogil=True)
def cross_lines(
    p0: F64, p1: F64, a: F64, b: F64, crossed: npt.NDArray[np.bool_], sign: npt.NDArray[np.int8]
) -> int:  # pragma: no cover - jitted
    """Which moves ``p0[i] -> p1[i]`` cross segment ``a[j] -> b[j]`` (``crossed (n, k)``) and
    from which side (``sign``: +1 from the left of ``a -> b`` in image coordinates, y down;
    -1 from the right); returns the number of crossings. A move that ends on the line crosses
    it, one that starts on it does not. The same arithmetic as the numpy formulation, to the
    bit."""
    count = 0
    for i in range(p0.shape[0]):
        m0 = p1[i, 0] - p0[i, 0]
        m1 = p1[i, 1] - p0[i, 1]
        for j in range(a.shape[0]):
            d0 = b[j, 0] - a[j, 0]
            d1 = b[j, 1] - a[j, 1]
            side0 = d0 * (p0[i, 1] - a[j, 1]) - d1 * (p0[i, 0] - a[j, 0])
            side1 = d0 * (p1[i, 1] - a[j, 1]) - d1 * (p1[i, 0] - a[j, 0])
            straddle = (side0 < 0 and side1 >= 0) or (side0 > 0 and side1 <= 0)
            s_a = m0 * (a[j, 1] - p0[i, 1]) - m1 * (a[j, 0] - p0[i, 0])
            s_b = m0 * (b[j, 1] - p0[i, 1]) - m1 * (b[j, 0] - p0[i, 0])
            crossed[i, j] = straddle and s_a * s_b <= 0
            count += crossed[i, j]
            sign[i, j] = 1 if side0 < 0 else -1
    return count
