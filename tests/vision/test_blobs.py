"""Run-length labelling against OpenCV's connectedComponentsWithStats (the oracle), the
foreground age kept from the runs against counting it pixel by pixel, and the blob partition
against its numpy twin."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from signalbrain.vision._blobs import (
    centre_components,
    find_blobs,
    hold_age,
    label_runs,
    mark_runs,
    paint_labels,
    partition_blob,
)
from signalbrain.vision._mog2 import frozen_mask
from signalbrain.vision.detections import _partition_reference

I32 = npt.NDArray[np.int32]


def _label(mask: npt.NDArray[np.uint8]) -> tuple[int, I32, I32, I32, I32, int]:
    h, w = mask.shape
    flat = mask.reshape(-1)
    words = flat.view(np.uint64) if flat.size % 8 == 0 else np.zeros(0, np.uint64)
    cap = h * ((w + 1) // 2) + 1
    runs = np.full((cap, 3), -7, np.int32)
    run_label = np.full(cap, -7, np.int32)
    stats = np.full((cap + 1, 5), -7, np.int32)
    n_runs, n = label_runs(mask, words, runs, run_label, stats)
    labels = np.full((h, w), -7, np.int32)
    paint_labels(runs, run_label, n_runs, 0, 0, labels)
    return n, labels, stats[:n], runs, run_label, n_runs


@pytest.mark.parametrize("seed", range(8))
def test_labels_and_stats_match_opencv(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 70, 2))
        mask = np.where(rng.random((h, w)) < rng.random(), 255, 0).astype(np.uint8)
        if seed % 2 and min(h, w) > 1:  # blobs rather than speckle
            mask = np.asarray(cv2.dilate(mask, np.ones((3, 2), np.uint8)), np.uint8)
        if seed == 3:
            mask[mask > 0] = 1  # any non-zero value is foreground
        n, labels, stats, *_ = _label(mask)
        n_cv, lab_cv, st_cv, _ = cv2.connectedComponentsWithStats(
            mask, connectivity=8, ltype=cv2.CV_32S
        )
        assert n == n_cv
        np.testing.assert_array_equal(labels, lab_cv)
        # row 0 (the background) carries its area; its box is the whole image
        np.testing.assert_array_equal(stats[1:], st_cv[1:])
        assert stats[0, 4] == st_cv[0, 4]


def test_empty_and_full_masks() -> None:
    n, labels, stats, *_ = _label(np.zeros((6, 10), np.uint8))
    assert n == 1
    assert not labels.any()
    assert stats[0].tolist() == [0, 0, 10, 6, 60]
    n, labels, stats, *_ = _label(np.full((5, 9), 255, np.uint8))
    assert n == 2
    assert (labels == 1).all()
    assert stats[1].tolist() == [0, 0, 9, 5, 45]


def test_components_are_numbered_by_their_first_two_by_two_block() -> None:
    # b starts a row above a, but a's first 2 x 2 block comes first: OpenCV numbers a first
    mask = np.zeros((6, 12), np.uint8)
    mask[0, 9:11] = 255  # b: row 0, block column 4
    mask[1, 1:3] = 255  # a: row 1, block column 0 (same block row as b)
    n, labels, *_ = _label(mask)
    assert n == 3
    assert labels[1, 1] == 1
    assert labels[0, 9] == 2


def test_centre_components_and_crop_painting() -> None:
    mask = np.zeros((8, 16), np.uint8)
    mask[1:4, 2:6] = 255
    mask[5:7, 9:15] = 255
    n, labels, _, runs, run_label, n_runs = _label(mask)
    assert n == 3
    px = np.array([3, 10, 0, 14], np.int64)
    py = np.array([2, 6, 0, 5], np.int64)
    under = np.full(4, -1, np.int64)
    centre_components(runs, run_label, n_runs, px, py, under)
    assert under.tolist() == [labels[y, x] for x, y in zip(px, py, strict=True)]
    assert under.tolist() == [1, 2, 0, 2]
    crop = np.full((6, 14), -1, np.int32)
    paint_labels(runs, run_label, n_runs, 2, 1, crop)
    np.testing.assert_array_equal(crop, labels[1:7, 2:16])


def _blobs_reference(
    mask: npt.NDArray[np.uint8], min_area: float, centres: npt.NDArray[np.float64]
) -> tuple[list[int], npt.NDArray[np.float64], bool, tuple[int, int, int, int]]:
    """Kept labels, their boxes and areas, and the crowded test, the way the detector made
    them with OpenCV: labelling in the foreground's bounding box (corner on even
    coordinates), a centre counting at its truncated position in that box."""
    bx, by, bw, bh = cv2.boundingRect(mask)
    bw, bh, bx, by = bw + (bx & 1), bh + (by & 1), bx & ~1, by & ~1
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask[by : by + bh, bx : bx + bw], connectivity=8, ltype=cv2.CV_32S
    )
    keep = np.nonzero(stats[1:, 4] >= min_area)[0] + 1
    kept = stats[keep].astype(np.float64)
    boxes = np.column_stack(
        (
            kept[:, 0] + bx,
            kept[:, 1] + by,
            kept[:, 0] + kept[:, 2] + bx,
            kept[:, 1] + kept[:, 3] + by,
        )
    )
    out = np.column_stack((boxes, kept[:, 4]))
    local = centres - np.array([bx, by], dtype=np.float64)
    cx, cy = local[:, 0], local[:, 1]
    seen = (cx >= 0) & (cx < bw) & (cy >= 0) & (cy < bh)
    under = labels[cy[seen].astype(np.int64), cx[seen].astype(np.int64)]
    crowded = bool(len(keep)) and bool((np.bincount(under, minlength=n)[keep] >= 2).any())
    return keep.tolist(), out, crowded, (bx, by, bx + bw, by + bh)


@pytest.mark.parametrize("seed", range(6))
def test_find_blobs_matches_the_opencv_way(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = 48, 64
    for _ in range(25):
        mask = np.where(rng.random((h, w)) < 0.1, 255, 0).astype(np.uint8)
        mask = np.asarray(cv2.dilate(mask, np.ones((3, 3), np.uint8)), np.uint8)
        if not mask.any():
            continue
        centres = rng.random((int(rng.integers(2, 7)), 2)) * [w + 6, h + 6] - 3
        flat = mask.reshape(-1)
        cap = h * ((w + 1) // 2) + 1
        runs = np.zeros((cap, 3), np.int32)
        run_label = np.zeros(cap, np.int32)
        stats = np.zeros((cap + 1, 5), np.int32)
        xyxy = np.zeros((cap, 4))
        area = np.zeros(cap)
        keep = np.zeros(cap, np.int64)
        box = np.zeros(4, np.int64)
        _, _, k, crowded = find_blobs(
            mask, flat.view(np.uint64), runs, run_label, stats, 6.0, centres, xyxy, area, keep, box
        )
        want_keep, want, want_crowded, want_box = _blobs_reference(mask, 6.0, centres)
        assert keep[:k].tolist() == want_keep
        np.testing.assert_array_equal(np.column_stack((xyxy[:k], area[:k])), want)
        assert crowded == want_crowded
        if crowded:
            assert tuple(box.tolist()) == want_box


@pytest.mark.parametrize("seed", range(4))
def test_foreground_age_from_runs_matches_counting_every_pixel(seed: int) -> None:
    """mark_runs and hold_age keep the age the detector used to count pixel by pixel (age + 1
    where foreground, else 0; a ghost's release raising it to at least a floor), and the
    frozen mask built from them is the same."""
    rng = np.random.default_rng(seed)
    h, w = 24, 40
    ref = np.zeros((h, w), np.int64)
    since = np.zeros((h, w), np.int64)
    last = np.full((h, w), -2, np.int64)
    cap = h * ((w + 1) // 2) + 1
    runs = np.zeros((cap, 3), np.int32)
    run_label = np.zeros(cap, np.int32)
    stats = np.zeros((cap + 1, 5), np.int32)
    mask = np.where(rng.random((h, w)) < 0.3, 255, 0).astype(np.uint8)
    for frame in range(60):
        # masks that persist with some change, so that ages grow past the limit below
        flip = rng.random((h, w)) < 0.08
        mask = np.where(flip, 255 - mask, mask).astype(np.uint8)
        if rng.random() < 0.3:  # a release before the frame's update, as in count_video
            x0, y0 = int(rng.integers(0, w - 4)), int(rng.integers(0, h - 4))
            x1, y1 = x0 + int(rng.integers(2, 12)), y0 + int(rng.integers(2, 10))
            floor = int(rng.integers(1, 9))
            np.maximum(ref[y0:y1, x0:x1], floor, out=ref[y0:y1, x0:x1])
            hold_age(since[y0:y1, x0:x1], last[y0:y1, x0:x1], frame, floor)
        ref = np.where(mask > 0, ref + 1, 0)
        n_runs, _ = label_runs(mask, mask.reshape(-1).view(np.uint64), runs, run_label, stats)
        mark_runs(runs, n_runs, w, since.reshape(-1), last.reshape(-1), frame)
        age = np.where(last == frame, frame - since + 1, 0)
        np.testing.assert_array_equal(age, ref)
        grown = np.asarray(cv2.dilate(mask, np.ones((3, 3), np.uint8)), np.uint8)
        boxes = np.zeros((h, w), np.uint8)
        boxes[2:6, 3:9] = 255
        want = np.where((boxes > 0) | ((grown > 0) & (ref <= 5)), 255, 0)
        free = np.zeros((h, w), np.uint8)
        frozen_mask(grown, since, last, frame, 5, boxes, free, 4)
        np.testing.assert_array_equal(grown, want)
        np.testing.assert_array_equal(free[::4, ::4], want[::4, ::4] == 0)


@pytest.mark.parametrize("size", [(5, 7), (24, 40), (9, 33)], ids=str)
def test_frozen_mask_matches_numpy(size: tuple[int, int]) -> None:
    """Frozen: inside a box, or grown foreground at most ``max_age`` frames old; also on frames
    that are not whole 8-pixel words."""
    h, w = size
    rng = np.random.default_rng(h * w)
    frame = 50
    grown = np.where(rng.random((h, w)) < 0.3, 255, 0).astype(np.uint8)
    boxes = np.where(rng.random((h, w)) < 0.1, 255, 0).astype(np.uint8)
    last = np.where(rng.random((h, w)) < 0.7, frame, frame - 3).astype(np.int64)
    since = frame - rng.integers(0, 12, (h, w)).astype(np.int64)
    age = np.where(last == frame, frame - since + 1, 0)
    want = np.where((boxes > 0) | ((grown > 0) & (age <= 5)), 255, 0)
    free = np.zeros((h, w), np.uint8)
    assert frozen_mask(grown, since, last, frame, 5, boxes, free, 4) == int((want > 0).sum())
    np.testing.assert_array_equal(grown, want)
    np.testing.assert_array_equal(free[::4, ::4], want[::4, ::4] == 0)


@pytest.mark.parametrize("seed", range(8))
def test_partition_blob_matches_numpy(seed: int) -> None:
    """Pixels of one component to the nearest scaled centre (ties to the first, as argmin):
    the kernel and the numpy formulation agree to the pixel."""
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(4, 40, 2))
    mask = np.where(rng.random((h, w)) < 0.7, 255, 0).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    label = int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) + 1 if n > 1 else 0
    m = int(rng.integers(2, 5))
    # integer centres and equal scales now and then: equally near centres
    centres = rng.integers(0, max(w, h), (m, 2)).astype(np.float64)
    if seed % 2:
        centres += rng.random((m, 2))
    scales = np.maximum(rng.integers(1, 12, (m, 2)).astype(np.float64), 1.0)
    box = tuple(int(v) for v in stats[label, :4])
    out = np.empty((m, 5), np.int64)
    partition_blob(labels.astype(np.int32), label, np.array(box, np.int64), centres, scales, out)
    want = _partition_reference(labels, label, box, centres, scales)  # type: ignore[arg-type]
    np.testing.assert_array_equal(out, want)
