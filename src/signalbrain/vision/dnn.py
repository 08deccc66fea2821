"""Optional ONNX object detector (YOLO-style outputs) through OpenCV's ``cv2.dnn``.

For users who have a trained detector: no weights are bundled or downloaded. Two output layouts
are decoded (Redmon et al. 2016; Jocher et al., Ultralytics YOLOv5 / YOLOv8):

* rows ``(1, N, 5 + C)``: ``cx, cy, w, h, objectness, class scores`` (YOLOv5/v7);
* channels ``(1, 4 + C, N)``: ``cx, cy, w, h, class scores`` (YOLOv8 and later).

Boxes are in network-input pixels (the frame is resized to ``input_size`` without letterboxing).
Only vehicle classes are kept (COCO: car, motorcycle -> car; bus, truck -> heavy), then
non-maximum suppression (``cv2.dnn.NMSBoxes``) removes duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.errors import InputError
from signalbrain.vision.detections import Detections

__all__ = ["COCO_VEHICLES", "OnnxDetector", "decode_yolo"]

# COCO class index -> size class (0 car, 1 heavy)
COCO_VEHICLES: dict[int, int] = {2: 0, 3: 0, 5: 1, 7: 1}

FloatArray = npt.NDArray[np.float64]


def decode_yolo(
    output: npt.NDArray[np.floating],
    frame_size: tuple[int, int],
    input_size: tuple[int, int],
    *,
    score_threshold: float = 0.35,
    nms_threshold: float = 0.5,
    classes: Mapping[int, int] | None = None,
    layout: str = "auto",
) -> Detections:
    """Decode one YOLO output tensor into :class:`Detections` in frame pixels.

    Parameters
    ----------
    output
        ``(1, N, 5 + C)`` rows with objectness, or ``(1, 4 + C, N)`` channels without.
    frame_size, input_size
        ``(width, height)`` of the frame and of the network input [px].
    score_threshold, nms_threshold
        Minimum class confidence; IoU above which the weaker of two boxes is dropped.
    classes
        Model class index -> size class (0 car, 1 heavy); others are ignored.
        Defaults to :data:`COCO_VEHICLES`.
    layout
        ``rows``, ``channels`` or ``auto``: the longer axis holds the candidates (real models
        output thousands of candidates and fewer than a few hundred attributes).
    """
    classes = COCO_VEHICLES if classes is None else classes
    out = np.asarray(output, dtype=np.float64)
    if out.ndim == 3:
        out = out[0]
    if out.ndim != 2:
        raise ValueError(
            f"YOLO output must have shape (1, N, A) or (1, A, N), got {np.shape(output)}"
        )
    if layout not in ("auto", "rows", "channels"):
        raise ValueError(f"layout = {layout!r}: must be one of auto, rows, channels")
    channels = out.shape[0] < out.shape[1] if layout == "auto" else layout == "channels"
    if channels:  # (4 + C, N): no objectness
        rows = out.T
        cls_scores = rows[:, 4:]
    else:
        rows = out
        if rows.shape[1] < 6:
            raise ValueError(f"YOLO rows need at least 6 values, got {rows.shape[1]}")
        cls_scores = rows[:, 5:] * rows[:, 4:5]
    if cls_scores.shape[1] == 0 or len(rows) == 0:
        return Detections.empty()
    cls = np.argmax(cls_scores, axis=1)
    score = cls_scores[np.arange(len(rows)), cls]
    wanted = np.array([int(c) in classes for c in cls], dtype=bool)
    sel = np.nonzero(wanted & (score >= score_threshold))[0]
    if len(sel) == 0:
        return Detections.empty()
    sx = frame_size[0] / input_size[0]
    sy = frame_size[1] / input_size[1]
    cx, cy, w, h = (rows[sel, k] for k in range(4))
    x0 = (cx - w / 2) * sx
    y0 = (cy - h / 2) * sy
    ww, hh = w * sx, h * sy
    boxes_xywh = [
        [float(a), float(b), float(c), float(d)] for a, b, c, d in zip(x0, y0, ww, hh, strict=True)
    ]
    keep = np.asarray(
        cv2.dnn.NMSBoxes(
            boxes_xywh, [float(s) for s in score[sel]], score_threshold, nms_threshold
        ),
        dtype=np.int64,
    ).reshape(-1)
    xyxy = np.column_stack((x0, y0, x0 + ww, y0 + hh))[keep]
    return Detections.from_boxes(
        xyxy, (ww * hh)[keep], score[sel][keep], np.array([classes[int(c)] for c in cls[sel][keep]])
    )


class OnnxDetector:
    """Run an ONNX YOLO model on frames with ``cv2.dnn``.

    Raises
    ------
    InputError
        When the model file is missing or OpenCV cannot load it.
    """

    def __init__(
        self,
        model: str | Path,
        input_size: tuple[int, int] = (640, 640),
        *,
        score_threshold: float = 0.35,
        nms_threshold: float = 0.5,
        classes: Mapping[int, int] | None = None,
    ) -> None:
        path = Path(model)
        if path.is_dir():
            raise InputError(f"--model {model}: is a folder; expected an ONNX detector file")
        if not path.exists():
            raise InputError(f"--model {model}: file not found; expected an ONNX detector")
        if not path.is_file():
            raise InputError(f"--model {model}: not a regular file; expected an ONNX detector")
        try:
            self._net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise InputError(
                f"--model {model}: OpenCV cannot load it as ONNX: "
                f"{str(exc).strip().splitlines()[-1]}"
            ) from None
        self.input_size = input_size
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.classes = dict(COCO_VEHICLES if classes is None else classes)

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        """Vehicles in one BGR frame (frame pixels)."""
        blob = cv2.dnn.blobFromImage(frame, 1.0 / 255.0, self.input_size, swapRB=True)
        self._net.setInput(blob)
        out = np.asarray(self._net.forward(), dtype=np.float32)
        h, w = frame.shape[:2]
        return decode_yolo(
            out,
            (w, h),
            self.input_size,
            score_threshold=self.score_threshold,
            nms_threshold=self.nms_threshold,
            classes=self.classes,
        )
