"""Checkpoints of a batch replay: one small JSON file per finished video, written atomically.

A checkpoint is keyed on what determines a video's result: the resolved path of the file, its
size and modification time (so a file replaced or re-recorded under the same name is counted
again), and a *salt* that names the job's configuration (for counting: the camera file's content
and the detector model). The key is a hash, so the file name is short and safe on any filesystem::

    OUT/.checkpoints/<key>.json          {"format": 1, "status": "done", "video", "record"}
    OUT/.checkpoints/<key>.skipped.json  {"format": 1, "status": "skipped", "video", "reason"}

``record`` is the job's JSON result (e.g. ``VideoCounts.to_dict()``); ``reason`` says why a
video was skipped (the file was not a readable video). The status is in the file name, so a
resume of thousands of videos decides what is left from directory entries alone. Skips are
remembered so an unchanged bad file is not decoded again on every resume; touching or replacing
the file changes its key and retries it. A file this user may not read is not remembered (a
permission mended with chmod changes neither size nor mtime): it is tried again on every run.
Crashes are never checkpointed: a rerun retries them.

Every file is written to a temporary name in the same folder and moved into place with
:func:`os.replace`, which is atomic on POSIX and Windows, so an interrupted run leaves either the
old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from signalbrain._files import atomic_write_text
from signalbrain.errors import InputError

__all__ = [
    "CHECKPOINT_DIR",
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "CheckpointStore",
    "VideoTask",
    "atomic_write_text",
    "checkpoint_key",
    "file_digest",
]

CHECKPOINT_FORMAT = 1
"""Version of the checkpoint layout; part of every key, so a new layout never reads an old one."""

CHECKPOINT_DIR = ".checkpoints"
"""Folder under the output directory that holds the checkpoints."""


@dataclass(frozen=True, slots=True)
class VideoTask:
    """One input of a batch, identified for checkpointing.

    Parameters
    ----------
    label
        The path as the user gave it; used in ``counts.csv``, ``summary.json`` and progress.
    path
        The resolved absolute path handed to the job (workers must see the file there).
    key
        Checkpoint key, see :func:`checkpoint_key`; empty for a file that could not be read
        (such a task is reported as skipped without running the job).
    """

    label: str
    path: str
    key: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The stored outcome of one video: ``status`` ``"done"`` with a ``record``, or ``"skipped"``
    with a ``reason``."""

    key: str
    status: Literal["done", "skipped"]
    video: str
    record: Mapping[str, Any] | None = None
    reason: str | None = None


def file_digest(path: str | Path, *, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's content (hex); used for the camera file and the detector model.

    Raises
    ------
    InputError
        When the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(chunk_bytes):
                digest.update(chunk)
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def checkpoint_key(path: str, size_bytes: int, mtime_ns: int, salt: str) -> str:
    """Checkpoint key of a video: a hash of its resolved path, size, mtime and the job's salt.

    Parameters
    ----------
    path
        Resolved absolute path of the video.
    size_bytes, mtime_ns
        From :func:`os.stat`; a file rewritten in place gets a new key.
    salt
        The job's configuration (e.g. the camera file digest); another camera, another key.

    Returns
    -------
    str
        32 hexadecimal characters (128 bits of SHA-256).
    """
    ident = json.dumps(
        {
            "format": CHECKPOINT_FORMAT,
            "path": path,
            "size": size_bytes,
            "mtime_ns": mtime_ns,
            "salt": salt,
        },
        sort_keys=True,
    )
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]


class CheckpointStore:
    """The checkpoints of one output directory.

    Only the coordinating process writes checkpoints (workers return results to it), so files
    never race; :meth:`lock` keeps two runs from sharing one output directory.

    Parameters
    ----------
    out_dir
        The batch's output directory; created when missing.

    Raises
    ------
    InputError
        When the directory cannot be created or written to.
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.folder = self.out_dir / CHECKPOINT_DIR
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise InputError(
                f"--out {self.out_dir}: exists and is not a directory; "
                "give a new or existing directory"
            )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise InputError(
                f"--out {self.out_dir}: cannot write there "
                f"({exc.strerror or exc}); give a writable directory"
            ) from None

    def path(self, key: str) -> Path:
        """File of the finished checkpoint ``key``."""
        return self.folder / f"{key}.json"

    def skip_path(self, key: str) -> Path:
        """File of the skipped checkpoint ``key``."""
        return self.folder / f"{key}.skipped.json"

    def status(self, key: str) -> Literal["done", "skipped"] | None:
        """Which checkpoint ``key`` has, from file names only (cheap for a batch of thousands)."""
        if self.path(key).is_file():
            return "done"
        if self.skip_path(key).is_file():
            return "skipped"
        return None

    def load(self, key: str) -> Checkpoint | None:
        """The checkpoint ``key``, or None when absent or unreadable (then the video is redone)."""
        for path in (self.path(key), self.skip_path(key)):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(doc, dict) or doc.get("format") != CHECKPOINT_FORMAT:
                continue
            status, video = doc.get("status"), str(doc.get("video", ""))
            record = doc.get("record")
            if status == "done" and isinstance(record, dict):
                return Checkpoint(key, "done", video, record=record)
            if status == "skipped":
                return Checkpoint(key, "skipped", video, reason=str(doc.get("reason", "")))
        return None

    def save_done(self, task: VideoTask, record: Mapping[str, Any]) -> None:
        """Record a finished video with the job's JSON-serialisable result."""
        self._save(
            self.path(task.key),
            {
                "format": CHECKPOINT_FORMAT,
                "status": "done",
                "video": task.path,
                "record": dict(record),
            },
        )
        with contextlib.suppress(OSError):
            self.skip_path(task.key).unlink()

    def save_skipped(self, task: VideoTask, reason: str) -> None:
        """Record a video that is not a readable video file, so a resume does not retry it."""
        self._save(
            self.skip_path(task.key),
            {
                "format": CHECKPOINT_FORMAT,
                "status": "skipped",
                "video": task.path,
                "reason": reason,
            },
        )

    def discard(self, key: str) -> None:
        """Forget checkpoint ``key`` (e.g. a damaged one): the next run redoes the video."""
        for path in (self.path(key), self.skip_path(key)):
            with contextlib.suppress(OSError):
                path.unlink()

    @staticmethod
    def _save(path: Path, doc: Mapping[str, Any]) -> None:
        atomic_write_text(path, json.dumps(doc, separators=(",", ":")))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the output directory for the duration of a run.

        Raises
        ------
        InputError
            When another process holds it (two runs writing one directory would race).
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock, run unguarded
            yield
            return
        with open(self.folder / "lock", "a+b") as stream:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise InputError(
                    f"--out {self.out_dir}: another run is writing to this "
                    "directory; wait for it or give another --out"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
