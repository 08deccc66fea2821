"""A CounterConfig built in Python is checked when it is made: text, NaN, negative numbers or
an int too large for a float were accepted and failed (or miscounted) in the middle of a video."""

from __future__ import annotations

import pytest

from signalbrain.errors import InputError
from signalbrain.vision.counting import CounterConfig


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("sample_s", 0.0),
        ("sample_s", "1"),
        ("heavy_ratio", float("nan")),
        ("stop_speed", 10**400),
        ("piece_gap", -0.1),
        ("piece_window_s", True),
        ("min_for_median", 2.5),
    ],
)
def test_bad_counter_settings_are_named(field: str, bad: object) -> None:
    with pytest.raises(InputError, match=rf"CounterConfig\.{field} = "):
        CounterConfig(**{field: bad})  # type: ignore[arg-type]


def test_the_defaults_and_a_switched_off_streak_check_stand() -> None:
    assert CounterConfig().sample_s == 1.0
    assert CounterConfig(streaks=None, piece_gap=0).streaks is None
