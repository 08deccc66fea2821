"""Reading a YAML file: bytes to text to a node tree to values, every failure a named problem.

:func:`decode_text` takes UTF-8 (with or without a byte-order mark) and UTF-16 with one;
:func:`load_yaml` reads by signalbrain's YAML dialect (:mod:`signalbrain.io._yaml`) and turns an
unreadable file, bad characters, syntax errors and keys given twice into one
:class:`~signalbrain.errors.InputError` naming the file, line and column. PyYAML is imported on
first use, not with this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from signalbrain.errors import InputError, Problem, format_path

__all__ = ["decode_text", "load_yaml"]


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
