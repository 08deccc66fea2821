"""Line-crossing geometry and the test for pieces of one vehicle, for :mod:`.counting`.

:func:`segments_cross` says which moves of track centres cross which count lines and in which
direction; :func:`box_lengths` measures a box along its motion; :func:`are_pieces` decides
whether two tracks run as two pieces of one vehicle (the rule is in the docstring of
:mod:`signalbrain.vision.counting`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from signalbrain.vision.counting import CounterConfig
    from signalbrain.vision.tracking import Track

__all__ = ["are_pieces", "box_lengths", "segments_cross"]

FloatArray = npt.NDArray[np.float64]


def segments_cross(
    p0: FloatArray, p1: FloatArray, a: FloatArray, b: FloatArray
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int8]]:
    """Which moves ``p0[i] -> p1[i]`` cross segment ``a[j] -> b[j]``, and in which direction.

    Parameters
    ----------
    p0, p1
        Track positions before and after, ``(n, 2)``.
    a, b
        Line end points, ``(k, 2)``.

    Returns
    -------
    crossed, sign
        ``(n, k)`` booleans, and ``+1`` for a move from the left to the right of ``a -> b`` in
        image coordinates (y down), ``-1`` the other way. A move that ends exactly on the line
        counts; one that starts on it does not (so it is not counted twice).
    """
    d = b - a  # (k, 2)
    side0 = d[None, :, 0] * (p0[:, None, 1] - a[None, :, 1]) - d[None, :, 1] * (
        p0[:, None, 0] - a[None, :, 0]
    )
    side1 = d[None, :, 0] * (p1[:, None, 1] - a[None, :, 1]) - d[None, :, 1] * (
        p1[:, None, 0] - a[None, :, 0]
    )
    straddle = ((side0 < 0) & (side1 >= 0)) | ((side0 > 0) & (side1 <= 0))
    m = p1 - p0  # (n, 2)
    s_a = m[:, None, 0] * (a[None, :, 1] - p0[:, None, 1]) - m[:, None, 1] * (
        a[None, :, 0] - p0[:, None, 0]
    )
    s_b = m[:, None, 0] * (b[None, :, 1] - p0[:, None, 1]) - m[:, None, 1] * (
        b[None, :, 0] - p0[:, None, 0]
    )
    within = (s_a * s_b) <= 0
    crossed = straddle & within
    sign = np.where(side0 < 0, 1, -1).astype(np.int8)
    return crossed, sign


def box_lengths(boxes: FloatArray, velocities: FloatArray) -> FloatArray:
    """Length of each tracked box along its direction of motion [processing px].

    Along the motion, not the area: two cars side by side merge into one wide blob, a
    truck is long; a stationary vehicle gives its longer box side. ``boxes`` ``(n, 4)``
    are the tracks' (xyxy), ``velocities`` ``(n, 2)`` theirs [px/frame].
    """
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    vx = np.abs(velocities[:, 0])
    vy = np.abs(velocities[:, 1])
    speed = np.hypot(vx, vy)
    moving = speed > 0.2
    along = (vx * w + vy * h) / np.where(moving, speed, 1.0)
    return np.asarray(np.where(moving, along, np.maximum(w, h)), np.float64)


def _extent(box: FloatArray, axis: FloatArray) -> tuple[float, float]:
    """Interval covered by an xyxy box projected on a unit ``axis``."""
    c = 0.5 * float((box[0] + box[2]) * axis[0] + (box[1] + box[3]) * axis[1])
    h = 0.5 * float((box[2] - box[0]) * abs(axis[0]) + (box[3] - box[1]) * abs(axis[1]))
    return c - h, c + h


def are_pieces(
    cfg: CounterConfig,
    fps: float,
    tracks: list[Track],
    velocities: FloatArray,
    a: int,
    b: int,
) -> bool:
    """Whether tracks ``a`` and ``b`` run as two pieces of one vehicle.

    Parameters
    ----------
    cfg
        The counter's tuning (the ``piece_*`` attributes).
    fps
        Video frame rate [1/s].
    tracks, velocities
        The live tracks and their velocities ``(n, 2)`` [px/frame].
    a, b
        Indices of the two tracks in ``tracks``.
    """
    va, vb = velocities[a], velocities[b]
    sa, sb = float(np.hypot(*va)), float(np.hypot(*vb))
    # a young track's filtered velocity has not settled yet: a wider tolerance
    young = min(tracks[a].age, tracks[b].age) < cfg.piece_young_s * fps
    tol = 0.6 if young else 0.3
    if float(np.hypot(*(va - vb))) > tol * max(sa, sb) + tol:
        return False
    u = (va + vb) / max(float(np.hypot(*(va + vb))), 1e-9)
    n = np.array([-u[1], u[0]])
    box_a, box_b = tracks[a].box, tracks[b].box
    (a0, a1), (b0, b1) = _extent(box_a, u), _extent(box_b, u)
    longer = max(a1 - a0, b1 - b0)
    if min(sa, sb) * fps < cfg.piece_min_speed * longer:
        return False
    if max(b0 - a1, a0 - b1) > cfg.piece_gap * longer + 1.0:
        return False
    (a0, a1), (b0, b1) = _extent(box_a, n), _extent(box_b, n)
    narrow, wide = sorted((a1 - a0, b1 - b0))
    if narrow < cfg.piece_sliver * wide and max(b0 - a1, a0 - b1) <= 0.1 * wide + 1.0:
        return True  # a sliver running along the vehicle's side, touching it
    return min(a1, b1) - max(a0, b0) >= cfg.piece_overlap * narrow
