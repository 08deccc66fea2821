"""Network model throughput: generate, validate and pack city-scale networks.

Sizes are signal counts; the grid is as square as the count allows.
"""

from __future__ import annotations

import math

import pytest

from signalbrain.network import to_arrays, to_graph, validate_network
from signalbrain.network.generate import grid

SIZES = [1, 100, 1300, 10000]


def _grid(signals: int):  # type: ignore[no-untyped-def]
    rows = max(1, int(math.sqrt(signals)))
    return grid(rows, math.ceil(signals / rows))


@pytest.mark.parametrize("signals", SIZES)
def test_generate(benchmark: pytest.FixtureDef, signals: int) -> None:  # type: ignore[type-arg]
    net = benchmark.pedantic(_grid, args=(signals,), rounds=1 if signals > 1000 else 3)
    assert net.signal_count >= signals


@pytest.mark.parametrize("signals", SIZES)
def test_validate(benchmark: pytest.FixtureDef, signals: int) -> None:  # type: ignore[type-arg]
    net = _grid(signals)
    benchmark.pedantic(validate_network, args=(net,), rounds=1 if signals > 1000 else 3)


@pytest.mark.parametrize("signals", SIZES)
def test_pack_arrays(benchmark: pytest.FixtureDef, signals: int) -> None:  # type: ignore[type-arg]
    net = _grid(signals)
    arrays = benchmark(to_arrays, net)
    assert len(arrays.movement_ids) == net.movement_count


@pytest.mark.parametrize("signals", [100, 1300])
def test_graph_view(benchmark: pytest.FixtureDef, signals: int) -> None:  # type: ignore[type-arg]
    net = _grid(signals)
    g = benchmark(to_graph, net)
    assert g.number_of_edges() == len(net.links)
