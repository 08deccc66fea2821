"""One frame's detections as parallel arrays, and blob splitting.

:class:`Detections` follows the supervision ``Detections`` contract: boxes ``xyxy (n, 4)`` in
processing pixels, blob ``area (n,)`` [px^2], ``score (n,)`` and ``class_id (n,)`` (``-1`` when the
detector does not classify), shapes checked on construction.

:func:`split_blobs` separates blobs that cover several tracked vehicles (touching vehicles in a
queue, one vehicle passing another) by giving every foreground pixel to the nearest predicted
vehicle centre, scaled by the vehicle size (a size-weighted Voronoi partition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Detections", "split_blobs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Detections:
    """Detected objects in one frame (processing pixels)."""

    xyxy: FloatArray
    area: FloatArray
    score: FloatArray
    class_id: IntArray

    def __post_init__(self) -> None:
        n = self.xyxy.shape[0] if self.xyxy.ndim == 2 else -1
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise ValueError(f"xyxy must have shape (n, 4), got {self.xyxy.shape}")
        for name in ("area", "score", "class_id"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    @classmethod
    def empty(cls) -> Detections:
        """No detections."""
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))

    @classmethod
    def from_boxes(
        cls,
        xyxy: Sequence[Sequence[float]] | FloatArray,
        area: Sequence[float] | FloatArray | None = None,
        score: Sequence[float] | FloatArray | None = None,
        class_id: Sequence[int] | IntArray | None = None,
    ) -> Detections:
        """Build from boxes; ``area`` defaults to the box area, ``score`` to 1, class to -1."""
        box = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        n = box.shape[0]
        a = (
            np.asarray(area, dtype=np.float64)
            if area is not None
            else (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
        )
        s = np.asarray(score, dtype=np.float64) if score is not None else np.ones(n)
        c = (
            np.asarray(class_id, dtype=np.int64)
            if class_id is not None
            else np.full(n, -1, dtype=np.int64)
        )
        return cls(box, a, s, c)

    @property
    def centers(self) -> FloatArray:
        """Box centres ``(n, 2)``."""
        return np.column_stack(
            ((self.xyxy[:, 0] + self.xyxy[:, 2]) * 0.5, (self.xyxy[:, 1] + self.xyxy[:, 3]) * 0.5)
        )


def split_blobs(
    labels: npt.NDArray[np.int32],
    stats: npt.NDArray[np.int32],
    keep: IntArray,
    centers: FloatArray,
    sizes: FloatArray,
) -> Detections:
    """Turn connected components into detections, splitting those that hold several vehicles.

    Parameters
    ----------
    labels, stats
        Output of ``cv2.connectedComponentsWithStats`` (label image, ``(n, 5)`` stats).
    keep
        Component labels large enough to be vehicles.
    centers
        Predicted centres ``(m, 2)`` of confirmed tracks [px].
    sizes
        Their box sizes ``(m, 2)`` (width, height) [px].

    Returns
    -------
    Detections
        One detection per component, or one per predicted centre inside a component that holds
        two or more of them (each pixel goes to the centre nearest in size-normalised distance).
    """
    boxes: list[tuple[float, float, float, float]] = []
    areas: list[float] = []
    for lab in keep:
        x, y, w, h, area = (int(v) for v in stats[lab])
        inside = np.zeros(0, dtype=np.int64)
        if len(centers):
            cx, cy = centers[:, 0], centers[:, 1]
            in_box = (cx >= x) & (cx < x + w) & (cy >= y) & (cy < y + h)
            cand = np.nonzero(in_box)[0]
            if len(cand) >= 2:
                ix = np.clip(cx[cand].astype(np.int64), x, x + w - 1)
                iy = np.clip(cy[cand].astype(np.int64), y, y + h - 1)
                inside = cand[labels[iy, ix] == lab]
        if len(inside) < 2:
            boxes.append((x, y, x + w, y + h))
            areas.append(float(area))
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == lab)
        xs = xs + x
        ys = ys + y
        scale = np.maximum(sizes[inside], 1.0)
        d = ((xs[:, None] - centers[inside, 0][None, :]) / scale[None, :, 0]) ** 2 + (
            (ys[:, None] - centers[inside, 1][None, :]) / scale[None, :, 1]
        ) ** 2
        owner = np.argmin(d, axis=1)
        for k in range(len(inside)):
            sel = owner == k
            if not np.any(sel):
                continue
            px, py = xs[sel], ys[sel]
            boxes.append(
                (float(px.min()), float(py.min()), float(px.max() + 1), float(py.max() + 1))
            )
            areas.append(float(sel.sum()))
    if not boxes:
        return Detections.empty()
    return Detections.from_boxes(boxes, areas)
