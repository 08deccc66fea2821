"""Progress reporting: plain lines for logs, one rewritten status line on a terminal."""

from __future__ import annotations

import io

import pytest

from signalbrain.replay.progress import ProgressReporter, format_duration


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0s"), (59.6, "1m00s"), (75, "1m15s"), (3725, "1h02m")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_plain_lines_are_throttled_and_complete(clock) -> None:
    stream = io.StringIO()
    rep = ProgressReporter(stream=stream, interval_s=2.0, clock=clock)
    rep.begin(videos=3, resumed=1, skipped=0, todo=2, where="2 local worker processes")
    rep.started("k1", "a.mp4")
    for frames in range(50, 1001, 50):  # 20 reports over 5 s: a line every 2 s
        clock.now += 0.25
        rep.progress("k1", "a.mp4", frames, 1000)
    rep.finished("k1", "a.mp4", frames=1000, video_s=40.0, processing_s=4.0)
    clock.now += 3.0
    rep.finished("k2", "b.mp4", reason="cannot open as a video")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "count: 3 videos (1 done before); 2 to count on 2 local worker processes"
    assert [ln for ln in lines if ln.startswith("  a.mp4")] == [
        "  a.mp4: 400/1000 frames (40%)",
        "  a.mp4: 800/1000 frames (80%)",
    ]
    assert "[1/2] done a.mp4: 1000 frames 40s of video in 4.0 s, 250 fps" in lines
    assert "[2/2] skipped b.mp4: cannot open as a video" in lines
    assert lines[-1].startswith("overall 2/2 videos, 1000 frames")
    assert "\r" not in stream.getvalue()


def test_terminal_status_line_is_rewritten_in_place(
    monkeypatch: pytest.MonkeyPatch, clock, terminal
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stream = terminal
    rep = ProgressReporter(stream=stream, clock=clock)
    rep.begin(videos=2, resumed=0, skipped=0, todo=2, where="this process")
    clock.now = 1.0
    rep.progress("k1", "a.mp4", 500, 1000)
    rep.finished("k1", "a.mp4", frames=1000, processing_s=2.0)
    text = stream.getvalue()
    assert "\r\x1b[K[----------" in text  # bar before any video finished
    assert "a.mp4: 500/1000 frames (50%)" in text
    assert "\r\x1b[K[1/2] done a.mp4" in text  # the event line clears the status first


def test_silent_reporter_writes_nothing() -> None:
    rep = ProgressReporter(stream=None)
    rep.begin(videos=1, resumed=0, skipped=0, todo=1, where="x")
    rep.progress("k", "a", 1, None)
    rep.finished("k", "a", frames=1)
    rep.end("done")
