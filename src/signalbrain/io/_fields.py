"""Typed field reading for YAML/JSON documents that gathers problems instead of raising.

A :class:`Fields` collects :class:`~signalbrain.errors.Problem` while a parser reads a nested
document, so one pass reports every wrong field with its YAML path. Parsers call
:meth:`Fields.raise_if_any` once at the end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from signalbrain.errors import InputError, Problem, format_path

__all__ = ["MISSING", "Fields", "finite_pair", "load_yaml"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file; unreadable files and syntax errors become one :class:`InputError`."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"file not found: {source}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {source}: {exc}") from None
    # PyYAML loads on first use: commands reading SUMO files only (signalbrain optimize
    # NET.net.xml --routes ...) do not pay its ~0.02 s of start-up
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem("", f"malformed YAML at {where}: {problem}", source)]) from None


MAX_SHOWN_CHARS = 60
"""Longest value a message quotes: a wrong field holding a whole document (a network file given
as demand) is named by its path and type, not printed in full."""


def _shown(value: object) -> str:
    """``repr(value)``, cut to :data:`MAX_SHOWN_CHARS` characters."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 3] + "..."


def _type_name(value: object) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "empty",
    }.get(type(value), type(value).__name__)


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
        return {str(k): v for k, v in value.items()}

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
            self.add(p, f"= {_shown(value)}: expected a number, got {_type_name(value)}")
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
        doc: Mapping[str, Any],
        key: str,
        path: str,
        default: Any = MISSING,
        *,
        minimum: int | None = None,
    ) -> int:
        """An integer field (a float with an integral value is accepted)."""
        value = doc.get(key, default)
        p = format_path(path, key) if path else key
        if value is MISSING:
            self.add(p, "missing; expected an integer")
            return 0
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(p, f"= {_shown(value)}: expected an integer, got {_type_name(value)}")
            return 0
        if minimum is not None and value < minimum:
            self.add(p, f"= {value}: must be >= {minimum}")
        return value

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
            value = str(value)
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
            if isinstance(item, str | int) and not isinstance(item, bool):
                out.append(str(item))
            else:
                self.add(
                    format_path(p, i), f"= {_shown(item)}: expected an id, got {_type_name(item)}"
                )
        return out

    def unknown_keys(self, doc: Mapping[str, Any], path: str, known: tuple[str, ...]) -> None:
        """Report keys that the schema does not define (typos would otherwise be ignored)."""
        for key in doc:
            if key not in known:
                self.add(
                    format_path(path, key) if path else key,
                    f"unknown field; valid fields: {', '.join(known)}",
                )


def finite_pair(a: float, b: float) -> tuple[float, float] | None:
    """Two numbers as floats when both are finite (an integer beyond any float is not), else
    None: the coordinates of a point in a network or camera file."""
    try:
        x, y = float(a), float(b)
    except OverflowError:
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None
