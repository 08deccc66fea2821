"""MOG2 background model as numba kernels: detection and selective learning.

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

The model's means and the background image are kept in colour planes (per mode, the blue,
green and red planes one after the other), so that the pass of :func:`mog2_learn` over the
pixels with one mode, most of the frame, runs branch-free on vector registers (with the
channels interleaved as in a frame it did not vectorise) and the strongest modes' means, which
every detection reads, lie together. Frames stay interleaved.

:class:`Mog2` owns the model arrays and mirrors OpenCV's ``apply`` semantics (a learning rate
>= 1 or the first frame restarts the model). The kernels' plain-Python twins are
``mog2_detect.py_func`` and ``mog2_learn.py_func``; the tests check both against OpenCV, and
:func:`mog2_learn` against the same update as a single loop over the pixels, to the bit.

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

import cv2
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
def _background_sum(bg: U8, free: U8, width: int, step: int) -> tuple[int, int]:  # pragma: no cover
    """Brightness of the background ``bg`` (three colour planes one after the other), summed
    over the pixels of the ``step`` grid where ``free`` is set (rows ``width`` long), and the
    number of those pixels."""
    # integer sums (exact, as the sums of whole numbers in floating point were)
    size = free.shape[0]
    b_int = 0
    n = 0
    for row in range(0, size, step * width):
        for p in range(row, row + width, step):
            if free[p]:
                b_int += np.int64(bg[p]) + np.int64(bg[size + p]) + bg[2 * size + p]
                n += 1
    return b_int, n


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _gain(
    frame: U8, b_int: int, n: int, free: U8, width: int, step: int
) -> float:  # pragma: no cover
    """Background over frame brightness: ``b_int`` (see :func:`_background_sum`) over the
    brightness of ``frame`` ``(3 n,)`` BGR summed over the same ``n`` pixels; 1 when there are
    none or the frame is black."""
    f_int = 0
    for row in range(0, free.shape[0], step * width):
        for p in range(row, row + width, step):
            f = np.int64(frame[3 * p]) + np.int64(frame[3 * p + 1]) + frame[3 * p + 2]
            f_int += f if free[p] else 0
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
    model mode-major (``weight[m * n + p]``, ``var`` alike) and ``mean`` in colour planes per
    mode (``mean[(3 m + c) n + p]``: the strongest modes' three planes come first).
    ``out[p]`` becomes 255 for foreground and for shadow where ``marks`` is set, else 0.
    A first, branch-free pass settles the pixels that match their strongest mode (always a
    background mode); only the others go through the whole test.
    """
    n = modes.shape[0]
    g = np.float32(gain)
    t = np.float32(tb)
    for p in range(n):
        e0 = mean[p] - min(np.float32(frame[3 * p]) * g, np.float32(255.0))
        e1 = mean[n + p] - min(np.float32(frame[3 * p + 1]) * g, np.float32(255.0))
        e2 = mean[2 * n + p] - min(np.float32(frame[3 * p + 2]) * g, np.float32(255.0))
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
                j = 3 * m * n + p
                e0 = mean[j] - d0
                e1 = mean[j + n] - d1
                e2 = mean[j + 2 * n] - d2
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
                j = 3 * m * n + p
                m0 = mean[j]
                m1 = mean[j + n]
                m2 = mean[j + 2 * n]
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
def _swap(
    weight: F32, mean: F32, var: F32, n: int, p: int, a: int, b: int
) -> None:  # pragma: no cover
    """Swap modes ``a`` and ``b`` of pixel ``p`` (of ``n``)."""
    ia = a * n + p
    ib = b * n + p
    weight[ia], weight[ib] = weight[ib], weight[ia]
    var[ia], var[ib] = var[ib], var[ia]
    for c in range(3):
        ja = (3 * a + c) * n + p
        jb = (3 * b + c) * n + p
        mean[ja], mean[jb] = mean[jb], mean[ja]


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

    Flat arrays as in :func:`mog2_detect`; ``bg`` ``(3 n,)`` in colour planes (``bg[c n + p]``).
    The update is OpenCV's (weights decay by ``1 - rate`` and are pruned below ``rate * ct``,
    the first mode within ``tg`` variances is pulled towards the pixel, otherwise a new mode
    replaces the weakest); ``bg`` (the background image: the weight-averaged means of the
    background modes) is refreshed at the updated pixels.

    A first, branch-free pass (vectorised over the colour planes) updates the pixels with one
    mode that the pixel fits (most of the frame); the others go through the whole update in a
    second pass, eight pixels skipped at a time where none is left.
    """
    n = modes.shape[0]
    n_mix = weight.shape[0] // n
    alpha1 = 1.0 - rate
    prune = -rate * ct
    todo = np.empty(n, np.uint8)
    for p in range(n):
        fz = frozen[p] != 0
        # the background itself where frozen, as if the vehicle were painted over
        b0 = bg[p]
        b1 = bg[n + p]
        b2 = bg[2 * n + p]
        f0 = min(float(frame[3 * p]) * gain, 255.0)
        f1 = min(float(frame[3 * p + 1]) * gain, 255.0)
        f2 = min(float(frame[3 * p + 2]) * gain, 255.0)
        d0 = float(b0) if fz else f0
        d1 = float(b1) if fz else f1
        d2 = float(b2) if fz else f2
        # one mode: if the pixel fits, its weight renormalises to 1
        v = var[p]
        mu0 = mean[p]
        mu1 = mean[n + p]
        mu2 = mean[2 * n + p]
        e0 = mu0 - d0
        e1 = mu1 - d1
        e2 = mu2 - d2
        dist2 = e0 * e0 + e1 * e1 + e2 * e2
        w0 = weight[p]
        wt = alpha1 * w0 + prune
        ok = (modes[p] == 1) & (dist2 < tg * v) & (wt + rate >= -prune)
        k = rate / (wt + rate)
        m0 = mu0 - k * e0
        m1 = mu1 - k * e1
        m2 = mu2 - k * e2
        mean[p] = m0 if ok else mu0
        mean[n + p] = m1 if ok else mu1
        mean[2 * n + p] = m2 if ok else mu2
        var[p] = min(max(v + k * (dist2 - v), var_min), var_max) if ok else v
        weight[p] = 1.0 if ok else w0
        bg[p] = min(255, int(m0 + 0.5)) if ok else b0
        bg[n + p] = min(255, int(m1 + 0.5)) if ok else b1
        bg[2 * n + p] = min(255, int(m2 + 0.5)) if ok else b2
        todo[p] = 0 if ok else 1
    n8 = n - n % 8
    words = todo[:n8].view(np.uint64)
    for block in range((n + 7) // 8):
        if block < n8 // 8 and words[block] == 0:
            continue
        for p in range(8 * block, min(8 * block + 8, n)):
            if todo[p] == 0:
                continue
            _learn_pixel(
                frame,
                gain,
                frozen,
                weight,
                mean,
                var,
                modes,
                bg,
                rate,
                tg,
                big_tb,
                var_init,
                var_min,
                var_max,
                alpha1,
                prune,
                n,
                n_mix,
                p,
            )


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _learn_pixel(
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
    alpha1: float,
    prune: float,
    n: int,
    n_mix: int,
    p: int,
) -> None:  # pragma: no cover - jitted
    """The whole MOG2 update of pixel ``p`` (see :func:`mog2_learn`)."""
    if frozen[p]:
        d0 = float(bg[p])
        d1 = float(bg[n + p])
        d2 = float(bg[2 * n + p])
    else:
        d0 = min(float(frame[3 * p]) * gain, 255.0)
        d1 = min(float(frame[3 * p + 1]) * gain, 255.0)
        d2 = min(float(frame[3 * p + 2]) * gain, 255.0)
    nm = int(modes[p])
    n_new = nm
    fits = False
    total = 0.0
    m = 0
    while m < nm:
        i0 = m * n + p
        j0 = 3 * m * n + p
        wt = alpha1 * weight[i0] + prune
        swaps = 0
        if not fits:
            v = var[i0]
            e0 = mean[j0] - d0
            e1 = mean[j0 + n] - d1
            e2 = mean[j0 + 2 * n] - d2
            dist2 = e0 * e0 + e1 * e1 + e2 * e2
            if dist2 < tg * v:
                fits = True
                wt += rate
                k = rate / wt
                mean[j0] -= k * e0
                mean[j0 + n] -= k * e1
                mean[j0 + 2 * n] -= k * e2
                var[i0] = min(max(v + k * (dist2 - v), var_min), var_max)
                i = m
                while i > 0 and wt >= weight[(i - 1) * n + p]:
                    _swap(weight, mean, var, n, p, i, i - 1)
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
        jm = 3 * mode * n + p
        mean[jm] = d0
        mean[jm + n] = d1
        mean[jm + 2 * n] = d2
        var[j] = var_init
        i = nm - 1
        while i > 0 and rate >= weight[(i - 1) * n + p]:
            _swap(weight, mean, var, n, p, i, i - 1)
            i -= 1
    modes[p] = nm
    # background image: weighted mean of the modes up to the background ratio
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    total = 0.0
    for m in range(nm):
        i0 = m * n + p
        j0 = 3 * m * n + p
        wt = weight[i0]
        s0 += wt * mean[j0]
        s1 += wt * mean[j0 + n]
        s2 += wt * mean[j0 + 2 * n]
        total += wt
        if total > big_tb:
            break
    if total > 1e-7:
        inv = 1.0 / total
        bg[p] = min(255, int(s0 * inv + 0.5))
        bg[n + p] = min(255, int(s1 * inv + 0.5))
        bg[2 * n + p] = min(255, int(s2 * inv + 0.5))


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
    ``background`` is the current background image (BGR ``uint8``); the kernels keep it in
    colour planes, and the interleaved image is put together when it is asked for.

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
        self._bg: U8 = np.zeros(3 * n, np.uint8)  # background image, colour planes
        self._background: U8 = np.zeros((height, width, 3), np.uint8)
        self._background_ok = True  # whether _background is _bg interleaved
        self._no_marks: U8 = np.zeros(n, np.uint8)
        self._none_frozen: U8 = np.zeros(n, np.uint8)
        self.frames = 0

    def _flat(self, a: U8, channels: int) -> U8:
        shape = (self.height, self.width, 3) if channels == 3 else (self.height, self.width)
        if a.shape != shape:
            raise ValueError(f"expected an array of shape {shape}, got {a.shape}")
        return np.ascontiguousarray(a).reshape(-1)

    @property
    def background(self) -> U8:
        """The background image ``(height, width, 3)`` (BGR ``uint8``; read only, valid until
        the next :meth:`learn`)."""
        if not self._background_ok:
            planes = self._bg.reshape(3, self.height, self.width)
            cv2.merge((planes[0], planes[1], planes[2]), self._background)
            self._background_ok = True
        return self._background

    def reset(self) -> None:
        """Forget everything learnt."""
        self._modes[:] = 0
        self._weight[:] = 0.0
        self._bg[:] = 0
        self._background_ok = False
        self.frames = 0

    def init(self, background: U8, var: F32) -> None:
        """Start from one mode per pixel: mean ``background`` (BGR ``uint8``), variance
        ``var`` ``(height, width)`` (clipped to the variance bounds)."""
        p = self.params
        n = self.width * self.height
        self.reset()
        self._modes[:] = 1
        self._weight[:n] = 1.0
        planes = self._flat(background, 3).reshape(n, 3).T
        self._mean[: 3 * n].reshape(3, n)[:] = planes
        self._var[:n] = np.clip(np.asarray(var, np.float32).reshape(-1), p.var_min, p.var_max)
        self._bg.reshape(3, n)[:] = planes
        self._background_ok = False
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
            self._bg,
            rate,
            p.var_threshold_gen,
            p.background_ratio,
            p.var_init,
            p.var_min,
            p.var_max,
            p.complexity_reduction,
        )
        self._background_ok = False

    def background_sum(self, free: U8, step: int) -> tuple[int, int]:
        """Brightness of the background summed over the ``free`` pixels of the ``step`` grid
        (every ``step``-th pixel of every ``step``-th row), and their number: the reference of
        :meth:`gain`, valid while neither the background nor ``free`` changes."""
        b_int, n = _background_sum(self._bg, self._flat(free, 1), self.width, step)
        return int(b_int), int(n)

    def gain(
        self, frame: U8, free: U8, step: int, reference: tuple[int, int] | None = None
    ) -> float:
        """Brightness gain that maps ``frame`` onto the background on the ``free`` pixels of
        the ``step`` grid; ``reference`` is :meth:`background_sum` of the same ``free`` and
        ``step`` (computed here when not given)."""
        b_int, n = self.background_sum(free, step) if reference is None else reference
        return float(_gain(self._flat(frame, 3), b_int, n, self._flat(free, 1), self.width, step))


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
