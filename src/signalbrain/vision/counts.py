"""The result of counting one video: :class:`VideoCounts` and its rows.

:class:`VideoCounts` is what :func:`signalbrain.vision.count_video` returns and what batch replay
checkpoints: totals per line (by direction) and per turning movement, binned rows for
``counts.csv`` (:class:`CountRow`), queue occupancy over time per queue zone
(:class:`QueueSeries`) and the car / heavy split. :meth:`VideoCounts.to_dict` is JSON-able and
:meth:`VideoCounts.from_dict` inverts it exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SIZE_CLASSES", "CountRow", "QueueSeries", "VideoCounts"]

SIZE_CLASSES: tuple[str, ...] = ("car", "heavy")


@dataclass(frozen=True, slots=True)
class CountRow:
    """Vehicles counted in one time bin ``[t_start_s, t_end_s)`` of video time.

    ``kind`` is ``line`` (both directions together) or ``movement`` (``id`` is ``FROM->TO``).
    """

    t_start_s: float
    t_end_s: float
    kind: str
    id: str
    vehicles: int


@dataclass(frozen=True, slots=True)
class QueueSeries:
    """Queue-zone state sampled every ``sample_s`` of video time.

    ``t_s[i]`` is the start of sample ``i``; ``occupancy[i]`` the mean fraction of the zone area
    covered by vehicles (0..1); ``vehicles[i]`` the mean number of tracked vehicles whose centre
    is inside the zone and ``stopped[i]`` the mean number of those moving slower than the stop
    speed (the queue length in vehicles).
    """

    zone: str
    sample_s: float
    t_s: tuple[float, ...]
    occupancy: tuple[float, ...]
    vehicles: tuple[float, ...]
    stopped: tuple[float, ...]

    @property
    def mean_occupancy(self) -> float:
        """Time-mean occupancy over the whole video (0..1)."""
        return sum(self.occupancy) / len(self.occupancy) if self.occupancy else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "zone": self.zone,
            "sample_s": self.sample_s,
            "t_s": list(self.t_s),
            "occupancy": list(self.occupancy),
            "vehicles": list(self.vehicles),
            "stopped": list(self.stopped),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> QueueSeries:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(d["zone"]),
            float(d["sample_s"]),
            tuple(float(v) for v in d["t_s"]),
            tuple(float(v) for v in d["occupancy"]),
            tuple(float(v) for v in d["vehicles"]),
            tuple(float(v) for v in d["stopped"]),
        )


@dataclass(frozen=True)
class VideoCounts:
    """Everything counted in one video.

    Attributes
    ----------
    video, camera
        The video path and the camera id.
    frames
        Frames decoded and processed.
    corrupt_frames
        Frames that failed to decode inside the file and were skipped.
    seconds
        Video time covered [s] (decoded plus corrupt frames over the frame rate).
    processing_s
        Wall time of the processing [s].
    bins
        One :class:`CountRow` per ``interval_s`` bin per line and per possible movement.
    lines
        ``{"LINE": {"total": n, "positive": n, "negative": n}}``.
    movements
        ``{"FROM->TO": n}`` for every entry/exit zone pair.
    queues
        ``{"ZONE": QueueSeries}`` for every queue zone.
    classes
        Size classes per line: ``{"LINE": {"car": n, "heavy": n}}``.
    movement_classes
        Size classes per movement: ``{"FROM->TO": {"car": n, "heavy": n}}``.
    video_fps
        Frame rate used for video time [1/s].
    frame_size
        Source ``(width, height)`` [px].
    """

    video: str
    camera: str
    frames: int
    corrupt_frames: int
    seconds: float
    processing_s: float
    bins: tuple[CountRow, ...]
    lines: dict[str, dict[str, int]]
    movements: dict[str, int]
    queues: dict[str, QueueSeries] = field(default_factory=dict)
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    movement_classes: dict[str, dict[str, int]] = field(default_factory=dict)
    video_fps: float = 0.0
    frame_size: tuple[int, int] = (0, 0)

    @property
    def processed_fps(self) -> float:
        """Frames processed per second of wall time."""
        return self.frames / self.processing_s if self.processing_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; :meth:`from_dict` gives back an equal object."""
        return {
            "video": self.video,
            "camera": self.camera,
            "frames": self.frames,
            "corrupt_frames": self.corrupt_frames,
            "seconds": self.seconds,
            "processing_s": self.processing_s,
            "bins": [[r.t_start_s, r.t_end_s, r.kind, r.id, r.vehicles] for r in self.bins],
            "lines": {k: dict(v) for k, v in self.lines.items()},
            "movements": dict(self.movements),
            "queues": {k: q.to_dict() for k, q in self.queues.items()},
            "classes": {k: dict(v) for k, v in self.classes.items()},
            "movement_classes": {k: dict(v) for k, v in self.movement_classes.items()},
            "video_fps": self.video_fps,
            "frame_size": list(self.frame_size),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VideoCounts:
        """Inverse of :meth:`to_dict`."""
        w, h = d.get("frame_size", (0, 0))
        return cls(
            video=str(d["video"]),
            camera=str(d["camera"]),
            frames=int(d["frames"]),
            corrupt_frames=int(d["corrupt_frames"]),
            seconds=float(d["seconds"]),
            processing_s=float(d["processing_s"]),
            bins=tuple(
                CountRow(float(a), float(b), str(k), str(i), int(n)) for a, b, k, i, n in d["bins"]
            ),
            lines={str(k): {str(a): int(b) for a, b in v.items()} for k, v in d["lines"].items()},
            movements={str(k): int(v) for k, v in d["movements"].items()},
            queues={str(k): QueueSeries.from_dict(v) for k, v in d.get("queues", {}).items()},
            classes={
                str(k): {str(a): int(b) for a, b in v.items()}
                for k, v in d.get("classes", {}).items()
            },
            movement_classes={
                str(k): {str(a): int(b) for a, b in v.items()}
                for k, v in d.get("movement_classes", {}).items()
            },
            video_fps=float(d.get("video_fps", 0.0)),
            frame_size=(int(w), int(h)),
        )
