"""count_video end to end on small generated videos."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from signalbrain.errors import InputError
from signalbrain.io.camera import CameraSpec, parse_camera, write_camera
from signalbrain.vision import VideoError, count_video
from signalbrain.vision.counting import segments_cross
from signalbrain.vision.pipeline import CountConfig, region_of_interest


def camera(**extra: object) -> CameraSpec:
    doc = {
        "camera": "test",
        "interval_s": 2,
        "lines": [
            {"id": "down", "points": [[160, 0], [160, 240]]},
            {"id": "up", "points": [[200, 240], [200, 0]]},
        ],
    }
    doc.update(extra)
    return parse_camera(doc)


def test_segments_cross_direction_in_image_coordinates() -> None:
    a = np.array([[0.0, 10.0]])
    b = np.array([[10.0, 10.0]])  # pointing right: its right-hand side is below (y down)
    p0 = np.array([[5.0, 0.0], [5.0, 20.0], [5.0, 0.0], [20.0, 0.0]])
    p1 = np.array([[5.0, 20.0], [5.0, 0.0], [5.0, 10.0], [20.0, 20.0]])
    crossed, sign = segments_cross(p0, p1, a, b)
    assert crossed[:, 0].tolist() == [True, True, True, False]
    assert sign[:3, 0].tolist() == [1, -1, 1]
    # a move that starts on the line does not count again
    crossed2, _ = segments_cross(p1[2:3], np.array([[5.0, 20.0]]), a, b)
    assert not crossed2[0, 0]


def test_counts_each_vehicle_once_per_line(moving_boxes: Callable[..., Path]) -> None:
    path = moving_boxes(frames=110, boxes=3)
    progress: list[tuple[int, int | None]] = []
    counts = count_video(path, camera(), progress=lambda a, b: progress.append((a, b)))
    assert counts.frames == 110
    assert counts.lines["down"] == {"total": 3, "positive": 0, "negative": 3}
    assert counts.lines["up"] == {"total": 3, "positive": 3, "negative": 0}
    assert progress[0] == (50, 110)
    assert progress[-1][0] == 110
    per_bin = [r.vehicles for r in counts.bins if r.id == "down"]
    assert sum(per_bin) == 3
    assert len(per_bin) == 4  # 110 frames at 15 fps = 7.33 s in 2 s bins
    assert counts.bins[-1].t_end_s == pytest.approx(110 / 15)


def test_camera_outside_the_frame_is_bad_input(moving_boxes: Callable[..., Path]) -> None:
    path = moving_boxes(frames=10)
    cam = parse_camera(
        {"camera": "big", "lines": [{"id": "l", "points": [[0, 0], [1280, 10]]}]}, "big.yaml"
    )
    with pytest.raises(
        InputError,
        match=r"big.yaml: lines\[0\]\.points\[1\] = \[1280, 10\] "
        r"is outside the 320x240 frame.*of video .*boxes.avi",
    ):
        count_video(path, cam)


def test_unreadable_video_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(VideoError):
        count_video(bad, camera())


def test_region_of_interest_is_the_grown_bounding_box_of_lines_and_zones() -> None:
    cam = camera(zones=[{"id": "q", "kind": "queue", "polygon": [[100, 50], [150, 50], [150, 90]]}])
    assert region_of_interest(cam, 320, 240, 0.0) == (100, 0, 201, 240)
    narrow = parse_camera(
        {"camera": "n", "lines": [{"id": "l", "points": [[100, 100], [140, 120]]}]}
    )
    assert region_of_interest(narrow, 320, 240, 10.0) == (90, 90, 151, 131)
    assert region_of_interest(narrow, 320, 240, 500.0) == (0, 0, 320, 240)


@pytest.mark.parametrize("margin", [None, 0.05, 0.0])
def test_cropping_to_the_region_of_interest_counts_the_same(
    moving_boxes: Callable[..., Path], margin: float | None
) -> None:
    """Boxes drive across at y = 110..126 and 140..156; the camera only looks at x = 140..220,
    y = 100..170 (a line and a queue zone), so the crop is a small part of the frame."""
    path = moving_boxes(frames=110, boxes=3)
    cam = parse_camera(
        {
            "camera": "part",
            "interval_s": 2,
            "lines": [{"id": "l", "points": [[180, 100], [180, 170]]}],
            "zones": [
                {"id": "q", "kind": "queue", "polygon": [[140, 100], [220, 100], [220, 170]]}
            ],
        }
    )
    counts = count_video(path, cam, config=CountConfig(roi_margin_frac=margin))
    assert counts.lines["l"] == {"total": 3, "positive": 0, "negative": 3}
    whole = count_video(path, cam, config=CountConfig(roi_margin_frac=None))
    assert counts.lines == whole.lines
    occ = np.array(counts.queues["q"].occupancy)
    occ_whole = np.array(whole.queues["q"].occupancy)
    assert occ.max() > 0.05  # the boxes pass through the zone
    assert np.abs(occ - occ_whole).max() < 0.02


def test_camera_file_path_is_read(moving_boxes: Callable[..., Path], tmp_path: Path) -> None:
    # a path was taken for a CameraSpec: AttributeError 'str' object has no attribute 'source'
    path = moving_boxes(frames=110, boxes=3)
    cam = tmp_path / "cam.yaml"
    write_camera(camera(), cam)
    counts = count_video(path, str(cam))
    assert counts == replace(count_video(path, camera()), processing_s=counts.processing_s)
    (tmp_path / "bad.yaml").write_text("camera: x\ninterval_s: 0\nlines: []\n")
    with pytest.raises(InputError, match=r"bad\.yaml: interval_s = 0: must be >= 1"):
        count_video(path, tmp_path / "bad.yaml")
