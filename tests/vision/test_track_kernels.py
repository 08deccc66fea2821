"""The queue-zone sampling kernel agrees with the numpy/OpenCV computation it replaces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from signalbrain.vision._track_kernels import zone_cover, zone_pixels

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
