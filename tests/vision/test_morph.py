"""The opening-and-closing kernel against OpenCV's ``morphologyEx`` (the oracle) and its
plain-numpy twin."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from signalbrain.vision._morph import open_close_cross, open_close_cross_reference

_ELLIPSE3 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


@pytest.mark.parametrize(
    "size", [(1, 1), (1, 6), (6, 1), (2, 2), (7, 9), (31, 17), (240, 320)], ids=str
)
@pytest.mark.parametrize("share", [0.0, 0.05, 0.5, 0.95, 1.0])
def test_open_close_matches_opencv_to_the_bit(size: tuple[int, int], share: float) -> None:
    rng = np.random.default_rng(round(100 * share) + size[0])
    mask = np.where(rng.random(size) < share, 255, 0).astype(np.uint8)
    expected = cv2.morphologyEx(
        cv2.morphologyEx(mask, cv2.MORPH_OPEN, _ELLIPSE3), cv2.MORPH_CLOSE, _ELLIPSE3
    )
    out = np.full(size, 7, np.uint8)
    tmp = np.full(size, 9, np.uint8)
    open_close_cross(mask, tmp, out)
    assert np.array_equal(out, expected)
    assert np.array_equal(open_close_cross_reference(mask), expected)


def test_grey_levels_take_minimum_and_maximum() -> None:
    """Not only 0/255 masks: the kernel is a grey-level opening and closing, like OpenCV's."""
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (13, 21)).astype(np.uint8)
    expected = cv2.morphologyEx(
        cv2.morphologyEx(img, cv2.MORPH_OPEN, _ELLIPSE3), cv2.MORPH_CLOSE, _ELLIPSE3
    )
    out = np.empty_like(img)
    open_close_cross(img, np.empty_like(img), out)
    assert np.array_equal(out, expected)
    assert np.array_equal(open_close_cross_reference(img), expected)
