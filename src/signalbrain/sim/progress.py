"""Progress of a SUMO run on a text stream (stderr): simulated time, speed and time left.

A city-scale hour can take many minutes of wall time, so ``signalbrain sumo run`` says how far it
is. On a terminal one status line is rewritten in place (at most every 0.2 s); anywhere else (a
log file, CI) the same line is printed as plain text at most every ``interval_s`` seconds, so
logs stay short. A closing line always reports the simulated span, the wall time and the speed
against real time. No dependency beyond the standard library.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from signalbrain._text import format_duration

__all__ = ["SimProgress"]


@dataclass(slots=True)
class SimProgress:
    """Reports a simulation's progress; :meth:`step` is cheap enough to call every step.

    Parameters
    ----------
    stream
        Where to write; None reports nothing.
    interval_s
        Least wall time between two plain status lines (not on a terminal) [s].
    clock
        Monotonic clock [s] (injectable for tests).
    label
        What runs, at the head of every line (``"sumo run adaptive"``).
    """

    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    interval_s: float = 10.0
    clock: Callable[[], float] = time.monotonic
    label: str = "sumo run"
    _tty: bool = False
    _begin_s: float = 0.0
    _end_s: float = math.inf
    _wall0: float = 0.0
    _last_s: float = -1e9
    _shown: bool = False
    _started: bool = False

    def __post_init__(self) -> None:
        isatty = getattr(self.stream, "isatty", None)
        self._tty = bool(isatty and isatty())

    def start(self, begin_s: float, end_s: float) -> None:
        """The simulation runs from ``begin_s`` to ``end_s`` [s] (``inf``: until the network
        is empty)."""
        self._begin_s, self._end_s = begin_s, end_s
        self._wall0 = self._last_s = self.clock()
        self._started = True

    def step(self, t_s: float, vehicles: Callable[[], int]) -> None:
        """Simulated time ``t_s`` reached; prints when due, then asking ``vehicles()`` how many
        vehicles are in the network (only then: over TraCI every question is a round trip)."""
        if self.stream is None or not self._started:
            return
        now = self.clock()
        due = 0.2 if self._tty else self.interval_s
        if now - self._last_s < due:
            return
        self._last_s = now
        text = self._status(t_s, vehicles(), now)
        if self._tty:
            width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
            self.stream.write("\r\x1b[K" + text[:width])
            self._shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def say(self, text: str) -> None:
        """One line of its own (e.g. that the run resumes from a checkpoint)."""
        if self.stream is None:
            return
        if self._shown:
            self.stream.write("\r\x1b[K")
            self._shown = False
        self.stream.write(f"{self.label}: {text}\n")
        self.stream.flush()

    def finish(self, t_s: float) -> None:
        """The simulation stopped at ``t_s``: one closing line."""
        if self.stream is None or not self._started:
            return
        wall = max(self.clock() - self._wall0, 1e-9)
        simulated = max(t_s - self._begin_s, 0.0)
        if self._shown:
            self.stream.write("\r\x1b[K")
            self._shown = False
        self.stream.write(
            f"{self.label}: {format_duration(simulated)} simulated in {wall:.1f} s "
            f"({simulated / wall:.0f} x real time)\n"
        )
        self.stream.flush()

    def _status(self, t_s: float, vehicles: int, now: float) -> str:
        wall = max(now - self._wall0, 1e-9)
        done = max(t_s - self._begin_s, 0.0)
        speed = done / wall
        text = f"{self.label}: t = {t_s:.0f} s"
        if math.isfinite(self._end_s) and self._end_s > self._begin_s:
            span = self._end_s - self._begin_s
            text += f" of {self._end_s:.0f} ({100.0 * min(done / span, 1.0):.0f}%)"
            if speed > 0:
                text += f", ~{format_duration(max(span - done, 0.0) / speed)} left"
        return text + f", {speed:.0f} x real time, {vehicles} vehicles in the network"
