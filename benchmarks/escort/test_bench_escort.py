"""One-key escort latency: planning a 20-signal escort, and re-planning on a position update.

Target (issue 6): both under 10 ms. ``arterial20`` is a 20-signal arterial; ``grid10x10`` a
100-signal grid crossed corner to corner (19 signals on the route), so routing searches a real
network. Plans are each signal's default fixed plan.
"""

from __future__ import annotations

import pytest

from signalbrain.control.plans import default_plan
from signalbrain.escort import (
    EscortManager,
    EscortRequest,
    LinkCondition,
    PositionUpdate,
    plan_escort,
)
from signalbrain.network.generate import arterial, grid

CASES = {
    "arterial20": (lambda: arterial(20), "W", "E", 20),
    "grid10x10": (lambda: grid(10, 10), "B0_W", "BN_9", 19),
}
TARGET_S = 0.010


def _setup(case: str):  # type: ignore[no-untyped-def]
    build, origin, dest, signals = CASES[case]
    net = build()
    plans = {s.id: default_plan(s) for s in net.intersections}
    queues = {k.id: LinkCondition(queue_veh=float(i % 7)) for i, k in enumerate(net.links)}
    return net, plans, queues, EscortRequest("ev0", origin, dest, depart_s=10.0), signals


@pytest.mark.parametrize("case", list(CASES))
def test_plan_escort(benchmark, case: str) -> None:  # type: ignore[no-untyped-def]
    net, plans, queues, req, signals = _setup(case)
    escort = benchmark(plan_escort, net, req, plans, conditions=queues)
    assert len(escort.windows) == signals
    if benchmark.stats is not None:
        assert benchmark.stats.stats.median < TARGET_S


@pytest.mark.parametrize("case", list(CASES))
def test_replan_on_update(benchmark, case: str) -> None:  # type: ignore[no-untyped-def]
    net, plans, queues, req, signals = _setup(case)
    manager = EscortManager(net, plans)
    manager.observe(queues)
    manager.submit(req)
    first = manager.route("ev0").links[0]
    fixes = [PositionUpdate("ev0", 10.0 + k * 0.1, first, 0.1 * k, 12.0) for k in range(1, 100_000)]
    it = iter(fixes)

    def update() -> int:
        windows = manager.update(next(it))
        manager.step(0.0, 1.0)  # resolve and serve: what a control step adds
        return len(windows)

    n = benchmark(update)
    assert n == signals
    if benchmark.stats is not None:
        assert benchmark.stats.stats.median < TARGET_S
