"""From tracks to counts: line crossings, turning movements, queue occupancy, size classes.

:class:`Counter` follows every track's centre in source pixels:

* a **line** is crossed when the segment between two consecutive centres intersects the count
  line; the side change gives the direction (``positive`` = from the left to the right of the
  directed segment as drawn on the image, y pointing down). Each track counts at most once per
  line (the first crossing), and only once it is confirmed, so short-lived false tracks never
  count (the pattern of supervision's ``LineZone``); a crossing against the track's filtered
  velocity is a jump of the blob centre (vehicles merging or splitting) and is ignored;
* background subtraction can cut one vehicle in two blobs (a dark body taken for shadow, a
  bright roof, a cab and its trailer), each followed by a track of its own, which cross the line
  one shortly after the other. A crossing is a **piece** of a vehicle counted a moment ago, and
  is not counted, when a confirmed track crossed the same line the same way at most
  ``piece_window_s`` before and now runs with it as one vehicle: moving alike, in the same lane
  (overlapping across the motion) and one right behind the other (a gap along the motion of at
  most ``piece_gap`` of the longer box), or a thin strip along its side (``piece_sliver``).
  Distinct vehicles in one lane keep a time headway of half a second and more even in dense
  traffic (saturation headways are about 2 s, HCM 7th ed.) and a gap of about a vehicle length
  or more at speed; below ``piece_min_speed`` (a queue moving off, bumper to bumper) the test
  is not made. "Moving alike" allows more for a track younger than ``piece_young_s``, whose
  filtered velocity has not settled;
* vehicles side by side in neighbouring lanes, or beside a lorry, can merge into one blob and
  one track, and cross a line counted once. At the end, every line's **time-spatial image** (the
  foreground along the line, frame by frame) is checked: a streak there that no counted
  crossing claims, solid and of a vehicle's size, covered by a moving track's box and no piece
  of a claimed streak beside it, is a vehicle of its own and is counted with its tracks'
  direction (:mod:`signalbrain.vision.streaks`; ``streaks``);
* a **movement** ``FROM->TO`` is counted when a confirmed track that was first seen in entry zone
  ``FROM`` reaches exit zone ``TO`` outside ``FROM`` (an arm drawn once as both its entry and its
  exit zone is no U-turn the moment a vehicle appears in it); when a track is lost, a live
  track that took its vehicle over inherits its entry zone (:meth:`Counter._stitch`), and a
  count line between where the lost track was last and where its successor was born was
  crossed by the vehicle unseen (a stopped car at a stop line whose blob split or merged) and
  is counted once;
* a **queue zone** is sampled every frame: the fraction of its area covered by foreground (the
  vehicles, shadows removed) and the number of tracked vehicles in it, moving or stopped; samples
  are averaged over ``sample_s``;
* the **size class** of a counted vehicle is ``heavy`` when it is more than ``heavy_ratio``
  times as long as the typical car (cars are the majority in any traffic stream; Gupte et al.
  2002 classify by blob size the same way, calibrated per scene). Length along the motion
  rather than area, because two cars side by side merge into one wide blob while a truck is
  long. The length is not taken at the crossing alone, where a vehicle may be merged with the
  car beside or behind it, or still cut by the edge of the picture, but in every frame of the
  track's life where it is matched, moving and clear of the edge, each over the typical car's
  length at the same image row (perspective: a straight line in the row, fitted by median
  regression to the lengths of all vehicles counted at that line,
  :mod:`signalbrain.vision._size_class`), and the median of these ratios over the life is
  compared: a merge or a cut lasts part of a life, a lorry is long at every row. On the M6
  motorway clips this took the heavy count from 49 to 36 against 33-39 by eye (cars beside or
  behind one another, white panel vans whose box is long where it is counted).
  Where that cannot be measured (fewer than ``min_for_median`` crossings at the line, fewer
  than three such frames, movements) the length at the crossing is compared with
  ``heavy_ratio`` times the median length at the crossings of the same line (of all lines with
  fewer than ``min_for_median``), and a crossing whose track carried vehicles the time-spatial
  check adds (a merged pair) is classed by its length shared among them: a long merged pair of
  cars is not a truck.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.io.camera import CameraSpec, Zone
from signalbrain.vision._size_class import median_line, relative_size
from signalbrain.vision._track_kernels import cross_lines, queue_sample, zone_pixels
from signalbrain.vision.counts import CountRow, QueueSeries
from signalbrain.vision.streaks import LineSlits, SlitCrossing, StreakConfig, unclaimed_streaks
from signalbrain.vision.tracking import Track, Tracker

__all__ = ["Counter", "CounterConfig", "segments_cross"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CounterConfig:
    """Tuning of :class:`Counter`.

    Attributes
    ----------
    sample_s
        Queue sampling period [s].
    stop_speed
        A vehicle is stopped below this speed, in vehicle sizes (square root of its area) per
        second.
    heavy_ratio
        Length ratio to the typical car above which a vehicle is ``heavy``: 1.75 x 4.5 m is
        7.9 m, between the longest vans (5.4-6.4 m in the synthetic renderer, about 7 m for
        long-wheelbase vans) and the shortest lorries and buses (9.5 m and more).
    min_for_median
        Crossings at one line needed to use that line's own median length.
    piece_window_s
        Longest time between the crossings of two pieces of one vehicle [s].
    piece_gap
        Largest gap along the motion between two pieces of one vehicle, as a share of the longer
        piece's box.
    piece_min_speed
        Slowest speed at which crossings are tested for pieces, in box lengths per second.
    piece_overlap
        Smallest overlap across the motion of two pieces of one vehicle, as a share of the
        narrower one (less is two vehicles side by side or in neighbouring lanes).
    piece_young_s
        Age [s] below which a track's filtered velocity is taken as unsettled: two pieces
        whose velocities differ by up to 60 % (not 30 %) of the faster, plus 0.6 px per frame,
        still move alike when one of them is that young (a vehicle that fell apart near the
        line gives a new track there).
    piece_sliver
        A track at most this share of the other's width across the motion, running along its
        side and touching it, is a piece of that vehicle (a shadow or outline strip: no
        vehicle in the next lane is that narrow beside another).
    streaks
        Tuning of the time-spatial check of the line counts (vehicles a merged track carried
        over a line uncounted, :mod:`signalbrain.vision.streaks`); ``None`` switches it off.
    """

    sample_s: float = 1.0
    stop_speed: float = 0.3
    heavy_ratio: float = 1.75
    min_for_median: int = 8
    piece_window_s: float = 0.4
    piece_gap: float = 0.3
    piece_min_speed: float = 0.5
    piece_overlap: float = 0.5
    piece_sliver: float = 0.2
    piece_young_s: float = 0.3
    streaks: StreakConfig | None = field(default_factory=StreakConfig)


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


def _hint(track: Track) -> int:
    """The detector's most frequent class for ``track`` (-1 when it does not classify)."""
    votes = track.class_votes
    return max(votes, key=votes.__getitem__) if votes else -1


def _extent(box: FloatArray, axis: FloatArray) -> tuple[float, float]:
    """Interval covered by an xyxy box projected on a unit ``axis``."""
    c = 0.5 * float((box[0] + box[2]) * axis[0] + (box[1] + box[3]) * axis[1])
    h = 0.5 * float((box[2] - box[0]) * abs(axis[0]) + (box[3] - box[1]) * abs(axis[1]))
    return c - h, c + h


# a crossing or movement waiting for its track's confirmation: kind, index, sign, t_s,
# length_px, class_hint, time-spatial row, u0, u1 (see _Event)
_Pending = tuple[str, int, int, float, float, int, int, float, float]


@dataclass(slots=True)
class _TrackState:
    pos: FloatArray
    born: int = 0
    confirmed: bool = False
    crossed: dict[int, int] = field(default_factory=dict)  # line -> frame it was crossed
    unseen: set[int] = field(default_factory=set)  # crossed on the prediction, not matched
    pending: list[_Pending] = field(default_factory=list)
    entry: int = -1
    moved: bool = False
    size_px: float = 0.0  # largest box diagonal seen [processing px]
    parent: int = -1  # confirmed track whose box held this track's birthplace
    origin: FloatArray | None = None  # birthplace [source px]


@dataclass(slots=True)
class _Event:
    track: int
    kind: str  # "line" | "movement"
    index: int  # line index or movement (entry, exit) flattened
    sign: int
    t_s: float
    length_px: float  # vehicle length along its motion at the event [source px]
    class_hint: int = -1  # 0 car, 1 heavy when the detector classifies, else -1
    row: int = -1  # line crossings: row of the line's time-spatial image
    u0: float = math.nan  # stretch of the line under the track's box [samples]
    u1: float = math.nan


class Counter:
    """Accumulates counts for one video from a :class:`~signalbrain.vision.tracking.Tracker`.

    Parameters
    ----------
    camera
        The camera file.
    scale
        Processing pixels per source pixel.
    proc_size
        Processing ``(width, height)`` [px].
    fps
        Video frame rate [1/s].
    """

    def __init__(
        self,
        camera: CameraSpec,
        scale: float,
        proc_size: tuple[int, int],
        fps: float,
        config: CounterConfig | None = None,
    ) -> None:
        self.camera = camera
        self.config = config or CounterConfig()
        self.scale = scale
        self.fps = fps
        w, h = proc_size
        self._a = np.array([ln.points[0] for ln in camera.lines], float).reshape(-1, 2)
        self._b = np.array([ln.points[1] for ln in camera.lines], float).reshape(-1, 2)
        self._entries = camera.zones_of("entry")
        self._exits = camera.zones_of("exit")
        self._queues = camera.zones_of("queue")
        self._entry_map = self._label_map(self._entries, w, h)
        self._exit_map = self._label_map(self._exits, w, h)
        # each entry zone on its own: an exit zone drawn over it counts only outside it
        self._entry_masks = [self._label_map((z,), w, h) > 0 for z in self._entries]
        self._queue_masks = [self._label_map((z,), w, h) > 0 for z in self._queues]
        self._queue_area = [max(int(m.sum()), 1) for m in self._queue_masks]
        self._queue_stack = (
            np.stack(self._queue_masks) if self._queue_masks else np.zeros((0, h, w), bool)
        )
        self._queue_area_arr = np.array(self._queue_area, float)
        self._queue_ys, self._queue_xs, self._queue_starts = zone_pixels(self._queue_masks)
        d = self._b - self._a
        self._normal = np.array([-d[:, 1], d[:, 0]])  # (2, lines): each line's right normal
        self._normal_len = np.hypot(d[:, 0], d[:, 1])
        self._piece_window = round(self.config.piece_window_s * self.fps)  # [frames]
        self._states: dict[int, _TrackState] = {}
        # per live track, the frames it was measured whole and moving: image rows of its box
        # centre and its lengths along the motion [processing px] (the size class,
        # heavy_flags); a track that is gone keeps them as arrays if it crossed a line
        self._sizes: dict[int, tuple[list[float], list[float]]] = {}
        self._past_sizes: dict[int, tuple[FloatArray, FloatArray]] = {}
        self._recent: list[list[tuple[int, int, int]]] = [[] for _ in camera.lines]
        self.events: list[_Event] = []
        # crossings not counted as pieces: (track, line, sign, t_s, track counted instead)
        self.pieces: list[tuple[int, int, int, float, int]] = []
        self._piece_slits: list[SlitCrossing] = []
        # line crossings found in the time-spatial images by results() (no track counted them)
        self.added: list[_Event] = []
        self._slits = (
            LineSlits(self._a * scale, self._b * scale, proc_size)
            if len(self._a) and self.config.streaks is not None
            else None
        )
        nq = len(self._queues)
        self._q_sum = np.zeros((nq, 3))
        self._q_n = 0
        self._q_sample = 0
        self._q_rows: list[list[tuple[float, float, float, float]]] = [[] for _ in range(nq)]

    def _label_map(self, zones: tuple[Zone, ...], w: int, h: int) -> npt.NDArray[np.int16]:
        out = np.zeros((h, w), np.int16)
        for i in reversed(range(len(zones))):  # first zone wins where zones overlap
            poly = np.array(zones[i].polygon, dtype=np.float64) * self.scale
            cv2.fillPoly(out, [np.round(poly).astype(np.int32)], i + 1)
        return out

    def update(self, frame_index: int, tracker: Tracker, mask: npt.NDArray[np.uint8]) -> None:
        """Account for one processed frame (after :meth:`Tracker.update`)."""
        t_s = frame_index / self.fps
        removed = tracker.take_removed()
        tracks = tracker.tracks
        for tr in removed:
            st = self._states.pop(tr.id, None)
            sizes = self._sizes.pop(tr.id, None)
            if sizes is not None and st is not None and st.crossed:
                self._past_sizes[tr.id] = (np.array(sizes[0]), np.array(sizes[1]))
            if st is not None and tr.confirmed:
                self._stitch(tr, st, frame_index, tracker)
        centers = tracker.centers
        vel = tracker.velocities
        confirmed = np.array([tr.confirmed for tr in tracks], np.bool_)
        self._sample_queues(t_s, tracker, mask, centers, vel, confirmed)
        n_lines = len(self._a)
        if n_lines and tracks:
            # velocity towards each line's right-hand side [processing px/frame]
            v_right = vel @ self._normal / self._normal_len
        else:
            v_right = np.zeros((len(tracks), n_lines))
        boxes = tracker.boxes  # every track's box, in track order
        if self._slits is not None:
            ids = [tr.id for tr in tracks if tr.confirmed]
            self._slits.add(frame_index, mask, boxes[confirmed], v_right[confirmed], ids)
        if not tracks:
            return
        cur = centers / self.scale
        states: list[_TrackState] = []
        diag = np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]).tolist()
        for i, tr in enumerate(tracks):
            st = self._states.get(tr.id)
            if st is None:
                st = _TrackState(cur[i].copy(), frame_index)
                st.origin = st.pos  # st.pos is replaced, never written in place
                st.parent = self._parent(tracks, boxes, i)
                self._states[tr.id] = st
            states.append(st)
            if diag[i] > st.size_px:
                st.size_px = diag[i]
        prev = np.array([st.pos for st in states])
        along = self._lengths(boxes, vel)  # [processing px]
        self._sample_sizes(tracks, boxes, vel, confirmed, along)
        lengths: list[float] = []  # vehicle lengths along the motion [source px], when needed
        if n_lines:
            # segments_cross as a numba kernel (the same arithmetic, to the bit)
            crossed = np.empty((len(cur), n_lines), np.bool_)
            sign = np.empty((len(cur), n_lines), np.int8)
            n_crossed = cross_lines(prev, cur, self._a, self._b, crossed, sign)
            window = self._piece_window
            for recent in self._recent:
                if recent:
                    recent[:] = [r for r in recent if frame_index - r[1] <= window]
            if n_crossed:
                lengths = (along / self.scale).tolist()
                self._count_crossings(
                    frame_index, t_s, tracks, states, vel, v_right, crossed, sign, lengths
                )
        h, w = self._entry_map.shape
        px = np.minimum(np.maximum((cur[:, 0] * self.scale).astype(np.int64), 0), w - 1)
        py = np.minimum(np.maximum((cur[:, 1] * self.scale).astype(np.int64), 0), h - 1)
        ent = self._entry_map[py, px].tolist()
        ext = self._exit_map[py, px].tolist()
        pys, pxs = py.tolist(), px.tolist()
        n_exit = len(self._exits)
        for i, tr in enumerate(tracks):
            st = states[i]
            st.pos = cur[i]  # a row of this frame's array, which is never written again
            if st.entry < 0 and ent[i] > 0:
                st.entry = ent[i] - 1
            if (
                st.entry >= 0
                and not st.moved
                and ext[i] > 0
                and not self._entry_masks[st.entry][pys[i], pxs[i]]
            ):
                st.moved = True
                if not lengths:
                    lengths = (along / self.scale).tolist()
                st.pending.append(
                    (
                        "movement",
                        st.entry * n_exit + ext[i] - 1,
                        0,
                        t_s,
                        lengths[i],
                        _hint(tr),
                        -1,
                        math.nan,
                        math.nan,
                    )
                )
            if tr.confirmed and st.pending:
                self.events.extend(_Event(tr.id, *e) for e in st.pending)
                st.pending.clear()

    def _count_crossings(
        self,
        frame_index: int,
        t_s: float,
        tracks: list[Track],
        states: list[_TrackState],
        vel: FloatArray,
        v_right: FloatArray,
        crossed: npt.NDArray[np.bool_],
        sign: npt.NDArray[np.int8],
        lengths: list[float],
    ) -> None:
        """Line crossings of this frame (``crossed``, ``sign`` ``(tracks, lines)``): each
        track's first crossing of a line waits for its confirmation, unless it is a jump of
        the blob centre or a piece of a vehicle counted a moment ago."""
        index = {tr.id: k for k, tr in enumerate(tracks)}
        for i, j in zip(*np.nonzero(crossed), strict=True):
            st = states[i]
            if abs(v_right[i, j]) > 0.05 and np.sign(v_right[i, j]) != sign[i, j]:
                continue  # the centre jumped back (blobs merging or splitting), no move
            if j not in st.crossed:
                st.crossed[int(j)] = frame_index
                if tracks[i].misses:
                    st.unseen.add(int(j))
                s_ij = int(sign[i, j])
                whole = next(
                    (
                        tid
                        for tid, _, sg in self._recent[j]
                        if tid != tracks[i].id
                        and sg == s_ij
                        and tid in index
                        and tracks[index[tid]].confirmed
                        and self._pieces(tracks, vel, index[tid], int(i))
                    ),
                    None,
                )
                row, u0, u1 = self._slit_extent(tracks[i].box, int(j))
                if whole is not None:  # a piece of a vehicle counted a moment ago
                    self.pieces.append((tracks[i].id, int(j), s_ij, t_s, whole))
                    self._piece_slits.append(SlitCrossing(int(j), tracks[i].id, row, u0, u1))
                    continue
                self._recent[j].append((tracks[i].id, frame_index, s_ij))
                st.pending.append(
                    ("line", int(j), s_ij, t_s, lengths[i], _hint(tracks[i]), row, u0, u1)
                )

    def _slit_extent(self, box: FloatArray, j: int) -> tuple[int, float, float]:
        """Row of the current frame in the time-spatial images and the stretch of line ``j``
        under ``box`` (``-1``, nan, nan without them)."""
        if self._slits is None:
            return -1, math.nan, math.nan
        ext = self._slits.extent(box, j)
        if ext is None:
            return -1, math.nan, math.nan
        return len(self._slits) - 1, ext[0], ext[1]

    def _streak_events(self) -> tuple[list[_Event], dict[int, int]]:
        """Crossings of vehicles no track counted, from the lines' time-spatial images
        (:func:`~signalbrain.vision.streaks.unclaimed_streaks`), and per index of a counted line
        crossing in :attr:`events` how many of them its track carried over the line (the
        ``carried`` of :meth:`heavy_flags`)."""
        slits, cfg = self._slits, self.config.streaks
        if slits is None or cfg is None:
            return [], {}
        line_event = {(e.index, e.track): k for k, e in enumerate(self.events) if e.kind == "line"}
        crossings = [
            SlitCrossing(e.index, e.track, e.row, e.u0, e.u1)
            for e in self.events
            if e.kind == "line" and e.row >= 0
        ]
        crossings += self._piece_slits
        out: list[_Event] = []
        carried: dict[int, int] = {}
        for j in range(len(self.camera.lines)):
            for row, sign, _u, carrier in unclaimed_streaks(
                slits, j, crossings, round(self.fps), cfg
            ):
                t_s = slits.frames[row] / self.fps
                out.append(_Event(-1 - len(out), "line", j, sign, t_s, 0.0, -1, row))
                k = line_event.get((j, carrier), -1)
                if k >= 0:
                    carried[k] = carried.get(k, 0) + 1
        return out, carried

    def _pieces(self, tracks: list[Track], velocities: FloatArray, a: int, b: int) -> bool:
        """Whether tracks ``a`` and ``b`` run as two pieces of one vehicle (module docstring)."""
        cfg = self.config
        va, vb = velocities[a], velocities[b]
        sa, sb = float(np.hypot(*va)), float(np.hypot(*vb))
        # a young track's filtered velocity has not settled yet: a wider tolerance
        young = min(tracks[a].age, tracks[b].age) < cfg.piece_young_s * self.fps
        tol = 0.6 if young else 0.3
        if float(np.hypot(*(va - vb))) > tol * max(sa, sb) + tol:
            return False
        u = (va + vb) / max(float(np.hypot(*(va + vb))), 1e-9)
        n = np.array([-u[1], u[0]])
        box_a, box_b = tracks[a].box, tracks[b].box
        (a0, a1), (b0, b1) = _extent(box_a, u), _extent(box_b, u)
        longer = max(a1 - a0, b1 - b0)
        if min(sa, sb) * self.fps < cfg.piece_min_speed * longer:
            return False
        if max(b0 - a1, a0 - b1) > cfg.piece_gap * longer + 1.0:
            return False
        (a0, a1), (b0, b1) = _extent(box_a, n), _extent(box_b, n)
        narrow, wide = sorted((a1 - a0, b1 - b0))
        if narrow < cfg.piece_sliver * wide and max(b0 - a1, a0 - b1) <= 0.1 * wide + 1.0:
            return True  # a sliver running along the vehicle's side, touching it
        return min(a1, b1) - max(a0, b0) >= cfg.piece_overlap * narrow

    @staticmethod
    def _parent(tracks: list[Track], boxes: FloatArray, i: int) -> int:
        """Id of the confirmed track whose box, grown by half its size on every side, holds
        the centre of the new track ``i`` (the nearest such; -1 if none): a track born inside
        another vehicle's extent may be a piece of it that took the vehicle over."""
        c = 0.5 * (boxes[i, :2] + boxes[i, 2:])
        best, best_d = -1, math.inf
        for k, tr in enumerate(tracks):
            if k == i or not tr.confirmed:
                continue
            x0, y0, x1, y1 = boxes[k].tolist()
            gw, gh = 0.5 * (x1 - x0), 0.5 * (y1 - y0)
            if x0 - gw <= c[0] <= x1 + gw and y0 - gh <= c[1] <= y1 + gh:
                d = math.hypot(c[0] - 0.5 * (x0 + x1), c[1] - 0.5 * (y0 + y1))
                if d < best_d:
                    best, best_d = tr.id, d
        return best

    def _stitch(self, lost: Track, st: _TrackState, frame_index: int, tracker: Tracker) -> None:
        """Hand a lost track's counting state to the track that took over its vehicle.

        A vehicle seen in pieces (over a marking of its own colour, behind an obstacle) can get
        a new track while its old one coasts and dies. The successor is a live track born at
        most a second before the old one was last matched, or born inside the old one's
        extent at any time while it lived (a white car moving off over a white stop line: its
        front, past the line, gets a track of its own while the old track shrinks onto the rear
        and dies seconds later), moving the same way, near where the old one's motion would
        have taken it, within 0.8 of the largest size the old track had (its last box may be
        a sliver); a track that left the picture has no successor. "Near" is either the
        successor now, or its birthplace, near where the old track was then: a successor that
        has moved off since (a car stopped at a stop line, its blob split or merged) is found
        by its birthplace. The successor inherits the entry zone, and whatever the old track
        already counted is not counted again (a successor of the second kind inherits the
        entry zone and the movement only: in dense traffic a box holds the birthplaces of its
        neighbours too, and their line crossings are their own), unless the old track crossed
        a line matched and the successor more than ``piece_window_s`` apart from it (two
        vehicles in one lane, the second taken for the first's successor: :meth:`_same_crossing`).
        A successor of the first kind born on the other side of a count line than the old track
        was last seen crossed that line in between, once (:meth:`_cross_over`).
        """
        last_seen = frame_index - lost.misses - 1
        x = lost.last_state
        best: int | None = None
        best_d = np.inf
        best_late = True
        centers = tracker.centers
        vel = tracker.velocities
        size = float(np.hypot(*lost.ref_size)) if lost.ref_size.any() else 10.0
        h, w = self._entry_map.shape
        now = x[:2] + x[2:] * (frame_index - last_seen)
        margin = 0.5 * size
        if not (margin <= now[0] <= w - margin and margin <= now[1] <= h - margin):
            return  # it left the picture
        for i, tr in enumerate(tracker.tracks):
            other = self._states.get(tr.id)
            if other is None or tr.id == lost.id:
                continue
            late = other.born < last_seen - self.fps
            if late and other.parent != lost.id:
                continue
            if float(np.dot(vel[i], x[2:])) < 0:
                continue
            guess = x[:2] + x[2:] * (other.born - last_seen)
            # the old track's state is the one it coasted to by this frame
            at_birth = x[:2] + x[2:] * (other.born - frame_index)
            born_at = (other.origin if other.origin is not None else other.pos) * self.scale
            d = min(
                float(np.hypot(*(centers[i] - now))),
                float(np.hypot(*(centers[i] - guess))),
                float(np.hypot(*(born_at - at_birth))),
            )
            # a vehicle that fell apart before it was lost: the size it had when whole
            d /= max(size, st.size_px) if late else size
            # successors of the first kind first
            if d <= 0.8 and (late, d) < (best_late, best_d):
                best, best_d, best_late = i, d, late
        if best is None:
            return
        if not best_late:
            self._cross_over(lost, st, tracker, best, frame_index)
        self._hand_over(st, tracker.tracks[best].id, lines=not best_late)

    def _cross_over(
        self, lost: Track, st: _TrackState, tracker: Tracker, i: int, frame_index: int
    ) -> None:
        """Count the lines crossed between where the lost track (state ``st``) was last and
        where its successor, live track ``i``, was born: the vehicle crossed them while neither
        track followed it (a slow or stopped car at a stop line whose blob split or merged).
        Only lines neither track counted, each once, not against the successor's velocity (a
        jump of the blob centre), at the successor's birth."""
        heir = tracker.tracks[i]
        other = self._states.get(heir.id)
        if other is None or other.origin is None or not len(self._a):
            return
        crossed, sign = segments_cross(st.pos[None], other.origin[None], self._a, self._b)
        if not crossed.any():
            return
        vel = tracker.velocities[i]
        v_right = vel @ self._normal / self._normal_len
        length = float(self._lengths(heir.box[None], vel[None])[0]) / self.scale
        for j in np.flatnonzero(crossed[0]).tolist():
            s = int(sign[0, j])
            if j in st.crossed or j in other.crossed:
                continue
            if abs(v_right[j]) > 0.05 and np.sign(v_right[j]) != s:
                continue
            other.crossed[j] = other.born
            other.unseen.add(j)
            row, u0, u1 = self._slit_extent(heir.box, j)
            if row < 0:
                row, u0, u1 = self._slit_extent(lost.box, j)
            if row >= 0 and self._slits is not None:
                row = self._slits.row_of(other.born)
            self._recent[j].append((heir.id, frame_index, s))
            other.pending.append(
                ("line", j, s, other.born / self.fps, length, _hint(heir), row, u0, u1)
            )

    def _hand_over(self, st: _TrackState, heir_id: int, *, lines: bool = True) -> None:
        """Give a track's counting state to the live track ``heir_id`` (same vehicle): the heir
        inherits the entry zone, and what both counted is counted once (line crossings only
        with ``lines``, and only when they were one crossing, :meth:`_same_crossing`)."""
        heir = self._states.get(heir_id)
        if heir is None:
            return
        if heir.entry < 0:
            heir.entry = st.entry
        both = st.crossed.keys() & heir.crossed.keys() if lines else set()
        dup = {j for j in both if self._same_crossing(st, heir, j)}
        if lines:
            for j, f in st.crossed.items():
                if j not in heir.crossed:
                    heir.crossed[j] = f
                    if j in st.unseen:
                        heir.unseen.add(j)
        drop_move = st.moved and heir.moved
        heir.moved |= st.moved
        if dup:
            # the heir's own crossing is not counted, but its streak in the line's time-spatial
            # image is this vehicle's: still claimed (not added back by the streak check)
            self._piece_slits.extend(
                SlitCrossing(e[1], heir_id, e[6], e[7], e[8])
                for e in heir.pending
                if e[0] == "line" and e[1] in dup and e[6] >= 0
            )
            self._piece_slits.extend(
                SlitCrossing(e.index, heir_id, e.row, e.u0, e.u1)
                for e in self.events
                if e.track == heir_id and e.kind == "line" and e.index in dup and e.row >= 0
            )
        if dup or drop_move:
            heir.pending = [
                e
                for e in heir.pending
                if not ((e[0] == "line" and e[1] in dup) or (e[0] == "movement" and drop_move))
            ]
            self.events = [
                e
                for e in self.events
                if not (
                    e.track == heir_id
                    and (
                        (e.kind == "line" and e.index in dup)
                        or (e.kind == "movement" and drop_move)
                    )
                )
            ]

    def _same_crossing(self, st: _TrackState, heir: _TrackState, j: int) -> bool:
        """Whether the crossings of line ``j`` by a lost track (state ``st``) and by its
        successor ``heir`` are one vehicle's: unless the old track crossed on its prediction
        (a ghost running ahead of the vehicle), the two crossed at most ``piece_window_s``
        apart (a matched crossing and one further apart are two vehicles, one behind the other
        in the lane, the second taken for the first's successor)."""
        old, new = st.crossed.get(j), heir.crossed.get(j)
        if j in st.unseen or old is None or new is None:
            return True
        return abs(old - new) <= self._piece_window

    @staticmethod
    def _lengths(boxes: FloatArray, velocities: FloatArray) -> FloatArray:
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

    def _track_sizes(self, track: int) -> tuple[FloatArray, FloatArray] | None:
        """Rows and lengths of ``track`` measured whole (see :meth:`_sample_sizes`)."""
        live = self._sizes.get(track)
        if live is not None:
            return np.array(live[0]), np.array(live[1])
        return self._past_sizes.get(track)

    def _sample_sizes(
        self,
        tracks: list[Track],
        boxes: FloatArray,
        velocities: FloatArray,
        confirmed: npt.NDArray[np.bool_],
        along: FloatArray,
    ) -> None:
        """Record the row and length of every confirmed track measured whole this frame:
        matched to a detection (not coasting on its prediction), moving (its length is taken
        along the motion) and clear of the picture's edge (not cut by it)."""
        h, w = self._entry_map.shape
        ok = (
            confirmed
            & (velocities[:, 0] ** 2 + velocities[:, 1] ** 2 > 0.04)
            & (boxes[:, 0] >= 1.0)
            & (boxes[:, 1] >= 1.0)
            & (boxes[:, 2] <= w - 2.0)
            & (boxes[:, 3] <= h - 2.0)
        )
        rows = (0.5 * (boxes[:, 1] + boxes[:, 3])).tolist()
        lengths = along.tolist()
        for i in np.flatnonzero(ok).tolist():
            tr = tracks[i]
            if tr.misses:
                continue
            got = self._sizes.get(tr.id)
            if got is None:
                got = self._sizes[tr.id] = ([], [])
            got[0].append(rows[i])
            got[1].append(lengths[i])

    def _sample_queues(
        self,
        t_s: float,
        tracker: Tracker,
        mask: npt.NDArray[np.uint8],
        centers: FloatArray,
        velocities: FloatArray,
        confirmed: npt.NDArray[np.bool_],
    ) -> None:
        if not self._queues:
            return
        sample = int(t_s // self.config.sample_s)
        if sample != self._q_sample and self._q_n:
            self._flush_queue_sample()
        self._q_sample = sample
        # blob borders are mixed pixels (vehicle edge, shadow edge, compression), on average
        # half covered: border pixels count one half (fg + eroded fg, over two); one kernel
        # call adds the sample (cover, vehicles, stopped vehicles) to the running sums
        tracks = tracker.tracks
        queue_sample(
            mask,
            self._queue_ys,
            self._queue_xs,
            self._queue_starts,
            self._queue_area_arr,
            self._queue_stack,
            centers,
            velocities,
            confirmed,
            np.array([t.area_px2 for t in tracks], np.float64),
            self.fps,
            self.config.stop_speed,
            self._q_sum,
        )
        self._q_n += 1

    def _flush_queue_sample(self) -> None:
        t0 = self._q_sample * self.config.sample_s
        for q in range(len(self._queues)):
            occ, veh, stop = self._q_sum[q] / self._q_n
            self._q_rows[q].append((t0, occ, veh, stop))
        self._q_sum[:] = 0.0
        self._q_n = 0

    # -- results ---------------------------------------------------------------------------

    def movement_id(self, index: int) -> str:
        """``FROM->TO`` of a flattened (entry, exit) index."""
        n_exit = len(self._exits)
        return f"{self._entries[index // n_exit].id}->{self._exits[index % n_exit].id}"

    def heavy_flags(self, carried: Mapping[int, int] | None = None) -> list[bool]:
        """Whether each of :attr:`events` is a heavy vehicle (see the module docstring).

        ``carried`` maps the index of an event to the number of other vehicles its track carried
        over the line (merged with its own, found by the time-spatial check): the event's length
        is shared among them.
        """
        carried = carried or {}
        cfg = self.config
        areas_all = [e.length_px for e in self.events if e.kind == "line"]
        if not areas_all:
            areas_all = [e.length_px for e in self.events]
        overall = float(np.median(areas_all)) if areas_all else math.inf
        per_line: dict[int, float] = {}
        for j in range(len(self.camera.lines)):
            a = [e.length_px for e in self.events if e.kind == "line" and e.index == j]
            if len(a) >= cfg.min_for_median:
                per_line[j] = float(np.median(a))
        size = self.relative_sizes()
        out = []
        for k, e in enumerate(self.events):
            if e.class_hint >= 0:
                out.append(e.class_hint == 1)
                continue
            if math.isfinite(size[k]):
                out.append(size[k] > cfg.heavy_ratio)
                continue
            ref = per_line.get(e.index, overall) if e.kind == "line" else overall
            out.append(e.length_px / (1 + carried.get(k, 0)) > cfg.heavy_ratio * ref)
        return out

    def relative_sizes(self) -> list[float]:
        """Each of :attr:`events`' vehicle length over the typical car's, at the same image
        rows, over the vehicle's life (:mod:`signalbrain.vision._size_class`); ``nan`` for
        movements, classified detections, lines with fewer than ``min_for_median`` crossings
        and vehicles measured whole in fewer than three frames."""
        out = [math.nan] * len(self.events)
        for j in range(len(self.camera.lines)):
            ks = [
                k
                for k, e in enumerate(self.events)
                if e.kind == "line" and e.index == j and e.class_hint < 0
            ]
            if len(ks) < self.config.min_for_median:
                continue
            samples = [self._track_sizes(self.events[k].track) for k in ks]
            rows = [s[0] for s in samples if s is not None]
            if not rows:
                continue
            lengths = [s[1] for s in samples if s is not None]
            line = median_line(np.concatenate(rows), np.concatenate(lengths))
            for k, s in zip(ks, samples, strict=True):
                if s is not None:
                    out[k] = relative_size(s[0], s[1], line)
        return out

    def results(
        self, seconds: float
    ) -> tuple[
        tuple[CountRow, ...],
        dict[str, dict[str, int]],
        dict[str, int],
        dict[str, QueueSeries],
        dict[str, dict[str, int]],
        dict[str, dict[str, int]],
    ]:
        """Bins, line totals, movement totals, queue series, line classes, movement classes."""
        if self._q_n:
            self._flush_queue_sample()
        self.added, carried = self._streak_events()
        heavy = self.heavy_flags(carried)
        events = self.events + self.added
        heavy += [False] * len(self.added)  # no length measured: the typical vehicle, a car
        lines = {ln.id: {"total": 0, "positive": 0, "negative": 0} for ln in self.camera.lines}
        mov_ids = list(self.camera.movement_ids)
        movements = dict.fromkeys(mov_ids, 0)
        classes = {ln.id: {"car": 0, "heavy": 0} for ln in self.camera.lines}
        mclasses = {m: {"car": 0, "heavy": 0} for m in mov_ids}
        interval = self.camera.interval_s
        n_bins = max(1, math.ceil(seconds / interval - 1e-9))
        line_bins = np.zeros((len(self.camera.lines), n_bins), np.int64)
        mov_bins = np.zeros((len(mov_ids), n_bins), np.int64)
        mov_pos = {m: i for i, m in enumerate(mov_ids)}
        for e, hv in zip(events, heavy, strict=True):
            b = min(int(e.t_s // interval), n_bins - 1)
            cls = "heavy" if hv else "car"
            if e.kind == "line":
                lid = self.camera.lines[e.index].id
                lines[lid]["total"] += 1
                lines[lid]["positive" if e.sign > 0 else "negative"] += 1
                classes[lid][cls] += 1
                line_bins[e.index, b] += 1
            else:
                mid = self.movement_id(e.index)
                movements[mid] += 1
                mclasses[mid][cls] += 1
                mov_bins[mov_pos[mid], b] += 1
        rows: list[CountRow] = []
        for b in range(n_bins):
            t0 = b * interval
            t1 = min((b + 1) * interval, seconds) if b == n_bins - 1 else (b + 1) * interval
            rows.extend(
                CountRow(t0, t1, "line", ln.id, int(line_bins[j, b]))
                for j, ln in enumerate(self.camera.lines)
            )
            rows.extend(
                CountRow(t0, t1, "movement", m, int(mov_bins[k, b])) for k, m in enumerate(mov_ids)
            )
        queues = {}
        for q, zone in enumerate(self._queues):
            r = self._q_rows[q]
            queues[zone.id] = QueueSeries(
                zone.id,
                self.config.sample_s,
                tuple(x[0] for x in r),
                tuple(x[1] for x in r),
                tuple(x[2] for x in r),
                tuple(x[3] for x in r),
            )
        return tuple(rows), lines, movements, queues, classes, mclasses
