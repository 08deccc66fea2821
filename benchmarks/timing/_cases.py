"""Shared benchmark cases for the timing engine: synthetic grids with demand, packed once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from signalbrain.network import Network
from signalbrain.network.generate import grid
from signalbrain.timing import Coordinator

SIZES = (1, 100, 1300, 10000)


@dataclass(frozen=True, eq=False)
class Case:
    """A grid of about ``signals`` signals, its coordinator (packed) and flows [veh/h]."""

    signals: int
    network: Network
    coordinator: Coordinator
    flows: npt.NDArray[np.float64]


@cache
def case(signals: int) -> Case:
    """The benchmark case of a size (built once per process)."""
    rows = max(1, round(math.sqrt(signals)))
    net = grid(rows, max(1, round(signals / rows)))
    co = Coordinator(net)
    ids = co.solver.arrays.movement_ids
    rng = np.random.default_rng(7)
    base = np.array([600.0 if m.endswith(".T") else 120.0 for m in ids])
    return Case(signals, net, co, base * rng.uniform(0.6, 1.3, len(ids)))
