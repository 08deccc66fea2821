"""Zones of the camera file in processing pixels: label maps of entry and exit zones
(:func:`label_map`) and the sampling of queue zones (:class:`QueueSampler`), for
:class:`~signalbrain.vision.counting.Counter`.

A queue zone is sampled every frame: the fraction of its area covered by foreground (the
vehicles, shadows removed) and the number of tracked vehicles in it, moving or stopped; samples
are averaged over ``sample_s``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.vision._track_kernels import queue_sample, zone_pixels
from signalbrain.vision.counts import QueueSeries

if TYPE_CHECKING:
    from signalbrain.io.camera import Zone
    from signalbrain.vision.tracking import Track

FloatArray = npt.NDArray[np.float64]


def label_map(zones: tuple[Zone, ...], scale: float, w: int, h: int) -> npt.NDArray[np.int16]:
    """``(h, w)`` map of zone numbers (1 for ``zones[0]``, 0 outside every zone); the first
    zone wins where zones overlap. ``scale`` is processing pixels per source pixel."""
    out = np.zeros((h, w), np.int16)
    for i in reversed(range(len(zones))):  # first zone wins where zones overlap
        poly = np.array(zones[i].polygon, dtype=np.float64) * scale
        cv2.fillPoly(out, [np.round(poly).astype(np.int32)], i + 1)
    return out


class QueueSampler:
    """Foreground cover, vehicles and stopped vehicles of each queue zone, averaged per sample.

    Parameters
    ----------
    queues
        The camera file's queue zones.
    scale
        Processing pixels per source pixel.
    proc_size
        Processing ``(width, height)`` [px].
    fps
        Video frame rate [1/s].
    sample_s
        Sampling period [s].
    stop_speed
        A vehicle is stopped below this speed, in vehicle sizes per second.
    """

    def __init__(
        self,
        queues: tuple[Zone, ...],
        scale: float,
        proc_size: tuple[int, int],
        fps: float,
        sample_s: float,
        stop_speed: float,
    ) -> None:
        w, h = proc_size
        self._queues = queues
        self._fps = fps
        self._sample_s = sample_s
        self._stop_speed = stop_speed
        masks = [label_map((z,), scale, w, h) > 0 for z in queues]
        self._stack = np.stack(masks) if masks else np.zeros((0, h, w), bool)
        self._area = np.array([max(int(m.sum()), 1) for m in masks], float)
        self._ys, self._xs, self._starts = zone_pixels(masks)
        nq = len(queues)
        self._sum = np.zeros((nq, 3))
        self._n = 0
        self._sample = 0
        self._rows: list[list[tuple[float, float, float, float]]] = [[] for _ in range(nq)]

    def add(
        self,
        t_s: float,
        tracks: list[Track],
        mask: npt.NDArray[np.uint8],
        centers: FloatArray,
        velocities: FloatArray,
        confirmed: npt.NDArray[np.bool_],
    ) -> None:
        """Sample every queue zone in the frame at ``t_s`` [s] (foreground ``mask``, the
        tracks' centres and velocities [processing px, px/frame])."""
        if not self._queues:
            return
        sample = int(t_s // self._sample_s)
        if sample != self._sample and self._n:
            self._flush()
        self._sample = sample
        # blob borders are mixed pixels (vehicle edge, shadow edge, compression), on average
        # half covered: border pixels count one half (fg + eroded fg, over two); one kernel
        # call adds the sample (cover, vehicles, stopped vehicles) to the running sums
        queue_sample(
            mask,
            self._ys,
            self._xs,
            self._starts,
            self._area,
            self._stack,
            centers,
            velocities,
            confirmed,
            np.array([t.area_px2 for t in tracks], np.float64),
            self._fps,
            self._stop_speed,
            self._sum,
        )
        self._n += 1

    def _flush(self) -> None:
        t0 = self._sample * self._sample_s
        for q in range(len(self._queues)):
            occ, veh, stop = self._sum[q] / self._n
            self._rows[q].append((t0, occ, veh, stop))
        self._sum[:] = 0.0
        self._n = 0

    def series(self) -> dict[str, QueueSeries]:
        """Each queue zone's samples so far, by zone id (the last sample closed)."""
        if self._n:
            self._flush()
        queues = {}
        for q, zone in enumerate(self._queues):
            r = self._rows[q]
            queues[zone.id] = QueueSeries(
                zone.id,
                self._sample_s,
                tuple(x[0] for x in r),
                tuple(x[1] for x in r),
                tuple(x[2] for x in r),
                tuple(x[3] for x in r),
            )
        return queues
