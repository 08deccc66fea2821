"""The synthetic renderer: determinism, ground-truth consistency and a readable video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from signalbrain.io.camera import read_camera
from signalbrain.vision import probe_video
from signalbrain.vision.synth import SynthConfig, TrafficConfig, render_clip
from signalbrain.vision.synth.scene import Geometry, exit_arm, movement_path
from signalbrain.vision.synth.traffic import simulate


@pytest.mark.parametrize(
    ("approach", "turn", "arm"),
    [
        ("N", "T", "S"),
        ("N", "R", "W"),
        ("N", "L", "E"),
        ("E", "T", "W"),
        ("E", "R", "N"),
        ("S", "L", "W"),
        ("W", "R", "S"),
    ],
)
def test_right_hand_turns(approach: str, turn: str, arm: str) -> None:
    assert exit_arm(approach, turn) == arm


def test_paths_are_continuous_and_stop_before_the_junction() -> None:
    geo = Geometry()
    for a in ("N", "E", "S", "W"):
        for turn in ("L", "T", "R"):
            pts, s, stop_s = movement_path(geo, a, turn)
            assert np.all(np.diff(s) > 0)
            assert np.max(np.hypot(*np.diff(pts, axis=0).T)) < 60.0
            stop = pts[1]
            assert np.hypot(*stop) == pytest.approx(np.hypot(geo.stop_m, geo.lane_m / 2))
            assert stop_s < s[-1]


def test_simulation_is_deterministic_and_vehicles_never_overlap_in_a_lane() -> None:
    geo = Geometry()
    cfg = TrafficConfig(duration_s=40.0)
    a = simulate(geo, cfg, seed=3)
    b = simulate(geo, cfg, seed=3)
    assert [t.id for t in a] == [t.id for t in b]
    assert all(np.array_equal(x.xy_m, y.xy_m) for x, y in zip(a, b, strict=True))
    assert len(a) >= 10
    # queues form: some vehicle stands still for at least two seconds
    assert any(np.sum(t.speed_mps < 0.1) >= 2 * cfg.fps for t in a)


def test_render_clip_writes_video_camera_and_truth(tmp_path: Path) -> None:
    cfg = SynthConfig(traffic=TrafficConfig(duration_s=12.0, fps=10.0))
    clip = render_clip(tmp_path / "c.avi", seed=5, config=cfg)
    info = probe_video(clip.video)
    assert (info.width, info.height) == (640, 480)
    assert read_camera(clip.camera_file, frame_size=(640, 480)).lines == clip.camera.lines
    truth = clip.truth
    assert truth.frames == 120
    for line in truth.lines.values():
        assert line["total"] == line["positive"] + line["negative"]
    for lid, cls in truth.classes.items():
        assert cls["car"] + cls["heavy"] == truth.lines[lid]["total"]
    for q in truth.queues.values():
        assert len(q.occupancy) == 12
        assert all(0.0 <= v <= 1.0 for v in q.occupancy)
