"""ONNX detector: YOLO output decoding on synthetic tensors (no model is downloaded)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from signalbrain.errors import InputError
from signalbrain.io.camera import parse_camera
from signalbrain.vision import count_video
from signalbrain.vision.dnn import OnnxDetector, decode_yolo


def v5_row(
    cx: float, cy: float, w: float, h: float, obj: float, cls: int, p: float, n_cls: int = 80
) -> list[float]:
    scores = [0.0] * n_cls
    scores[cls] = p
    return [cx, cy, w, h, obj, *scores]


def test_decode_v5_rows_keeps_vehicles_and_scales_to_frame() -> None:
    rows = [
        v5_row(320, 320, 64, 32, 0.9, 2, 0.9),  # car
        v5_row(100, 100, 80, 40, 0.9, 7, 0.8),  # truck -> heavy
        v5_row(500, 500, 20, 40, 0.9, 0, 0.95),  # person: ignored
        v5_row(200, 500, 30, 30, 0.2, 2, 0.9),
    ]  # low objectness: ignored
    det = decode_yolo(
        np.array([rows]), frame_size=(1280, 720), input_size=(640, 640), layout="rows"
    )
    assert len(det) == 2
    order = np.argsort(det.class_id)
    np.testing.assert_allclose(det.xyxy[order[0]], [576, 342, 704, 378])
    np.testing.assert_allclose(det.xyxy[order[1]], [120, 90, 280, 135])
    assert det.class_id[order].tolist() == [0, 1]
    assert det.score[order[0]] == pytest.approx(0.81)


def test_decode_v8_channels_and_non_maximum_suppression() -> None:
    n_cls = 80
    boxes = np.array([[320, 320, 100, 50], [322, 321, 100, 50], [100, 100, 40, 40]], float)
    scores = np.zeros((3, n_cls))
    scores[0, 2] = 0.9
    scores[1, 2] = 0.7  # overlaps box 0 almost fully: suppressed
    scores[2, 5] = 0.6  # bus
    out = np.concatenate([boxes, scores], axis=1).T[None]  # (1, 84, 3)
    det = decode_yolo(out, frame_size=(640, 640), input_size=(640, 640), layout="channels")
    assert len(det) == 2
    assert sorted(det.class_id.tolist()) == [0, 1]
    assert det.score.max() == pytest.approx(0.9)


def test_decode_custom_classes_and_empty() -> None:
    out = np.array([[v5_row(10, 10, 4, 4, 1.0, 0, 0.9, n_cls=2)]])
    assert len(decode_yolo(out, (64, 64), (64, 64), layout="rows")) == 0  # not a COCO vehicle
    det = decode_yolo(out, (64, 64), (64, 64), classes={0: 0}, layout="rows")
    assert len(det) == 1
    with pytest.raises(ValueError, match="YOLO output must have shape"):
        decode_yolo(np.zeros(5), (64, 64), (64, 64))


def test_auto_layout_follows_the_longer_axis() -> None:
    rows = np.array(
        [v5_row(35 + 70 * (i % 10), 20 + 70 * (i // 10), 64, 32, 0.9, 2, 0.9) for i in range(100)]
    )  # (100, 85), boxes apart: NMS keeps them all
    assert len(decode_yolo(rows[None], (704, 704), (704, 704))) == 100
    channels = np.concatenate([rows[:, :4], rows[:, 5:] * 0.9], axis=1).T  # (84, 100)
    assert len(decode_yolo(channels[None], (704, 704), (704, 704))) == 100


def test_missing_or_invalid_model_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        OnnxDetector(tmp_path / "none.onnx")
    with pytest.raises(InputError, match="is a folder; expected an ONNX detector file"):
        OnnxDetector(tmp_path)  # was "file not found" for a folder that exists
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot load it as ONNX"):
        OnnxDetector(bad)


def test_count_video_with_missing_model(tmp_path: Path, moving_boxes: Callable[..., Path]) -> None:
    video = moving_boxes(frames=10)
    cam = parse_camera({"camera": "c", "lines": [{"id": "l", "points": [[0, 0], [9, 9]]}]})
    with pytest.raises(InputError, match="file not found"):
        count_video(video, cam, model=tmp_path / "none.onnx")


def test_queue_occupancy_with_a_detector_model(
    tmp_path: Path, moving_boxes: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model that sees one vehicle standing over the whole queue zone: the zone is covered,
    not empty (a detector gives no foreground mask; its boxes are what it covers)."""
    from signalbrain.vision import dnn
    from signalbrain.vision.detections import Detections

    class StandingVehicle:
        def __init__(self, path: object) -> None:
            pass

        def detect(self, frame: np.ndarray) -> Detections:
            return Detections(
                xyxy=np.array([[40.0, 40.0, 120.0, 100.0]]),
                area=np.array([4800.0]),
                score=np.array([0.9]),
                class_id=np.array([0]),
            )

    monkeypatch.setattr(dnn, "OnnxDetector", StandingVehicle)
    video = moving_boxes(frames=30)
    cam = parse_camera(
        {
            "camera": "c",
            "zones": [
                {
                    "id": "q",
                    "kind": "queue",
                    "polygon": [[40, 40], [120, 40], [120, 100], [40, 100]],
                }
            ],
        }
    )
    counts = count_video(video, cam, model=tmp_path / "fake.onnx")
    queue = counts.queues["q"]
    assert queue.mean_occupancy > 0.9
    assert queue.vehicles[-1] == pytest.approx(1.0)
