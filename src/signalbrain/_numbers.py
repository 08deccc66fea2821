"""Reading a value that should be a real number, for checks that must name bad input, not crash.

One rule for the places that take numbers from users' Python calls and from live readings: a
real number is an ``int``, ``float`` or other :class:`numbers.Real` (numpy scalars included) but
not a ``bool`` (``True`` given as a distance or a time is a mistake, not 1); anything else, and
an integer too large for a float (``10**400``, which ``float()`` refuses with ``OverflowError``),
reads as NaN, which every range check then refuses.
"""

from __future__ import annotations

import math
from dataclasses import fields
from numbers import Real
from typing import TypeGuard

from signalbrain.errors import InputError, Problem, shown

__all__ = ["check_fields", "finite_or_none", "is_real", "real_or_nan"]


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


def check_fields(owner: object, *, positive: tuple[str, ...] = ()) -> None:
    """Raise one :class:`InputError` naming every number field (annotated ``float`` or
    ``int``) of the dataclass instance ``owner`` that is not a finite number >= 0 (> 0 for the
    names in ``positive``; whole for an ``int``), as ``ClassName.field``: settings a user
    builds in Python are refused when they are made, not where a kernel or a comparison meets
    them mid-run."""
    cls = type(owner).__name__
    problems: list[Problem] = []
    for f in fields(owner):  # type: ignore[arg-type]
        if f.type not in ("float", "int", float, int):
            continue  # not a number: a nested configuration, a choice
        value = getattr(owner, f.name)
        x = real_or_nan(value)
        bound = "> 0" if f.name in positive else ">= 0"
        if not math.isfinite(x) or x < 0 or (f.name in positive and x == 0):
            message = f"= {shown(value, 24)}: must be a finite number {bound}"
            problems.append(Problem(f"{cls}.{f.name}", message))
        elif f.type in ("int", int) and x != int(x):
            problems.append(Problem(f"{cls}.{f.name}", f"= {value!r}: must be a whole number"))
    if problems:
        raise InputError(problems)
