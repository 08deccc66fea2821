"""Progress of a batch on a text stream (stderr): one line per video event and an overall line.

On a terminal the running status (a bar, videos done, frames per second, time left and the
videos in progress) is one line rewritten in place, and finished or skipped videos scroll above
it. Anywhere else (a log file, CI) the same information comes as plain lines, at most one status
line every ``interval_s`` seconds, so logs stay short. No dependency beyond the standard library.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from signalbrain._text import format_duration

__all__ = ["ProgressReporter", "format_duration"]


@dataclass(slots=True)
class _Running:
    label: str
    frames_done: int = 0
    frames_total: int | None = None
    last_print_s: float = 0.0  # start, then last progress line: short videos print none


@dataclass(slots=True)
class ProgressReporter:
    """Reports a batch's progress; every method is cheap and safe to call often.

    Parameters
    ----------
    stream
        Where to write; None reports nothing.
    interval_s
        Least time between two status lines (a terminal redraws at most every 0.2 s).
    clock
        Monotonic clock [s] (injectable for tests).
    """

    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    interval_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _tty: bool = False
    _total: int = 0
    _finished: int = 0
    _frames_finished: int = 0
    _start_s: float = 0.0
    _last_status_s: float = -1e9
    _status_shown: bool = False
    _running: dict[str, _Running] = field(default_factory=dict)

    def __post_init__(self) -> None:
        isatty = getattr(self.stream, "isatty", None)
        self._tty = bool(isatty and isatty())

    # -- events -------------------------------------------------------------------------------
    def begin(self, *, videos: int, resumed: int, skipped: int, todo: int, where: str) -> None:
        """A batch starts: ``todo`` of ``videos`` remain (``resumed`` done and ``skipped`` known
        bad from checkpoints)."""
        self._total, self._start_s = todo, self.clock()
        before = []
        if resumed:
            before.append(f"{resumed} done before")
        if skipped:
            before.append(f"{skipped} skipped before")
        detail = f" ({', '.join(before)})" if before else ""
        what = f"{todo} to count on {where}" if todo else "nothing left to count"
        self._line(f"count: {videos} video{'s' * (videos != 1)}{detail}; {what}")

    def started(self, key: str, label: str) -> None:
        """A worker started on a video."""
        self._running.setdefault(key, _Running(label, last_print_s=self.clock()))

    def progress(self, key: str, label: str, frames_done: int, frames_total: int | None) -> None:
        """A worker reports ``frames_done`` of ``frames_total`` (None when unknown)."""
        now = self.clock()
        run = self._running.setdefault(key, _Running(label, last_print_s=now))
        run.frames_done, run.frames_total = frames_done, frames_total
        if not self._tty and now - run.last_print_s >= self.interval_s:
            run.last_print_s = now
            self._line(f"  {label}: {self._fraction(run)}")
        self._status(now)

    def finished(
        self,
        key: str,
        label: str,
        *,
        frames: int | None = None,
        video_s: float | None = None,
        processing_s: float | None = None,
        reason: str | None = None,
        corrupt_frames: int = 0,
    ) -> None:
        """A video is done (``reason`` None) or skipped (``reason`` says why); a done video's
        ``corrupt_frames`` (undecodable frames skipped inside it) are named."""
        self._running.pop(key, None)
        self._finished += 1
        head = f"[{self._finished}/{self._total}]"
        if reason is not None:
            self._line(f"{head} skipped {label}: {reason}")
        else:
            self._frames_finished += frames or 0
            parts = [f"{frames} frames" if frames is not None else "done"]
            if video_s is not None:
                parts.append(f"{format_duration(video_s)} of video")
            if processing_s:
                rate = f", {frames / processing_s:.0f} fps" if frames else ""
                parts.append(f"in {processing_s:.1f} s{rate}")
            if corrupt_frames:
                parts.append(
                    f"({corrupt_frames} corrupt frame{'s' * (corrupt_frames != 1)} skipped)"
                )
            self._line(f"{head} done {label}: {' '.join(parts)}")
        self._status(self.clock())

    def tick(self) -> None:
        """Nothing happened; refresh the overall line if it is due (elapsed time, rate)."""
        self._status(self.clock())

    def end(self, text: str) -> None:
        """The batch is over: one closing line."""
        self._line(text)

    # -- rendering ----------------------------------------------------------------------------
    @staticmethod
    def _fraction(run: _Running) -> str:
        if run.frames_total:
            pct = 100.0 * run.frames_done / run.frames_total
            return f"{run.frames_done}/{run.frames_total} frames ({pct:.0f}%)"
        return f"{run.frames_done} frames"

    def _overall(self, now: float) -> str:
        elapsed = max(now - self._start_s, 1e-9)
        frames = self._frames_finished + sum(r.frames_done for r in self._running.values())
        text = (
            f"overall {self._finished}/{self._total} videos, {frames} frames, "
            f"{frames / elapsed:.0f} fps, {format_duration(elapsed)} elapsed"
        )
        if 0 < self._finished < self._total:
            left = elapsed / self._finished * (self._total - self._finished)
            text += f", ~{format_duration(left)} left"
        return text

    def _status(self, now: float, *, force: bool = False) -> None:
        if self.stream is None or self._total == 0:
            return
        if self._tty:
            if now - self._last_status_s < 0.2 and not force:
                return
            self._last_status_s = now
            width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
            done = int(20 * self._finished / self._total)
            bar = "#" * done + "-" * (20 - done)
            running = " | ".join(f"{r.label}: {self._fraction(r)}" for r in self._running.values())
            text = f"[{bar}] {self._overall(now)}" + (f" | {running}" if running else "")
            self._write("\r\x1b[K" + text[:width])
            self._status_shown = True
        elif force or now - self._last_status_s >= self.interval_s:
            self._last_status_s = now
            self._line(self._overall(now))

    def _line(self, text: str) -> None:
        if self.stream is None:
            return
        if self._status_shown:
            self._status_shown = False
            text = "\r\x1b[K" + text
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        """Write and flush; a stream that is gone (stderr piped into ``head``, a log collector
        or terminal that went away) ends the reporting, not the batch."""
        if self.stream is None:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # ValueError: the stream was closed
            self.stream = None
