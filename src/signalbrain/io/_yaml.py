"""The YAML dialect signalbrain reads and writes: YAML 1.2 core schema scalars.

PyYAML's ``SafeLoader`` resolves plain scalars by YAML 1.1, which silently changes values: ``010``
is the octal int 8 (a node ``010`` became node ``8``), ``1:30`` the sexagesimal int 90,
``yes``/``no``/``on``/``off`` booleans, ``2024-01-01`` a date, while ``1e3`` stays text.
:class:`Loader` resolves them by the YAML 1.2 core schema instead [1]_:

- null: ``null``, ``Null``, ``NULL``, ``~`` and the empty scalar;
- booleans: ``true``, ``True``, ``TRUE``, ``false``, ``False``, ``FALSE`` only;
- integers: decimal (``-12``, ``+3``), ``0o17`` (octal), ``0x1F`` (hexadecimal); no ``_``
  separators, no sexagesimal;
- floats: ``1.5``, ``.5``, ``1.``, ``1e3``, ``-2.5E-3``, ``.inf``, ``-.inf``, ``.nan``;
- everything else is a string: ``yes``, ``off``, ``1:30``, ``2024-01-01``, ``1_000``.

One deliberate departure: a decimal integer written with a leading zero (``010``, ``-007``) is a
string, not the int 10, so that a zero-padded id keeps its name; the number readers say how to
write it as a number (:class:`signalbrain.io._fields.Fields`).

:class:`Dumper` quotes every string that either YAML 1.1 or this schema would read as something
else, so what signalbrain writes reads back the same here and in YAML 1.1 tools.

This module imports PyYAML: import it where YAML is read or written, not at package import.

References
----------
.. [1] YAML Ain't Markup Language version 1.2.2, section 10.3 "Core Schema", 2021.
   https://yaml.org/spec/1.2.2/#103-core-schema
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["Dumper", "Loader", "WrittenFloat", "WrittenInt", "number"]

_DIGITS = tuple("-+0123456789")

_RESOLVERS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    # (tag, pattern, the characters a match may start with; "" for the empty scalar)
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ("~", "n", "N", "")),
    (
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        tuple("tTfF"),
    ),
    (
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        _DIGITS,
    ),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?[0-9]+[eE][-+]?[0-9]+"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        (*_DIGITS, "."),
    ),
    # kept from PyYAML: the merge key of anchors (<<: *defaults) is no scalar value
    ("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ("<",)),
)


class Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` resolving plain scalars by the YAML 1.2 core schema (see the module
    docstring); explicit tags (``!!timestamp``) still construct what they name."""


class WrittenInt(int):
    """An int read from a scalar its ``str()`` does not give back (``0x1F``, ``+3``): ``text``
    is the scalar as written, so a number used as an id keeps its name
    (:func:`signalbrain.io._fields.written`)."""

    text: str


class WrittenFloat(float):
    """A float read from a scalar its ``str()`` does not give back (``1.10``, ``1e3``, ``.5``):
    ``text`` is the scalar as written, so ``1.10`` used as an id is not renamed ``1.1``."""

    text: str


def number(tag: str, text: str) -> int | float:
    """The value of a plain scalar ``text`` resolved as ``tag`` (the core schema's int or float
    tag): ``0o17`` and ``0x1F`` in base 8 and 16, ``.inf`` and ``.nan`` in any of their cases."""
    if tag == "tag:yaml.org,2002:int":
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    low = text.lower()
    if low.endswith(".inf"):
        return float("-inf") if low.startswith("-") else float("inf")
    if low == ".nan":
        return float("nan")
    return float(low)


def _construct_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | float:
    """A core-schema int or float; one whose ``str()`` is not the scalar keeps the scalar's
    text (:class:`WrittenInt`, :class:`WrittenFloat`)."""
    text = str(loader.construct_scalar(node))
    value = number(node.tag, text)
    if str(value) == text:
        return value
    out = WrittenInt(value) if isinstance(value, int) else WrittenFloat(value)
    out.text = text
    return out


# its own table: SafeLoader's YAML 1.1 resolvers are not inherited
Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in _RESOLVERS:
    Loader.add_implicit_resolver(_tag, _regexp, list(_first))


def _refusing(kind: str, construct: Any) -> Any:
    """``construct`` raising a YAML error at the node for a value its tag cannot hold (an
    explicit ``!!int 1.5``, ``!!bool maybe``, ``!!timestamp abc``; an int of more digits than
    Python converts), which PyYAML lets escape as ``ValueError``, ``KeyError`` or
    ``AttributeError``, so the reader names the line instead of failing."""

    def wrapped(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            text = node.value if isinstance(node.value, str) else "this value"
            problem = (
                f"a number of {len(text)} digits is too long to read"
                if len(text) > 1000
                else f"{text!r} is not a valid !!{kind}"
            )
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    return wrapped


Loader.add_constructor("tag:yaml.org,2002:int", _refusing("int", _construct_number))
Loader.add_constructor("tag:yaml.org,2002:float", _refusing("float", _construct_number))
for _kind in ("bool", "timestamp", "binary"):
    _tag = f"tag:yaml.org,2002:{_kind}"
    Loader.add_constructor(_tag, _refusing(_kind, yaml.SafeLoader.yaml_constructors[_tag]))


class Dumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that quotes a string whenever YAML 1.1 or the YAML 1.2 core schema of
    :class:`Loader` would read it unquoted as something else (``'010'``, ``'1e3'``, ``'yes'``,
    ``'0o17'``), so files written here read back unchanged by both."""


for _tag, _regexp, _first in _RESOLVERS:
    Dumper.add_implicit_resolver(_tag, _regexp, list(_first))
