"""Checks of controller options: a bad value is refused when the controller is built, with an
:class:`~signalbrain.errors.InputError` naming the controller and the option, instead of failing
(or silently doing something else) mid-run."""

from __future__ import annotations

import math
from collections.abc import Collection

from signalbrain._numbers import real_or_nan
from signalbrain.errors import InputError, Problem, shown

__all__ = ["check_choice", "check_number"]


def _where(controller: str, option: str) -> str:
    return f"controller.{controller}.{option}"


def check_number(controller: str, option: str, value: object, *, positive: bool = False) -> float:
    """``value`` as a float if it is a finite real number >= 0 (> 0 when ``positive``)."""
    number = real_or_nan(value)  # NaN for a bool, text, or an int too large for a float
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        bound = "> 0" if positive else ">= 0"
        raise InputError(
            [
                Problem(
                    _where(controller, option),
                    f"= {shown(value, 24)}: must be a finite number {bound}",
                )
            ]
        )
    return number


def check_choice(controller: str, option: str, value: object, valid: Collection[str]) -> None:
    """Refuse ``value`` unless it is one of ``valid`` (the message lists them)."""
    if not isinstance(value, str) or value not in valid:
        raise InputError(
            [Problem(_where(controller, option), f"{value!r}: must be one of {', '.join(valid)}")]
        )
