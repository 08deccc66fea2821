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
  track that took its vehicle over inherits its entry zone (:mod:`._handover`), and a
  count line between where the lost track was last and where its successor was born was
  crossed by the vehicle unseen (a stopped car at a stop line whose blob split or merged) and
  is counted once;
* a **queue zone** is sampled every frame: the fraction of its area covered by foreground (the
  vehicles, shadows removed) and the number of tracked vehicles in it, moving or stopped; samples
  are averaged over ``sample_s`` (:mod:`._zones`);
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
  cars is not a truck (:mod:`._count_results`).

This module holds the counter's per-frame driver; its configuration is in
:mod:`._counter_config`, the line-crossing geometry and the piece test in :mod:`._crossing`, the
per-track and per-event records in :mod:`._count_state`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from signalbrain.io.camera import CameraSpec
from signalbrain.vision import _count_results, _handover
from signalbrain.vision._count_state import _Event, _hint, _TrackState
from signalbrain.vision._counter_config import CounterConfig
from signalbrain.vision._crossing import are_pieces, box_lengths, segments_cross
from signalbrain.vision._track_kernels import cross_lines
from signalbrain.vision._zones import QueueSampler, label_map
from signalbrain.vision.counts import CountRow, QueueSeries
from signalbrain.vision.streaks import LineSlits, SlitCrossing
from signalbrain.vision.tracking import Track, Tracker

__all__ = ["Counter", "CounterConfig", "segments_cross"]

FloatArray = npt.NDArray[np.float64]


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
        self._entry_map = label_map(self._entries, scale, w, h)
        self._exit_map = label_map(self._exits, scale, w, h)
        # each entry zone on its own: an exit zone drawn over it counts only outside it
        self._entry_masks = [label_map((z,), scale, w, h) > 0 for z in self._entries]
        cfg = self.config
        self._queues = QueueSampler(
            camera.zones_of("queue"), scale, proc_size, fps, cfg.sample_s, cfg.stop_speed
        )
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
                _handover.stitch(self, tr, st, frame_index, tracker)
        centers = tracker.centers
        vel = tracker.velocities
        confirmed = np.array([tr.confirmed for tr in tracks], np.bool_)
        self._queues.add(t_s, tracks, mask, centers, vel, confirmed)
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
                st.parent = _handover.parent_track(tracks, boxes, i)
                self._states[tr.id] = st
            states.append(st)
            if diag[i] > st.size_px:
                st.size_px = diag[i]
        prev = np.array([st.pos for st in states])
        along = box_lengths(boxes, vel)  # [processing px]
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

    def _pieces(self, tracks: list[Track], velocities: FloatArray, a: int, b: int) -> bool:
        """Whether tracks ``a`` and ``b`` run as two pieces of one vehicle (module docstring,
        :func:`~signalbrain.vision._crossing.are_pieces`)."""
        return are_pieces(self.config, self.fps, tracks, velocities, a, b)

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
        n_lines = len(self.camera.lines)
        sizes = self.relative_sizes()
        return _count_results.heavy_flags(self.events, n_lines, self.config, sizes, carried)

    def relative_sizes(self) -> list[float]:
        """Each of :attr:`events`' vehicle length over the typical car's, at the same image
        rows, over the vehicle's life (:mod:`signalbrain.vision._size_class`); ``nan`` for
        movements, classified detections, lines with fewer than ``min_for_median`` crossings
        and vehicles measured whole in fewer than three frames."""
        return _count_results.relative_sizes(
            self.events, len(self.camera.lines), self.config.min_for_median, self._track_sizes
        )

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
        queues = self._queues.series()
        self.added, carried = _count_results.streak_events(
            self._slits,
            self.config.streaks,
            self.events,
            self._piece_slits,
            len(self.camera.lines),
            self.fps,
        )
        heavy = self.heavy_flags(carried)
        events = self.events + self.added
        heavy += [False] * len(self.added)  # no length measured: the typical vehicle, a car
        rows, lines, movements, classes, mclasses = _count_results.count_tables(
            self.camera, events, heavy, self.movement_id, seconds
        )
        return rows, lines, movements, queues, classes, mclasses
