"""The outputs of a counting batch: ``counts.csv``, ``summary.json`` and :class:`ReplaySummary`.

Both files are rebuilt from the per-video results (the checkpoints) at the end of every run and
written atomically, so they always describe exactly the videos of the command that wrote them,
each counted once, whether counted now or resumed. Formats (``DESIGN.md``, "Contracts")::

    counts.csv    video,camera,t_start_s,t_end_s,kind,id,vehicles      (kind: line | movement)
    summary.json  {"frames", "seconds", "fps", "lines", "movements", "skipped"}

``fps`` is processed frames per second of processing time summed over videos: the throughput of
one worker, the same whether a video was counted now or in an earlier run, on one core or on a
cluster. The wall-clock throughput of this run is :attr:`ReplaySummary.wall_fps`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signalbrain.replay.checkpoint import atomic_write_text
from signalbrain.vision.counts import VideoCounts

__all__ = ["COUNTS_CSV", "COUNTS_HEADER", "SUMMARY_JSON", "ReplaySummary", "SkippedVideo",
           "counts_csv_text", "summarize", "write_outputs"]

COUNTS_CSV = "counts.csv"
SUMMARY_JSON = "summary.json"
COUNTS_HEADER: tuple[str, ...] = ("video", "camera", "t_start_s", "t_end_s", "kind", "id",
                                  "vehicles")


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
    """A number for CSV: integral values without a decimal point, others in shortest form."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _field(text: str) -> str:
    """One CSV field, quoted only when it must be (RFC 4180)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def counts_csv_text(counted: Iterable[tuple[str, VideoCounts]]) -> str:
    """``counts.csv`` content for ``(label, counts)`` pairs, rows in the order given.

    Formatted by hand with cached fields: a city-scale rerun rebuilds millions of rows, and
    :mod:`csv` plus number formatting per row was the larger part of its time.
    """
    out = [",".join(COUNTS_HEADER)]
    nums: dict[float, str] = {}
    ids: dict[str, str] = {}
    for label, vc in counted:
        head = f"{_field(label)},{_field(vc.camera)},"
        for row in vc.bins:
            t0 = nums.get(row.t_start_s) or nums.setdefault(row.t_start_s, _num(row.t_start_s))
            t1 = nums.get(row.t_end_s) or nums.setdefault(row.t_end_s, _num(row.t_end_s))
            rid = ids.get(row.id) or ids.setdefault(row.id, _field(row.id))
            out.append(f"{head}{t0},{t1},{row.kind},{rid},{row.vehicles}")
    out.append("")
    return "\n".join(out)


def summarize(counted: Sequence[tuple[str, VideoCounts]], *, out_dir: Path, resumed: int,
              counted_frames: int, skipped: Sequence[SkippedVideo], wall_s: float
              ) -> ReplaySummary:
    """Aggregate per-video counts (``(label, counts)`` pairs) into a :class:`ReplaySummary`."""
    lines: dict[str, dict[str, int]] = {}
    movements: dict[str, int] = {}
    for _, vc in counted:
        for line_id, by_dir in vc.lines.items():
            acc = lines.setdefault(line_id, {"total": 0, "positive": 0, "negative": 0})
            for k, n in by_dir.items():
                acc[k] = acc.get(k, 0) + int(n)
        for move_id, n in vc.movements.items():
            movements[move_id] = movements.get(move_id, 0) + int(n)
    return ReplaySummary(
        out_dir=out_dir, videos=len(counted), resumed=resumed,
        frames=sum(vc.frames for _, vc in counted),
        seconds=sum(vc.seconds for _, vc in counted),
        processing_s=sum(vc.processing_s for _, vc in counted), wall_s=wall_s,
        lines=lines, movements=movements, skipped=tuple(skipped), counted_frames=counted_frames)


def write_outputs(summary: ReplaySummary, counted: Iterable[tuple[str, VideoCounts]]) -> None:
    """Write ``counts.csv`` and ``summary.json`` atomically into ``summary.out_dir``."""
    atomic_write_text(summary.counts_csv, counts_csv_text(counted))
    atomic_write_text(summary.summary_json, json.dumps(summary.to_dict(), indent=2) + "\n")


def parse_counts(record: Mapping[str, Any]) -> VideoCounts:
    """A checkpoint record as :class:`VideoCounts` (raises KeyError/TypeError/ValueError)."""
    return VideoCounts.from_dict(record)
