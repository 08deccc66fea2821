"""The inputs of a batch: video paths as given, expanded, de-duplicated and keyed for checkpoints.

A path that is a directory stands for every video file under it (recursively, sorted by path),
so a day of recordings in dated folders is one argument; a symbolic link there whose target is
gone is reported like a missing file. The same file given twice (also through
a symbolic or hard link) is counted once. A path that does not exist is reported as skipped, not
as an error, so one typo does not stop a batch of thousands.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from signalbrain.replay.checkpoint import VideoTask, checkpoint_key

__all__ = ["VIDEO_SUFFIXES", "BatchInputs", "collect_videos"]

VIDEO_SUFFIXES: frozenset[str] = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".wmv",
        ".flv",
        ".mpg",
        ".mpeg",
        ".ts",
        ".mts",
        ".m2ts",
        ".3gp",
        ".h264",
        ".h265",
        ".hevc",
        ".mjpeg",
        ".mjpg",
    }
)
"""File suffixes (lower case) taken from a directory given as input; files named directly are
taken whatever their suffix."""


@dataclass(frozen=True, slots=True)
class BatchInputs:
    """Inputs of a batch.

    Attributes
    ----------
    tasks
        Videos to count (or resume), in the order given, each once.
    missing
        ``(label, reason)`` of paths that cannot be counted at all (absent, not a file, a
        directory without videos, a broken link to a video in a directory); reported as
        skipped.
    duplicates
        ``(label, first_label)`` of paths dropped because they are the same file as an earlier one.
    """

    tasks: tuple[VideoTask, ...]
    missing: tuple[tuple[str, str], ...]
    duplicates: tuple[tuple[str, str], ...]


def _expand(arg: str) -> tuple[list[tuple[str, Path]], list[tuple[str, str]]]:
    """``(label, path)`` pairs an argument stands for, and ``(label, reason)`` of what it
    names that cannot be counted (the argument itself, or broken links in a directory)."""
    path = Path(arg)
    if path.is_dir():
        found: list[Path] = []
        broken: list[tuple[str, str]] = []
        for p in sorted(path.rglob("*")):
            if p.suffix.lower() not in VIDEO_SUFFIXES or any(
                part.startswith(".") for part in p.relative_to(path).parts
            ):
                continue
            if p.is_file():
                found.append(p)
            elif p.is_symlink() and not p.exists():  # a recording moved or not yet copied
                broken.append((str(p), "broken symbolic link: its target does not exist"))
        if not found and not broken:
            suffixes = " ".join(sorted(VIDEO_SUFFIXES))
            return [], [(arg, f"directory holds no video files ({suffixes})")]
        return [(str(p), p) for p in found], broken
    if not path.exists():
        return [], [(arg, "file not found")]
    if not path.is_file():
        return [], [(arg, "not a regular file")]
    return [(arg, path)], []


def collect_videos(videos: Iterable[str | Path], salt: str) -> BatchInputs:
    """Expand, de-duplicate and key the videos of a batch.

    Parameters
    ----------
    videos
        Paths of video files or of directories holding them.
    salt
        The job's configuration, mixed into every checkpoint key (see
        :func:`~signalbrain.replay.checkpoint.checkpoint_key`).

    Returns
    -------
    BatchInputs
    """
    tasks: list[VideoTask] = []
    missing: list[tuple[str, str]] = []
    duplicates: list[tuple[str, str]] = []
    seen: dict[tuple[int, int], str] = {}
    for arg in videos:
        pairs, problems = _expand(os.fspath(arg))
        missing += problems
        for label, path in pairs:
            try:
                st = path.stat()
                resolved = str(path.resolve())
            except OSError as exc:
                missing.append((label, f"cannot stat: {exc.strerror or exc}"))
                continue
            ident = (st.st_dev, st.st_ino)
            if ident in seen:
                duplicates.append((label, seen[ident]))
                continue
            seen[ident] = label
            key = checkpoint_key(resolved, st.st_size, st.st_mtime_ns, salt)
            tasks.append(VideoTask(label=label, path=resolved, key=key))
    return BatchInputs(tuple(tasks), tuple(missing), tuple(duplicates))
