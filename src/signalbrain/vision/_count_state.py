"""What :class:`~signalbrain.vision.counting.Counter` remembers: per live track a
:class:`_TrackState`, per counted crossing or movement an :class:`_Event`, and the events still
waiting for their track's confirmation (:data:`_Pending`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from signalbrain.vision.tracking import Track

FloatArray = npt.NDArray[np.float64]

# a crossing or movement waiting for its track's confirmation: kind, index, sign, t_s,
# length_px, class_hint, time-spatial row, u0, u1 (see _Event)
_Pending = tuple[str, int, int, float, float, int, int, float, float]


def _hint(track: Track) -> int:
    """The detector's most frequent class for ``track`` (-1 when it does not classify)."""
    votes = track.class_votes
    return max(votes, key=votes.__getitem__) if votes else -1


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
