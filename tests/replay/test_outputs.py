"""counts.csv and summary.json from per-video counts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from signalbrain.replay.outputs import (
    COUNTS_HEADER,
    SkippedVideo,
    counts_csv_text,
    summarize,
    write_outputs,
)
from signalbrain.vision.counts import CountRow, VideoCounts


def _counts(video: str, north: tuple[int, int], move: int, frames: int) -> VideoCounts:
    bins = (CountRow(0.0, 60.0, "line", "north", north[0] + north[1]),
            CountRow(60.0, 90.5, "line", "north", 0),
            CountRow(0.0, 60.0, "movement", "N->E", move))
    return VideoCounts(video=video, camera="cam,A", frames=frames, corrupt_frames=0,
                       seconds=frames / 25, processing_s=frames / 250, bins=bins,
                       lines={"north": {"total": sum(north), "positive": north[0],
                                        "negative": north[1]}},
                       movements={"N->E": move})


def test_csv_is_long_format_and_quotes_when_needed() -> None:
    text = counts_csv_text([("a.mp4", _counts("a", (3, 1), 2, 100)),
                            ('odd, "name".mp4', _counts("b", (0, 0), 0, 50))])
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == COUNTS_HEADER
    assert rows[1] == ["a.mp4", "cam,A", "0", "60", "line", "north", "4"]
    assert rows[2] == ["a.mp4", "cam,A", "60", "90.5", "line", "north", "0"]
    assert rows[3] == ["a.mp4", "cam,A", "0", "60", "movement", "N->E", "2"]
    assert rows[4][0] == 'odd, "name".mp4'
    assert len(rows) == 7
    assert text.endswith("\n")


def test_summary_sums_over_videos(tmp_path: Path) -> None:
    counted = [("a.mp4", _counts("a", (3, 1), 2, 100)), ("b.mp4", _counts("b", (1, 5), 4, 150))]
    summary = summarize(counted, out_dir=tmp_path, resumed=1, counted_frames=150,
                        skipped=[SkippedVideo("c.mp4", "cannot open as a video")], wall_s=2.0)
    write_outputs(summary, counted)
    doc = json.loads((tmp_path / "summary.json").read_text())
    assert doc == {"frames": 250, "seconds": 10.0, "fps": 250.0,
                   "lines": {"north": {"total": 10, "positive": 4, "negative": 6}},
                   "movements": {"N->E": 6},
                   "skipped": [{"video": "c.mp4", "reason": "cannot open as a video"}]}
    assert summary.wall_fps == 75.0
    assert summary.videos == 2
    assert (tmp_path / "counts.csv").read_text() == counts_csv_text(counted)
