"""Timing-engine throughput at 1, 100, 1,300 and 10,000 signals.

(a) isolated re-plan (Webster + equisaturation, all signals), (b) full network re-plan (common
cycles, splits and offsets), (c) one evaluation of the platoon-progression objective, (d) numba
kernels against their numpy twins (at 100 signals; the twins are slow). Networks are packed once
per size: a re-plan is what runs when demand changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from signalbrain.timing._kernels_coord import arc_table_kernel, queue_kernel
from signalbrain.timing._reference import isolated_reference
from signalbrain.timing._reference_coord import arc_table_reference, queue_reference

from ._cases import SIZES, case


def _rounds(signals: int) -> int:
    return 3 if signals >= 10000 else 10


@pytest.mark.parametrize("signals", SIZES)
def test_isolated_replan(benchmark: pytest.FixtureDef, signals: int) -> None:  # type: ignore[type-arg]
    c = case(signals)
    solver = c.coordinator.solver
    solver.solve(c.flows)
    res = benchmark.pedantic(
        solver.solve, args=(c.flows,), rounds=_rounds(signals), warmup_rounds=1
    )
    assert np.all(res.cycle_s > 0)


@pytest.mark.parametrize("signals", SIZES)
def test_network_replan(benchmark: pytest.FixtureDef, signals: int) -> None:  # type: ignore[type-arg]
    c = case(signals)
    c.coordinator.solve(c.flows)
    res = benchmark.pedantic(
        c.coordinator.solve, args=(c.flows,), rounds=2 if signals >= 10000 else 5, warmup_rounds=0
    )
    assert res.pi <= res.pi_start


@pytest.mark.parametrize("signals", SIZES)
def test_objective_evaluation(benchmark: pytest.FixtureDef, signals: int) -> None:  # type: ignore[type-arg]
    c = case(signals)
    co = c.coordinator
    res = co.solve(c.flows)
    steps = np.round(res.offset_s / (res.group_cycle_s / co.steps)).astype(np.int64) % co.steps
    pi = benchmark.pedantic(
        co.evaluate,
        args=(res.split, res.group_cycle_s, c.flows, steps, 1),
        rounds=_rounds(signals),
        warmup_rounds=1,
    )
    assert pi[0] > 0


def _model(signals: int):  # type: ignore[no-untyped-def]
    c = case(signals)
    co = c.coordinator
    res = co.solve(c.flows)
    model = co._model(res.split, res.group_cycle_s)
    arrivals = co._uniform(c.flows, model)
    prof, _, _ = co._profiles(arrivals, model)
    return c, co, res, model, arrivals, prof


@pytest.mark.parametrize("impl", ["kernel", "numpy"])
def test_queue_kernel_vs_numpy(benchmark: pytest.FixtureDef, impl: str) -> None:  # type: ignore[type-arg]
    _c, _co, _res, model, arrivals, _prof = _model(100)
    if impl == "kernel":
        dep = np.zeros_like(arrivals)
        dep_q = np.zeros_like(arrivals)
        qs = np.zeros(arrivals.shape[0])
        st = np.zeros(arrivals.shape[0])
        benchmark(queue_kernel, arrivals, model.cap, model.red_start, dep, dep_q, qs, st)
    else:
        benchmark.pedantic(queue_reference, args=(arrivals, model.cap, model.red_start), rounds=3)


@pytest.mark.parametrize("impl", ["kernel", "numpy"])
def test_arc_table_kernel_vs_numpy(benchmark: pytest.FixtureDef, impl: str) -> None:  # type: ignore[type-arg]
    c, co, _res, model, _arrivals, prof = _model(100)
    a = co.arcs
    net = co.solver.arrays.net
    if impl == "kernel":
        table = np.zeros((a.n_arcs, co.steps))
        benchmark(
            arc_table_kernel,
            prof,
            a.arc_link,
            net.link_down_indptr,
            net.link_down_movements,
            c.flows,
            model.cap,
            model.red_start,
            model.dt_mov,
            co.stop_penalty_s,
            table,
        )
    else:
        benchmark.pedantic(
            arc_table_reference,
            args=(
                co.solver.arrays,
                a,
                prof,
                c.flows,
                model.cap,
                model.red_start,
                model.dt_mov,
                co.stop_penalty_s,
            ),
            rounds=1,
        )


@pytest.mark.parametrize("impl", ["kernel", "numpy"])
def test_isolated_kernel_vs_numpy(benchmark: pytest.FixtureDef, impl: str) -> None:  # type: ignore[type-arg]
    c = case(100)
    solver = c.coordinator.solver
    res = solver.solve(c.flows)
    if impl == "kernel":
        benchmark(solver.solve, c.flows)
    else:
        fixed = np.full(c.network.signal_count, np.nan)
        benchmark.pedantic(isolated_reference, args=(solver.arrays, res.y, fixed), rounds=3)
