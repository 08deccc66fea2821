"""The outputs of a counting batch: ``counts.csv``, ``summary.json`` and :class:`ReplaySummary`.

Both files are rebuilt at the end of every run from the per-video results (the checkpoints, read
back one at a time, so memory does not grow with the batch) and written atomically, so they
always describe exactly the videos of the command that wrote them, each counted once, whether
counted now or resumed. Formats (``DESIGN.md``, "Contracts")::

    counts.csv    video,camera,t_start_s,t_end_s,kind,id,vehicles      (kind: line | movement)
    summary.json  {"frames", "seconds", "fps", "lines", "movements", "skipped"}

``fps`` is processed frames per second of processing time summed over videos: the throughput of
one worker, the same whether a video was counted now or in an earlier run, on one core or on a
cluster. The wall-clock throughput of this run is :attr:`ReplaySummary.wall_fps`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signalbrain._files import replacement_mode
from signalbrain.replay.checkpoint import atomic_write_text
from signalbrain.vision.counts import VideoCounts

__all__ = [
    "COUNTS_CSV",
    "COUNTS_HEADER",
    "SUMMARY_JSON",
    "CountsWriter",
    "ReplaySummary",
    "SkippedVideo",
    "parse_counts",
]

COUNTS_CSV = "counts.csv"
SUMMARY_JSON = "summary.json"
COUNTS_HEADER: tuple[str, ...] = (
    "video",
    "camera",
    "t_start_s",
    "t_end_s",
    "kind",
    "id",
    "vehicles",
)


@dataclass(frozen=True, slots=True)
class SkippedVideo:
    """A video the batch could not count, and why."""

    video: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    """Result of a counting batch, aggregated over every counted video.

    Attributes
    ----------
    out_dir
        Where ``counts.csv``, ``summary.json`` and the checkpoints are.
    videos
        Videos counted (now or in an earlier run).
    resumed
        Of those, videos taken from their checkpoint.
    frames
        Frames processed.
    seconds
        Video time covered [s].
    processing_s
        Processing time summed over videos [s] (one worker's time).
    wall_s
        Wall time of this run [s].
    lines
        ``{"LINE": {"total": n, "positive": n, "negative": n}}`` summed over videos.
    movements
        ``{"FROM->TO": n}`` summed over videos.
    skipped
        Videos not counted, in input order.
    counted_frames
        Frames processed in this run (not resumed).
    corrupt_frames
        Undecodable frames skipped inside the counted videos (not in ``summary.json``, whose
        keys are a contract; the progress lines name them per video).
    """

    out_dir: Path
    videos: int
    resumed: int
    frames: int
    seconds: float
    processing_s: float
    wall_s: float
    lines: dict[str, dict[str, int]] = field(default_factory=dict)
    movements: dict[str, int] = field(default_factory=dict)
    skipped: tuple[SkippedVideo, ...] = ()
    counted_frames: int = 0
    corrupt_frames: int = 0

    @property
    def fps(self) -> float:
        """Processed frames per second of processing time [1/s] (one worker's throughput)."""
        return self.frames / self.processing_s if self.processing_s > 0 else 0.0

    @property
    def wall_fps(self) -> float:
        """Frames counted in this run per second of wall time [1/s]: 0 when all were resumed."""
        return 0.0 if self.wall_s <= 0 else self.counted_frames / self.wall_s

    @property
    def counts_csv(self) -> Path:
        """Path of ``counts.csv``."""
        return self.out_dir / COUNTS_CSV

    @property
    def summary_json(self) -> Path:
        """Path of ``summary.json``."""
        return self.out_dir / SUMMARY_JSON

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` document (exactly the contract's keys)."""
        return {
            "frames": self.frames,
            "seconds": round(self.seconds, 6),
            "fps": round(self.fps, 3),
            "lines": {k: dict(v) for k, v in self.lines.items()},
            "movements": dict(self.movements),
            "skipped": [{"video": s.video, "reason": s.reason} for s in self.skipped],
        }


def _num(value: float) -> str:
    """A bin time for CSV [s], to the microsecond: integral values without a decimal point,
    others in shortest form (bins of 1.1 s had started at 3.3000000000000003)."""
    rounded = round(float(value), 6)
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def _field(text: str) -> str:
    """One CSV field, quoted only when it must be (RFC 4180)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class CountsWriter:
    """Builds the outputs of a batch one video at a time, in constant memory.

    Rows go to a temporary file next to ``counts.csv`` while the totals are summed;
    :meth:`commit` moves the file into place and writes ``summary.json``, both atomically. Used
    as a context manager, an exception discards the temporary file and leaves the previous
    outputs untouched. Rows are formatted by hand with cached fields: a city-scale rerun writes
    millions of rows, and :mod:`csv` with number formatting per row was most of its time.

    A ``counts.csv`` that is a symbolic link is written through, as ``summary.json`` is (see
    :func:`signalbrain._files.atomic_write_bytes`): the file it points to is replaced, the link
    kept.

    Parameters
    ----------
    out_dir
        The batch's output directory (must exist).
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        target = out_dir / COUNTS_CSV
        self._target = Path(os.path.realpath(target)) if os.path.islink(target) else target
        fd, self._tmp = tempfile.mkstemp(
            prefix=f".{COUNTS_CSV}.", suffix=".tmp", dir=self._target.parent
        )
        # a file name with undecodable bytes (held as surrogates) is written as \udcXX, as in
        # summary.json, so the file stays valid UTF-8
        self._stream = os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="")
        self._stream.write(",".join(COUNTS_HEADER) + "\n")
        self._nums: dict[float, str] = {}
        self._ids: dict[str, str] = {}
        self.lines: dict[str, dict[str, int]] = {}
        self.movements: dict[str, int] = {}
        self.videos = self.resumed = self.frames = self.counted_frames = self.corrupt_frames = 0
        self.seconds = self.processing_s = 0.0

    def __enter__(self) -> CountsWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc_type is not None or not self._stream.closed:
            self.discard()

    def add(self, label: str, vc: VideoCounts, *, resumed: bool) -> None:
        """Append one video's rows (``label`` is its path as given) and add its totals."""
        nums, ids = self._nums, self._ids
        head = f"{_field(label)},{_field(vc.camera)},"
        rows = []
        for row in vc.bins:
            t0 = nums.get(row.t_start_s) or nums.setdefault(row.t_start_s, _num(row.t_start_s))
            t1 = nums.get(row.t_end_s) or nums.setdefault(row.t_end_s, _num(row.t_end_s))
            rid = ids.get(row.id) or ids.setdefault(row.id, _field(row.id))
            rows.append(f"{head}{t0},{t1},{row.kind},{rid},{row.vehicles}\n")
        self._stream.write("".join(rows))
        for line_id, by_dir in vc.lines.items():
            acc = self.lines.setdefault(line_id, {"total": 0, "positive": 0, "negative": 0})
            for k, n in by_dir.items():
                acc[k] = acc.get(k, 0) + int(n)
        for move_id, n in vc.movements.items():
            self.movements[move_id] = self.movements.get(move_id, 0) + int(n)
        self.videos += 1
        self.resumed += resumed
        self.frames += vc.frames
        self.corrupt_frames += vc.corrupt_frames
        self.counted_frames += 0 if resumed else vc.frames
        self.seconds += vc.seconds
        self.processing_s += vc.processing_s

    def commit(self, *, skipped: Sequence[SkippedVideo], wall_s: float) -> ReplaySummary:
        """Publish ``counts.csv`` and ``summary.json``; returns the batch summary."""
        self._stream.flush()
        os.fchmod(self._stream.fileno(), replacement_mode(self._target))
        os.fsync(self._stream.fileno())
        self._stream.close()
        summary = ReplaySummary(
            out_dir=self.out_dir,
            videos=self.videos,
            resumed=self.resumed,
            frames=self.frames,
            seconds=self.seconds,
            processing_s=self.processing_s,
            wall_s=wall_s,
            lines=self.lines,
            movements=self.movements,
            skipped=tuple(skipped),
            counted_frames=self.counted_frames,
            corrupt_frames=self.corrupt_frames,
        )
        os.replace(self._tmp, self._target)
        atomic_write_text(summary.summary_json, json.dumps(summary.to_dict(), indent=2) + "\n")
        return summary

    def discard(self) -> None:
        """Drop the temporary file (the previous outputs stay as they were)."""
        if not self._stream.closed:
            self._stream.close()
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)


def parse_counts(record: Mapping[str, Any]) -> VideoCounts:
    """A checkpoint record as :class:`VideoCounts` (raises KeyError/TypeError/ValueError)."""
    return VideoCounts.from_dict(record)
