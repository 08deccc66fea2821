"""Typed field reading for YAML/JSON documents that gathers problems instead of raising.

A :class:`Fields` collects :class:`~signalbrain.errors.Problem` while a parser reads a nested
document, so one pass reports every wrong field with its YAML path. Parsers call
:meth:`Fields.raise_if_any` once at the end.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any

from signalbrain.errors import InputError, Problem, format_path, shown
from signalbrain.io._yaml_file import decode_text as decode_text
from signalbrain.io._yaml_file import load_yaml as load_yaml

__all__ = [
    "MISSING",
    "Fields",
    "decode_text",
    "finite_pair",
    "load_yaml",
    "not_a_mapping",
    "unknown_field",
]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


_LEADING_ZERO = re.compile(r"([-+]?)0+(\d+)")
"""A decimal integer with a leading zero, e.g. ``010``: text in signalbrain's YAML
(:mod:`signalbrain.io._yaml`), so that zero-padded ids keep their name."""


def _leading_zero_hint(value: object) -> str:
    """How to write ``value`` as a number when it is an integer with a leading zero (``010``,
    which signalbrain's YAML reads as text), else nothing."""
    text = value.strip() if isinstance(value, str) else ""
    match = _LEADING_ZERO.fullmatch(text)
    if not match:
        return ""
    sign, digits = match.groups()
    return f" (YAML reads {text}, with a leading zero, as text; write {sign.lstrip('+')}{digits})"


MAX_SHOWN_CHARS = 60
"""Longest value a message quotes: a wrong field holding a whole document (a network file given
as demand) is named by its path and type, not printed in full."""


def _shown(value: object) -> str:
    """``repr(value)`` (a number as the file wrote it), cut to :data:`MAX_SHOWN_CHARS`
    characters."""
    if hasattr(value, "text"):
        text = written(value)
        return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 3] + "..."
    return shown(value, MAX_SHOWN_CHARS)


def _type_name(value: object) -> str:
    kind = type(value)
    if hasattr(value, "text") and isinstance(value, int | float):  # WrittenInt, WrittenFloat
        kind = int if isinstance(value, int) else float
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "empty",
    }.get(kind, kind.__name__)


class Fields:
    """Problem collector with typed getters; every getter returns a fallback on error."""

    def __init__(self, source: str | None = None) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        """Record one problem at a YAML path."""
        self.problems.append(Problem(path, message, self.source))

    def raise_if_any(self) -> None:
        """Raise one :class:`InputError` with everything recorded so far."""
        if self.problems:
            raise InputError(self.problems)

    def mapping(self, value: Any, path: str, *, required: bool = True) -> Mapping[str, Any]:
        """``value`` as a mapping with string keys (empty on error or when absent)."""
        if value is MISSING or value is None:
            if required:
                self.add(path, "missing; expected a mapping")
            return {}
        if not isinstance(value, Mapping):
            self.add(path, f"= {_shown(value)}: expected a mapping, got {_type_name(value)}")
            return {}
        out = {written(k): v for k, v in value.items()}
        if len(out) < len(value):  # e.g. 1 and '1': one id twice, written two ways
            names = [written(k) for k in value]
            for name in dict.fromkeys(n for n in names if names.count(n) > 1):
                ways = [
                    repr(k) if isinstance(k, str) else written(k)
                    for k, n in zip(value, names, strict=True)
                    if n == name
                ]
                self.add(
                    format_path(path, name) if path else name,
                    f"given twice, written {' and '.join(ways)}; ids must be unique",
                )
        return out

    def sequence(self, value: Any, path: str, *, required: bool = True) -> list[Any]:
        """``value`` as a list (empty on error or when absent)."""
        if value is MISSING or value is None:
            if required:
                self.add(path, "missing; expected a list")
            return []
        if not isinstance(value, list):
            self.add(path, f"= {_shown(value)}: expected a list, got {_type_name(value)}")
            return []
        return value

    def number(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        default: Any = MISSING,
        *,
        minimum: float | None = None,
        exclusive: bool = False,
        maximum: float | None = None,
    ) -> float:
        """A finite number field, with bounds."""
        value = doc.get(key, default)
        p = format_path(path, key) if path else key
        if value is MISSING:
            self.add(p, "missing; expected a number")
            return math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(
                p,
                f"= {_shown(value)}: expected a number, got {_type_name(value)}"
                + _leading_zero_hint(value),
            )
            return math.nan
        try:
            value = float(value)
        except OverflowError:  # an integer beyond any float
            digits = len(str(abs(value)))
            self.add(p, f"= {str(value)[:12]}... ({digits} digits): too large; must be finite")
            return math.nan
        if not math.isfinite(value):
            self.add(p, f"= {value}: must be finite")
        elif minimum is not None and (value <= minimum if exclusive else value < minimum):
            self.add(p, f"= {value:g}: must be {'>' if exclusive else '>='} {minimum:g}")
        elif maximum is not None and value > maximum:
            self.add(p, f"= {value:g}: must be <= {maximum:g}")
        return value

    def integer(
        self,
        doc: Mapping[Any, Any],
        key: str | int,
        path: str,
        default: Any = MISSING,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        """An integer field (a float with an integral value is accepted); an int ``key`` reads
        item ``key`` of a list given as ``dict(enumerate(items))``, path ``path[key]``."""
        value = doc.get(key, default)
        p = format_path(path, key) if path else str(key)
        if value is MISSING:
            self.add(p, "missing; expected an integer")
            return 0
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(
                p,
                f"= {_shown(value)}: expected an integer, got {_type_name(value)}"
                + _leading_zero_hint(value),
            )
            return 0
        if minimum is not None and value < minimum:
            self.add(p, f"= {_shown(value)}: must be >= {minimum}")
        elif maximum is not None and value > maximum:
            self.add(p, f"= {_shown(value)}: must be <= {maximum}")
        return int(value)  # plain, as written in hex or octal too

    def string(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        default: Any = MISSING,
        *,
        choices: tuple[str, ...] | None = None,
    ) -> str:
        """A string field (numbers are accepted as ids and turned into strings)."""
        value = doc.get(key, default)
        p = format_path(path, key) if path else key
        if value is MISSING:
            self.add(
                p,
                "missing; expected a string"
                + (f", one of {', '.join(choices)}" if choices else ""),
            )
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = written(value)
        if not isinstance(value, str):
            self.add(p, f"= {_shown(value)}: expected a string, got {_type_name(value)}")
            return ""
        if choices is not None and value not in choices:
            self.add(p, f"= {_shown(value)}: must be one of {', '.join(choices)}")
        return value

    def string_list(
        self, doc: Mapping[str, Any], key: str, path: str, default: Any = MISSING
    ) -> list[str]:
        """A list of strings (ids)."""
        value = doc.get(key, default)
        p = format_path(path, key) if path else key
        if value is MISSING:
            self.add(p, "missing; expected a list of ids")
            return []
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(p, f"= {_shown(value)}: expected a list of ids, got {_type_name(value)}")
            return []
        out: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                out.append(written(item))
            else:
                self.add(
                    format_path(p, i), f"= {_shown(item)}: expected an id, got {_type_name(item)}"
                )
        return out

    def unknown_keys(self, doc: Mapping[str, Any], path: str, known: tuple[str, ...]) -> None:
        """Report keys that the schema does not define (typos would otherwise be ignored)."""
        for key in doc:
            if key not in known:
                self.add(format_path(path, key) if path else key, unknown_field(key, known))


def written(value: object) -> str:
    """``value`` as an id, spelled as the file wrote it: a number whose ``str()`` is another
    spelling keeps the scalar's own (``1.10``, not ``1.1``; ``0x1F``, not ``31``: see
    :class:`signalbrain.io._yaml.WrittenFloat`), anything else is ``str(value)``."""
    text = getattr(value, "text", None)
    return text if isinstance(text, str) and isinstance(value, int | float) else str(value)


def unknown_field(key: str, known: tuple[str, ...]) -> str:
    """The message for a field the schema does not define: the closest valid name, if one is
    close (a typo), and every valid name."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown field; valid fields: {', '.join(known)}{hint}"


def not_a_mapping(doc: object) -> str:
    """The start of the message for a whole document that is not a mapping: empty, or what it
    is instead; the caller adds what it expected."""
    return "the file is empty" if doc is None else f"= {_shown(doc)}: got {_type_name(doc)}"


def finite_pair(a: float, b: float) -> tuple[float, float] | None:
    """Two numbers as floats when both are finite (an integer beyond any float is not), else
    None: the coordinates of a point in a network or camera file."""
    try:
        x, y = float(a), float(b)
    except OverflowError:
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None
