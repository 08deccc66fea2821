"""From counted events to results, for :class:`~signalbrain.vision.counting.Counter`: the
vehicles the lines' time-spatial images add (:func:`streak_events`), the size class of each
counted vehicle (:func:`heavy_flags`, :func:`relative_sizes`; the rule is in the
docstring of :mod:`signalbrain.vision.counting`) and the tables of counts by line, movement,
size class and time bin (:func:`count_tables`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from signalbrain.vision._count_state import _Event
from signalbrain.vision._size_class import median_line, relative_size
from signalbrain.vision.counts import CountRow
from signalbrain.vision.streaks import LineSlits, SlitCrossing, StreakConfig, unclaimed_streaks

if TYPE_CHECKING:
    from signalbrain.io.camera import CameraSpec
    from signalbrain.vision.counting import CounterConfig

FloatArray = npt.NDArray[np.float64]


def streak_events(
    slits: LineSlits | None,
    cfg: StreakConfig | None,
    events: Sequence[_Event],
    piece_slits: Sequence[SlitCrossing],
    n_lines: int,
    fps: float,
) -> tuple[list[_Event], dict[int, int]]:
    """Crossings of vehicles no track counted, from the lines' time-spatial images
    (:func:`~signalbrain.vision.streaks.unclaimed_streaks`), and per index of a counted line
    crossing in ``events`` how many of them its track carried over the line (the ``carried``
    of :func:`heavy_flags`). ``piece_slits`` are the streaks claimed by crossings not counted
    (pieces of a vehicle counted); no ``slits`` or ``cfg``: none."""
    if slits is None or cfg is None:
        return [], {}
    line_event = {(e.index, e.track): k for k, e in enumerate(events) if e.kind == "line"}
    crossings = [
        SlitCrossing(e.index, e.track, e.row, e.u0, e.u1)
        for e in events
        if e.kind == "line" and e.row >= 0
    ]
    crossings += piece_slits
    out: list[_Event] = []
    carried: dict[int, int] = {}
    for j in range(n_lines):
        for row, sign, _u, carrier in unclaimed_streaks(slits, j, crossings, round(fps), cfg):
            t_s = slits.frames[row] / fps
            out.append(_Event(-1 - len(out), "line", j, sign, t_s, 0.0, -1, row))
            k = line_event.get((j, carrier), -1)
            if k >= 0:
                carried[k] = carried.get(k, 0) + 1
    return out, carried


def heavy_flags(
    events: Sequence[_Event],
    n_lines: int,
    cfg: CounterConfig,
    size: Sequence[float],
    carried: Mapping[int, int] | None = None,
) -> list[bool]:
    """Whether each of ``events`` is a heavy vehicle.

    ``size`` holds each event's :func:`relative_sizes` (``nan`` where not measured).
    ``carried`` maps the index of an event to the number of other vehicles its track carried
    over the line (merged with its own, found by the time-spatial check): the event's length
    is shared among them.
    """
    carried = carried or {}
    areas_all = [e.length_px for e in events if e.kind == "line"]
    if not areas_all:
        areas_all = [e.length_px for e in events]
    overall = float(np.median(areas_all)) if areas_all else math.inf
    per_line: dict[int, float] = {}
    for j in range(n_lines):
        a = [e.length_px for e in events if e.kind == "line" and e.index == j]
        if len(a) >= cfg.min_for_median:
            per_line[j] = float(np.median(a))
    out = []
    for k, e in enumerate(events):
        if e.class_hint >= 0:
            out.append(e.class_hint == 1)
            continue
        if math.isfinite(size[k]):
            out.append(size[k] > cfg.heavy_ratio)
            continue
        ref = per_line.get(e.index, overall) if e.kind == "line" else overall
        out.append(e.length_px / (1 + carried.get(k, 0)) > cfg.heavy_ratio * ref)
    return out


def relative_sizes(
    events: Sequence[_Event],
    n_lines: int,
    min_for_median: int,
    track_sizes: Callable[[int], tuple[FloatArray, FloatArray] | None],
) -> list[float]:
    """Each of ``events``' vehicle length over the typical car's, at the same image rows,
    over the vehicle's life (:mod:`signalbrain.vision._size_class`); ``nan`` for movements,
    classified detections, lines with fewer than ``min_for_median`` crossings and vehicles
    measured whole in fewer than three frames. ``track_sizes`` gives a track's measured rows
    and lengths."""
    out = [math.nan] * len(events)
    for j in range(n_lines):
        ks = [
            k
            for k, e in enumerate(events)
            if e.kind == "line" and e.index == j and e.class_hint < 0
        ]
        if len(ks) < min_for_median:
            continue
        samples = [track_sizes(events[k].track) for k in ks]
        rows = [s[0] for s in samples if s is not None]
        if not rows:
            continue
        lengths = [s[1] for s in samples if s is not None]
        line = median_line(np.concatenate(rows), np.concatenate(lengths))
        for k, s in zip(ks, samples, strict=True):
            if s is not None:
                out[k] = relative_size(s[0], s[1], line)
    return out


def count_tables(
    camera: CameraSpec,
    events: Sequence[_Event],
    heavy: Sequence[bool],
    movement_id: Callable[[int], str],
    seconds: float,
) -> tuple[
    tuple[CountRow, ...],
    dict[str, dict[str, int]],
    dict[str, int],
    dict[str, dict[str, int]],
    dict[str, dict[str, int]],
]:
    """Bins, line totals, movement totals, line classes and movement classes of ``events``
    (``heavy`` their size classes) over a video of ``seconds`` [s]."""
    lines = {ln.id: {"total": 0, "positive": 0, "negative": 0} for ln in camera.lines}
    mov_ids = list(camera.movement_ids)
    movements = dict.fromkeys(mov_ids, 0)
    classes = {ln.id: {"car": 0, "heavy": 0} for ln in camera.lines}
    mclasses = {m: {"car": 0, "heavy": 0} for m in mov_ids}
    interval = camera.interval_s
    n_bins = max(1, math.ceil(seconds / interval - 1e-9))
    line_bins = np.zeros((len(camera.lines), n_bins), np.int64)
    mov_bins = np.zeros((len(mov_ids), n_bins), np.int64)
    mov_pos = {m: i for i, m in enumerate(mov_ids)}
    for e, hv in zip(events, heavy, strict=True):
        b = min(int(e.t_s // interval), n_bins - 1)
        cls = "heavy" if hv else "car"
        if e.kind == "line":
            lid = camera.lines[e.index].id
            lines[lid]["total"] += 1
            lines[lid]["positive" if e.sign > 0 else "negative"] += 1
            classes[lid][cls] += 1
            line_bins[e.index, b] += 1
        else:
            mid = movement_id(e.index)
            movements[mid] += 1
            mclasses[mid][cls] += 1
            mov_bins[mov_pos[mid], b] += 1
    rows: list[CountRow] = []
    for b in range(n_bins):
        t0 = b * interval
        t1 = min((b + 1) * interval, seconds) if b == n_bins - 1 else (b + 1) * interval
        rows.extend(
            CountRow(t0, t1, "line", ln.id, int(line_bins[j, b]))
            for j, ln in enumerate(camera.lines)
        )
        rows.extend(
            CountRow(t0, t1, "movement", m, int(mov_bins[k, b])) for k, m in enumerate(mov_ids)
        )
    return tuple(rows), lines, movements, classes, mclasses
