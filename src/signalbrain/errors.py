"""Errors raised by signalbrain.

Every problem with user input is reported as a :class:`Problem` (file, YAML path, message) and a
validator gathers all of them before raising one :class:`InputError`, so an engineer fixes a file
in one pass. The command line maps :class:`InputError` to exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InputError", "Problem", "SignalbrainError", "format_path", "shown"]


class SignalbrainError(Exception):
    """Base class of every error signalbrain raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    path
        Where in the document, as a YAML path such as ``intersections.A.phases[2].min_green_s``;
        empty for the document as a whole.
    message
        What is wrong and what would be valid.
    source
        The file (or other origin) the document came from, if known.
    """

    path: str
    message: str
    source: str | None = None

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.source, self.path) if p)
        if not where:
            return self.message
        # "links.x.lanes = 0: must be >= 1" reads better than "links.x.lanes: = 0: ..."
        sep = " " if self.path and self.message.startswith("= ") else ": "
        return f"{where}{sep}{self.message}"


class InputError(SignalbrainError, ValueError):
    """Bad input: one or more :class:`Problem` found in a file, an argument or a request."""

    def __init__(self, problems: Iterable[Problem] | str, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems, source)]
        items = [
            p if p.source or source is None else Problem(p.path, p.message, source)
            for p in problems
        ]
        if not items:
            items = [Problem("", "invalid input", source)]
        self.problems: tuple[Problem, ...] = tuple(items)
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters (a 400-digit number or a
    whole document given as a field is not printed in full)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_path(*parts: str | int) -> str:
    """Join YAML path parts: ``format_path("intersections", "A", "phases", 2)`` gives
    ``intersections.A.phases[2]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
