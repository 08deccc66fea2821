"""Accuracy targets of issue 4 on synthetic clips with exact ground truth.

Three clips (shadows, sensor noise, lighting drift, camera shake, queues at red, heavy vehicles,
turns): line counts by direction and turning movements within 3 % of the truth (absolute errors
summed over all lines and movements, so over- and under-counts do not cancel), queue occupancy
within 10 %.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from signalbrain.vision import VideoCounts, count_video
from signalbrain.vision.synth import SynthConfig, TrafficConfig, render_clip
from signalbrain.vision.synth.score import score


@pytest.fixture(scope="module")
def counted(synthetic_clips: list[Any]) -> list[tuple[Any, VideoCounts]]:
    return [(clip, count_video(clip.video, clip.camera)) for clip in synthetic_clips]


@pytest.mark.slow
def test_line_and_movement_counts_within_three_percent(
    counted: list[tuple[Any, VideoCounts]],
) -> None:
    line_abs = line_true = mov_abs = mov_true = 0.0
    for clip, counts in counted:
        s = score(counts, clip.truth)
        line_abs += s.line_error * s.true_crossings
        line_true += s.true_crossings
        mov_abs += s.movement_error * s.true_movements
        mov_true += s.true_movements
    assert line_true >= 80
    assert mov_true >= 35
    assert line_abs / line_true <= 0.03
    assert mov_abs / mov_true <= 0.03


@pytest.mark.slow
def test_queue_occupancy_within_ten_percent(counted: list[tuple[Any, VideoCounts]]) -> None:
    for clip, counts in counted:
        s = score(counts, clip.truth)
        assert s.occupancy_error < 0.10
        assert s.occupancy_mae < 0.05
        # queues really form in these clips: the measure is not trivially near zero
        assert max(q.mean_occupancy for q in clip.truth.queues.values()) > 0.15


@pytest.mark.slow
def test_heavy_vehicles_classified(counted: list[tuple[Any, VideoCounts]]) -> None:
    true_heavy = sum(v["heavy"] for clip, _ in counted for v in clip.truth.classes.values())
    found = sum(v["heavy"] for _, counts in counted for v in counts.classes.values())
    assert true_heavy >= 5
    assert abs(found - true_heavy) <= max(1, round(0.15 * true_heavy))


@pytest.mark.slow
def test_bins_add_up_and_survive_json(counted: list[tuple[Any, VideoCounts]]) -> None:
    _clip, counts = counted[0]
    for lid, total in counts.lines.items():
        assert (
            sum(r.vehicles for r in counts.bins if r.kind == "line" and r.id == lid)
            == total["total"]
        )
    for mid, n in counts.movements.items():
        assert sum(r.vehicles for r in counts.bins if r.kind == "movement" and r.id == mid) == n
    assert {r.t_start_s for r in counts.bins} == {0.0, 30.0, 60.0}
    assert VideoCounts.from_dict(json.loads(json.dumps(counts.to_dict()))) == counts
    assert counts.frames == 1350
    assert counts.corrupt_frames == 0


@pytest.mark.slow
def test_vehicle_split_by_a_marking_keeps_its_movement(tmp_path: Path) -> None:
    """Seed 21 of the accuracy benchmark: a white car waits 40 s at a white stop line and moves
    off over it; its blob splits at the line, the front gets a track of its own while the old
    track shrinks onto the rear and dies seconds later. The successor (born inside the old
    track's extent) must inherit the entry zone, so every turning movement is counted."""
    cfg = SynthConfig(traffic=TrafficConfig(duration_s=90.0), resize_width=320)
    clip = render_clip(tmp_path / "s21.avi", seed=21, config=cfg)
    counts = count_video(clip.video, clip.camera)
    assert sum(clip.truth.movements.values()) >= 15
    assert counts.movements == clip.truth.movements
