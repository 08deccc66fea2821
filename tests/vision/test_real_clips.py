"""Counting accuracy on real clips against by-eye hand counts.

The hand counts (``benchmarks/vision/truth/hand_counts.yaml``) were made on slit-scan images of
each count line (``benchmarks/vision/slitscan.py``); the camera files are
``benchmarks/vision/cameras/``. The clips live in ``../shared/data/video`` and are never
committed, so the counting tests skip without them. The error is the issue's measure:
``sum |counter - hand| / sum hand`` over the lines where vehicles are separable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from signalbrain.io.camera import read_camera
from signalbrain.vision import count_video

TARGET_ERROR = 0.05  # issue 4: real clips, separable vehicles
# the committed code: 23 / 484 = 4.8 % (7.4 % before the time-spatial check of the line counts,
# signalbrain.vision.streaks, and the piece rules for slivers and young tracks)


def _truth(repo_root: Path) -> list[dict[str, Any]]:
    with open(repo_root / "benchmarks/vision/truth/hand_counts.yaml", encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    counts: list[dict[str, Any]] = doc["counts"]
    return counts


def test_hand_counts_name_lines_of_their_camera_files(repo_root: Path) -> None:
    """Every hand count refers to a line of its camera file and is well formed."""
    for c in _truth(repo_root):
        cam = read_camera(repo_root / "benchmarks/vision/cameras" / c["camera"])
        assert c["line"] in {ln.id for ln in cam.lines}, c
        assert c["direction"] in ("positive", "negative"), c
        assert 0 <= c["heavy"] <= c["heavy"] + c["heavy_doubtful"] <= c["vehicles"], c
        assert isinstance(c["separable"], bool), c


@pytest.fixture(scope="module")
def separable_results(shared_data: Path, repo_root: Path) -> list[tuple[str, int, int]]:
    """``(clip/line, hand count, counter count)`` for every separable line."""
    by_clip: dict[str, list[dict[str, Any]]] = {}
    for c in _truth(repo_root):
        if c["separable"]:
            by_clip.setdefault(c["clip"], []).append(c)
    out = []
    for clip, lines in by_clip.items():
        cam = read_camera(repo_root / "benchmarks/vision/cameras" / lines[0]["camera"])
        counts = count_video(shared_data / "video" / clip, cam)
        out.extend(
            (f"{clip}/{c['line']}", int(c["vehicles"]), counts.lines[c["line"]]["total"])
            for c in lines
        )
    return out


def _error(results: list[tuple[str, int, int]]) -> float:
    return sum(abs(got - true) for _, true, got in results) / sum(t for _, t, _ in results)


@pytest.mark.slow
@pytest.mark.shared
def test_real_clip_count_error_within_target(
    separable_results: list[tuple[str, int, int]],
) -> None:
    assert sum(t for _, t, _ in separable_results) >= 400
    assert _error(separable_results) <= TARGET_ERROR, separable_results
