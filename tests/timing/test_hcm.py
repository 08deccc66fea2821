"""HCM control delay terms against hand-worked values, LOS, and plan evaluation."""

from __future__ import annotations

import pytest

from signalbrain.network.generate import grid
from signalbrain.timing.hcm import (
    evaluate_plan,
    incremental_delay_s,
    initial_queue_delay_s,
    intersection_delay_s,
    level_of_service,
    uniform_delay_s,
)
from signalbrain.timing.isolated import isolated_plans

from .conftest import uniform_demand

X = 600.0 / 810.0  # v = 600 veh/h, s = 1800 veh/h, g/C = 45/100 -> c = 810 veh/h


def test_uniform_delay_worked() -> None:
    # 0.5 * 100 * 0.55^2 / (1 - 0.7407 * 0.45) = 15.125 / 0.66667
    assert uniform_delay_s(100.0, 45.0, X) == pytest.approx(22.6875)
    # oversaturated: X capped at 1 -> 0.5 C (1 - g/C)
    assert uniform_delay_s(100.0, 45.0, 1.3) == pytest.approx(0.5 * 100 * 0.55)


def test_incremental_delay_worked() -> None:
    # 225 * (-0.25926 + sqrt(0.067215 + 4 * 0.74074 / 202.5)) = 225 * 0.026830
    assert incremental_delay_s(X, 810.0) == pytest.approx(6.0368, abs=1e-3)
    assert incremental_delay_s(0.0, 810.0) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("queue", "x", "expected"),
    [
        (20.0, X, 16.9312),  # t = 20 / 210 h < T, u = 0: 1800 * 20 * t / 202.5
        (50.0, 1.2, 222.2222),  # X >= 1: t = T, u = 1: 1800 * 50 * 2 * 0.25 / 202.5
        (0.0, X, 0.0),
    ],
)
def test_initial_queue_delay_worked(queue: float, x: float, expected: float) -> None:
    assert initial_queue_delay_s(queue, 810.0, x) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    ("delay", "x", "los"),
    [
        (5.0, 0.5, "A"),
        (10.0, 0.5, "A"),
        (19.9, 0.9, "B"),
        (35.0, 0.9, "C"),
        (50.0, 0.9, "D"),
        (79.0, 0.9, "E"),
        (81.0, 0.9, "F"),
        (12.0, 1.05, "F"),
    ],
)
def test_level_of_service(delay: float, x: float, los: str) -> None:
    assert level_of_service(delay, x) == los


def test_evaluate_equisaturated_plan() -> None:
    net = grid(1, 1)
    demand = uniform_demand(net, 600.0, 150.0)
    plans = isolated_plans(net, demand)
    rows = evaluate_plan(net, plans, demand)
    isec = net.intersections[0]
    assert set(rows) == {m.id for m in isec.movements}
    throughs = [r for r in rows.values() if r.movement.endswith(".T")]
    xs = [r.x for r in throughs]
    assert max(xs) - min(xs) < 1e-6  # symmetric demand -> equal degree of saturation
    assert all(0 < r.x < 1 for r in throughs)
    d, los = intersection_delay_s(rows, [m.id for m in isec.movements])
    assert 10.0 < d < 80.0
    assert los in "BCDE"
    heavier = evaluate_plan(net, plans, demand.scaled(1.3))
    assert all(heavier[m].delay_s > rows[m].delay_s for m in rows if rows[m].flow_vph > 0)
