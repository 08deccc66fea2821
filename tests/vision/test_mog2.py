"""The numba MOG2 kernels against OpenCV's BackgroundSubtractorMOG2 (the oracle) and their
plain-Python twins."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from numba import njit

from signalbrain.vision._median import (
    _middle_plan,
    _middle_rows,
    _sorting_network,
    median_background,
    median_background_reference,
)
from signalbrain.vision._mog2 import Mog2, Mog2Params, _learn_pixel, mog2_detect, mog2_learn

Frame = npt.NDArray[np.uint8]


def _scene(n: int, seed: int = 0, size: tuple[int, int] = (64, 48)) -> list[Frame]:
    """A noisy textured background with a red box driving across, casting a shadow."""
    w, h = size
    rng = np.random.default_rng(seed)
    bg = np.clip(rng.normal(120, 20, (h, w, 3)), 0, 255)
    frames = []
    for i in range(n):
        f = bg + rng.normal(0, 2.5, bg.shape)
        x = (3 * i) % (w + 20) - 20
        f[10:22, max(0, x) : max(0, x + 16)] = (40, 50, 190)
        f[24:32, max(0, x) : max(0, x + 16)] *= 0.6  # its shadow: darker, same colour
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return frames


def _opencv(params: Mog2Params) -> cv2.BackgroundSubtractorMOG2:
    mog = cv2.createBackgroundSubtractorMOG2(
        history=500, varThreshold=params.var_threshold, detectShadows=True
    )
    mog.setShadowThreshold(params.shadow_tau)
    mog.setNMixtures(params.mixtures)
    return mog


@pytest.mark.parametrize("var_threshold", [16.0, 25.0])
def test_learning_and_detection_match_opencv(var_threshold: float) -> None:
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        params = Mog2Params(var_threshold=var_threshold)
        frames = _scene(160)
        ours = Mog2(64, 48, params)
        ref = _opencv(params)
        out = np.zeros((48, 64), np.uint8)
        agree = []
        bg_close = []
        for i, f in enumerate(frames):
            rate = 1.0 if i == 0 else 0.05
            ref.apply(f, learningRate=rate)
            ours.learn(f, rate)
            test = frames[(i * 7) % len(frames)]
            raw = ref.apply(test, learningRate=0.0)
            ours.detect(test, out)
            agree.append(float(np.mean((raw > 200) == (out > 0))))
            diff = np.abs(ref.getBackgroundImage().astype(int) - ours.background.astype(int))
            bg_close.append(float(np.mean(diff <= 1)))
        assert np.mean(agree) > 0.999
        assert min(agree) > 0.99
        assert np.mean(bg_close) > 0.999
        # the scene has foreground and shadow: the comparison is not trivial
        assert np.count_nonzero(ref.apply(frames[20], learningRate=0.0) == 127) > 20
        assert ours.detect(frames[20], out) > 20
    finally:
        cv2.setNumThreads(threads)


def test_shadow_on_a_marking_is_vehicle() -> None:
    frames = _scene(40)
    model = Mog2(64, 48)
    model.learn(frames[0], 1.0)
    for f in frames:
        model.learn(f, 0.05)
    shadowed = frames[0].copy()
    shadowed[0:8, 40:60] = (shadowed[0:8, 40:60] * 0.7).astype(np.uint8)
    out = np.zeros((48, 64), np.uint8)
    model.detect(shadowed, out)
    assert not out[0:8, 40:60].any()  # a shadow is background
    marks = np.zeros((48, 64), np.uint8)
    marks[0:8, 40:60] = 255
    model.detect(shadowed, out, marks=marks)
    assert out[0:8, 40:60].all()  # ... except on a marking


def test_frozen_pixels_keep_their_model_and_gain_scales_the_frame() -> None:
    frames = _scene(30)
    model = Mog2(64, 48)
    model.learn(frames[0], 1.0)
    before = model.background.copy()
    frozen = np.zeros((48, 64), np.uint8)
    frozen[:, :32] = 255
    bright = np.clip(frames[0].astype(int) + 60, 0, 255).astype(np.uint8)
    for _ in range(200):
        model.learn(bright, 0.05, frozen=frozen)
    assert np.array_equal(model.background[:, :32], before[:, :32])
    assert np.abs(model.background[:, 32:].astype(int) - bright[:, 32:]).max() <= 3
    # a frame darker by 20 % everywhere is background once the gain corrects it
    out = np.zeros((48, 64), np.uint8)
    dark = (frames[0] * 0.8).astype(np.uint8)
    free = np.zeros((48, 64), np.uint8)
    free[::4, :32:4] = 1
    gain = model.gain(dark, free, 4)
    assert gain == pytest.approx(1.25, rel=0.02)
    model.detect(dark, out, gain=gain)
    assert np.mean(out[:, :32] > 0) < 0.01


@pytest.mark.parametrize("size", [(12, 10), (11, 9)])  # 99 pixels: not whole 8-pixel words
def test_kernels_match_their_python_twins(size: tuple[int, int]) -> None:
    frames = _scene(12, size=size)
    n = size[0] * size[1]
    k = 5
    jit = _model_arrays(n, k)
    py = _model_arrays(n, k)
    frozen = np.zeros(n, np.uint8)
    frozen[::7] = 1
    for i, f in enumerate(frames):
        rate = 0.5 if i == 0 else 0.1
        flat = f.reshape(-1)
        mog2_learn(flat, 1.0, frozen, *jit, rate, 9.0, 0.9, 15.0, 4.0, 75.0, 0.05)
        mog2_learn.py_func(flat, 1.0, frozen, *py, rate, 9.0, 0.9, 15.0, 4.0, 75.0, 0.05)
        for a, b in zip(jit, py, strict=True):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-5, atol=1e-4)
    out_jit = np.zeros(n, np.uint8)
    out_py = np.zeros(n, np.uint8)
    marks = np.zeros(n, np.uint8)
    for f in frames:
        flat = f.reshape(-1)
        a = mog2_detect(flat, 1.1, *jit[:4], marks, 25.0, 0.9, 0.5, out_jit)
        b = mog2_detect.py_func(flat, 1.1, *py[:4], marks, 25.0, 0.9, 0.5, out_py)
        assert a == b
        assert np.array_equal(out_jit, out_py)


def _model_arrays(n: int, k: int) -> tuple[Any, Any, Any, Any, Any]:
    """Weight, mean, variance, modes and background of an empty flat model."""
    return (
        np.zeros(k * n, np.float32),
        np.zeros(3 * k * n, np.float32),
        np.zeros(k * n, np.float32),
        np.zeros(n, np.uint8),
        np.zeros(3 * n, np.uint8),
    )


@njit(fastmath=True, error_model="numpy")
def _learn_one_pass(
    frame: Any,
    gain: float,
    frozen: Any,
    weight: Any,
    mean: Any,
    var: Any,
    modes: Any,
    bg: Any,
    rate: float,
    tg: float,
    big_tb: float,
    var_init: float,
    var_min: float,
    var_max: float,
    ct: float,
) -> None:  # pragma: no cover - jitted
    """The update as one loop over the pixels (the kernel before its split into a branch-free
    pass and a pass over the rest), same layout and arithmetic: the oracle for the split."""
    n = modes.shape[0]
    alpha1 = 1.0 - rate
    prune = -rate * ct
    for p in range(n):
        if frozen[p]:
            d0 = float(bg[p])
            d1 = float(bg[n + p])
            d2 = float(bg[2 * n + p])
        else:
            d0 = min(float(frame[3 * p]) * gain, 255.0)
            d1 = min(float(frame[3 * p + 1]) * gain, 255.0)
            d2 = min(float(frame[3 * p + 2]) * gain, 255.0)
        if modes[p] == 1:
            v = var[p]
            e0 = mean[p] - d0
            e1 = mean[n + p] - d1
            e2 = mean[2 * n + p] - d2
            dist2 = e0 * e0 + e1 * e1 + e2 * e2
            wt = alpha1 * weight[p] + prune
            if dist2 < tg * v and wt + rate >= -prune:
                k = rate / (wt + rate)
                m0 = mean[p] - k * e0
                m1 = mean[n + p] - k * e1
                m2 = mean[2 * n + p] - k * e2
                mean[p] = m0
                mean[n + p] = m1
                mean[2 * n + p] = m2
                var[p] = min(max(v + k * (dist2 - v), var_min), var_max)
                weight[p] = 1.0
                bg[p] = min(255, int(m0 + 0.5))
                bg[n + p] = min(255, int(m1 + 0.5))
                bg[2 * n + p] = min(255, int(m2 + 0.5))
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
            weight.shape[0] // n,
            p,
        )


@pytest.mark.parametrize("size", [(64, 48), (11, 9)])
def test_learn_passes_match_one_loop_to_the_bit(size: tuple[int, int]) -> None:
    """The branch-free pass and the pass over the remaining pixels update the model exactly as
    one loop over the pixels does (frozen pixels, lighting gain, new and pruned modes)."""
    w, h = size
    frames = _scene(60, size=size)
    n = w * h
    split = _model_arrays(n, 5)
    loop = _model_arrays(n, 5)
    frozen = np.zeros(n, np.uint8)
    frozen[: n // 3] = 255
    for i, f in enumerate(frames):
        rate = 0.5 if i == 0 else 0.05
        gain = 1.0 if i % 3 else 1.07
        flat = f.reshape(-1)
        mog2_learn(flat, gain, frozen, *split, rate, 9.0, 0.9, 15.0, 4.0, 75.0, 0.05)
        _learn_one_pass(flat, gain, frozen, *loop, rate, 9.0, 0.9, 15.0, 4.0, 75.0, 0.05)
        for a, b in zip(split, loop, strict=True):
            assert np.array_equal(a.view(np.uint8), b.view(np.uint8))
    assert (split[3] > 1).any()  # the rest pass had work: pixels with several modes
    assert (split[3] == 1).any()


@pytest.mark.parametrize("k", [1, 2, 24, 25])
@pytest.mark.parametrize("median_of", [median_background, median_background_reference])
def test_median_background(k: int, median_of: Any) -> None:
    rng = np.random.default_rng(k)
    frames = [rng.integers(0, 256, (9, 11, 3)).astype(np.uint8) for _ in range(k)]
    median, d2 = median_of(frames)
    stack = np.stack(frames)
    expected = np.median(stack, axis=0).astype(np.uint8)
    assert np.array_equal(median, expected)
    dist = ((stack.astype(float) - expected.astype(float)) ** 2).sum(axis=-1)
    np.testing.assert_allclose(d2, np.median(dist, axis=0), rtol=1e-6)


@pytest.mark.parametrize("k", [1, 2, 3, 7, 16, 25, 33])
@pytest.mark.parametrize("size", [(1, 1), (9, 11), (240, 320)])
def test_median_kernel_matches_its_numpy_twin_to_the_bit(k: int, size: tuple[int, int]) -> None:
    """Over several pixel blocks and a short last one: the same median and variance."""
    rng = np.random.default_rng(k)
    h, w = size
    base = rng.integers(0, 256, (h, w, 3))
    frames = [
        np.clip(base + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8) for _ in range(k)
    ]
    median, var = median_background(frames)
    ref_median, ref_var = median_background_reference(frames)
    assert median.dtype == ref_median.dtype
    assert var.dtype == ref_var.dtype
    assert np.array_equal(median, ref_median)
    assert np.array_equal(var, ref_var)


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="var_threshold"):
        Mog2(8, 8, Mog2Params(var_threshold=4.0))
    with pytest.raises(ValueError, match="mixtures"):
        Mog2(8, 8, Mog2Params(mixtures=0))
    with pytest.raises(ValueError, match="shape"):
        Mog2(8, 8).learn(np.zeros((8, 9, 3), np.uint8), 0.5)


@pytest.mark.parametrize("k", [1, 2, 3, 7, 16, 25, 33])
def test_sorting_network_gives_the_middle_rows(k: int) -> None:
    rows = np.random.default_rng(k).integers(0, 256, (k, 500)).astype(np.uint8)
    expected = np.sort(rows, axis=0)
    lo, hi = _middle_rows(rows.copy(), _middle_plan(_sorting_network(k), k))
    assert np.array_equal(lo, expected[(k - 1) // 2])
    assert np.array_equal(hi, expected[k // 2])
    # the whole network sorts: every comparator kept as a full one
    full = rows.copy()
    for i, j in _sorting_network(k).tolist():
        a, b = full[i].copy(), full[j].copy()
        full[i], full[j] = np.minimum(a, b), np.maximum(a, b)
    assert np.array_equal(full, expected)


def test_gain_matches_numpy_and_its_reference() -> None:
    """The gain against numpy sums over the free grid pixels, with the background's sum given
    (as the detector keeps it between updates) and computed on the spot."""
    frames = _scene(20, seed=3)
    model = Mog2(64, 48)
    model.learn(frames[0], 1.0)
    for f in frames[1:10]:
        model.learn(f, 0.05)
    free = np.zeros((48, 64), np.uint8)
    free[::4, ::4] = 1
    free[8:20, 8:40] = 0  # under a vehicle
    grid = free.astype(bool)
    for f in frames[10:]:
        want = float(model.background[grid].astype(np.int64).sum()) / float(
            f[grid].astype(np.int64).sum()
        )
        ref = model.background_sum(free, 4)
        assert ref == (int(model.background[grid].astype(np.int64).sum()), int(grid.sum()))
        assert model.gain(f, free, 4, ref) == model.gain(f, free, 4) == pytest.approx(want)
    assert model.gain(np.zeros_like(frames[0]), free, 4) == 1.0  # a black frame
