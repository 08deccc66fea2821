"""Multi-object tracking: constant-velocity Kalman filters and Hungarian assignment.

In the manner of SORT (Bewley et al. 2016): every track is a Kalman filter (Kalman 1960) on the
box centre with a constant-velocity model; each frame the predicted tracks are matched to the
detections by minimum total cost with the Hungarian method (Kuhn 1955; ``scipy.optimize.
linear_sum_assignment``). The cost is ``1 - IoU`` for overlapping boxes and grows with the centre
distance, scaled by the vehicle size, otherwise; matches beyond a gate are refused. A track is
*confirmed* after ``min_hits`` matches and deleted after ``max_age`` frames without one
(``tentative_age`` while tentative).

The per-frame arithmetic runs as numba kernels over the stacked state of all tracks
(:mod:`signalbrain.vision._track_kernels`): the filters' prediction and correction, the boxes
(every :attr:`Track.box` of a live track is a view into the tracker's box array) and the cost
matrix. The Hungarian method is called only when the assignment is ambiguous: when every track
has at most one admissible detection and every detection at most one admissible track, those
pairs are the minimum-cost assignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from signalbrain.vision._track_kernels import (
    confirmed_fragment_owners,
    kalman_correct,
    kalman_predict,
    match_cost,
    resize_matched,
    unique_matches,
)
from signalbrain.vision.detections import Detections

__all__ = ["Track", "Tracker", "TrackerConfig"]

FloatArray = npt.NDArray[np.float64]

_INVALID = 1e6


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tuning of :class:`Tracker` (frames, processing pixels).

    Attributes
    ----------
    min_hits
        Matches before a track is confirmed.
    max_age
        Frames a confirmed track survives without a match (coasting on its prediction).
    tentative_age
        Frames a tentative track survives without a match.
    gate
        Largest centre distance for a match, in units of the track's box half-diagonal.
    fragment_inside
        Share of a detection's box inside a confirmed track's predicted box that makes it a
        fragment of that vehicle (see :meth:`Tracker.merge_fragments`).
    fragment_grow
        Growth of the remembered box, each side, as a share of its size, for fragment tests.
    fragment_area, fragment_extent
        Pieces are joined only if together their area is at most ``fragment_area`` times the
        track's blob area, and their joint box at most ``fragment_extent`` times the track's
        remembered size (a neighbouring vehicle is not a piece).
    size_smoothing
        Weight of a new detection in the track's box size (exponential smoothing).
    size_memory
        Per-frame decay of the remembered largest box size (``ref_size``), which keeps the
        full vehicle extent while it is seen in pieces.
    accel_noise
        Process noise: standard deviation of the acceleration [px/frame^2].
    measure_noise
        Measurement noise: standard deviation of a detected centre [px].
    """

    min_hits: int = 3
    max_age: int = 20
    tentative_age: int = 2
    gate: float = 1.5
    fragment_inside: float = 0.6
    fragment_grow: float = 0.25
    fragment_area: float = 2.0
    fragment_extent: float = 1.5
    size_smoothing: float = 0.35
    size_memory: float = 0.97
    accel_noise: float = 0.3
    measure_noise: float = 1.5


@dataclass(slots=True)
class Track:
    """A tracked object; ``box`` is the last smoothed box (xyxy, processing px) and
    ``ref_size`` the remembered largest size (width, height); while the track lives, both are
    views into its tracker's arrays, updated in place."""

    id: int
    box: FloatArray
    area_px2: float
    hits: int = 1
    misses: int = 0
    age: int = 1
    confirmed: bool = False
    stationary_frames: int = 0
    moved: bool = False
    origin: FloatArray | None = None
    ref_size: FloatArray = field(default_factory=lambda: np.zeros(2))
    last_state: FloatArray = field(default_factory=lambda: np.zeros(4))
    class_votes: dict[int, int] = field(default_factory=dict)


class Tracker:
    """SORT-style tracker over :class:`~signalbrain.vision.detections.Detections`."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = cfg = config or TrackerConfig()
        self.tracks: list[Track] = []
        self._x = np.zeros((0, 4))  # state: cx, cy, vx, vy
        self._p = np.zeros((0, 4, 4))
        self._box = np.zeros((0, 4))  # xyxy of every track; Track.box views its row
        self._ref = np.zeros((0, 2))  # remembered largest sizes; Track.ref_size views its row
        self._next_id = 1
        q = cfg.accel_noise**2
        g = np.array([[0.5, 0], [0, 0.5], [1, 0], [0, 1]])
        self._q = g @ g.T * q
        self._r = np.eye(2) * cfg.measure_noise**2
        self.removed: list[Track] = []

    @property
    def centers(self) -> FloatArray:
        """Filtered centres ``(n, 2)`` of all tracks, in :attr:`tracks` order."""
        return self._x[:, :2].copy()

    @property
    def boxes(self) -> FloatArray:
        """Boxes ``(n, 4)`` (xyxy) of all tracks, in :attr:`tracks` order: the array every
        live :attr:`Track.box` is a row of (not a copy: read only, valid until the next
        :meth:`predict` or :meth:`update`)."""
        return self._box

    @property
    def velocities(self) -> FloatArray:
        """Filtered velocities ``(n, 2)`` [px/frame]."""
        return self._x[:, 2:].copy()

    def predict(self) -> tuple[FloatArray, FloatArray]:
        """Advance every filter one frame; returns predicted centres and box sizes of
        confirmed tracks (for blob splitting)."""
        if not self.tracks:
            return np.zeros((0, 2)), np.zeros((0, 2))
        kalman_predict(self._x, self._p, self._q, self._box)
        conf = [i for i, t in enumerate(self.tracks) if t.confirmed]
        if not conf:
            return np.zeros((0, 2)), np.zeros((0, 2))
        boxes = self._box[conf]
        return self._x[conf, :2], boxes[:, 2:] - boxes[:, :2]

    def _cost(self, det: Detections) -> FloatArray:
        cost = np.empty((len(self.tracks), len(det)))
        match_cost(self._box, self._x[:, :2], det.xyxy, self.config.gate, _INVALID, cost)
        return cost

    def _assign(self, det: Detections) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Minimum-cost matches ``(rows, cols)`` (tracks, detections) within the gate."""
        cost = self._cost(det)
        k = min(cost.shape)
        rows = np.empty(k, np.intp)
        cols = np.empty(k, np.intp)
        found = unique_matches(cost, _INVALID, rows, cols)
        if found >= 0:
            return rows[:found], cols[:found]
        rows, cols = linear_sum_assignment(cost)
        ok = cost[rows, cols] < _INVALID
        return rows[ok], cols[ok]

    def _rebind(self) -> None:
        """Point every live track's ``box`` and ``ref_size`` at its row of the (reallocated)
        arrays."""
        box, ref = self._box, self._ref
        for i, t in enumerate(self.tracks):
            t.box = box[i]
            t.ref_size = ref[i]

    def update(self, det: Detections) -> list[int]:
        """Match ``det`` to the predicted tracks, update, create and delete tracks.

        Returns the track index (into :attr:`tracks` after the update) matched to each detection,
        or -1 for detections that neither matched nor started a track.
        """
        cfg = self.config
        det = self.merge_fragments(det)
        n, m = len(self.tracks), len(det)
        det_track = np.full(m, -1, dtype=np.int64)
        centres = det.centers
        matched: set[int] = set()
        if n and m:
            rows, cols = self._assign(det)
            det_track[cols] = rows
            if len(rows):
                self._correct(rows, centres[cols])
                self._resize(rows, cols, det)
                matched = set(rows.tolist())
        for i, t in enumerate(self.tracks):
            t.age += 1
            if i not in matched:
                t.misses += 1
        # new tracks from unmatched detections not lying inside a live track
        live = self._box
        new_x: list[FloatArray] = []
        new_box: list[FloatArray] = []
        new_ref: list[FloatArray] = []
        free = np.nonzero(det_track < 0)[0]
        if len(free) and len(live):
            fx, fy = centres[free, 0, None], centres[free, 1, None]
            covered = (
                (fx >= live[:, 0]) & (fx <= live[:, 2]) & (fy >= live[:, 1]) & (fy <= live[:, 3])
            ).any(axis=1)
            free = free[~covered]
        for c in free.tolist():
            cx, cy = centres[c]
            t = Track(self._next_id, det.xyxy[c].copy(), float(det.area[c]))
            new_box.append(t.box)
            t.ref_size = det.xyxy[c, 2:] - det.xyxy[c, :2]
            new_ref.append(t.ref_size)
            if det.class_id[c] >= 0:
                t.class_votes[int(det.class_id[c])] = 1
            self._next_id += 1
            if cfg.min_hits <= 1:
                t.confirmed = True
            self.tracks.append(t)
            new_x.append(np.array([cx, cy, 0.0, 0.0]))
            det_track[c] = len(self.tracks) - 1
        if new_x:
            p0 = np.diag([cfg.measure_noise**2, cfg.measure_noise**2, 25.0, 25.0])
            self._x = np.vstack([self._x, np.array(new_x)])
            self._p = np.concatenate([self._p, np.repeat(p0[None], len(new_x), axis=0)])
            self._box = np.vstack([self._box, np.array(new_box)])
            self._ref = np.vstack([self._ref, np.array(new_ref)])
        # deletion
        keep = [
            i
            for i, t in enumerate(self.tracks)
            if t.misses <= (cfg.max_age if t.confirmed else cfg.tentative_age)
        ]
        if len(keep) < len(self.tracks):
            remap = np.full(len(self.tracks), -1, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            for i, t in enumerate(self.tracks):
                if remap[i] < 0:
                    t.last_state = self._x[i].copy()
                    self.removed.append(t)
            self.tracks = [self.tracks[i] for i in keep]
            self._x = self._x[keep]
            self._p = self._p[keep]
            self._box = self._box[keep]
            self._ref = self._ref[keep]
            det_track = np.where(det_track >= 0, remap[np.maximum(det_track, 0)], -1)
        if new_x or len(keep) < n + len(new_x):
            self._rebind()  # the removed tracks keep their last box and size in the old arrays
        return det_track.tolist()

    def _resize(
        self, rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp], det: Detections
    ) -> None:
        """Matched tracks ``rows`` take the sizes of detections ``cols`` (smoothed) around their
        corrected centres, and count the match."""
        cfg = self.config
        k_s = cfg.size_smoothing
        resize_matched(
            self._box,
            self._ref,
            self._x,
            rows.astype(np.int64),
            det.xyxy[cols],
            k_s,
            1 - k_s,
            cfg.size_memory,
        )
        areas = det.area[cols].tolist()
        classes = det.class_id[cols].tolist()
        for k, r in enumerate(rows.tolist()):
            t = self.tracks[r]
            t.area_px2 = 0.7 * float(areas[k]) + 0.3 * t.area_px2
            t.hits += 1
            t.misses = 0
            if classes[k] >= 0:
                c = int(classes[k])
                t.class_votes[c] = t.class_votes.get(c, 0) + 1
            if t.hits >= cfg.min_hits:
                t.confirmed = True

    def merge_fragments(self, det: Detections) -> Detections:
        """Join detections that lie inside the predicted box of one confirmed track.

        A vehicle can fall apart into several blobs where it passes over a marking of its own
        colour or is partly hidden; each piece would otherwise start a track of its own. A
        detection is a fragment of a track when at least ``fragment_inside`` of its box lies in
        the track's predicted box (grown by 15 %) and in no other track's.
        """
        if len(det) < 2:
            return det
        conf = [i for i, t in enumerate(self.tracks) if t.confirmed]
        if not conf:
            return det
        d = det.xyxy
        own = np.empty((len(conf), len(det)), np.bool_)  # (tracks, dets)
        if not confirmed_fragment_owners(
            self._x,
            self._ref,
            self._box,
            np.array(conf, np.int64),
            0.5 + self.config.fragment_grow,
            d,
            self.config.fragment_inside,
            own,
        ):
            return det
        box = self._box[conf]
        size = np.maximum(self._ref[conf], box[:, 2:] - box[:, :2])
        groups = [np.nonzero(own[k])[0] for k in range(len(conf))]
        drop: set[int] = set()
        xyxy = d.copy()
        area_px = det.area.copy()
        for k, g in enumerate(groups):
            if len(g) < 2:
                continue
            if det.area[g].sum() > self.config.fragment_area * self.tracks[conf[k]].area_px2:
                continue  # more than one vehicle's worth: a neighbour, not a piece
            union = np.array([d[g, 2].max() - d[g, 0].min(), d[g, 3].max() - d[g, 1].min()])
            if np.any(union > self.config.fragment_extent * size[k]):
                continue  # longer or wider than the vehicle ever was
            axis = int(np.argmax(union))
            gap = union[axis] - float((d[g, axis + 2] - d[g, axis]).sum())
            if gap > 0.4 * float(size[k].max()):
                continue  # pieces far apart along the vehicle: two vehicles
            keep = int(g[0])
            xyxy[keep] = (d[g, 0].min(), d[g, 1].min(), d[g, 2].max(), d[g, 3].max())
            area_px[keep] = det.area[g].sum()
            drop.update(int(i) for i in g[1:])
        sel = [i for i in range(len(det)) if i not in drop]
        return Detections(xyxy[sel], area_px[sel], det.score[sel], det.class_id[sel])

    def _correct(self, rows: npt.NDArray[np.intp], z: FloatArray) -> None:
        kalman_correct(self._x, self._p, rows.astype(np.int64), z, self._r)

    def take_removed(self) -> list[Track]:
        """Tracks deleted since the last call."""
        out, self.removed = self.removed, []
        return out
