"""The counting and tracking kernels agree with the numpy/OpenCV/scipy computations they
replace."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from signalbrain.vision._track_kernels import (
    confirmed_fragment_owners,
    cross_lines,
    fragment_owners,
    kalman_correct,
    kalman_predict,
    match_cost,
    queue_sample,
    resize_matched,
    segment_box_clip,
    unique_matches,
    zone_cover,
    zone_pixels,
)

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def _reference(mask: np.ndarray, zones: list[np.ndarray]) -> np.ndarray:
    inner = cv2.erode(mask, _CROSS).ravel()
    flat = mask.ravel()
    out = []
    for z in zones:
        idx = np.nonzero(z.ravel())[0]
        out.append((np.count_nonzero(flat[idx]), np.count_nonzero(inner[idx])))
    return np.array(out, np.int64).reshape(-1, 2)


@pytest.mark.parametrize("seed", range(6))
def test_zone_cover_matches_erode(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = 37, 53
    # blobs and speckle, with foreground touching every picture edge
    mask = np.where(rng.random((h, w)) < 0.55, 255, 0).astype(np.uint8)
    if seed % 2:
        mask = np.asarray(cv2.dilate(mask, _CROSS), np.uint8)
    mask[:, 0] = 255
    mask[0, :] = 127
    zones = []
    for _ in range(3):
        z = np.zeros((h, w), bool)
        y0, x0 = rng.integers(0, h - 5), rng.integers(0, w - 5)
        z[y0 : y0 + rng.integers(3, h), x0 : x0 + rng.integers(3, w)] = True
        zones.append(z)
    full = np.ones((h, w), bool)  # every border pixel, corners included
    zones.append(full)
    zones.append(np.zeros((h, w), bool))  # an empty zone
    ys, xs, starts = zone_pixels(zones)
    out = np.full((len(zones), 2), -1, np.int64)
    zone_cover(mask, ys, xs, starts, out)
    np.testing.assert_array_equal(out, _reference(mask, zones))
    assert out[-2, 0] == np.count_nonzero(mask)
    assert out[-1].tolist() == [0, 0]


def test_zone_pixels_without_zones() -> None:
    ys, xs, starts = zone_pixels([])
    assert len(ys) == len(xs) == 0
    assert starts.tolist() == [0]
    out = np.zeros((0, 2), np.int64)
    zone_cover(np.zeros((4, 4), np.uint8), ys, xs, starts, out)


_F = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]], float)


def _filters(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(0, 50, (n, 4))
    a = rng.normal(0, 2, (n, 4, 4))
    p = a @ a.transpose(0, 2, 1) + np.eye(4)  # symmetric positive definite
    return x, p


@pytest.mark.parametrize("seed", range(4))
def test_kalman_predict_is_the_matrix_product_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, p = _filters(rng, 7)
    q = rng.random((4, 4))
    box = np.column_stack((x[:, :2] - 5.0, x[:, :2] + rng.random((7, 2)) * 20))
    size = box[:, 2:] - box[:, :2]
    want_x, want_p = x @ _F.T, _F @ p @ _F.T + q
    kalman_predict(x, p, q, box)
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(p, want_p)
    np.testing.assert_allclose(0.5 * (box[:, :2] + box[:, 2:]), x[:, :2], rtol=0, atol=1e-9)
    np.testing.assert_allclose(box[:, 2:] - box[:, :2], size, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_kalman_correct_matches_the_textbook_update(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, p = _filters(rng, 6)
    r = np.eye(2) * 2.25
    rows = np.array([0, 2, 5], np.int64)
    z = rng.normal(0, 50, (3, 2))
    # K = P H' (H P H' + R)^-1, x += K (z - H x), P -= K H P
    s = p[rows, :2, :2] + r
    k = p[rows, :, :2] @ np.linalg.inv(s)
    want_x, want_p = x.copy(), p.copy()
    want_x[rows] += np.einsum("nij,nj->ni", k, z - x[rows, :2])
    want_p[rows] -= k @ p[rows, :2, :]
    kalman_correct(x, p, rows, z, r)
    np.testing.assert_allclose(x, want_x, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(p, want_p, rtol=1e-12, atol=1e-9)


def _cost_reference(
    box: np.ndarray, centre: np.ndarray, det: np.ndarray, gate: float
) -> np.ndarray:
    ix = np.clip(
        np.minimum(box[:, None, 2], det[None, :, 2]) - np.maximum(box[:, None, 0], det[None, :, 0]),
        0,
        None,
    )
    iy = np.clip(
        np.minimum(box[:, None, 3], det[None, :, 3]) - np.maximum(box[:, None, 1], det[None, :, 1]),
        0,
        None,
    )
    inter = ix * iy
    area_a = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    area_b = (det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1])
    iou = inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)
    dc = 0.5 * (det[:, :2] + det[:, 2:])
    half = 0.5 * np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    dist = np.hypot(centre[:, None, 0] - dc[None, :, 0], centre[:, None, 1] - dc[None, :, 1])
    rel = dist / np.maximum(half[:, None], 1.0)
    cost = np.where(iou > 0, 1.0 - iou, 1.0 + rel)
    cost[(iou <= 0) & (rel > gate)] = 1e6
    return np.asarray(cost, dtype=np.float64)


@pytest.mark.parametrize("seed", range(6))
def test_match_cost_and_unique_matches_agree_with_the_hungarian_method(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 9, 2)
    centre = rng.random((n, 2)) * 100
    half = rng.random((n, 2)) * 8 + 0.2
    box = np.column_stack((centre - half, centre + half))
    dc = rng.random((m, 2)) * 100
    if seed % 2:  # detections near the tracks: mostly one admissible match each
        dc[: min(n, m)] = centre[: min(n, m)] + rng.normal(0, 2, (min(n, m), 2))
    dh = rng.random((m, 2)) * 8 + 0.2
    det = np.column_stack((dc - dh, dc + dh))
    cost = np.empty((n, m))
    match_cost(box, centre, det, 1.5, 1e6, cost)
    np.testing.assert_allclose(cost, _cost_reference(box, centre, det, 1.5), rtol=1e-14, atol=0)
    r, c = linear_sum_assignment(cost)
    ok = cost[r, c] < 1e6
    rows = np.empty(min(n, m), np.int64)
    cols = np.empty(min(n, m), np.int64)
    k = unique_matches(cost, 1e6, rows, cols)
    valid = cost < 1e6
    unique = (valid.sum(axis=1) <= 1).all() and (valid.sum(axis=0) <= 1).all()
    assert (k >= 0) == unique
    if unique:
        assert rows[:k].tolist() == r[ok].tolist()
        assert cols[:k].tolist() == c[ok].tolist()


def test_unique_matches_refuses_ambiguity() -> None:
    rows = np.empty(2, np.int64)
    cols = np.empty(2, np.int64)
    two_per_track = np.array([[0.2, 0.3], [1e6, 1e6]])
    two_per_detection = np.array([[0.2, 1e6], [0.3, 1e6]])
    assert unique_matches(two_per_track, 1e6, rows, cols) == -1
    assert unique_matches(two_per_detection, 1e6, rows, cols) == -1
    assert unique_matches(np.full((2, 2), 1e6), 1e6, rows, cols) == 0


def _owners_reference(centre: np.ndarray, half: np.ndarray, det: np.ndarray) -> np.ndarray:
    grown = np.column_stack((centre - half, centre + half))
    ix = np.clip(
        np.minimum(grown[:, None, 2], det[None, :, 2])
        - np.maximum(grown[:, None, 0], det[None, :, 0]),
        0,
        None,
    )
    iy = np.clip(
        np.minimum(grown[:, None, 3], det[None, :, 3])
        - np.maximum(grown[:, None, 1], det[None, :, 1]),
        0,
        None,
    )
    area = np.maximum((det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1]), 1e-9)
    inside = (ix * iy) / area[None, :] >= 0.6
    return np.asarray(inside & (inside.sum(axis=0) == 1)[None, :])


@pytest.mark.parametrize("seed", range(8))
def test_fragment_owners_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k, m = (int(v) for v in rng.integers(1, 6, 2))
    centre = rng.random((k, 2)) * 40
    half = rng.random((k, 2)) * 10 + 1
    dc = centre[rng.integers(0, k, m)] + rng.normal(0, 4, (m, 2))
    dh = rng.random((m, 2)) * 4
    det = np.column_stack((dc - dh, dc + dh))
    own = np.empty((k, m), np.bool_)
    some = fragment_owners(centre, half, det, 0.6, own)
    want = _owners_reference(centre, half, det)
    np.testing.assert_array_equal(own, want)
    assert some == bool((want.sum(axis=1) >= 2).any())


@pytest.mark.parametrize("seed", range(8))
def test_confirmed_fragment_owners_takes_centres_and_sizes_from_the_tracker_arrays(
    seed: int,
) -> None:
    """The tracker's numpy formulation: centres ``x[rows, :2]``, half sizes
    ``max(ref, box size) * grow`` for the rows given, then :func:`fragment_owners`."""
    rng = np.random.default_rng(seed)
    n, m = (int(v) for v in rng.integers(1, 7, 2))
    x = np.column_stack((rng.random((n, 2)) * 40, rng.normal(0, 1, (n, 2))))
    size = rng.random((n, 2)) * 12 + 1
    box = np.column_stack((x[:, :2] - size / 2, x[:, :2] + size / 2))
    ref = size * rng.uniform(0.7, 1.3, (n, 2))
    rows = np.sort(rng.choice(n, int(rng.integers(1, n + 1)), replace=False)).astype(np.int64)
    dc = x[rng.integers(0, n, m), :2] + rng.normal(0, 4, (m, 2))
    dh = rng.random((m, 2)) * 4
    det = np.column_stack((dc - dh, dc + dh))
    own = np.empty((len(rows), m), np.bool_)
    some = confirmed_fragment_owners(x, ref, box, rows, 0.75, det, 0.6, own)
    half = np.maximum(ref[rows], box[rows, 2:] - box[rows, :2]) * 0.75
    want = np.empty_like(own)
    assert some == fragment_owners(x[rows, :2], half, det, 0.6, want)
    np.testing.assert_array_equal(own, want)
    np.testing.assert_array_equal(want, _owners_reference(x[rows, :2], half, det))


def _queue_reference(
    mask: np.ndarray,
    zones: list[np.ndarray],
    centre: np.ndarray,
    velocity: np.ndarray,
    confirmed: np.ndarray,
    size_px2: np.ndarray,
    fps: float,
    stop_speed: float,
) -> np.ndarray:
    cover = _reference(mask, zones)
    area = np.array([max(int(z.sum()), 1) for z in zones], float)
    occ = 0.5 * (cover[:, 0] + cover[:, 1]).astype(np.float64) / area
    conf = np.nonzero(confirmed)[0]
    if not len(conf):
        return np.column_stack((occ, np.zeros_like(occ), np.zeros_like(occ)))
    c = centre[conf]
    v = np.hypot(*velocity[conf].T) * fps
    stopped = v < stop_speed * np.sqrt(np.maximum(size_px2[conf], 1.0))
    h, w = mask.shape
    px = np.clip(c[:, 0].astype(np.int64), 0, w - 1)
    py = np.clip(c[:, 1].astype(np.int64), 0, h - 1)
    inside = np.stack(zones)[:, py, px]
    veh = inside.sum(axis=1).astype(np.float64)
    stop = (inside & stopped[None, :]).sum(axis=1).astype(np.float64)
    return np.column_stack((occ, veh, stop))


@pytest.mark.parametrize("seed", range(6))
def test_queue_sample_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = 30, 40
    mask = np.where(rng.random((h, w)) < 0.5, 255, 0).astype(np.uint8)
    zones = []
    for _ in range(3):
        z = np.zeros((h, w), bool)
        y0, x0 = rng.integers(0, h - 5), rng.integers(0, w - 5)
        z[y0 : y0 + rng.integers(3, h), x0 : x0 + rng.integers(3, w)] = True
        zones.append(z)
    n = int(rng.integers(0, 8))
    centre = rng.random((n, 2)) * [w + 10, h + 10] - 5  # some outside the picture
    velocity = rng.normal(0, 0.3, (n, 2))
    confirmed = rng.random(n) < 0.7
    size_px2 = rng.random(n) * 200
    ys, xs, starts = zone_pixels(zones)
    area = np.array([max(int(z.sum()), 1) for z in zones], float)
    out = np.full((3, 3), 0.25)
    queue_sample(
        mask,
        ys,
        xs,
        starts,
        area,
        np.stack(zones),
        centre,
        velocity,
        confirmed,
        size_px2,
        15.0,
        0.3,
        out,
    )
    want = 0.25 + _queue_reference(mask, zones, centre, velocity, confirmed, size_px2, 15.0, 0.3)
    np.testing.assert_array_equal(out, want)


def _clip_reference(boxes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = b - a
    lo = np.zeros((len(boxes), len(a)))
    hi = np.ones((len(boxes), len(a)))
    for ax in (0, 1):
        p = d[None, :, ax]
        q0 = boxes[:, None, ax] - a[None, :, ax]
        q1 = boxes[:, None, ax + 2] - a[None, :, ax]
        flat = np.abs(p) < 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = np.where(flat, -np.inf, q0 / np.where(flat, 1.0, p))
            t1 = np.where(flat, np.inf, q1 / np.where(flat, 1.0, p))
        lo = np.maximum(lo, np.minimum(t0, t1))
        hi = np.minimum(hi, np.maximum(t0, t1))
        hi = np.where(flat & ((q0 > 0) | (q1 < 0)), -np.inf, hi)
    out = np.stack((lo, hi), axis=-1)
    out[hi < lo] = np.nan
    return out


@pytest.mark.parametrize("seed", range(6))
def test_segment_box_clip_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = (int(v) for v in rng.integers(0, 7, 2))
    c = rng.random((n, 2)) * 50
    h = rng.random((n, 2)) * 12
    boxes = np.column_stack((c - h, c + h))
    a = rng.random((k, 2)) * 50
    b = rng.random((k, 2)) * 50
    if k:
        b[0, 1] = a[0, 1]  # horizontal and vertical lines: parallel to a box side
        b[-1, 0] = a[-1, 0]
    out = np.empty((n, k, 2))
    segment_box_clip(boxes, a, b, out)
    np.testing.assert_array_equal(out, _clip_reference(boxes, a, b))


@pytest.mark.parametrize("seed", range(4))
def test_resize_matched_matches_the_per_track_update(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 6
    x = rng.random((n, 4)) * 50
    c = rng.random((n, 2)) * 50
    box = np.column_stack((c - 3, c + rng.random((n, 2)) * 9))
    ref = rng.random((n, 2)) * 12
    rows = np.array([1, 4, 5], np.int64)
    found = np.column_stack((rng.random((3, 2)) * 40, rng.random((3, 2)) * 40 + 40))
    want_box, want_ref = box.copy(), ref.copy()
    for k, r in enumerate(rows.tolist()):
        d0, d1, d2, d3 = found[k].tolist()
        b0, b1, b2, b3 = want_box[r].tolist()
        w = 0.35 * (d2 - d0) + (1 - 0.35) * (b2 - b0)
        h = 0.35 * (d3 - d1) + (1 - 0.35) * (b3 - b1)
        cx, cy = x[r, :2].tolist()
        want_box[r] = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        rw, rh = want_ref[r].tolist()
        want_ref[r] = (max(rw * 0.97, w), max(rh * 0.97, h))
    resize_matched(box, ref, x, rows, found, 0.35, 1 - 0.35, 0.97)
    np.testing.assert_array_equal(box, want_box)
    np.testing.assert_array_equal(ref, want_ref)


def _cross_reference(
    p0: np.ndarray, p1: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    d = b - a
    side0 = d[None, :, 0] * (p0[:, None, 1] - a[None, :, 1]) - d[None, :, 1] * (
        p0[:, None, 0] - a[None, :, 0]
    )
    side1 = d[None, :, 0] * (p1[:, None, 1] - a[None, :, 1]) - d[None, :, 1] * (
        p1[:, None, 0] - a[None, :, 0]
    )
    straddle = ((side0 < 0) & (side1 >= 0)) | ((side0 > 0) & (side1 <= 0))
    m = p1 - p0
    s_a = m[:, None, 0] * (a[None, :, 1] - p0[:, None, 1]) - m[:, None, 1] * (
        a[None, :, 0] - p0[:, None, 0]
    )
    s_b = m[:, None, 0] * (b[None, :, 1] - p0[:, None, 1]) - m[:, None, 1] * (
        b[None, :, 0] - p0[:, None, 0]
    )
    return straddle & (s_a * s_b <= 0), np.where(side0 < 0, 1, -1).astype(np.int8)


@pytest.mark.parametrize("seed", range(6))
def test_cross_lines_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = (int(v) for v in rng.integers(0, 9, 2))
    p0 = rng.integers(0, 20, (n, 2)).astype(np.float64)  # integer points: moves ending on lines
    p1 = p0 + rng.integers(-6, 7, (n, 2)).astype(np.float64)
    a = rng.integers(0, 20, (k, 2)).astype(np.float64)
    b = a + rng.integers(-10, 11, (k, 2)).astype(np.float64)
    crossed = np.empty((n, k), np.bool_)
    sign = np.empty((n, k), np.int8)
    count = cross_lines(p0, p1, a, b, crossed, sign)
    want_crossed, want_sign = _cross_reference(p0, p1, a, b)
    assert count == int(want_crossed.sum())
    np.testing.assert_array_equal(crossed, want_crossed)
    np.testing.assert_array_equal(sign, want_sign)
