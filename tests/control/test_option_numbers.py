"""Numbers a user passes to controllers and their settings in Python are refused by name when
the object is made: an int too large for a float (10**400) raised OverflowError, and a
Plausibility of text or NaN was accepted and failed (or misjudged readings) mid-run."""

from __future__ import annotations

from typing import Any

import pytest

from signalbrain.control import Adaptive, FixedTime, MaxPressure, Plausibility
from signalbrain.errors import InputError


@pytest.mark.parametrize(
    ("make", "option"),
    [
        (Adaptive, "horizon_s"),
        (Adaptive, "switch_margin"),
        (MaxPressure, "permitted_weight"),
        (FixedTime, "warmup_s"),
    ],
)
@pytest.mark.parametrize("bad", [10**400, True, "5", float("nan")])
def test_controller_options_that_are_no_finite_number_are_named(
    make: Any, option: str, bad: object
) -> None:
    with pytest.raises(InputError, match=rf"\.{option} = .*: must be a finite number"):
        make(**{option: bad})


@pytest.mark.parametrize("field", ["max_flow_vphpl", "jam_spacing_m", "recover_s", "max_reach_m"])
@pytest.mark.parametrize("bad", [10**400, True, "x", float("nan"), -1.0])
def test_plausibility_bounds_must_be_finite_numbers(field: str, bad: object) -> None:
    with pytest.raises(InputError, match=rf"Plausibility\.{field} = .*: must be a finite number"):
        Plausibility(**{field: bad})


def test_a_zero_jam_spacing_is_refused_and_defaults_stand() -> None:
    with pytest.raises(InputError, match=r"Plausibility\.jam_spacing_m = 0.0: .* > 0"):
        Plausibility(jam_spacing_m=0.0)
    assert Plausibility(recover_s=0).recover_s == 0
