"""Vehicle size over a track's life, relative to the typical vehicle at the same image row.

A vehicle's length in the image depends on where it is: under a pinhole camera looking at a flat
road, the image of a vehicle at depth ``Z`` is ``f / Z`` times its size, and the image row of a
road point is ``y = y_h + f H / Z`` (``y_h`` the horizon, ``H`` the camera height, no roll), so
the image length of a vehicle at row ``y`` is proportional to ``y - y_h``: a straight line in
``y`` (Hartley & Zisserman 2004, ch. 8; the same holds for any fixed direction of motion on the
road plane). :func:`median_line` fits that line to the lengths of the vehicles counted at one
line, measured in every frame of their lives; the vehicles are mostly cars, so the median
regression (Koenker & Bassett 1978) is the length of the typical car at every row.
:func:`relative_size` then gives a vehicle's length over the typical car's at the same row, as
the median over the frames of its life: a vehicle merged for a while with a neighbour (side by
side, or one right behind the other) or cut by the edge of the picture looks long or short for
part of its life only, while a lorry is long at every row.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["median_line", "relative_size"]

FloatArray = npt.NDArray[np.float64]

_IRLS_ITERATIONS = 30


def median_line(y: FloatArray, value: FloatArray) -> tuple[float, float, float]:
    """Median regression ``value ~ a + b (y - y0)`` by iteratively reweighted least squares.

    Parameters
    ----------
    y
        Image rows of the samples ``(n,)`` [px].
    value
        The measured values ``(n,)`` (vehicle lengths [px]).

    Returns
    -------
    a, b, y0
        Intercept at ``y0`` (the median row) and slope; with all rows alike, ``b`` is 0 and
        ``a`` the median value. The slope is never negative (the least-absolute-deviation line
        with ``b >= 0`` is level at the median where the free fit falls): on synthetic junction
        clips with dense queues (seeds 1-6, 600 veh/h per approach) a falling fit, pulled by
        long merged queues far up a top-down picture, had hidden all five lorries of one
        approach; held level, 3 of 5 were found and the heavy count's error summed over lines
        fell from 15 to 12 of 33.
    """
    y0 = float(np.median(y))
    yc = y - y0
    if len(y) < 2 or float(np.ptp(yc)) < 1.0:
        return float(np.median(value)), 0.0, y0
    x = np.stack((np.ones_like(yc), yc), axis=1)
    coef = np.linalg.lstsq(x, value, rcond=None)[0]
    # weights 1/|residual| turn least squares into least absolute deviations (a residual
    # below a hundredth of a pixel is as good as exact)
    for _ in range(_IRLS_ITERATIONS):
        w = 1.0 / np.maximum(np.abs(value - x @ coef), 0.01)
        sw = np.sqrt(w)
        coef = np.linalg.lstsq(x * sw[:, None], value * sw, rcond=None)[0]
    if coef[1] < 0.0:
        # a camera above a flat road shows a vehicle longer the lower it is in the picture
        # (the line above rises with y - y_h > 0): a falling fit comes from the samples (long
        # merged queues far up, say), not the camera, and the best line that rises is level
        return float(np.median(value)), 0.0, y0
    return float(coef[0]), float(coef[1]), y0


def relative_size(
    y: FloatArray, value: FloatArray, line: tuple[float, float, float], min_frames: int = 3
) -> float:
    """Median over a vehicle's frames of its ``value`` over the fitted ``line``'s at the same
    rows (frames where the line is not positive are left out); ``nan`` with fewer than
    ``min_frames`` frames."""
    a, b, y0 = line
    ref = a + b * (y - y0)
    ok = ref > 0
    if int(ok.sum()) < min_frames:
        return math.nan
    return float(np.median(value[ok] / ref[ok]))
