"""Numba kernels of the per-frame time-spatial sampling (:mod:`signalbrain.vision.streaks`).

:func:`slit_row` samples the foreground mask along every count line and packs the samples into
one row of bits (``np.packbits`` order, one byte-aligned run per line); :func:`cover_row`
clips every confirmed track's box against every line (Liang-Barsky) and appends the covered
stretches. Both replace a dozen small numpy calls per frame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["cover_row", "slit_row"]

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@njit(cache=True, nogil=True)
def slit_row(
    mask: U8, ys: I64, xs: I64, starts: I64, byte_starts: I64, out: U8
) -> None:  # pragma: no cover - jitted
    """Pack ``mask[ys, xs] != 0`` into ``out``: line ``j`` owns samples
    ``starts[j]:starts[j + 1]`` and bytes from ``byte_starts[j]``, most significant bit
    first (as ``np.packbits``)."""
    out[:] = 0
    for j in range(starts.shape[0] - 1):
        base = byte_starts[j]
        for k in range(starts[j + 1] - starts[j]):
            s = starts[j] + k
            if mask[ys[s], xs[s]] != 0:
                out[base + k // 8] |= np.uint8(128 >> (k % 8))


@njit(cache=True, nogil=True)
def cover_row(
    boxes: F64,
    a: F64,
    b: F64,
    v_right: F64,
    ids: I64,
    scales: F64,
    row: int,
    cover: F64,
    count: int,
) -> int:  # pragma: no cover - jitted
    """Append to ``cover`` (rows ``count`` on) one row ``(line, row, u0, u1, sign, id)`` per
    box ``(n, 4)`` and line ``a[j] -> b[j]`` it meets: the parameter interval of the line
    inside the box times ``scales[j]`` (samples), the sign of ``v_right[i, j]`` (0 within
    0.05 px/frame). Returns the new count, or -1 when ``cover`` is too short."""
    for i in range(boxes.shape[0]):
        for j in range(a.shape[0]):
            lo = 0.0
            hi = 1.0
            miss = False
            for ax in range(2):
                p = b[j, ax] - a[j, ax]
                q0 = boxes[i, ax] - a[j, ax]
                q1 = boxes[i, ax + 2] - a[j, ax]
                if abs(p) < 1e-12:
                    if q0 > 0 or q1 < 0:
                        miss = True
                    continue
                t0 = q0 / p
                t1 = q1 / p
                lo = max(lo, min(t0, t1))
                hi = min(hi, max(t0, t1))
            if miss or hi < lo:
                continue
            if count >= cover.shape[0]:
                return -1
            v = v_right[i, j]
            cover[count, 0] = j
            cover[count, 1] = row
            cover[count, 2] = lo * scales[j]
            cover[count, 3] = hi * scales[j]
            cover[count, 4] = 0.0 if abs(v) <= 0.05 else (1.0 if v > 0 else -1.0)
            cover[count, 5] = ids[i]
            count += 1
    return count
