"""Hand-over of a lost track's counting state to the track that took over its vehicle.

A vehicle seen in pieces can get a new track while its old one coasts and dies: the
:class:`~signalbrain.vision.counting.Counter` then finds the successor (:func:`stitch`), lets it
inherit the entry zone and what the old track counted (:func:`hand_over`, counted once:
:func:`same_crossing`), and counts the lines the vehicle crossed while neither track followed it
(:func:`cross_over`). :func:`parent_track` records, when a track is born, the confirmed track
whose extent held its birthplace. These functions work on the counter's own state.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from signalbrain.vision._count_state import _hint, _TrackState
from signalbrain.vision._crossing import box_lengths, segments_cross
from signalbrain.vision.streaks import SlitCrossing

if TYPE_CHECKING:
    from signalbrain.vision.counting import Counter
    from signalbrain.vision.tracking import Track, Tracker

FloatArray = npt.NDArray[np.float64]


def parent_track(tracks: list[Track], boxes: FloatArray, i: int) -> int:
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


def stitch(
    counter: Counter, lost: Track, st: _TrackState, frame_index: int, tracker: Tracker
) -> None:
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
    vehicles in one lane, the second taken for the first's successor: :func:`same_crossing`).
    A successor of the first kind born on the other side of a count line than the old track
    was last seen crossed that line in between, once (:func:`cross_over`).
    """
    last_seen = frame_index - lost.misses - 1
    x = lost.last_state
    best: int | None = None
    best_d = np.inf
    best_late = True
    centers = tracker.centers
    vel = tracker.velocities
    size = float(np.hypot(*lost.ref_size)) if lost.ref_size.any() else 10.0
    h, w = counter._entry_map.shape
    now = x[:2] + x[2:] * (frame_index - last_seen)
    margin = 0.5 * size
    if not (margin <= now[0] <= w - margin and margin <= now[1] <= h - margin):
        return  # it left the picture
    for i, tr in enumerate(tracker.tracks):
        other = counter._states.get(tr.id)
        if other is None or tr.id == lost.id:
            continue
        late = other.born < last_seen - counter.fps
        if late and other.parent != lost.id:
            continue
        if float(np.dot(vel[i], x[2:])) < 0:
            continue
        guess = x[:2] + x[2:] * (other.born - last_seen)
        # the old track's state is the one it coasted to by this frame
        at_birth = x[:2] + x[2:] * (other.born - frame_index)
        born_at = (other.origin if other.origin is not None else other.pos) * counter.scale
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
        cross_over(counter, lost, st, tracker, best, frame_index)
    hand_over(counter, st, tracker.tracks[best].id, lines=not best_late)


def cross_over(
    counter: Counter, lost: Track, st: _TrackState, tracker: Tracker, i: int, frame_index: int
) -> None:
    """Count the lines crossed between where the lost track (state ``st``) was last and
    where its successor, live track ``i``, was born: the vehicle crossed them while neither
    track followed it (a slow or stopped car at a stop line whose blob split or merged).
    Only lines neither track counted, each once, not against the successor's velocity (a
    jump of the blob centre), at the successor's birth."""
    heir = tracker.tracks[i]
    other = counter._states.get(heir.id)
    if other is None or other.origin is None or not len(counter._a):
        return
    crossed, sign = segments_cross(st.pos[None], other.origin[None], counter._a, counter._b)
    if not crossed.any():
        return
    vel = tracker.velocities[i]
    v_right = vel @ counter._normal / counter._normal_len
    length = float(box_lengths(heir.box[None], vel[None])[0]) / counter.scale
    for j in np.flatnonzero(crossed[0]).tolist():
        s = int(sign[0, j])
        if j in st.crossed or j in other.crossed:
            continue
        if abs(v_right[j]) > 0.05 and np.sign(v_right[j]) != s:
            continue
        other.crossed[j] = other.born
        other.unseen.add(j)
        row, u0, u1 = counter._slit_extent(heir.box, j)
        if row < 0:
            row, u0, u1 = counter._slit_extent(lost.box, j)
        if row >= 0 and counter._slits is not None:
            row = counter._slits.row_of(other.born)
        counter._recent[j].append((heir.id, frame_index, s))
        other.pending.append(
            ("line", j, s, other.born / counter.fps, length, _hint(heir), row, u0, u1)
        )


def hand_over(counter: Counter, st: _TrackState, heir_id: int, *, lines: bool = True) -> None:
    """Give a track's counting state to the live track ``heir_id`` (same vehicle): the heir
    inherits the entry zone, and what both counted is counted once (line crossings only
    with ``lines``, and only when they were one crossing, :func:`same_crossing`)."""
    heir = counter._states.get(heir_id)
    if heir is None:
        return
    if heir.entry < 0:
        heir.entry = st.entry
    both = st.crossed.keys() & heir.crossed.keys() if lines else set()
    dup = {j for j in both if same_crossing(st, heir, j, counter._piece_window)}
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
        counter._piece_slits.extend(
            SlitCrossing(e[1], heir_id, e[6], e[7], e[8])
            for e in heir.pending
            if e[0] == "line" and e[1] in dup and e[6] >= 0
        )
        counter._piece_slits.extend(
            SlitCrossing(e.index, heir_id, e.row, e.u0, e.u1)
            for e in counter.events
            if e.track == heir_id and e.kind == "line" and e.index in dup and e.row >= 0
        )
    if dup or drop_move:
        heir.pending = [
            e
            for e in heir.pending
            if not ((e[0] == "line" and e[1] in dup) or (e[0] == "movement" and drop_move))
        ]
        counter.events = [
            e
            for e in counter.events
            if not (
                e.track == heir_id
                and ((e.kind == "line" and e.index in dup) or (e.kind == "movement" and drop_move))
            )
        ]


def same_crossing(st: _TrackState, heir: _TrackState, j: int, piece_window: int) -> bool:
    """Whether the crossings of line ``j`` by a lost track (state ``st``) and by its
    successor ``heir`` are one vehicle's: unless the old track crossed on its prediction
    (a ghost running ahead of the vehicle), the two crossed at most ``piece_window``
    frames (``piece_window_s``) apart (a matched crossing and one further apart are two
    vehicles, one behind the other in the lane, the second taken for the first's
    successor)."""
    old, new = st.crossed.get(j), heir.crossed.get(j)
    if j in st.unseen or old is None or new is None:
        return True
    return abs(old - new) <= piece_window
