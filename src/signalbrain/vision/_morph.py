"""Opening and closing of a foreground mask with the 3 x 3 cross, as one numba kernel.

At the default processing width (320 px) both structuring elements of the detector (opening
against noise, closing against holes, :class:`~signalbrain.vision.background.BackgroundDetector`)
are OpenCV's 3 x 3 ellipse, which is the cross (the pixel and its four neighbours). Two
``cv2.morphologyEx`` calls then cost more in call overhead than in work; :func:`open_close_cross`
does the four passes (erode, dilate, dilate, erode) in one call, to the bit as OpenCV with its
default border (pixels outside the image neither erode nor dilate).
:func:`open_close_cross_reference` is its plain-numpy twin.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["open_close_cross", "open_close_cross_reference"]

U8 = npt.NDArray[np.uint8]


@njit(cache=True, nogil=True)
def _cross(src: U8, dst: U8, dilate: bool) -> None:  # pragma: no cover - jitted
    """``dst``: the minimum (``dilate`` false) or maximum of every pixel of ``src`` and its
    four neighbours inside the image."""
    h, w = src.shape
    for r in range(h):
        row = src[r]
        up = src[r - 1] if r > 0 else row
        down = src[r + 1] if r < h - 1 else row
        out = dst[r]
        if w == 1:
            out[0] = max(row[0], up[0], down[0]) if dilate else min(row[0], up[0], down[0])
            continue
        if dilate:
            out[0] = max(max(row[0], row[1]), max(up[0], down[0]))
            for c in range(1, w - 1):
                out[c] = max(max(row[c - 1], row[c + 1]), max(row[c], max(up[c], down[c])))
            out[w - 1] = max(max(row[w - 1], row[w - 2]), max(up[w - 1], down[w - 1]))
        else:
            out[0] = min(min(row[0], row[1]), min(up[0], down[0]))
            for c in range(1, w - 1):
                out[c] = min(min(row[c - 1], row[c + 1]), min(row[c], min(up[c], down[c])))
            out[w - 1] = min(min(row[w - 1], row[w - 2]), min(up[w - 1], down[w - 1]))


@njit(cache=True, nogil=True)
def open_close_cross(mask: U8, tmp: U8, out: U8) -> None:  # pragma: no cover - jitted
    """``out``: ``mask`` ``(h, w)`` opened, then closed, with the 3 x 3 cross (OpenCV's
    ``morphologyEx`` ``MORPH_OPEN`` then ``MORPH_CLOSE``, default border); ``tmp`` is scratch
    of the same shape. The three arrays must be distinct."""
    _cross(mask, tmp, False)
    _cross(tmp, out, True)
    _cross(out, tmp, True)
    _cross(tmp, out, False)


def _cross_reference(src: U8, dilate: bool) -> U8:
    pad = np.pad(src, 1, constant_values=0 if dilate else 255)
    parts = (pad[1:-1, 1:-1], pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:])
    op = np.maximum if dilate else np.minimum
    out = parts[0]
    for p in parts[1:]:
        out = op(out, p)
    return np.asarray(out, np.uint8)


def open_close_cross_reference(mask: U8) -> U8:
    """Plain-numpy twin of :func:`open_close_cross` (returns the result)."""
    opened = _cross_reference(_cross_reference(mask, False), True)
    return _cross_reference(_cross_reference(opened, True), False)
