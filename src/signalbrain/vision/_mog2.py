"""MOG2 background model as numba kernels: detection and selective learning in one pass each.

The algorithm is OpenCV's ``BackgroundSubtractorMOG2`` (Zivkovic 2004; Zivkovic & van der
Heijden 2006), per pixel a mixture of up to ``K`` Gaussians with isotropic variance over the
three colour channels, sorted by weight, with the shadow test of Prati et al. (2003). It is
re-implemented here, with the same update equations and defaults, because the counter needs
two things OpenCV's ``apply`` does not offer and that otherwise cost several full-frame passes:

* :func:`mog2_detect` classifies a frame with learning off (OpenCV still runs the whole update
  loop then), stops at the first background mode of a pixel, applies a global brightness gain
  to the frame on the fly and writes the final vehicle mask directly (foreground, plus shadow on
  road markings, where the shadow test mistakes a vehicle for darker paint);
* :func:`mog2_learn` updates the model from the frame where ``frozen`` is zero and from the
  background image where it is set (without building that composite frame) and keeps the
  background image up to date.

:class:`Mog2` owns the model arrays and mirrors OpenCV's ``apply`` semantics (a learning rate
>= 1 or the first frame restarts the model). The kernels' plain-Python twins are
``mog2_detect.py_func`` and ``mog2_learn.py_func``; the tests check both against OpenCV.

References
----------
Zivkovic, Z. (2004). Improved adaptive Gaussian mixture model for background subtraction.
ICPR 2004. Zivkovic, Z., van der Heijden, F. (2006). Efficient adaptive density estimation per
image pixel for the task of background subtraction. Pattern Recognition Letters 27(7).
Prati, A., Mikic, I., Trivedi, M., Cucchiara, R. (2003). Detecting moving shadows: algorithms
and evaluation. IEEE PAMI 25(7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from signalbrain.vision._median import median_background

__all__ = [
    "Mog2",
    "Mog2Params",
    "frozen_mask",
    "median_background",
    "mog2_detect",
    "mog2_learn",
]

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Mog2Params:
    """MOG2 parameters (OpenCV's names in brackets; defaults are OpenCV's).

    Attributes
    ----------
    mixtures
        Most Gaussians per pixel [nmixtures].
    var_threshold
        Squared Mahalanobis distance under which a pixel is background [varThreshold, Tb].
    var_threshold_gen
        Squared distance under which a pixel updates a mode instead of starting one
        [varThresholdGen, Tg].
    background_ratio
        Weight share of the modes that are background [backgroundRatio, TB].
    var_init, var_min, var_max
        Variance of a new mode, and the bounds of every variance [fVarInit, fVarMin, fVarMax].
    complexity_reduction
        Prior that prunes weak modes [fCT].
    shadow_tau
        Darkest shadow as a fraction of the background [fTau].
    """

    mixtures: int = 5
    var_threshold: float = 16.0
    var_threshold_gen: float = 9.0
    background_ratio: float = 0.9
    var_init: float = 15.0
    var_min: float = 4.0
    var_max: float = 75.0
    complexity_reduction: float = 0.05
    shadow_tau: float = 0.5


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _gain(frame: U8, bg: U8, free: U8, width: int, step: int) -> float:  # pragma: no cover
    """Background over frame brightness, summed over the pixels of the ``step`` grid where
    ``free`` is set (flat arrays, rows ``width`` long; frames ``(3 n,)``); 1 when there are
    none or the frame is black."""
    # integer sums (exact, as the sums of whole numbers in floating point were)
    f_int = 0
    b_int = 0
    n = 0
    for row in range(0, free.shape[0], step * width):
        for p in range(row, row + width, step):
            if free[p]:
                f_int += np.int64(frame[3 * p]) + np.int64(frame[3 * p + 1]) + frame[3 * p + 2]
                b_int += np.int64(bg[3 * p]) + np.int64(bg[3 * p + 1]) + bg[3 * p + 2]
                n += 1
    f_sum = float(f_int)
    if n == 0 or f_sum <= n:
        return 1.0
    return float(b_int) / f_sum


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def mog2_detect(
    frame: U8,
    gain: float,
    weight: F32,
    mean: F32,
    var: F32,
    modes: U8,
    marks: U8,
    tb: float,
    big_tb: float,
    tau: float,
    out: U8,
) -> int:  # pragma: no cover - jitted
    """Classify ``frame`` (scaled by ``gain``) with learning off; returns foreground pixels.

    Everything is flat: ``frame`` ``(3 n,)`` BGR, ``out``, ``modes``, ``marks`` ``(n,)``, the
    model mode-major (``weight[m * n + p]``, ``var`` alike, ``mean[3 (m * n + p) + c]``).
    ``out[p]`` becomes 255 for foreground and for shadow where ``marks`` is set, else 0.
    A first, branch-free pass settles the pixels that match their strongest mode (always a
    background mode); only the others go through the whole test.
    """
    n = modes.shape[0]
    g = np.float32(gain)
    t = np.float32(tb)
    for p in range(n):
        e0 = mean[3 * p] - min(np.float32(frame[3 * p]) * g, np.float32(255.0))
        e1 = mean[3 * p + 1] - min(np.float32(frame[3 * p + 1]) * g, np.float32(255.0))
        e2 = mean[3 * p + 2] - min(np.float32(frame[3 * p + 2]) * g, np.float32(255.0))
        out[p] = 0 if e0 * e0 + e1 * e1 + e2 * e2 < t * var[p] else 1
    # the others: eight pixels at a time where none is left (most of the frame)
    count = 0
    n8 = n - n % 8
    words = out[:n8].view(np.uint64)
    for block in range((n + 7) // 8):
        if block < n8 // 8 and words[block] == 0:
            continue
        for p in range(8 * block, min(8 * block + 8, n)):
            if out[p] == 0:
                continue
            if modes[p] == 0:  # nothing learnt here yet: foreground
                out[p] = 255
                count += 1
                continue
            d0 = min(float(frame[3 * p]) * gain, 255.0)
            d1 = min(float(frame[3 * p + 1]) * gain, 255.0)
            d2 = min(float(frame[3 * p + 2]) * gain, 255.0)
            nm = modes[p]
            total = weight[p]
            background = False
            for m in range(1, nm):
                if total >= big_tb:
                    break
                i = m * n + p
                e0 = mean[3 * i] - d0
                e1 = mean[3 * i + 1] - d1
                e2 = mean[3 * i + 2] - d2
                if e0 * e0 + e1 * e1 + e2 * e2 < tb * var[i]:
                    background = True
                    break
                total += weight[i]
            if background:
                out[p] = 0
                continue
            # shadow test (Prati et al. 2003) on the background modes
            shadow = False
            total = 0.0
            for m in range(nm):
                i = m * n + p
                m0 = mean[3 * i]
                m1 = mean[3 * i + 1]
                m2 = mean[3 * i + 2]
                num = d0 * m0 + d1 * m1 + d2 * m2
                den = m0 * m0 + m1 * m1 + m2 * m2
                if den == 0.0:
                    break
                if num <= den and num >= tau * den:
                    a = num / den
                    f0 = a * m0 - d0
                    f1 = a * m1 - d1
                    f2 = a * m2 - d2
                    if f0 * f0 + f1 * f1 + f2 * f2 < tb * var[i] * a * a:
                        shadow = True
                        break
                total += weight[i]
                if total > big_tb:
                    break
            if shadow and marks[p] == 0:
                out[p] = 0
            else:
                out[p] = 255
                count += 1
    return count


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _swap(weight: F32, mean: F32, var: F32, a: int, b: int) -> None:  # pragma: no cover
    """Swap the modes at flat indices ``a`` and ``b``."""
    weight[a], weight[b] = weight[b], weight[a]
    var[a], var[b] = var[b], var[a]
    for c in range(3):
        mean[3 * a + c], mean[3 * b + c] = mean[3 * b + c], mean[3 * a + c]


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def mog2_learn(
    frame: U8,
    gain: float,
    frozen: U8,
    weight: F32,
    mean: F32,
    var: F32,
    modes: U8,
    bg: U8,
    rate: float,
    tg: float,
    big_tb: float,
    var_init: float,
    var_min: float,
    var_max: float,
    ct: float,
) -> None:  # pragma: no cover - jitted
    """One MOG2 update with learning rate ``rate`` from ``frame`` (scaled by ``gain``), except
    that pixels where ``frozen`` is set learn the background image ``bg`` itself (as if what
    covers them were painted over with the background: their means stay, their variances
    settle and their weaker modes fade).

    Flat arrays as in :func:`mog2_detect`; ``bg`` ``(3 n,)``. The update is OpenCV's (weights
    decay by ``1 - rate`` and are pruned below ``rate * ct``, the first mode within ``tg``
    variances is pulled towards the pixel, otherwise a new mode replaces the weakest); ``bg``
    (the background image: the weight-averaged means of the background modes) is refreshed at
    the updated pixels.
    """
    n = modes.shape[0]
    n_mix = weight.shape[0] // n
    alpha1 = 1.0 - rate
    prune = -rate * ct
    # the pull towards the pixel of a lone mode of weight 1 (most pixels, after their first
    # update): the same for all of them, so divided once, where it is first needed
    k_one = 0.0
    have_k_one = False
    for p in range(n):
        if frozen[p]:  # the background itself, as if the vehicle were painted over
            d0 = float(bg[3 * p])
            d1 = float(bg[3 * p + 1])
            d2 = float(bg[3 * p + 2])
        else:
            d0 = min(float(frame[3 * p]) * gain, 255.0)
            d1 = min(float(frame[3 * p + 1]) * gain, 255.0)
            d2 = min(float(frame[3 * p + 2]) * gain, 255.0)
        nm = int(modes[p])
        if nm == 1:
            # one mode (most pixels): if the pixel fits, its weight renormalises to 1
            v = var[p]
            e0 = mean[3 * p] - d0
            e1 = mean[3 * p + 1] - d1
            e2 = mean[3 * p + 2] - d2
            dist2 = e0 * e0 + e1 * e1 + e2 * e2
            w0 = weight[p]
            wt = alpha1 * w0 + prune
            if dist2 < tg * v and wt + rate >= -prune:
                if have_k_one and w0 == 1.0:
                    k = k_one
                else:
                    k = rate / (wt + rate)
                    if w0 == 1.0:
                        k_one = k
                        have_k_one = True
                m0 = mean[3 * p] - k * e0
                m1 = mean[3 * p + 1] - k * e1
                m2 = mean[3 * p + 2] - k * e2
                mean[3 * p] = m0
                mean[3 * p + 1] = m1
                mean[3 * p + 2] = m2
                var[p] = min(max(v + k * (dist2 - v), var_min), var_max)
                weight[p] = 1.0
                bg[3 * p] = min(255, int(m0 + 0.5))
                bg[3 * p + 1] = min(255, int(m1 + 0.5))
                bg[3 * p + 2] = min(255, int(m2 + 0.5))
                continue
        n_new = nm
        fits = False
        total = 0.0
        m = 0
        while m < nm:
            i0 = m * n + p
            wt = alpha1 * weight[i0] + prune
            swaps = 0
            if not fits:
                v = var[i0]
                e0 = mean[3 * i0] - d0
                e1 = mean[3 * i0 + 1] - d1
                e2 = mean[3 * i0 + 2] - d2
                dist2 = e0 * e0 + e1 * e1 + e2 * e2
                if dist2 < tg * v:
                    fits = True
                    wt += rate
                    k = rate / wt
                    mean[3 * i0] -= k * e0
                    mean[3 * i0 + 1] -= k * e1
                    mean[3 * i0 + 2] -= k * e2
                    var[i0] = min(max(v + k * (dist2 - v), var_min), var_max)
                    i = m
                    while i > 0 and wt >= weight[(i - 1) * n + p]:
                        _swap(weight, mean, var, i * n + p, (i - 1) * n + p)
                        swaps += 1
                        i -= 1
            if wt < -prune:
                wt = 0.0
                nm -= 1
            weight[(m - swaps) * n + p] = wt
            total += wt
            m += 1
        if total > 0.0:
            inv = 1.0 / total
            for m in range(nm):
                weight[m * n + p] *= inv
        nm = n_new
        if not fits and rate > 0.0:
            if nm == n_mix:
                mode = n_mix - 1
            else:
                mode = nm
                nm += 1
            j = mode * n + p
            if nm == 1:
                weight[j] = 1.0
            else:
                weight[j] = rate
                for i in range(nm - 1):
                    weight[i * n + p] *= alpha1
            mean[3 * j] = d0
            mean[3 * j + 1] = d1
            mean[3 * j + 2] = d2
            var[j] = var_init
            i = nm - 1
            while i > 0 and rate >= weight[(i - 1) * n + p]:
                _swap(weight, mean, var, i * n + p, (i - 1) * n + p)
                i -= 1
        modes[p] = nm
        # background image: weighted mean of the modes up to the background ratio
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        total = 0.0
        for m in range(nm):
            i0 = m * n + p
            wt = weight[i0]
            s0 += wt * mean[3 * i0]
            s1 += wt * mean[3 * i0 + 1]
            s2 += wt * mean[3 * i0 + 2]
            total += wt
            if total > big_tb:
                break
        if total > 1e-7:
            inv = 1.0 / total
            bg[3 * p] = min(255, int(s0 * inv + 0.5))
            bg[3 * p + 1] = min(255, int(s1 * inv + 0.5))
            bg[3 * p + 2] = min(255, int(s2 * inv + 0.5))


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _frozen(
    grown: U8,
    since: I64,
    last: I64,
    frame: int,
    max_age: int,
    boxes: U8,
    free: U8,
    width: int,
    step: int,
) -> int:  # pragma: no cover - jitted
    """``grown`` becomes the frozen mask: grown foreground that has been foreground for at
    most ``max_age`` frames (its run began at frame ``since`` and lasts while ``last`` is the
    current ``frame``; elsewhere it is not foreground now, age 0), or inside ``boxes``; ``free``
    is set at the unfrozen pixels of the ``step`` grid. Flat arrays of rows ``width`` long.
    Returns the number of frozen pixels. The ages are only read under grown foreground, and
    eight pixels at a time are skipped where neither mask is set (most of the frame)."""
    n = 0
    size = grown.shape[0]
    n8 = size - size % 8
    grown_words = grown[:n8].view(np.uint64)
    box_words = boxes[:n8].view(np.uint64)
    for block in range((size + 7) // 8):
        if block < n8 // 8 and grown_words[block] == 0 and box_words[block] == 0:
            continue  # nothing frozen here: grown stays 0
        for p in range(8 * block, min(8 * block + 8, size)):
            if boxes[p] != 0:
                f = True
            elif grown[p] != 0:
                f = (frame - since[p] + 1 if last[p] == frame else 0) <= max_age
            else:
                f = False
            grown[p] = 255 if f else 0
            n += f
    for row in range(0, grown.shape[0], step * width):
        for p in range(row, row + width, step):
            free[p] = 0 if grown[p] else 1
    return n


class Mog2:
    """A MOG2 model of ``width`` x ``height`` BGR frames (see the module docstring).

    Frames and masks are C-contiguous ``(height, width, 3)`` and ``(height, width)`` arrays.
    ``background`` is the current background image (BGR ``uint8``).

    Raises
    ------
    ValueError
        If ``var_threshold < var_threshold_gen`` (a pixel that updates a mode would then not
        be background, which the fast path of :func:`mog2_detect` assumes) or ``mixtures`` is
        not 1..255.
    """

    def __init__(self, width: int, height: int, params: Mog2Params | None = None) -> None:
        self.params = p = params or Mog2Params()
        if p.var_threshold < p.var_threshold_gen:
            raise ValueError(
                f"var_threshold = {p.var_threshold} must be >= var_threshold_gen = "
                f"{p.var_threshold_gen}"
            )
        if not 1 <= p.mixtures <= 255:
            raise ValueError(f"mixtures = {p.mixtures} must be in 1..255")
        self.width = width
        self.height = height
        n = width * height
        k = p.mixtures
        self._weight: F32 = np.zeros(k * n, np.float32)
        self._mean: F32 = np.zeros(3 * k * n, np.float32)
        self._var: F32 = np.zeros(k * n, np.float32)
        self._modes: U8 = np.zeros(n, np.uint8)
        self.background: U8 = np.zeros((height, width, 3), np.uint8)
        self._no_marks: U8 = np.zeros(n, np.uint8)
        self._none_frozen: U8 = np.zeros(n, np.uint8)
        self.frames = 0

    def _flat(self, a: U8, channels: int) -> U8:
        shape = (self.height, self.width, 3) if channels == 3 else (self.height, self.width)
        if a.shape != shape:
            raise ValueError(f"expected an array of shape {shape}, got {a.shape}")
        return np.ascontiguousarray(a).reshape(-1)

    def reset(self) -> None:
        """Forget everything learnt."""
        self._modes[:] = 0
        self._weight[:] = 0.0
        self.background[:] = 0
        self.frames = 0

    def init(self, background: U8, var: F32) -> None:
        """Start from one mode per pixel: mean ``background`` (BGR ``uint8``), variance
        ``var`` ``(height, width)`` (clipped to the variance bounds)."""
        p = self.params
        n = self.width * self.height
        self.reset()
        self._modes[:] = 1
        self._weight[:n] = 1.0
        self._mean[: 3 * n] = self._flat(background, 3)
        self._var[:n] = np.clip(np.asarray(var, np.float32).reshape(-1), p.var_min, p.var_max)
        self.background[:] = background
        self.frames = 1

    def detect(self, frame: U8, out: U8, *, gain: float = 1.0, marks: U8 | None = None) -> int:
        """Write the vehicle mask of ``frame`` to ``out`` (C-contiguous, see
        :func:`mog2_detect`); returns the number of foreground pixels."""
        p = self.params
        if out.shape != (self.height, self.width) or not out.flags.c_contiguous:
            raise ValueError(f"out must be C-contiguous of shape {(self.height, self.width)}")
        return int(
            mog2_detect(
                self._flat(frame, 3),
                gain,
                self._weight,
                self._mean,
                self._var,
                self._modes,
                self._no_marks if marks is None else self._flat(marks, 1),
                p.var_threshold,
                p.background_ratio,
                p.shadow_tau,
                out.reshape(-1),
            )
        )

    def learn(self, frame: U8, rate: float, *, gain: float = 1.0, frozen: U8 | None = None) -> None:
        """Update the model from ``frame`` (scaled by ``gain``) except where ``frozen``.

        As OpenCV's ``apply``: a ``rate`` >= 1 restarts the model, and the first frame after a
        restart is learnt with rate 1/2.
        """
        p = self.params
        if rate >= 1.0:
            self.reset()
        self.frames += 1
        if self.frames == 1:
            rate = 0.5
        mog2_learn(
            self._flat(frame, 3),
            gain,
            self._none_frozen if frozen is None else self._flat(frozen, 1),
            self._weight,
            self._mean,
            self._var,
            self._modes,
            self.background.reshape(-1),
            rate,
            p.var_threshold_gen,
            p.background_ratio,
            p.var_init,
            p.var_min,
            p.var_max,
            p.complexity_reduction,
        )

    def gain(self, frame: U8, free: U8, step: int) -> float:
        """Brightness gain that maps ``frame`` onto the background on the ``free`` pixels of
        the ``step`` grid (every ``step``-th pixel of every ``step``-th row)."""
        return float(
            _gain(
                self._flat(frame, 3),
                self.background.reshape(-1),
                self._flat(free, 1),
                self.width,
                step,
            )
        )


def frozen_mask(
    grown: U8, since: I64, last: I64, frame: int, max_age: int, boxes: U8, free: U8, step: int
) -> int:
    """Turn ``grown`` (the dilated mask) into the frozen mask in place (see :func:`_frozen`);
    all C-contiguous ``(height, width)``."""
    return int(
        _frozen(
            grown.reshape(-1),
            since.reshape(-1),
            last.reshape(-1),
            frame,
            max_age,
            boxes.reshape(-1),
            free.reshape(-1),
            grown.shape[1],
            step,
        )
    )
