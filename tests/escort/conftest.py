"""Factories for escort tests: coordinated plans, a fixed-plan controller and a tiny closed loop.

The loop moves escorted vehicles along their routes at free speed, stopping at a stop line while
their movement is not green, and passes every request through the real ConflictMonitor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest

from signalbrain.control.base import Observation, Request, SignalState
from signalbrain.control.monitor import ConflictMonitor
from signalbrain.escort import EscortRequest, PositionUpdate
from signalbrain.network import Network
from signalbrain.timing.plan import PhaseTiming, TimingPlan


def make_plans(
    net: Network, *, green_s: tuple[float, float] = (7.0, 25.0), speed_mps: float = 15.0
) -> dict[str, TimingPlan]:
    """NEMA (8-phase) or two-phase plans with offsets for eastbound progression."""
    plans: dict[str, TimingPlan] = {}
    for isec in net.intersections:
        node = net.node(isec.nodes[0])
        numbers = [p.number for p in isec.phases]
        phases = tuple(
            PhaseTiming(
                n,
                green_s[0] if n % 2 and len(numbers) > 2 else green_s[1],
                isec.phase(n).yellow_s,
                isec.phase(n).all_red_s,
            )
            for n in numbers
        )
        seq = isec.rings[0]
        cycle = sum(next(p for p in phases if p.number == n).split_s for n in seq)
        offset = (node.x_m / speed_mps) % cycle
        plans[isec.id] = TimingPlan(isec.id, cycle, offset, phases, isec.rings, isec.barriers)
    return plans


class FixedPlan:
    """Runs each signal's plan by the clock (what the ``fixed`` controller does)."""

    name = "fixed-test"

    def __init__(self, plans: Mapping[str, TimingPlan]) -> None:
        self.plans = plans

    def start(self, network: Network, t_s: float) -> None:
        pass

    def step(
        self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
    ) -> Mapping[str, Request]:
        out: dict[str, Request] = {}
        for isec_id, plan in self.plans.items():
            wanted = []
            for iv in plan.phase_at(t_s):
                if iv.phase == 0:
                    continue
                wanted.append(iv.phase if iv.kind == "green" else plan.next_phase(iv.phase))
            out[isec_id] = Request(phases=tuple(wanted))
        return out


@dataclass
class Vehicle:
    """A vehicle driving a fixed link sequence at free speed, obeying signals."""

    id: str
    links: tuple[str, ...]
    depart_s: float
    index: int = 0
    position_m: float = 0.0
    speed_mps: float = 0.0
    stops: int = 0
    arrived_s: float | None = None
    stopped: bool = False
    trace: list[tuple[float, str, float]] = field(default_factory=list)


@dataclass
class LoopResult:
    states: dict[str, list[SignalState]]
    vehicles: dict[str, Vehicle]
    requests: list[tuple[float, str, Request]]


def run_loop(
    net: Network,
    controller: object,
    vehicles: list[Vehicle],
    *,
    t_end_s: float,
    dt_s: float = 0.5,
    fix_every: int = 1,
    noise: Callable[[float], float] | None = None,
    on_step: Callable[[float], None] | None = None,
) -> LoopResult:
    """Close the loop: controller -> monitors -> displays -> vehicles -> fixes."""
    monitors = {s.id: ConflictMonitor(s) for s in net.intersections}
    states: dict[str, list[SignalState]] = {s.id: [] for s in net.intersections}
    requests: list[tuple[float, str, Request]] = []
    controller.start(net, 0.0)  # type: ignore[attr-defined]
    isec_of: dict[tuple[str, str], tuple[str, str]] = {}
    for isec in net.intersections:
        for m in isec.movements:
            isec_of[(m.from_link, m.to_link)] = (isec.id, m.id)
    display: dict[str, Mapping[str, str]] = {}
    steps = round(t_end_s / dt_s)
    for k in range(steps):
        t = k * dt_s
        if on_step is not None:
            on_step(t)
        for v in vehicles:
            if v.arrived_s is not None or t < v.depart_s:
                continue
            if k % fix_every == 0 and hasattr(controller, "update"):
                pos = v.position_m + (noise(t) if noise else 0.0)
                controller.update(
                    PositionUpdate(
                        v.id,
                        t,
                        v.links[v.index],
                        pos,  # type: ignore[attr-defined]
                        v.speed_mps,
                    )
                )
        reqs = controller.step(t, dt_s, {})  # type: ignore[attr-defined]
        now: dict[str, SignalState] = {}
        for isec_id, mon in monitors.items():
            req = reqs.get(isec_id)
            if req is not None:
                requests.append((t, isec_id, req))
            st = mon.step(t, dt_s, req)
            states[isec_id].append(st)
            now[isec_id] = st
            display[isec_id] = st.movements
        if hasattr(controller, "observe_states"):
            controller.observe_states(now)
        for v in vehicles:
            if v.arrived_s is not None or t < v.depart_s:
                continue
            _drive(net, v, t, dt_s, isec_of, display)
            if v.arrived_s is not None and hasattr(controller, "arrive"):
                controller.arrive(v.id, t)
    return LoopResult(states, {v.id: v for v in vehicles}, requests)


def _drive(
    net: Network,
    v: Vehicle,
    t: float,
    dt: float,
    isec_of: Mapping[tuple[str, str], tuple[str, str]],
    display: Mapping[str, Mapping[str, str]],
) -> None:
    budget = dt
    while budget > 1e-9:
        link = net.link(v.links[v.index])
        speed = link.free_speed_mps
        to_end = link.length_m - v.position_m
        if v.index == len(v.links) - 1:
            if to_end <= speed * budget:
                v.arrived_s = t + to_end / speed
                return
            v.position_m += speed * budget
            v.speed_mps = speed
            return
        step = speed * budget
        if step < to_end:
            v.position_m += step
            v.speed_mps = speed
            v.stopped = False
            return
        key = isec_of.get((v.links[v.index], v.links[v.index + 1]))
        if key is not None and display.get(key[0], {}).get(key[1], "r") not in "Gg":
            v.position_m = link.length_m
            if not v.stopped:
                v.stops += 1
            v.stopped = True
            v.speed_mps = 0.0
            return
        budget -= to_end / speed
        v.index += 1
        v.position_m = 0.0
        v.stopped = False
    v.trace.append((t, v.links[v.index], v.position_m))


@pytest.fixture(scope="session")
def plans_for() -> Callable[..., dict[str, TimingPlan]]:
    """Factory: coordinated plans for a network."""
    return make_plans


@pytest.fixture(scope="session")
def fixed_plan() -> type[FixedPlan]:
    """The fixed-plan controller class."""
    return FixedPlan


@pytest.fixture(scope="session")
def loop() -> Callable[..., LoopResult]:
    """The closed-loop runner."""
    return run_loop


@pytest.fixture(scope="session")
def vehicle() -> Callable[..., Vehicle]:
    """Factory of simulated vehicles."""
    return Vehicle


def free_time_s(net: Network, links: tuple[str, ...]) -> float:
    """Free-flow time over a link sequence [s]."""
    return sum(net.link(k).free_flow_time_s for k in links)


@pytest.fixture(scope="session")
def free_time() -> Callable[[Network, tuple[str, ...]], float]:
    """Free-flow time over a link sequence."""
    return free_time_s


def escort_request(
    vid: str, route: tuple[str, ...], depart_s: float, priority: int = 0
) -> EscortRequest:
    """An escort request along a given route."""
    return EscortRequest(vid, route[0], route[-1], depart_s=depart_s, priority=priority)


@pytest.fixture(scope="session")
def make_request() -> Callable[..., EscortRequest]:
    """Factory of escort requests."""
    return escort_request
