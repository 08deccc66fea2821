"""counts.csv and summary.json, built one video at a time."""

from __future__ import annotations

import csv
import io
import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from signalbrain.replay.outputs import COUNTS_HEADER, CountsWriter, SkippedVideo
from signalbrain.vision.counts import CountRow, VideoCounts


def _counts(north: tuple[int, int], move: int, frames: int) -> VideoCounts:
    bins = (
        CountRow(0.0, 60.0, "line", "north", north[0] + north[1]),
        CountRow(60.0, 90.5, "line", "north", 0),
        CountRow(0.0, 60.0, "movement", "N->E", move),
    )
    return VideoCounts(
        video="v",
        camera="cam,A",
        frames=frames,
        corrupt_frames=0,
        seconds=frames / 25,
        processing_s=frames / 250,
        bins=bins,
        lines={"north": {"total": sum(north), "positive": north[0], "negative": north[1]}},
        movements={"N->E": move},
    )


def test_csv_is_long_format_and_quotes_when_needed(tmp_path: Path) -> None:
    with CountsWriter(tmp_path) as writer:
        writer.add("a.mp4", _counts((3, 1), 2, 100), resumed=False)
        writer.add('odd, "name".mp4', _counts((0, 0), 0, 50), resumed=True)
        writer.commit(skipped=[], wall_s=1.0)
    text = (tmp_path / "counts.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == COUNTS_HEADER
    assert rows[1] == ["a.mp4", "cam,A", "0", "60", "line", "north", "4"]
    assert rows[2] == ["a.mp4", "cam,A", "60", "90.5", "line", "north", "0"]
    assert rows[3] == ["a.mp4", "cam,A", "0", "60", "movement", "N->E", "2"]
    assert rows[4][0] == 'odd, "name".mp4'
    assert len(rows) == 7
    assert text.endswith("\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts.csv", "summary.json"]


def test_bin_times_are_written_to_the_microsecond(tmp_path: Path) -> None:
    """``interval_s: 1.1`` wrote bins starting at 3.3000000000000003 s."""
    counts = _counts((1, 0), 0, 100)
    odd = (CountRow(3 * 1.1, 4 * 1.1, "line", "north", 1),)
    with CountsWriter(tmp_path) as writer:
        writer.add("a.mp4", replace(counts, bins=odd), resumed=False)
        writer.commit(skipped=[], wall_s=1.0)
    rows = list(csv.reader(io.StringIO((tmp_path / "counts.csv").read_text())))
    assert rows[1][2:4] == ["3.3", "4.4"]


def test_summary_sums_over_videos(tmp_path: Path) -> None:
    with CountsWriter(tmp_path) as writer:
        writer.add("a.mp4", _counts((3, 1), 2, 100), resumed=True)
        writer.add("b.mp4", _counts((1, 5), 4, 150), resumed=False)
        summary = writer.commit(
            skipped=[SkippedVideo("c.mp4", "cannot open as a video")], wall_s=2.0
        )
    doc = json.loads((tmp_path / "summary.json").read_text())
    assert doc == {
        "frames": 250,
        "seconds": 10.0,
        "fps": 250.0,
        "lines": {"north": {"total": 10, "positive": 4, "negative": 6}},
        "movements": {"N->E": 6},
        "skipped": [{"video": "c.mp4", "reason": "cannot open as a video"}],
    }
    assert summary.to_dict() == doc
    assert (summary.videos, summary.resumed, summary.counted_frames) == (2, 1, 150)
    assert summary.wall_fps == 75.0


def test_failure_keeps_previous_outputs(tmp_path: Path) -> None:
    (tmp_path / "counts.csv").write_text("old\n")

    def interrupted_build() -> None:
        with CountsWriter(tmp_path) as writer:
            writer.add("a.mp4", _counts((1, 0), 0, 10), resumed=False)
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        interrupted_build()
    assert [p.name for p in tmp_path.iterdir()] == ["counts.csv"]
    assert (tmp_path / "counts.csv").read_text() == "old\n"


def test_counts_csv_gets_the_mode_of_an_ordinary_write(tmp_path: Path) -> None:
    """Like summary.json: not the private 0o600 of its temporary file; a rerun keeps the mode
    the user gave it."""
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    out = tmp_path / "out"
    out.mkdir()
    with CountsWriter(out) as writer:
        writer.add("a.mp4", _counts((1, 0), 1, 10), resumed=False)
        writer.commit(skipped=[], wall_s=1.0)
    assert stat.S_IMODE((out / "counts.csv").stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    (out / "counts.csv").chmod(0o640)
    with CountsWriter(out) as writer:
        writer.commit(skipped=[], wall_s=1.0)
    assert stat.S_IMODE((out / "counts.csv").stat().st_mode) == 0o640


def test_outputs_that_are_symbolic_links_are_written_through(tmp_path: Path) -> None:
    """counts.csv linked to a shared folder (a dashboard's input) kept its link like
    summary.json; it was replaced by a plain file and the shared file went stale."""
    shared = tmp_path / "shared"
    shared.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    for name in ("counts.csv", "summary.json"):
        (shared / name).write_text("old\n")
        (out / name).symlink_to(shared / name)
    with CountsWriter(out) as writer:
        writer.add("a.mp4", _counts((1, 0), 1, 10), resumed=False)
        writer.commit(skipped=[], wall_s=1.0)
    for name in ("counts.csv", "summary.json"):
        assert (out / name).is_symlink()
        assert (shared / name).read_text() != "old\n"
    assert (shared / "counts.csv").read_text().startswith("video,camera,")
    assert sorted(p.name for p in shared.iterdir()) == ["counts.csv", "summary.json"]
