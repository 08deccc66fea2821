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
from pathlib import Path
from typing import Any

from signalbrain.errors import InputError, Problem, format_path

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


def decode_text(data: bytes, source: str) -> str:
    """The text of a file: UTF-8 (a byte-order mark is dropped), or UTF-16 when it starts with
    a UTF-16 byte-order mark (as Windows editors save "Unicode" text); anything else is one
    :class:`InputError` naming the line and column of the first byte that is not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: report it as not UTF-8
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line = head.count(b"\n") + 1
        column = exc.start - (head.rfind(b"\n") + 1) + 1
        raise InputError(
            [
                Problem(
                    "",
                    f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, column "
                    f"{column} cannot be read; save the file as UTF-8",
                    source,
                )
            ]
        ) from None


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def _duplicate_keys(root: Any) -> list[tuple[str, int, int, int, str]]:
    """``(yaml path, line, column, first line, how)`` of every key given twice in one mapping of
    a composed YAML node tree (PyYAML would keep the last value and drop the first without a
    word), in file order. Number keys are the same key when their values are equal (``1.1`` and
    ``1.10``, ``31`` and ``0x1F``, ``1`` and ``1.0``): ``how`` then names both spellings."""
    import yaml

    from signalbrain.io._yaml import number

    out: list[tuple[str, int, int, int, str]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node is None or id(node) in seen:  # an alias: already walked
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, object], tuple[int, str]] = {}
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    stack.append((value, path))
                    continue
                scalar = isinstance(key, yaml.ScalarNode)
                name = str(key.value) if scalar else "?"
                child = format_path(path, name) if path else name
                if scalar:
                    if key.tag in _NUMBER_TAGS:
                        v = number(key.tag, key.value)
                        ident: tuple[str, object] = ("number", "nan" if v != v else v)
                    else:
                        ident = (key.tag, key.value)
                    if ident in first:
                        line, spelled = first[ident]
                        how = (
                            ""
                            if spelled == key.value
                            else f"; {spelled} and {key.value} are the same number to YAML: "
                            f"quote ids that differ ('{key.value}')"
                        )
                        out.append(
                            (child, key.start_mark.line + 1, key.start_mark.column + 1, line, how)
                        )
                    else:
                        first[ident] = (key.start_mark.line + 1, key.value)
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, format_path(path, i)) for i, item in enumerate(node.value))
    return sorted(out, key=lambda d: (d[1], d[2]))


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file with YAML 1.2 core schema scalars (:mod:`signalbrain.io._yaml`: ``yes``,
    ``1:30``, ``010`` and ``2024-01-01`` stay text, ``1e3`` is a number); unreadable files, text
    that is not UTF-8, syntax errors and keys given twice in one mapping become one
    :class:`InputError`."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"file not found: {source}") from None
    except IsADirectoryError:
        raise InputError([Problem("", "is a folder; expected a YAML file", source)]) from None
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc}") from None
    text = decode_text(data, source)
    # PyYAML loads on first use: commands reading SUMO files only (signalbrain optimize
    # NET.net.xml --routes ...) do not pay its ~0.02 s of start-up
    import yaml

    from signalbrain.io._yaml import Loader

    loader: Loader | None = None
    try:
        loader = Loader(text)  # YAML 1.2 core scalars; checks the characters: may raise
        node = loader.get_single_node()
        duplicates = _duplicate_keys(node)
        if duplicates:
            raise InputError(
                [
                    Problem(
                        where,
                        f"given twice (line {line}, column {column}; first on line {first}){how}"
                        + (
                            ""
                            if how
                            else "; YAML keeps only the last value: remove one or rename it"
                        ),
                        source,
                    )
                    for where, line, column, first, how in duplicates
                ]
            )
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is None and isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
            column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
            where = f"line {line}, column {column}"
            char = exc.character
            shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
            problem = f"character {shown} is not allowed in YAML (a binary file?)"
        else:
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
            problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem("", f"malformed YAML at {where}: {problem}", source)]) from None
    except RecursionError:  # an alias inside itself, nested beyond Python's stack
        raise InputError(
            [Problem("", "malformed YAML: nested too deeply (an alias inside itself?)", source)]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


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
    text = written(value) if hasattr(value, "text") else repr(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 3] + "..."


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
