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
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.vision._blobs import partition_blob

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
        return (self.xyxy[:, :2] + self.xyxy[:, 2:]) * 0.5


def split_blobs(
    labels: npt.NDArray[np.integer[Any]],
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
    if len(keep) == 0:
        return Detections.empty()
    kept = stats[keep].astype(np.float64)
    xyxy = np.column_stack(
        (kept[:, 0], kept[:, 1], kept[:, 0] + kept[:, 2], kept[:, 1] + kept[:, 3])
    )
    area = kept[:, cv2.CC_STAT_AREA]
    if len(centers) < 2:
        return Detections.from_boxes(xyxy, area)
    # the component under each predicted centre
    height, width = labels.shape
    cx, cy = centers[:, 0], centers[:, 1]
    seen = np.nonzero((cx >= 0) & (cx < width) & (cy >= 0) & (cy < height))[0]
    under = labels[cy[seen].astype(np.int64), cx[seen].astype(np.int64)]
    crowded = np.bincount(under, minlength=len(stats))[keep] >= 2
    if not crowded.any():
        return Detections.from_boxes(xyxy, area)
    boxes: list[FloatArray] = []
    areas: list[FloatArray] = []
    for k, lab in enumerate(keep):
        if not crowded[k]:
            boxes.append(xyxy[k : k + 1])
            areas.append(area[k : k + 1])
            continue
        inside = seen[under == lab]
        shares = np.empty((len(inside), 5), np.int64)
        partition_blob(
            np.ascontiguousarray(labels, dtype=np.int32),
            int(lab),
            stats[lab, :4].astype(np.int64),
            np.ascontiguousarray(centers[inside]),
            np.maximum(sizes[inside], 1.0),
            shares,
        )
        for x0, y0, x1, y1, count in shares.tolist():
            if count:
                boxes.append(np.array([[x0, y0, x1 + 1, y1 + 1]], dtype=np.float64))
                areas.append(np.array([float(count)]))
    return Detections.from_boxes(np.concatenate(boxes), np.concatenate(areas))


def _partition_reference(
    labels: npt.NDArray[np.integer[Any]],
    label: int,
    box: tuple[int, int, int, int],
    centres: FloatArray,
    scales: FloatArray,
) -> npt.NDArray[np.int64]:
    """Plain-numpy twin of :func:`~signalbrain.vision._blobs.partition_blob` (the test
    oracle): ``(m, 5)`` boxes ``x0, y0, x1, y1`` (inclusive) and pixel counts of each centre's
    share of the component."""
    x, y, w, h = box
    ys, xs = np.nonzero(labels[y : y + h, x : x + w] == label)
    xs = xs + x
    ys = ys + y
    d = ((xs[:, None] - centres[:, 0][None, :]) / scales[None, :, 0]) ** 2 + (
        (ys[:, None] - centres[:, 1][None, :]) / scales[None, :, 1]
    ) ** 2
    owner = np.argmin(d, axis=1)
    out = np.zeros((len(centres), 5), np.int64)
    out[:, :2] = np.iinfo(np.int64).max
    out[:, 2:4] = -1
    for j in range(len(centres)):
        sel = owner == j
        if np.any(sel):
            px, py = xs[sel], ys[sel]
            out[j] = (px.min(), py.min(), px.max(), py.max(), sel.sum())
    return out
