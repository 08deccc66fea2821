"""Reading a value that should be a real number, for checks that must name bad input, not crash.

One rule for the places that take numbers from users' Python calls and from live readings: a
real number is an ``int``, ``float`` or other :class:`numbers.Real` (numpy scalars included) but
not a ``bool`` (``True`` given as a distance or a time is a mistake, not 1); anything else, and
an integer too large for a float (``10**400``, which ``float()`` refuses with ``OverflowError``),
reads as NaN, which every range check then refuses.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TypeGuard

__all__ = ["finite_or_none", "is_real", "real_or_nan"]


def is_real(value: object) -> TypeGuard[Real]:
    """Whether ``value`` is a real number (NaN, the infinities and ints of any size included;
    not a bool, a string or None)."""
    return isinstance(value, Real) and not isinstance(value, bool)


def real_or_nan(value: object) -> float:
    """``value`` as a float if it is a real number a float can hold, else NaN.

    NaN and the infinities given as such come back as they are; the caller decides on them.
    """
    if not is_real(value):
        return math.nan
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):  # an int too large; a broken __float__
        return math.nan


def finite_or_none(value: object) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not a finite real number."""
    x = real_or_nan(value)
    return x if math.isfinite(x) else None
