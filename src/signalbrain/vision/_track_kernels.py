"""Numba kernels of the per-frame counting work (:mod:`signalbrain.vision.counting`).

:func:`zone_cover` samples the foreground cover of every queue zone in one pass over the zones'
own pixels, instead of eroding the whole mask and gathering each zone's pixels with numpy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["zone_cover", "zone_pixels"]

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


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
