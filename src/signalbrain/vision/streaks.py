"""Time-spatial images of the count lines: vehicles the tracker merged, found as streaks.

:class:`LineSlits` samples the detector's foreground mask along every count line in every frame
and stacks the samples as the rows of one binary image per line (position along the line across,
time down): a *time-spatial image* (Mithun, Rashid & Rahman 2012, "Detection and classification
of vehicles from video using multiple time-spatial images", IEEE T-ITS 13(3)), the picture the
hand counts of the real clips are made on. Every vehicle crossing a line leaves one streak, a
connected component of that image, whatever the tracker made of it: two cars side by side in
neighbouring lanes, or a car beside a lorry, merge into one blob and one track in the frame but
stay two streaks at the line, with road between them.

It also records, per frame, which stretch of each line every confirmed track's box covers and
which way that track moves across the line. :func:`unclaimed_streaks` then matches the counted
crossings to the streaks they lie on and returns the streaks no crossing claimed that look like a
vehicle of their own (see there); the counter adds those crossings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from signalbrain.vision._streak_kernels import cover_row, slit_row

__all__ = ["LineSlits", "SlitCrossing", "StreakConfig", "unclaimed_streaks"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class StreakConfig:
    """Tuning of :func:`unclaimed_streaks` (sizes relative to the line's typical vehicle).

    Attributes
    ----------
    min_reference
        Streaks with exactly one counted crossing needed at a line to measure its typical
        vehicle streak (fewer: no streak is added at that line).
    min_width, min_rows, min_area
        An unclaimed streak must be at least this share of the typical streak's width along
        the line, its duration and its area.
    pieces_span
        An unclaimed streak whose joint extent along the line with a claimed streak beside it
        (overlapping in time) is at most this many typical widths is a piece of that vehicle.
    pieces_gap
        An unclaimed streak at most this many typical durations before or after a claimed (or
        already added) streak, overlapping it along the line by half the narrower, is a piece
        of that vehicle's streak, cut across.
    min_fill
        Share of the typical streak's fill (area over bounding box) an unclaimed streak must
        reach.
    min_cover
        Share of an unclaimed streak's pixels that confirmed tracks' boxes must cover, moving
        across the line (foreground no track followed is not a vehicle).
    """

    min_reference: int = 5
    min_width: float = 0.6
    min_rows: float = 0.5
    min_area: float = 0.4
    pieces_span: float = 1.6
    pieces_gap: float = 0.05
    min_fill: float = 0.9
    min_cover: float = 0.8


@dataclass(frozen=True, slots=True)
class SlitCrossing:
    """A counted crossing in time-spatial coordinates: the line ``index``, the crossing
    ``track``, image ``row``, and the stretch ``u0..u1`` of the line [samples] covered by the
    track's box."""

    index: int
    track: int
    row: int
    u0: float
    u1: float


class LineSlits:
    """Foreground along each count line, frame by frame.

    Parameters
    ----------
    a, b
        Line end points ``(k, 2)`` [processing px].
    size
        Processing frame ``(width, height)`` [px].
    """

    def __init__(self, a: FloatArray, b: FloatArray, size: tuple[int, int]) -> None:
        w, h = size
        self._a = np.ascontiguousarray(np.asarray(a, np.float64).reshape(-1, 2))
        self._b = np.ascontiguousarray(np.asarray(b, np.float64).reshape(-1, 2))
        d = self._b - self._a
        lengths = np.hypot(d[:, 0], d[:, 1])
        self.samples: list[int] = []  # samples along each line
        xs: list[IntArray] = []
        ys: list[IntArray] = []
        for j in range(len(self._a)):
            n = max(2, math.ceil(float(lengths[j])) + 1)
            t = np.linspace(0.0, 1.0, n)
            xs.append(np.clip(np.round(self._a[j, 0] + d[j, 0] * t), 0, w - 1).astype(np.int64))
            ys.append(np.clip(np.round(self._a[j, 1] + d[j, 1] * t), 0, h - 1).astype(np.int64))
            self.samples.append(n)
        self._xs = np.concatenate(xs) if xs else np.zeros(0, np.int64)
        self._ys = np.concatenate(ys) if ys else np.zeros(0, np.int64)
        self._starts = np.cumsum([0, *self.samples]).astype(np.int64)
        nbytes = [(n + 7) // 8 for n in self.samples]
        self._byte_starts = np.cumsum([0, *nbytes]).astype(np.int64)
        self._scales = np.array([n - 1 for n in self.samples], np.float64)
        self._bits = np.zeros((256, int(self._byte_starts[-1])), np.uint8)
        self._cover = np.zeros((256, 6))  # line, row, u0, u1, sign, track id
        self._n_cover = 0
        self.frames: list[int] = []

    def __len__(self) -> int:
        return len(self.frames)

    def extent(self, box: FloatArray, j: int) -> tuple[float, float] | None:
        """Stretch ``(u0, u1)`` [samples] of line ``j`` inside the xyxy ``box`` [px], or
        ``None`` when the box misses the line (Liang-Barsky clipping)."""
        u = _clip(box.reshape(1, 4), self._a[j : j + 1], self._b[j : j + 1])
        if not np.isfinite(u[0, 0, 0]):
            return None
        scale = self.samples[j] - 1
        return float(u[0, 0, 0]) * scale, float(u[0, 0, 1]) * scale

    def add(
        self,
        frame_index: int,
        mask: npt.NDArray[np.uint8],
        boxes: FloatArray,
        v_right: FloatArray,
        ids: list[int],
    ) -> None:
        """Record one frame: the ``mask`` along every line, and the stretches of the lines the
        confirmed tracks' ``boxes (n, 4)`` cover, with their velocity across each line
        ``v_right (n, k)`` [px/frame] (positive: towards the line's right-hand side) and their
        track ``ids``."""
        row = len(self.frames)
        self.frames.append(frame_index)
        if row >= len(self._bits):
            self._bits = np.concatenate((self._bits, np.zeros_like(self._bits)))
        slit_row(mask, self._ys, self._xs, self._starts, self._byte_starts, self._bits[row])
        if not len(boxes) or not self.samples:
            return
        args = (
            np.ascontiguousarray(boxes, np.float64),
            self._a,
            self._b,
            np.ascontiguousarray(v_right, np.float64),
            np.asarray(ids, np.int64),
            self._scales,
            row,
        )
        n = cover_row(*args, self._cover, self._n_cover)
        while n < 0:  # not enough room: twice the room, and again
            self._cover = np.concatenate((self._cover, np.zeros_like(self._cover)))
            n = cover_row(*args, self._cover, self._n_cover)
        self._n_cover = n

    def image(self, j: int) -> npt.NDArray[np.uint8]:
        """Time-spatial image of line ``j``: ``(frames, samples)``, 1 where foreground."""
        bits = self._bits[: len(self.frames), self._byte_starts[j] : self._byte_starts[j + 1]]
        return np.unpackbits(bits, axis=1, count=self.samples[j])

    def cover(self, j: int) -> list[tuple[int, float, float, int, int]]:
        """``(row, u0, u1, sign, track id)`` of every confirmed track's box over line ``j`` in
        every frame: the stretch covered [samples] and the sign of its velocity across the
        line (0: hardly moving across)."""
        c = self._cover[: self._n_cover]
        c = c[c[:, 0] == j]
        return [
            (int(r), float(u0), float(u1), int(sg), int(tid))
            for _, r, u0, u1, sg, tid in c.tolist()
        ]

    def row_of(self, frame_index: int) -> int:
        """Image row of a processed frame (the last row at or before ``frame_index``)."""
        return max(0, int(np.searchsorted(self.frames, frame_index, side="right")) - 1)


def _clip(boxes: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Parameter interval ``(n, k, 2)`` of segments ``a[j] -> b[j]`` inside boxes ``(n, 4)``
    (``nan`` where a segment misses a box)."""
    d = b - a  # (k, 2)
    lo = np.zeros((len(boxes), len(a)))
    hi = np.ones((len(boxes), len(a)))
    for ax in (0, 1):
        p = d[None, :, ax]
        q0 = boxes[:, None, ax] - a[None, :, ax]  # box min - start
        q1 = boxes[:, None, ax + 2] - a[None, :, ax]  # box max - start
        flat = np.abs(p) < 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = np.where(flat, -np.inf, q0 / np.where(flat, 1.0, p))
            t1 = np.where(flat, np.inf, q1 / np.where(flat, 1.0, p))
        enter = np.minimum(t0, t1)
        leave = np.maximum(t0, t1)
        outside = flat & ((q0 > 0) | (q1 < 0))  # parallel and beside the box
        lo = np.maximum(lo, enter)
        hi = np.minimum(hi, leave)
        hi = np.where(outside, -np.inf, hi)
    miss = hi < lo
    out = np.stack((lo, hi), axis=-1)
    out[miss] = np.nan
    return out


def unclaimed_streaks(
    slits: LineSlits,
    j: int,
    crossings: list[SlitCrossing],
    window_rows: int,
    config: StreakConfig | None = None,
) -> list[tuple[int, int, float, int]]:
    """Vehicles at line ``j`` that no counted crossing accounts for, as ``(row, sign, u,
    carrier)``: the frame row and position along the line of the streak's middle, its crossing
    direction and the track whose box covered most of it (the track that carried it merged with
    its own vehicle; -1 if none).

    The streaks are the 8-connected components of the line's time-spatial image. Crossings
    and streaks are paired one to one (Hungarian method) by the pixels of each streak that the
    crossing track's box covered within ``window_rows`` of the crossing: not simply the
    streak under the crossing, because a track that carries a merged pair, or whose box still
    holds a neighbour that has gone, crosses off its vehicle's middle. The streaks paired with
    a crossing give the line's typical vehicle streak (median width along the line, duration,
    area and fill of its bounding box). A streak paired with no crossing is a vehicle of its
    own when

    * it does not touch the first or the last frame (whether such a vehicle crossed inside the
      video is not known; the tracks decide there);
    * it is at least ``min_width``, ``min_rows``, ``min_area`` and ``min_fill`` of the
      typical streak (a vehicle's streak is solid; scraps of foreground are not);
    * it is not a piece of a claimed vehicle beside it: together with any claimed streak it
      overlaps in time, it spans more than ``pieces_span`` typical widths along the line, and
      it does not continue a claimed or added streak along the line within ``pieces_gap``
      typical durations;
    * confirmed tracks' boxes cover at least ``min_cover`` of it while moving across the line
      (the direction of the crossing is theirs, by majority of covered pixels).

    Returns
    -------
    list of (row, sign, u)
        For each such streak: the row of its middle, the direction ``+1`` / ``-1`` and its
        centre along the line [samples].
    """
    cfg = config or StreakConfig()
    img = slits.image(j)
    n_rows = img.shape[0]
    if n_rows < 3:
        return []
    n_lab, lab_img, stat_arr, _ = cv2.connectedComponentsWithStats(img, connectivity=8)
    labels = np.asarray(lab_img, dtype=np.int32)
    stats = np.asarray(stat_arr, dtype=np.int32)
    cover = slits.cover(j)
    by_track: dict[int, list[tuple[int, float, float]]] = {}
    for row, u0, u1, _, tid in cover:
        by_track.setdefault(tid, []).append((row, u0, u1))
    width = img.shape[1]
    mine = [
        c
        for c in crossings
        if c.index == j and c.row >= 0 and math.isfinite(c.u0) and math.isfinite(c.u1)
    ]
    score = np.zeros((len(mine), n_lab))
    for k, c in enumerate(mine):
        # pixels of each streak under the crossing track's box while it passed the line,
        # near the crossing
        segs = by_track.get(c.track) or [(c.row, c.u0, c.u1)]
        for row, u0, u1 in segs:
            if abs(row - c.row) > window_rows or not 0 <= row < n_rows:
                continue
            a, b = max(0, math.floor(u0)), min(width, math.ceil(u1) + 1)
            if b > a:
                score[k] += np.bincount(labels[row, a:b], minlength=n_lab)
    score[:, 0] = 0.0
    claims = np.zeros(n_lab, np.int64)
    if len(mine):
        # one streak per crossing, most pixels in all (a track carrying a merged pair
        # covers two streaks; the other crossings decide which one is its own)
        rows_k, cols = linear_sum_assignment(-score)
        ok = score[rows_k, cols] > 0
        claims[cols[ok]] += 1
    single = np.nonzero(claims == 1)[0]
    if len(single) < cfg.min_reference:
        return []
    # stats columns: x (u), y (row), width (u), height (rows), area
    ref_w = float(np.median(stats[single, cv2.CC_STAT_WIDTH]))
    ref_h = float(np.median(stats[single, cv2.CC_STAT_HEIGHT]))
    ref_a = float(np.median(stats[single, cv2.CC_STAT_AREA]))
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(
        stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT], 1
    )
    ref_f = float(np.median(fill[single]))
    claimed = np.nonzero(claims > 0)[0]
    out: list[tuple[int, int, float, int]] = []
    taken: list[int] = []
    cov_rows = np.array([c[0] for c in cover], np.int64)
    for lab in range(1, n_lab):
        if claims[lab]:
            continue
        x, y, w, h, area = (int(v) for v in stats[lab, :5])
        if y == 0 or y + h >= n_rows:
            continue
        if w < cfg.min_width * ref_w or h < cfg.min_rows * ref_h or area < cfg.min_area * ref_a:
            continue
        if fill[lab] < cfg.min_fill * ref_f:
            continue
        if _is_piece(stats, claimed, lab, cfg.pieces_span * ref_w):
            continue
        gap = max(1.0, cfg.pieces_gap * ref_h)
        if _follows(stats, claimed, lab, gap) or _follows(stats, taken, lab, gap):
            continue
        sign, carrier = _direction(labels, lab, (x, y, w, h), area, cover, cov_rows, cfg.min_cover)
        if sign == 0:
            continue
        out.append((y + h // 2, sign, x + w / 2.0, carrier))
        taken.append(lab)
    return out


def _follows(
    stats: npt.NDArray[np.int32], others: IntArray | list[int], lab: int, gap: float
) -> bool:
    """Whether streak ``lab`` continues one of ``others`` along the line, at most ``gap``
    rows before or after it and overlapping it along the line by half the narrower: one
    vehicle's streak cut across (a vehicle moving along the line, a dark band of its body)."""
    x, y, w, h = (int(v) for v in stats[lab, :4])
    for c in others:
        cx, cy, cw, ch = (int(v) for v in stats[c, :4])
        rows_apart = max(cy - (y + h), y - (cy + ch))
        overlap = min(x + w, cx + cw) - max(x, cx)
        if rows_apart <= gap and overlap >= 0.5 * min(w, cw):
            return True
    return False


def _is_piece(stats: npt.NDArray[np.int32], claimed: IntArray, lab: int, span: float) -> bool:
    x, y, w, h = (int(v) for v in stats[lab, :4])
    for c in claimed:
        cx, cy, cw, ch = (int(v) for v in stats[c, :4])
        if cy >= y + h or y >= cy + ch:
            continue  # not at the same time
        if max(x + w, cx + cw) - min(x, cx) <= span:
            return True
    return False


def _direction(
    labels: npt.NDArray[np.int32],
    lab: int,
    rect: tuple[int, int, int, int],
    area: int,
    cover: list[tuple[int, float, float, int, int]],
    cov_rows: IntArray,
    min_cover: float,
) -> tuple[int, int]:
    """Majority crossing direction of the tracks covering streak ``lab`` (0 when they cover
    less than ``min_cover`` of it) and the track covering most of its pixels (-1 if none)."""
    x, y, w, h = rect
    sel = np.nonzero((cov_rows >= y) & (cov_rows < y + h))[0]
    if not len(sel):
        return 0, -1
    mine = labels[y : y + h, x : x + w] == lab
    votes = {1: np.zeros_like(mine), -1: np.zeros_like(mine)}
    by_track: dict[int, npt.NDArray[np.bool_]] = {}
    for k in sel.tolist():
        row, u0, u1, sign, tid = cover[k]
        if sign == 0:
            continue
        a = max(0, math.floor(u0) - x)
        b = min(w, math.ceil(u1) + 1 - x)
        if b > a:
            votes[sign][row - y, a:b] = True
            mask = by_track.setdefault(tid, np.zeros_like(mine))
            mask[row - y, a:b] = True
    pos = int((votes[1] & mine).sum())
    neg = int((votes[-1] & mine).sum())
    if max(pos, neg) < min_cover * area:
        return 0, -1
    carrier = max(by_track, key=lambda t: (int((by_track[t] & mine).sum()), -t), default=-1)
    return (1 if pos >= neg else -1), carrier
