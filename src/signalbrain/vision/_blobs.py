"""Connected components of a foreground mask as numba kernels: run-length labelling with stats.

:func:`label_runs` finds the 8-connected components of a binary mask from its horizontal runs
(Rosenfeld & Pfaltz 1966, run-based with union-find; He et al. 2009) and gives each its box,
area and label. Labels follow OpenCV's ``connectedComponentsWithStats`` for 8-connectivity
exactly: its algorithms (Spaghetti, BBDT, Grana) scan 2 x 2 blocks, so components are numbered
in the raster order of their first block. A foreground mask of a traffic scene is mostly empty
and its blobs are made of few runs, so the work is a scan of the mask (eight bytes at a time
where it is empty) plus work per run instead of per pixel; the label image is only painted
(:func:`paint_labels`) when a caller needs it. :func:`centre_components` tells which component
lies under each of a set of points; :func:`find_blobs` does all a frame needs in one call
(labels, the components large enough to be vehicles, and whether two predicted vehicle centres
lie on one of them).

References
----------
Rosenfeld, A., Pfaltz, J. L. (1966). Sequential operations in digital picture processing.
JACM 13(4). He, L., Chao, Y., Suzuki, K. (2009). Fast connected-component labeling. Pattern
Recognition 42(9). Bolelli, F., Allegretti, S., Baraldi, L., Grana, C. (2020). Spaghetti
labeling. IEEE TIP 29.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "centre_components",
    "find_blobs",
    "hold_age",
    "label_runs",
    "mark_runs",
    "paint_labels",
    "partition_blob",
]

U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@njit(cache=True, nogil=True)
def _find(parent: I32, a: int) -> int:  # pragma: no cover - jitted
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@njit(cache=True, nogil=True)
def label_runs(
    mask: U8, words: U64, runs: I32, run_label: I32, stats: I32
) -> tuple[int, int]:  # pragma: no cover - jitted
    """Label the 8-connected components of ``mask`` ``(h, w)`` (non-zero is foreground).

    ``words`` is the mask viewed as ``uint64`` (flat, for skipping empty stretches; ``h w`` a
    multiple of 8, else an empty array). Fills ``runs[r] = (y, x0, x1)`` (``x1`` exclusive),
    ``run_label[r]`` (the run's component, 1-based) and ``stats[k] = (left, top, width,
    height, area)`` of component ``k`` (row 0 is left for the background, as in OpenCV); the
    arrays need room for every run (``h (w + 1) // 2``) and component. Returns ``(runs,
    labels)``, ``labels`` counting the background as OpenCV does (1 for an empty mask)."""
    h, w = mask.shape
    flat = mask.reshape(-1)
    use_words = words.shape[0] * 8 == h * w
    n = 0
    prev_start = 0
    for y in range(h):
        row_start = n
        q0 = prev_start  # first run of the row above that may still touch this row's runs
        p = y * w
        end = p + w
        while p < end:
            if use_words and (p & 7) == 0 and p + 8 <= end and words[p >> 3] == 0:
                p += 8
                continue
            if flat[p] == 0:
                p += 1
                continue
            x0 = p - y * w
            while p < end and flat[p] != 0:
                p += 1
            runs[n, 0] = y
            runs[n, 1] = x0
            runs[n, 2] = p - y * w
            run_label[n] = n
            # union with the runs of the row above that touch this one (8-connected: they
            # overlap it or end diagonally next to it); those rows are sorted by x
            while q0 < row_start and runs[q0, 2] < x0:
                q0 += 1
            q = q0
            while q < row_start and runs[q, 1] <= runs[n, 2]:
                a = _find(run_label, q)
                b = _find(run_label, n)
                if a < b:
                    run_label[b] = a
                elif b < a:
                    run_label[a] = b
                q += 1
            n += 1
        prev_start = row_start
    # components: roots, their first 2 x 2 block (OpenCV's label order) and stats
    n_comp = 0
    key = np.empty(n, np.int64)
    comp = np.empty(n, np.int32)
    blocks_per_row = w // 2 + 1
    for r in range(n):
        root = _find(run_label, r)
        if root == r:
            comp[r] = n_comp
            key[n_comp] = (runs[r, 0] // 2) * blocks_per_row + runs[r, 1] // 2
            n_comp += 1
        else:
            c = comp[root]
            comp[r] = c
            k = (runs[r, 0] // 2) * blocks_per_row + runs[r, 1] // 2
            if k < key[c]:
                key[c] = k
    order = np.argsort(key[:n_comp])
    rank = np.empty(n_comp, np.int32)
    for i in range(n_comp):
        rank[order[i]] = i + 1
    x_max = np.empty(n_comp + 1, np.int32)
    y_max = np.empty(n_comp + 1, np.int32)
    for k in range(1, n_comp + 1):
        stats[k, 0] = w
        stats[k, 1] = h
        stats[k, 4] = 0
        x_max[k] = -1
        y_max[k] = -1
    for r in range(n):
        k = rank[comp[r]]
        run_label[r] = k
        y = runs[r, 0]
        stats[k, 0] = min(stats[k, 0], runs[r, 1])
        stats[k, 1] = min(stats[k, 1], y)
        x_max[k] = max(x_max[k], runs[r, 2] - 1)
        y_max[k] = max(y_max[k], y)
        stats[k, 4] += runs[r, 2] - runs[r, 1]
    for k in range(1, n_comp + 1):
        stats[k, 2] = x_max[k] - stats[k, 0] + 1
        stats[k, 3] = y_max[k] - stats[k, 1] + 1
    # the background, as OpenCV reports it
    stats[0, 0] = 0
    stats[0, 1] = 0
    stats[0, 2] = w
    stats[0, 3] = h
    fg = 0
    for k in range(1, n_comp + 1):
        fg += stats[k, 4]
    stats[0, 4] = h * w - fg
    return n, n_comp + 1


@njit(cache=True, nogil=True)
def paint_labels(
    runs: I32, run_label: I32, n_runs: int, x0: int, y0: int, out: I32
) -> None:  # pragma: no cover - jitted
    """Write the label image of the crop whose corner is ``(x0, y0)`` into ``out`` (zero
    elsewhere)."""
    out[:] = 0
    for r in range(n_runs):
        y = runs[r, 0] - y0
        for x in range(runs[r, 1] - x0, runs[r, 2] - x0):
            out[y, x] = run_label[r]


@njit(cache=True, nogil=True)
def centre_components(
    runs: I32, run_label: I32, n_runs: int, px: I64, py: I64, out: I64
) -> None:  # pragma: no cover - jitted
    """``out[i]``: the label under pixel ``(px[i], py[i])`` (0 for background)."""
    for i in range(px.shape[0]):
        out[i] = 0
        for r in range(n_runs):
            if runs[r, 0] == py[i] and runs[r, 1] <= px[i] < runs[r, 2]:
                out[i] = run_label[r]
                break


@njit(cache=True, nogil=True)
def find_blobs(
    mask: U8,
    words: U64,
    runs: I32,
    run_label: I32,
    stats: I32,
    min_area: float,
    centres: F64,
    xyxy: F64,
    area: F64,
    keep: I64,
    box: I64,
) -> tuple[int, int, int, bool]:  # pragma: no cover - jitted
    """Blobs of ``mask`` in one call: :func:`label_runs`, then the components of at least
    ``min_area`` pixels (``keep``, in label order) with their boxes ``xyxy`` (float, end
    exclusive) and ``area``, and whether two of the predicted vehicle ``centres (m, 2)`` lie on
    one of them (*crowded*: the blobs must be split).

    That test is made as OpenCV's labelling was used before: in the foreground's bounding box
    with its corner on even coordinates, written to ``box`` (``x0, y0, x1, y1``), a centre
    counting where it falls in that box, truncated to whole pixels. Returns ``(runs, labels,
    kept, crowded)``."""
    n_runs, n = label_runs(mask, words, runs, run_label, stats)
    n_keep = 0
    for k in range(1, n):
        if stats[k, 4] >= min_area:
            keep[n_keep] = k
            xyxy[n_keep, 0] = float(stats[k, 0])
            xyxy[n_keep, 1] = float(stats[k, 1])
            xyxy[n_keep, 2] = float(stats[k, 0] + stats[k, 2])
            xyxy[n_keep, 3] = float(stats[k, 1] + stats[k, 3])
            area[n_keep] = float(stats[k, 4])
            n_keep += 1
    if n_keep == 0 or centres.shape[0] < 2:
        return n_runs, n, n_keep, False
    x0 = stats[1, 0]
    y0 = stats[1, 1]
    x1 = stats[1, 0] + stats[1, 2]
    y1 = stats[1, 1] + stats[1, 3]
    for k in range(2, n):
        x0 = min(x0, stats[k, 0])
        y0 = min(y0, stats[k, 1])
        x1 = max(x1, stats[k, 0] + stats[k, 2])
        y1 = max(y1, stats[k, 1] + stats[k, 3])
    x0 -= x0 & 1
    y0 -= y0 & 1
    box[0] = x0
    box[1] = y0
    box[2] = x1
    box[3] = y1
    hits = np.zeros(n, np.int64)
    for i in range(centres.shape[0]):
        cx = centres[i, 0] - float(x0)
        cy = centres[i, 1] - float(y0)
        if cx >= 0 and cx < x1 - x0 and cy >= 0 and cy < y1 - y0:
            px = int(cx) + x0
            py = int(cy) + y0
            for r in range(n_runs):
                if runs[r, 0] == py and runs[r, 1] <= px < runs[r, 2]:
                    hits[run_label[r]] += 1
                    break
    for k in range(n_keep):
        if hits[keep[k]] >= 2:
            return n_runs, n, n_keep, True
    return n_runs, n, n_keep, False


@njit(cache=True, nogil=True)
def mark_runs(
    runs: I32, n_runs: int, width: int, since: I64, last: I64, frame: int
) -> None:  # pragma: no cover - jitted
    """Foreground timing from the runs of frame ``frame``'s mask (flat ``since``, ``last``,
    rows ``width`` long): a pixel in a run that was not foreground in the frame before starts
    a new stretch (``since = frame``), and every pixel in a run was last foreground now. A
    pixel's age (frames foreground in a row) is then ``frame - since + 1`` where ``last`` is
    the current frame and 0 elsewhere, kept without touching the background pixels."""
    for r in range(n_runs):
        row = runs[r, 0] * width
        for p in range(row + runs[r, 1], row + runs[r, 2]):
            if last[p] != frame - 1:
                since[p] = frame
            last[p] = frame


def hold_age(since: I64, last: I64, frame: int, age: int) -> None:
    """Raise the foreground age, as of the frame before ``frame``, of every pixel of ``since``
    and ``last`` (arrays or views of one shape, see :func:`mark_runs`) to at least ``age``:
    a stretch still running then began ``age`` frames before ``frame`` at the latest; any
    other pixel counts as foreground for the ``age`` frames up to the one before."""
    running = last == frame - 1
    np.minimum(since, frame - age, out=since, where=running)
    since[~running] = frame - age
    last[~running] = frame - 1


@njit(cache=True, nogil=True)
def partition_blob(
    labels: I32, label: int, box: I64, centres: F64, scales: F64, out: I64
) -> None:  # pragma: no cover - jitted
    """Give every pixel of component ``label`` of ``labels`` inside ``box`` (``x, y, w, h``)
    to the nearest of ``centres`` ``(m, 2)`` in distance scaled per axis by ``scales``
    ``(m, 2)`` (the first of equally near ones), and fill ``out[j]`` (``(m, 5)``) with the
    bounding box ``x0, y0, x1, y1`` (inclusive) and pixel count of centre ``j``'s share (count
    0: no pixel). The arithmetic is :func:`~signalbrain.vision.detections.split_blobs`'s
    numpy formulation, to the bit."""
    m = centres.shape[0]
    for j in range(m):
        out[j, 0] = np.iinfo(np.int64).max
        out[j, 1] = np.iinfo(np.int64).max
        out[j, 2] = -1
        out[j, 3] = -1
        out[j, 4] = 0
    x, y, w, h = box[0], box[1], box[2], box[3]
    for py in range(y, y + h):
        for px in range(x, x + w):
            if labels[py, px] != label:
                continue
            best = 0
            best_d = np.inf
            for j in range(m):
                dx = (float(px) - centres[j, 0]) / scales[j, 0]
                dy = (float(py) - centres[j, 1]) / scales[j, 1]
                d = dx * dx + dy * dy
                if d < best_d:
                    best, best_d = j, d
            out[best, 0] = min(out[best, 0], px)
            out[best, 1] = min(out[best, 1], py)
            out[best, 2] = max(out[best, 2], px)
            out[best, 3] = max(out[best, 3], py)
            out[best, 4] += 1
