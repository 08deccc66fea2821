"""Checks of a command's output targets before it does its work, so that a run of many minutes
never ends in an error about where to write (a folder given for a file, a missing folder, a
format no writer has)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from signalbrain.errors import Problem

__all__ = ["output_problems"]


def output_problems(
    option: str,
    path: Path | None,
    *,
    suffixes: Sequence[str] = (),
    create_folder: bool = False,
) -> list[Problem]:
    """What is wrong with writing the file ``path`` given as ``option`` (nothing for None).

    ``suffixes``: the formats the writer knows (lower case, with the dot; any when empty).
    ``create_folder``: a missing folder is made at write time rather than refused.
    """
    if path is None:
        return []
    out: list[Problem] = []
    if path.is_dir():
        out.append(Problem(option, f"{path} is a folder; expected a file to write"))
    elif not create_folder and path.parent != Path() and not path.parent.is_dir():
        out.append(Problem(option, f"folder {path.parent} does not exist"))
    if path.is_dir():
        pass  # said above (its name is no file name: "." was also told its suffix was wrong)
    elif suffixes and not path.name.lower().endswith(tuple(suffixes)):
        out.append(Problem(option, f"{path.name}: the suffix must be one of {', '.join(suffixes)}"))
    elif path.name.lower() in suffixes:  # '.yaml': a hidden file without a suffix to its writer
        out.append(Problem(option, f"{path.name}: a file name is needed before the suffix"))
    return out
