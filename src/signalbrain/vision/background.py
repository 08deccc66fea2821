"""Vehicle detection by background subtraction that keeps stopped queues visible.

:class:`BackgroundDetector` wraps OpenCV's MOG2 mixture-of-Gaussians background model
(Zivkovic 2004; Zivkovic & van der Heijden 2006) with its shadow test (Prati et al. 2003: a pixel
darker than the background by a bounded ratio, with the same chromaticity, is shadow, not vehicle):

* **warm-up**: the model is seeded with the per-pixel median of frames spread over the first
  seconds, so moving vehicles there do not end up in the background and counting starts at
  frame 0;
* **detection** runs with learning switched off, so a frame never teaches the model itself;
* **selective update** (Cucchiara et al. 2003; Toyama et al. 1999): every few frames the model
  learns from the frame, corrected for global lighting drift, in which pixels under tracked
  vehicles are replaced by the current background. A vehicle waiting at a red light is
  therefore never absorbed into the background and stays visible for queue occupancy, while the
  rest of the scene keeps adapting to light changes. Only vehicles seen moving are protected, for
  up to ``max_freeze_s`` of standstill (then they are parked); other foreground (a *ghost* left
  where a vehicle of the warm-up background drove off, a moved object) is protected for
  ``ghost_s`` only and then learnt;
* **morphology** (opening against noise, closing against holes) and connected components above a
  minimum area give the blobs (labelled from their runs, :mod:`signalbrain.vision._blobs`, with
  OpenCV's labels and stats), which :func:`~signalbrain.vision.detections.split_blobs` divides
  where tracked vehicles touch; the label image is only painted for that, when two predicted
  vehicle centres lie on one blob.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.vision._blobs import find_blobs, hold_age, mark_runs, paint_labels
from signalbrain.vision._median import median_background
from signalbrain.vision._mog2 import Mog2, Mog2Params, frozen_mask
from signalbrain.vision._morph import open_close_cross
from signalbrain.vision.detections import Detections, split_blobs

__all__ = ["BackgroundDetector", "DetectorConfig"]

Frame = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
# seed variance per median squared distance of the warm-up frames to their median: the mean over
# the median of the chi-square distribution with 3 degrees of freedom (Gaussian noise in three
# channels), so the seed variance is the frames' noise variance. (OpenCV's MOG2 seeded by
# learning the median reached about half of it; on the synthetic clips both count alike, on
# the real clips the full noise variance counts better.)
_SEED_VAR_PER_MEDIAN_D2 = 3.0 / 2.366
_GAIN_STEP = 4  # the lighting gain is measured on every 4th pixel of every 4th row
_NO_CENTRES = np.zeros((0, 2))


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Tuning of :class:`BackgroundDetector`; sizes are fractions of the processing width.

    Attributes
    ----------
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
    :meth:`learn`. Frames are BGR ``uint8``, ``width`` x ``height``: the processing frame or a
    crop of it; ``frame_size`` is then the whole processing frame's ``(width, height)``, which
    kernel sizes and the smallest blob area are fractions of.
    """

    def __init__(
        self,
        width: int,
        height: int,
        config: DetectorConfig | None = None,
        frame_size: tuple[int, int] | None = None,
    ) -> None:
        self.config = cfg = config or DetectorConfig()
        self.width = width
        self.height = height
        # sizes scale with the whole processing frame, also when only a crop of it is seen
        full_w, full_h = frame_size or (width, height)
        self._model = Mog2(
            width,
            height,
            Mog2Params(var_threshold=cfg.var_threshold, shadow_tau=cfg.shadow_tau),
        )
        self._open = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(full_w * cfg.open_frac),) * 2
        )
        self._close = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(full_w * cfg.close_frac),) * 2
        )
        # both the 3 x 3 cross (frames up to 349 px wide): one kernel call, not two OpenCV calls
        self._cross = np.array_equal(self._open, _CROSS) and np.array_equal(self._close, _CROSS)
        self.min_area_px = max(4.0, cfg.min_area_frac * full_w * full_h)
        self._mark_kernel = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(full_w * cfg.mark_frac),) * 2
        )
        self._grow = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (_odd(full_w * cfg.close_frac) + 2,) * 2
        )
        self.mask: Frame = np.zeros((height, width), np.uint8)
        self._opened: Frame = np.zeros((height, width), np.uint8)
        self._closed: Frame = np.zeros((height, width), np.uint8)
        # run-length labelling buffers: room for every run and component of any mask
        cap = height * ((width + 1) // 2) + 1
        self._runs = np.zeros((cap, 3), np.int32)
        self._run_label = np.zeros(cap, np.int32)
        self._stats = np.zeros((cap + 1, 5), np.int32)
        self._xyxy = np.zeros((cap, 4))
        self._area = np.zeros(cap)
        self._keep = np.zeros(cap, np.int64)
        self._box = np.zeros(4, np.int64)
        flat = self._closed.reshape(-1)
        self._words = flat.view(np.uint64) if flat.size % 8 == 0 else np.zeros(0, np.uint64)
        self.gain = 1.0  # brightness gain of the last frame given to detect
        self._raw: Frame = np.zeros((height, width), np.uint8)
        self._boxes: Frame = np.zeros((height, width), np.uint8)
        self._frozen: Frame = np.zeros((height, width), np.uint8)  # learn's frozen mask
        # foreground age, kept from the runs of the masks: the frame a pixel's current stretch
        # of foreground began and the last frame it was foreground (see _blobs.mark_runs)
        self._fg_since = np.zeros((height, width), np.int64)
        self._fg_last = np.full((height, width), -2, np.int64)
        self._n_runs = 0  # runs of the current mask in self._runs
        # pixels of the 4-px grid that were free (not frozen) at the last update: the gain
        # reference
        self._free: Frame = np.zeros((height, width), np.uint8)
        self._free[::_GAIN_STEP, ::_GAIN_STEP] = 1
        # the background's brightness over the free grid pixels: changes only when they or the
        # background do (seed and learn), so it is summed then and not for every frame
        self._bg_grid_sum = (0, 0)
        self._marks: Frame | None = None
        self._seeded = False
        self._frames = 0

    @property
    def background(self) -> Frame:
        """The current background image (BGR)."""
        return self._model.background

    def seed(self, frames: list[Frame]) -> None:
        """Initialise the background with the per-pixel median of ``frames``.

        Each pixel starts with one mode: the median, with a variance from the frames' spread
        around it (the median of their squared distances, so that vehicles passing in the
        warm-up frames do not inflate it).
        """
        if not frames:
            return
        median, d2 = median_background(frames)
        var = _SEED_VAR_PER_MEDIAN_D2 * d2
        self._model.init(median, var.astype(np.float32))
        self._seeded = True
        self._bg_grid_sum = self._model.background_sum(self._free, _GAIN_STEP)
        self._set_reference()

    def _set_reference(self) -> None:
        if self._frames % (8 * self.config.update_every) == 0 or self._marks is None:
            grey = cv2.cvtColor(self._model.background, cv2.COLOR_BGR2GRAY)
            # markings are thin and brighter than their surroundings: a white top-hat finds
            # them and not a wide bright road surface
            tophat = cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, self._mark_kernel)
            self._marks = np.ascontiguousarray(
                cv2.threshold(tophat, self.config.mark_contrast, 255, cv2.THRESH_BINARY)[1],
                dtype=np.uint8,
            )

    def is_ghost(self, frame: Frame, box: FloatArray) -> bool:
        """Whether the foreground in ``box`` is a *ghost*: background uncovered by a vehicle
        that was part of the background model.

        A real object brings its own edges along the blob's outline; a ghost shows the edges of
        the departed object in the background model there but not in the frame (Cucchiara et
        al. 2003). ``frame`` is the frame last given to :meth:`detect`.
        """
        if not self._seeded:
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

        # edges are linear in brightness: the gain applies to them as to the frame
        return self.gain * edges(frame) < self.config.ghost_edges * edges(self._model.background)

    def release(self, box: FloatArray, fps: float) -> None:
        """Let the background learn the pixels in ``box`` from now on (a ghost)."""
        x0, y0 = max(0, int(box[0]) - 2), max(0, int(box[1]) - 2)
        x1, y1 = min(self.width, int(box[2]) + 3), min(self.height, int(box[3]) + 3)
        hold_age(
            self._fg_since[y0:y1, x0:x1],
            self._fg_last[y0:y1, x0:x1],
            self._frames,
            int(self.config.ghost_s * fps) + 1,
        )

    def detect(
        self, frame: Frame, centers: FloatArray | None = None, sizes: FloatArray | None = None
    ) -> Detections:
        """Foreground blobs of ``frame`` (processing size, BGR), split at tracked centres.

        The frame is first scaled so that its background pixels match the background's
        brightness (global illumination changes, clouds, sun, camera gain, then never reach
        the model, and frozen regions stay consistent with the rest of the background).
        """
        gain = (
            self._model.gain(frame, self._free, _GAIN_STEP, self._bg_grid_sum)
            if self._seeded
            else 1.0
        )
        self.gain = 1.0 if abs(gain - 1.0) < 0.005 else gain
        # a vehicle over a bright marking passes the shadow test (a darker, neutral version
        # of the white paint); there it is a vehicle
        if not self._model.detect(frame, self._raw, gain=self.gain, marks=self._marks):
            self.mask = self._raw
            self._n_runs = 0
            return Detections.empty()
        if self._cross:
            open_close_cross(self._raw, self._opened, self._closed)
        else:
            cv2.morphologyEx(self._raw, cv2.MORPH_OPEN, self._open, dst=self._opened)
            cv2.morphologyEx(self._opened, cv2.MORPH_CLOSE, self._close, dst=self._closed)
        self.mask = self._closed
        if centers is None or sizes is None or len(centers) < 2:
            centers = sizes = _NO_CENTRES
        runs, run_label, stats, box = self._runs, self._run_label, self._stats, self._box
        self._n_runs, n, k, crowded = find_blobs(
            self.mask,
            self._words,
            runs,
            run_label,
            stats,
            self.min_area_px,
            centers,
            self._xyxy,
            self._area,
            self._keep,
            box,
        )
        if not crowded:
            if k == 0:
                return Detections.empty()
            return Detections(
                self._xyxy[:k].copy(),
                self._area[:k].copy(),
                np.ones(k),
                np.full(k, -1, dtype=np.int64),
            )
        # two predicted vehicle centres on one blob: split_blobs divides it, in the
        # foreground's bounding box (corner on even coordinates), where OpenCV labelled before
        bx, by, bx1, by1 = (int(v) for v in box)
        labels = np.empty((by1 - by, bx1 - bx), np.int32)
        paint_labels(runs, run_label, self._n_runs, bx, by, labels)
        local_stats = stats[:n].copy()
        local_stats[1:, 0] -= bx
        local_stats[1:, 1] -= by
        local_stats[0, :4] = (0, 0, bx1 - bx, by1 - by)
        offset = np.array([bx, by], dtype=np.float64)
        det = split_blobs(labels, local_stats, self._keep[:k].copy(), centers - offset, sizes)
        if not len(det):
            return det
        return Detections(det.xyxy + np.tile(offset, 2), det.area, det.score, det.class_id)

    def learn(self, frame: Frame, frozen_boxes: FloatArray, fps: float = 25.0) -> None:
        """Update the background from ``frame`` except under vehicles.

        ``frame`` is the frame given to :meth:`detect` (its gain applies). Pixels under
        ``frozen_boxes`` (xyxy, px: the tracked vehicles) and pixels that are foreground now
        (slightly dilated) and have been for at most ``ghost_s`` keep their background.
        """
        cfg = self.config
        f = self._frames
        mark_runs(
            self._runs,
            self._n_runs,
            self.width,
            self._fg_since.reshape(-1),
            self._fg_last.reshape(-1),
            f,
        )
        self._frames += 1
        if self._frames % cfg.update_every:
            return
        frozen = self._frozen
        cv2.dilate(self.mask, self._grow, dst=frozen)
        boxes = self._boxes
        boxes.fill(0)
        pad = 2
        for x0, y0, x1, y1 in frozen_boxes:
            cv2.rectangle(
                boxes,
                (int(x0) - pad, int(y0) - pad),
                (int(x1) + pad, int(y1) + pad),
                255,
                thickness=-1,
            )
        frozen_mask(
            frozen,
            self._fg_since,
            self._fg_last,
            f,
            int(cfg.ghost_s * fps),
            boxes,
            self._free,
            _GAIN_STEP,
        )
        self._model.learn(frame, cfg.learning_rate, gain=self.gain, frozen=frozen)
        self._bg_grid_sum = self._model.background_sum(self._free, _GAIN_STEP)
        self._set_reference()
