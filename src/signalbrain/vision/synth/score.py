"""Scoring a counter's output against a synthetic clip's ground truth.

Errors are normalised by the true totals so that clips of different sizes compare: a line error
of 0.03 means the counts by line and direction are off by 3 % of all true crossings, summing the
absolute differences (over- and under-counts do not cancel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signalbrain.vision.counts import VideoCounts
from signalbrain.vision.synth.render import GroundTruth

__all__ = ["Score", "score"]


@dataclass(frozen=True, slots=True)
class Score:
    """Accuracy of one counted clip.

    Attributes
    ----------
    true_crossings, true_movements
        Ground-truth totals.
    line_error
        Sum over lines and directions of ``|counted - true|`` over ``true_crossings``.
    movement_error
        Sum over movements of ``|counted - true|`` over ``true_movements``.
    occupancy_error
        Sum over queue zones of ``|mean counted occupancy - mean true occupancy|`` over the sum
        of mean true occupancies (relative error of the time-mean occupancy).
    occupancy_mae
        Mean absolute error of the one-second occupancy samples (fraction of the zone area).
    heavy_error
        Sum over lines of ``|counted heavy - true heavy|`` over the true heavy crossings.
    """

    true_crossings: int
    true_movements: int
    line_error: float
    movement_error: float
    occupancy_error: float
    occupancy_mae: float
    heavy_error: float


def score(counts: VideoCounts, truth: GroundTruth) -> Score:
    """Compare ``counts`` with ``truth`` (see :class:`Score`)."""
    n_lines = sum(v["total"] for v in truth.lines.values())
    line_abs = sum(
        abs(counts.lines[k][d] - v[d])
        for k, v in truth.lines.items()
        for d in ("positive", "negative")
    )
    n_mov = sum(truth.movements.values())
    mov_abs = sum(abs(counts.movements.get(k, 0) - v) for k, v in truth.movements.items())
    occ_true = 0.0
    occ_abs = 0.0
    maes = []
    for z, q in truth.queues.items():
        est = counts.queues[z]
        occ_true += q.mean_occupancy
        occ_abs += abs(est.mean_occupancy - q.mean_occupancy)
        n = min(len(q.occupancy), len(est.occupancy))
        if n:
            maes.append(float(np.mean(np.abs(np.subtract(est.occupancy[:n], q.occupancy[:n])))))
    heavy_true = sum(v["heavy"] for v in truth.classes.values())
    heavy_abs = sum(abs(counts.classes[k]["heavy"] - v["heavy"]) for k, v in truth.classes.items())
    return Score(
        n_lines,
        n_mov,
        line_abs / max(n_lines, 1),
        mov_abs / max(n_mov, 1),
        occ_abs / occ_true if occ_true > 0 else 0.0,
        float(np.mean(maes)) if maes else 0.0,
        heavy_abs / max(heavy_true, 1),
    )
