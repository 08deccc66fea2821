"""Atomic file writes (a reader, or a crash, never sees half a file), and reading a file that
may be gzipped."""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_text", "open_maybe_gzip", "replacement_mode"]


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` gives a new file: 0o666 less the umask (read once;
    ``os.umask`` can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _file_mode()


def replacement_mode(path: Path) -> int:
    """The mode a file written in place of ``path`` should get: that of the file it replaces, or
    for a new file the one an ordinary write gives. A temporary file from :mod:`tempfile` is
    private (0o600) and needs it before it is moved into place."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return _MODE


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temporary file in the same folder, fsync, replace.
    The file gets the mode an ordinary write would give it (the temporary file is made private,
    0o600), or keeps the mode of the file it replaces. A symbolic link is written through, as
    an ordinary write does: the file it points to is replaced, the link kept. A target that is
    no regular file (``/dev/stdout``, ``/dev/null``, a named pipe) is written to as an ordinary
    write does: replacing it made a regular file of it (run as root, of ``/dev/null``) and the
    reader at a pipe got nothing."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # a new file (or one stat cannot see): written atomically below
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with open(path, "wb") as stream:
            stream.write(data)
        return
    if os.path.islink(path):
        path = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, replacement_mode(path))
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def open_maybe_gzip(path: str | Path) -> Any:
    """``path`` opened for binary reading, through gzip when it is a gzip stream (SUMO reads a
    ``.net.xml.gz`` and gzipped additional files as it reads plain ones, whatever the name)."""
    p = Path(path)
    with p.open("rb") as fh:
        magic = fh.read(2)
    return gzip.open(p, "rb") if magic == b"\x1f\x8b" else p.open("rb")
