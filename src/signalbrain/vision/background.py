"""Vehicle detection by background subtraction that keeps stopped queues visible.

:class:`BackgroundDetector` wraps OpenCV's MOG2 mixture-of-Gaussians background model
(Zivkovic 2004; Zivkovic & van der Heijden 2006) with its shadow test (Prati et al. 2003: a pixel
darker than the background by a bounded ratio, with the same chromaticity, is shadow, not vehicle):

* **warm-up**: the model is seeded with the per-pixel median of frames spread over the first
  seconds, so moving vehicles there do not end up in the background and counting starts at
  frame 0;
* **detection** runs with learning switched off, so a frame never teaches the model itself;
* **selective update** (Cucchiara et al. 2003; Toyama et al. 1999): every few frames the model
  learns from a copy of the frame in which pixels under tracked vehicles are replaced by the
  current background, corrected for global lighting drift. A vehicle waiting at a red light is
  therefore never absorbed into the background and stays visible for queue occupancy, while the
  rest of the scene keeps adapting to light changes. Only vehicles seen moving are protected, for
  up to ``max_freeze_s`` of standstill (then they are parked); other foreground (a *ghost* left
  where a vehicle of the warm-up background drove off, a moved object) is protected for
  ``ghost_s`` only and then learnt;
* **morphology** (opening against noise, closing against holes) and connected components above a
  minimum area give the blobs, which :func:`~signalbrain.vision.detections.split_blobs` divides
  where tracked vehicles touch.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.vision.detections import Detections, split_blobs

__all__ = ["BackgroundDetector", "DetectorConfig"]

Frame = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Tuning of :class:`BackgroundDetector`; sizes are fractions of the processing width.

    Attributes
    ----------
    history_frames
        MOG2 history (frames).
    var_threshold
        MOG2 squared Mahalanobis distance threshold for foreground.
    shadow_tau
        Darkest shadow as a fraction of the background brightness (MOG2 ``shadowThreshold``).
    learning_rate
        Background learning rate per update.
    update_every
        Frames between background updates.
    warmup_s
        Span at the start of the video whose median seeds the background [s].
    warmup_samples
        Frames sampled from that span for the median.
    min_area_frac
        Smallest blob as a fraction of the processing frame area.
    open_frac, close_frac
        Kernel sizes of the opening and closing, as fractions of the processing width.
    mark_contrast, mark_frac
        Background pixels brighter by ``mark_contrast`` grey levels than the background around
        them (within ``mark_frac`` of the processing width: a white top-hat) are markings,
        where the shadow test is not applied.
    max_freeze_s
        Longest time a stationary tracked vehicle keeps its pixels out of background learning [s].
    ghost_s
        Longest time other foreground pixels stay out of background learning [s].
    ghost_edges
        A stationary blob whose edge energy is below this share of the background model's
        there is a ghost (see :meth:`BackgroundDetector.is_ghost`).
    """

    history_frames: int = 500
    var_threshold: float = 25.0
    shadow_tau: float = 0.5
    learning_rate: float = 0.02
    update_every: int = 4
    warmup_s: float = 6.0
    warmup_samples: int = 25
    min_area_frac: float = 0.0006
    open_frac: float = 1.0 / 160.0
    close_frac: float = 1.0 / 100.0
    max_freeze_s: float = 300.0
    ghost_s: float = 15.0
    ghost_edges: float = 0.6
    mark_contrast: float = 40.0
    mark_frac: float = 1.0 / 30.0


def _odd(n: float) -> int:
    k = max(1, round(n))
    return k if k % 2 == 1 else k + 1


class BackgroundDetector:
    """Background-subtraction detector at a fixed processing size.

    Call :meth:`seed` once with warm-up frames, then per frame :meth:`detect` and
    :meth:`learn`.
    """

    def __init__(self, width: int, height: int, config: DetectorConfig | None = None) -> None:
        self.config = cfg = config or DetectorConfig()
        self.width = width
        self.height = height
        self._mog = cv2.createBackgroundSubtractorMOG2(
            history=cfg.history_frames, varThreshold=cfg.var_threshold, detectShadows=True
        )
        self._mog.setShadowThreshold(cfg.shadow_tau)
        self._open = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(width * cfg.open_frac),) * 2
        )
        self._close = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(width * cfg.close_frac),) * 2
        )
        self.min_area_px = max(4.0, cfg.min_area_frac * width * height)
        self._mark_kernel = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(width * cfg.mark_frac),) * 2
        )
        self._grow = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(width * cfg.close_frac) + 2,) * 2
        )
        self.mask: Frame = np.zeros((height, width), np.uint8)
        self._fg_age = np.zeros((height, width), np.int32)
        self._free_sub = np.ones(((height + 3) // 4, (width + 3) // 4), np.uint8)
        self._bg_ref: Frame | None = None
        self._marks: Frame | None = None
        self._frames = 0

    def seed(self, frames: list[Frame]) -> None:
        """Initialise the background with the per-pixel median of ``frames``."""
        if not frames:
            return
        stack = np.stack(frames)
        median = np.median(stack, axis=0).astype(np.uint8)
        for i in range(30):
            self._mog.apply(median, learningRate=1.0 / (i + 1))
        # a little of the real frames' noise, so the model's variances are realistic
        for f in frames[:: max(1, len(frames) // 10)]:
            self._mog.apply(f, learningRate=0.05)
        self._mog.apply(median, learningRate=0.05)
        self._set_reference()

    def _set_reference(self) -> None:
        self._bg_ref = ref = np.asarray(self._mog.getBackgroundImage(), dtype=np.uint8)
        if self._frames % (8 * self.config.update_every) == 0 or self._marks is None:
            grey = cv2.cvtColor(ref, cv2.COLOR_BGR2GRAY)
            # markings are thin and brighter than their surroundings: a white top-hat finds
            # them and not a wide bright road surface
            tophat = cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, self._mark_kernel)
            self._marks = np.asarray(
                cv2.threshold(tophat, self.config.mark_contrast, 255, cv2.THRESH_BINARY)[1],
                dtype=np.uint8,
            )

    def is_ghost(self, frame: Frame, box: FloatArray) -> bool:
        """Whether the foreground in ``box`` is a *ghost*: background uncovered by a vehicle
        that was part of the background model.

        A real object brings its own edges along the blob's outline; a ghost shows the edges of
        the departed object in the background model there but not in the frame (Cucchiara et
        al. 2003).
        """
        if self._bg_ref is None:
            return False
        x0, y0 = max(0, int(box[0]) - 2), max(0, int(box[1]) - 2)
        x1, y1 = min(self.width, int(box[2]) + 3), min(self.height, int(box[3]) + 3)
        if x1 - x0 < 4 or y1 - y0 < 4:
            return False
        blob = self.mask[y0:y1, x0:x1]
        outline = cv2.morphologyEx(blob, cv2.MORPH_GRADIENT, _CROSS) > 0
        if not outline.any():
            return False

        def edges(img: Frame) -> float:
            grey = cv2.GaussianBlur(cv2.cvtColor(img[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), (3, 3), 0)
            gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
            gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
            return float((np.abs(gx) + np.abs(gy))[outline].sum())

        return edges(frame) < self.config.ghost_edges * edges(self._bg_ref)

    def release(self, box: FloatArray, fps: float) -> None:
        """Let the background learn the pixels in ``box`` from now on (a ghost)."""
        x0, y0 = max(0, int(box[0]) - 2), max(0, int(box[1]) - 2)
        x1, y1 = min(self.width, int(box[2]) + 3), min(self.height, int(box[3]) + 3)
        region = self._fg_age[y0:y1, x0:x1]
        np.maximum(region, int(self.config.ghost_s * fps) + 1, out=region)

    def normalise(self, frame: Frame) -> Frame:
        """``frame`` scaled so that its background pixels match the background's brightness.

        Global illumination changes (clouds, sun, camera gain) then never reach the model, and
        frozen regions stay consistent with the rest of the background.
        """
        ref = self._bg_ref
        if ref is None:
            return frame
        free = self._free_sub
        if not free.any():
            return frame
        f_mean = sum(cv2.mean(frame[::4, ::4], mask=free)[:3])
        b_mean = sum(cv2.mean(ref[::4, ::4], mask=free)[:3])
        gain = b_mean / f_mean if f_mean > 1.0 else 1.0
        if abs(gain - 1.0) < 0.005:
            return frame
        return np.asarray(cv2.convertScaleAbs(frame, alpha=gain), dtype=np.uint8)

    def detect(
        self, frame: Frame, centers: FloatArray | None = None, sizes: FloatArray | None = None
    ) -> Detections:
        """Foreground blobs of ``frame`` (processing size, BGR, normalised with
        :meth:`normalise`), split at tracked centres."""
        raw = self._mog.apply(frame, learningRate=0.0)
        mask = cv2.threshold(raw, 200, 255, cv2.THRESH_BINARY)[1]
        if self._marks is not None:
            # a vehicle over a bright marking passes the shadow test (a darker, neutral version
            # of the white paint); there it is a vehicle
            mask = cv2.bitwise_or(mask, cv2.bitwise_and(cv2.inRange(raw, 100, 150), self._marks))
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._open)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self._close)
        self.mask = np.asarray(mask, dtype=np.uint8)
        n, lab_img, stat_arr, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        labels = np.asarray(lab_img, dtype=np.int32)
        stats = np.asarray(stat_arr, dtype=np.int32)
        if n <= 1:
            return Detections.empty()
        keep = np.nonzero(stats[1:, cv2.CC_STAT_AREA] >= self.min_area_px)[0] + 1
        if centers is None or sizes is None:
            centers = np.zeros((0, 2))
            sizes = np.zeros((0, 2))
        return split_blobs(labels, stats, keep.astype(np.int64), centers, sizes)

    def learn(self, frame: Frame, frozen_boxes: FloatArray, fps: float = 25.0) -> None:
        """Update the background from ``frame`` except under vehicles.

        ``frame`` is the normalised frame given to :meth:`detect`. Pixels under ``frozen_boxes``
        (xyxy, px: the tracked vehicles) and pixels that are foreground now (slightly dilated)
        and have been for less than ``ghost_s`` are replaced by the current background
        before the model learns from the frame.
        """
        cfg = self.config
        fg = self.mask > 0
        self._fg_age = np.where(fg, self._fg_age + 1, 0).astype(np.int32)
        self._frames += 1
        if self._frames % cfg.update_every:
            return
        frozen = cv2.dilate(self.mask, self._grow)
        frozen[self._fg_age > cfg.ghost_s * fps] = 0
        pad = 2
        for x0, y0, x1, y1 in frozen_boxes:
            cv2.rectangle(
                frozen,
                (int(x0) - pad, int(y0) - pad),
                (int(x1) + pad, int(y1) + pad),
                255,
                thickness=-1,
            )
        self._free_sub = np.ascontiguousarray((frozen[::4, ::4] == 0).astype(np.uint8))
        if not frozen.any():
            self._mog.apply(frame, learningRate=cfg.learning_rate)
        else:
            composite = frame.copy()
            if self._bg_ref is not None:
                cv2.copyTo(self._bg_ref, frozen, composite)
            self._mog.apply(composite, learningRate=cfg.learning_rate)
        self._set_reference()
