"""The SUMO run's progress report (signalbrain.sim.progress)."""

from __future__ import annotations

import io
import math

from signalbrain.sim.progress import SimProgress


def _vehicles() -> int:
    return 42


def test_plain_stream_prints_a_line_per_interval_and_a_closing_line(clock) -> None:
    out = io.StringIO()
    p = SimProgress(stream=out, interval_s=10.0, clock=clock, label="sumo run fixed")
    p.start(0.0, 3600.0)
    for t in range(1, 3601):
        clock.now = t / 100.0  # 100 x real time: 36 s of wall time in all
        p.step(float(t), _vehicles)
    p.finish(3600.0)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # at 10, 20 and 30 s of wall time, then the closing line
    assert lines[0] == (
        "sumo run fixed: t = 1000 s of 3600 (28%), ~26s left, 100 x real time, "
        "42 vehicles in the network"
    )
    assert lines[-1] == "sumo run fixed: 1h00m simulated in 36.0 s (100 x real time)"


def test_vehicles_are_counted_only_when_a_line_is_due(clock) -> None:
    out = io.StringIO()
    asked: list[float] = []

    def count() -> int:
        asked.append(clock.now)
        return 0

    p = SimProgress(stream=out, interval_s=5.0, clock=clock)
    p.start(0.0, 100.0)
    for t in range(1, 101):
        clock.now = float(t)
        p.step(float(t), count)
    assert asked == [5.0 * k for k in range(1, 21)]


def test_terminal_line_is_rewritten_in_place_and_cleared_at_the_end(clock, terminal) -> None:
    out = terminal
    p = SimProgress(stream=out, clock=clock)
    p.start(100.0, 200.0)
    clock.now = 0.5
    p.step(150.0, _vehicles)
    text = out.getvalue()
    assert text.startswith("\r\x1b[Ksumo run: t = 150 s of 200 (50%)")
    assert "\n" not in text
    clock.now = 1.0
    p.finish(200.0)
    assert out.getvalue().endswith("\r\x1b[Ksumo run: 1m40s simulated in 1.0 s (100 x real time)\n")


def test_open_end_and_no_stream(clock) -> None:
    out = io.StringIO()
    p = SimProgress(stream=out, interval_s=1.0, clock=clock)
    p.start(0.0, math.inf)  # until the network is empty: no share, no time left
    clock.now = 2.0
    p.step(400.0, _vehicles)
    assert out.getvalue() == "sumo run: t = 400 s, 200 x real time, 42 vehicles in the network\n"
    silent = SimProgress(stream=None, clock=clock)
    silent.start(0.0, 10.0)
    silent.step(5.0, _vehicles)
    silent.finish(10.0)  # nothing to write to, nothing raised
