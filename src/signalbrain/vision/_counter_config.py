"""The tuning of :class:`signalbrain.vision.counting.Counter` (what each number means and why
its default is what it is)."""

from __future__ import annotations

from dataclasses import dataclass, field

from signalbrain._numbers import check_fields
from signalbrain.vision.streaks import StreakConfig

__all__ = ["CounterConfig"]


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

    def __post_init__(self) -> None:
        check_fields(self, positive=("sample_s", "stop_speed", "heavy_ratio", "min_for_median"))
