"""Warm-up median of the background model: per pixel, the median of frames and the median
squared distance of the frames to it.

The middle values of ``k`` frames come from the comparators of Batcher's odd-even merge sort
that they depend on (:func:`_middle_plan`). :func:`median_background` runs them as one numba
kernel over blocks of pixels small enough to stay in the cache, the frames' median and the
distances' median in one pass; :func:`median_background_reference` is its plain-numpy twin
(whole rows at a time), the test oracle. Both work on integers, so they agree to the bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["median_background", "median_background_reference"]

U8 = npt.NDArray[np.uint8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_BLOCK_PX = 256  # pixels per block of the kernel: 25 frames' values and distances fit in L1


def _sorting_network(k: int) -> npt.NDArray[np.int64]:
    """Comparators ``(i, j)``, ``i < j``, of Batcher's odd-even merge sort of ``k`` values
    (the network for the next power of two without the comparators that would only meet the
    missing, infinitely large values)."""
    n = 1
    while n < k:
        n *= 2
    pairs: list[tuple[int, int]] = []
    p = 1
    while p < n:
        q = p
        while q >= 1:
            for j in range(q % p, n - q, 2 * q):
                for i in range(min(q, n - j - q)):
                    a, b = i + j, i + j + q
                    if a // (2 * p) == b // (2 * p) and b < k:
                        pairs.append((a, b))
            q //= 2
        p *= 2
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _middle_plan(net: npt.NDArray[np.int64], k: int) -> list[tuple[int, int, int]]:
    """The comparators of ``net`` that the middle two of ``k`` sorted values depend on, each
    with what it must produce: ``0`` both outputs, ``1`` only the minimum (at ``i``), ``2``
    only the maximum (at ``j``); found backwards from the middle outputs."""
    needed = {(k - 1) // 2, k // 2}
    plan: list[tuple[int, int, int]] = []
    for i, j in reversed(net.tolist()):
        want_i, want_j = i in needed, j in needed
        if not (want_i or want_j):
            continue
        plan.append((i, j, 0 if want_i and want_j else (1 if want_i else 2)))
        needed |= {i, j}
    plan.reverse()
    return plan


def _middle_rows(rows: Any, plan: list[tuple[int, int, int]]) -> tuple[Any, Any]:
    """The rows that would be the middle two, ``(k - 1) // 2`` and ``k // 2``, if every
    column of ``rows`` ``(k, m)`` were sorted (see :func:`_middle_plan`). ``rows`` is
    overwritten; a full comparator writes its minimum to a spare row and swaps it in."""
    order = list(rows)
    spare = np.empty_like(rows[0])
    for i, j, kind in plan:
        a, b = order[i], order[j]
        if kind == 0:
            np.minimum(a, b, out=spare)
            np.maximum(a, b, out=b)
            order[i], spare = spare, a
        elif kind == 1:
            np.minimum(a, b, out=a)
        else:
            np.maximum(a, b, out=b)
    k = len(order)
    return order[(k - 1) // 2], order[k // 2]


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _sq_dist(stack: U8, median: U8, out: I32) -> None:  # pragma: no cover - jitted
    """``out[j, p]``: squared distance of pixel ``p`` of frame ``j`` to ``median``."""
    for j in range(stack.shape[0]):
        for p in range(out.shape[1]):
            e0 = np.int32(stack[j, 3 * p]) - np.int32(median[3 * p])
            e1 = np.int32(stack[j, 3 * p + 1]) - np.int32(median[3 * p + 1])
            e2 = np.int32(stack[j, 3 * p + 2]) - np.int32(median[3 * p + 2])
            out[j, p] = e0 * e0 + e1 * e1 + e2 * e2


def median_background_reference(frames: list[U8]) -> tuple[U8, F64]:
    """Per-pixel median of BGR ``frames`` (one shape; for an even count the mean of the middle
    two, rounded down) and, per pixel, the median squared distance of the frames to it (summed
    over the channels): the plain-numpy twin of :func:`median_background`. The middle values
    come from the part of a sorting network they depend on, run over many pixels at a time."""
    k = len(frames)
    h, w = frames[0].shape[:2]
    plan = _middle_plan(_sorting_network(k), k)
    stack = np.stack(frames).reshape(k, -1)
    lo, hi = _middle_rows(stack.copy(), plan)
    median = ((lo.astype(np.uint16) + hi) // 2).astype(np.uint8)
    d2 = np.empty((k, h * w), np.int32)
    _sq_dist(stack, median, d2)
    d_lo, d_hi = _middle_rows(d2, plan)
    var = 0.5 * (d_lo.astype(np.float32) + d_hi)
    return median.reshape(h, w, 3), var.reshape(h, w)


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _network(rows: Any, plan: I64, width: int) -> None:  # pragma: no cover - jitted
    """Run the comparators ``plan`` (rows ``i, j, kind`` of :func:`_middle_plan`) on the
    first ``width`` columns of ``rows`` in place: kind 0 puts the minimum at ``i`` and the
    maximum at ``j``, 1 only the minimum, 2 only the maximum."""
    for c in range(plan.shape[0]):
        a = rows[plan[c, 0]]
        b = rows[plan[c, 1]]
        kind = plan[c, 2]
        if kind == 0:
            for q in range(width):
                x = a[q]
                y = b[q]
                a[q] = min(x, y)
                b[q] = max(x, y)
        elif kind == 1:
            for q in range(width):
                a[q] = min(a[q], b[q])
        else:
            for q in range(width):
                b[q] = max(a[q], b[q])


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _median_kernel(
    stack: U8, plan: I64, block: int, median: U8, var: F64
) -> None:  # pragma: no cover - jitted
    """``median`` ``(3 n,)``: the per-value median of the rows of ``stack`` ``(k, 3 n)`` (the
    mean of the middle two, rounded down); ``var`` ``(n,)``: half the sum of the middle two
    squared pixel distances to it. Blocks of ``block`` pixels at a time."""
    k = stack.shape[0]
    n = stack.shape[1] // 3
    lo = (k - 1) // 2
    hi = k // 2
    vals = np.empty((k, 3 * block), np.uint8)
    mid = np.empty(3 * block, np.int32)
    sq = np.empty(3 * block, np.int32)
    d2 = np.empty((k, block), np.int32)
    for p0 in range(0, n, block):
        nb = min(block, n - p0)
        v0 = 3 * p0
        for j in range(k):
            vals[j, : 3 * nb] = stack[j, v0 : v0 + 3 * nb]
        _network(vals, plan, 3 * nb)
        for q in range(3 * nb):
            mid[q] = (np.int32(vals[lo, q]) + np.int32(vals[hi, q])) // 2
            median[v0 + q] = mid[q]
        for j in range(k):
            row = stack[j, v0 : v0 + 3 * nb]
            for q in range(3 * nb):  # squared differences per channel value (contiguous)
                e = np.int32(row[q]) - mid[q]
                sq[q] = e * e
            out = d2[j]
            for q in range(nb):
                out[q] = sq[3 * q] + sq[3 * q + 1] + sq[3 * q + 2]
        _network(d2, plan, nb)
        for q in range(nb):
            # the distances are integers below 2 ** 18: the sum is exact
            var[p0 + q] = 0.5 * (np.float64(d2[lo, q]) + np.float64(d2[hi, q]))


def median_background(frames: list[U8]) -> tuple[U8, F64]:
    """Per-pixel median of BGR ``frames`` (one shape; for an even count the mean of the middle
    two, rounded down) and, per pixel, the median squared distance of the frames to it (summed
    over the channels); one kernel pass over cache-sized blocks of pixels."""
    k = len(frames)
    h, w = frames[0].shape[:2]
    plan = np.array(_middle_plan(_sorting_network(k), k), dtype=np.int64).reshape(-1, 3)
    stack = np.stack(frames).reshape(k, -1)
    median = np.empty(3 * h * w, np.uint8)
    var = np.empty(h * w, np.float64)
    _median_kernel(stack, plan, _BLOCK_PX, median, var)
    return median.reshape(h, w, 3), var.reshape(h, w)
