"""Controllers by name: they serve demand, respond to it, stay safe and fall back on faults."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.control import (
    CONTROLLERS,
    ApproachObservation,
    Controller,
    LaneObservation,
    Observation,
    Request,
    audit,
    make_controller,
    stages,
)
from signalbrain.control.adaptive import discharge
from signalbrain.control.plans import default_plan, plan_request
from signalbrain.errors import InputError
from signalbrain.network import Network

from .conftest import ToyResult, corridor, nema_intersection

NAMES = ["fixed", "max-pressure", "vehicle-actuated", "adaptive"]


def _flows(
    net: Network, through_vph: float = 500.0, turn_vph: float = 150.0, main_factor: float = 1.5
) -> dict[str, float]:
    out = {}
    for isec in net.intersections:
        for m in isec.movements:
            base = through_vph if m.turn == "T" else turn_vph
            leg = m.from_link.split("_")[0][-1]  # legs 0 (east) and 2 (west) are the main street
            out[m.id] = base * (main_factor if leg in "02" else 1.0)
    return out


def test_registry_lists_the_controllers() -> None:
    assert set(NAMES) <= set(CONTROLLERS)
    for name in NAMES:
        assert isinstance(make_controller(name, corridor(1)), Controller)


def test_unknown_controller_names_the_valid_ones() -> None:
    with pytest.raises(InputError, match=r"valid: .*adaptive.*fixed.*max-pressure"):
        make_controller("smart", corridor(1))


def test_unknown_option_names_the_valid_ones() -> None:
    with pytest.raises(InputError, match=r"unknown option.*colour.*valid: .*gap_s"):
        make_controller("adaptive", corridor(1), colour="red")


def test_stages_of_a_nema_intersection_are_the_eight_dual_ring_pairs() -> None:
    isec = nema_intersection()[0]
    assert [s.phases for s in stages(isec)] == [
        (1, 5),
        (1, 6),
        (2, 5),
        (2, 6),
        (3, 7),
        (3, 8),
        (4, 7),
        (4, 8),
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_controller_serves_every_movement_safely(
    name: str, run_toy: Callable[..., ToyResult]
) -> None:
    net = corridor(2)
    result = run_toy(net, make_controller(name, net), _flows(net), duration_s=900.0)
    for isec in net.intersections:
        assert audit(isec, result.states[isec.id]).ok
        for m in isec.movements:
            assert result.served_by_movement[m.id] > 0, (name, m.id)
    assert result.queued_veh_s / result.served_veh < 60.0  # undersaturated: no runaway queues


def test_adaptive_beats_fixed_time_on_the_toy_model(run_toy: Callable[..., ToyResult]) -> None:
    net = corridor(1)
    flows = _flows(net)
    delay = {}
    for name in ("fixed", "adaptive"):
        r = run_toy(net, make_controller(name, net), flows, duration_s=1200.0)
        delay[name] = r.queued_veh_s / r.served_veh
    assert delay["adaptive"] < 0.8 * delay["fixed"], delay


@pytest.mark.parametrize("name", ["max-pressure", "adaptive", "vehicle-actuated"])
def test_the_busier_street_gets_more_green(name: str, run_toy: Callable[..., ToyResult]) -> None:
    net = corridor(1)
    isec = net.intersections[0]
    r = run_toy(net, make_controller(name, net), _flows(net, main_factor=3.0), duration_s=1200.0)
    main = isec.phase(2).protected[0]
    side = isec.phase(4).protected[0]
    states = r.states[isec.id]
    green = {m: sum(1 for s in states if s.movements[m] == "G") for m in (main, side)}
    assert green[main] > 1.5 * green[side], green


def test_plan_request_follows_a_default_plan() -> None:
    isec = nema_intersection()[0]
    plan = default_plan(isec)
    assert not plan.check(isec)
    first_green = [plan_request(plan, t).phases for t in range(int(plan.cycle_s))]
    assert {p for phases in first_green for p in phases} == {1, 2, 3, 4, 5, 6, 7, 8}


def test_discharge_clears_a_queue_then_bridges_small_gaps() -> None:
    served, end = discharge(4.0, [(9.0, 1.0), (10.0, 1.0), (30.0, 1.0)], 2.0, 1.0, 2.5, 60.0)
    assert served == pytest.approx(6.0)
    assert end == pytest.approx(13.0)  # queue clears at 9, two arrivals follow at 2 s
    served, end = discharge(100.0, [], 2.0, 0.0, 2.5, 20.0)
    assert (served, end) == (pytest.approx(10.0), 20.0)


# ------------------------------------------------------------------------------- faults
def _break(
    kind: str, link: str, t_from: float, t_to: float, turning: tuple[str, ...] = ()
) -> Callable[[float, dict[str, Observation]], dict[str, Observation]]:
    def hook(t: float, obs: dict[str, Observation]) -> dict[str, Observation]:
        if not t_from <= t < t_to:
            return obs
        out = {}
        for isec_id, o in obs.items():
            approaches = dict(o.approaches)
            if link in approaches:
                a = approaches[link]
                if kind == "missing":
                    del approaches[link]
                elif kind == "invalid":
                    approaches[link] = ApproachObservation(link, valid=False)
                elif kind == "nan":
                    approaches[link] = ApproachObservation(
                        link, queue_veh=math.nan, vehicles_veh=3.0
                    )
                elif kind == "negative":
                    approaches[link] = ApproachObservation(link, count_veh=-4.0)
                elif kind == "occupancy":
                    approaches[link] = ApproachObservation(link, occupancy=1.7)
                elif kind == "count":
                    approaches[link] = ApproachObservation(link, count_veh=500.0)
                elif kind == "lane":
                    bad = LaneObservation("x", queue_veh=9.0, vehicles_veh=2.0)
                    approaches[link] = ApproachObservation.from_lanes(link, (bad, *a.lanes))
                elif kind == "reach":  # an infinite view crashed the adaptive rollout
                    approaches[link] = replace(a, reach_m=math.inf)
                elif kind == "lane_reach":
                    far = LaneObservation("x", reach_m=1e30)
                    approaches[link] = ApproachObservation.from_lanes(link, (far, *a.lanes))
                elif kind == "far":
                    approaches[link] = replace(a, arrivals_m=(*a.arrivals_m, 1e300))
                elif kind == "crowd":  # no reach: the link itself bounds what fits
                    approaches[link] = replace(a, vehicles_veh=1e12, queue_veh=1e12, reach_m=0.0)
            counts = dict(o.movement_counts_veh)
            if kind == "turns":  # a million vehicles a second through each movement
                counts.update(dict.fromkeys(turning, 1e6))
            out[isec_id] = Observation(o.t_s, approaches, o.exits, counts)
        return out

    return hook


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "invalid",
        "nan",
        "negative",
        "occupancy",
        "count",
        "lane",
        "reach",
        "lane_reach",
        "far",
        "crowd",
        "turns",
    ],
)
@pytest.mark.parametrize("name", ["adaptive", "max-pressure"])
def test_a_failed_detector_falls_back_to_the_plan_and_logs_once(
    kind: str, name: str, run_toy: Callable[..., ToyResult], caplog: pytest.LogCaptureFixture
) -> None:
    net = corridor(1)
    isec = net.intersections[0]
    link = isec.approach_links[0]
    controller = make_controller(name, net)
    turning = tuple(m.id for m in isec.movements if m.from_link == link)
    hook = _break(kind, link, 200.0, 400.0, turning)
    with caplog.at_level(logging.INFO, logger="signalbrain.control"):
        r = run_toy(net, controller, _flows(net), duration_s=600.0, hook=hook)
    assert audit(isec, r.states[isec.id]).ok
    messages = [rec.getMessage() for rec in caplog.records if rec.name == "signalbrain.control"]
    falls = [m for m in messages if "falling back" in m]
    assert len(falls) == 1, messages
    assert link in falls[0]
    assert len([m for m in messages if "resuming control" in m]) == 1
    # during the fault the requests are the fallback plan's
    plan = controller.units[isec.id].fallback  # type: ignore[attr-defined]
    shown = [s for s in r.states[isec.id] if 260 <= s.t_s < 390]
    wanted = {plan_request(plan, s.t_s).phases for s in shown}
    assert {s.phases for s in shown} <= wanted | {()}


def test_an_impossible_exit_queue_is_left_out() -> None:
    """An exit detector reporting more vehicles than the link holds is ignored, as a missing
    one is: max-pressure would otherwise see the exit blocked for good."""
    from signalbrain.control.sensing import Sensor

    net = corridor(2)
    isec = net.intersections[0]
    sensor = Sensor(net, isec)
    out_link = next(m.to_link for m in isec.movements if m.to_link in {k.id for k in net.links})
    fits = net.link(out_link).lanes * (net.link(out_link).length_m / 5.0)

    def down(queue: float) -> float:
        obs = Observation(0.0, {}, {out_link: ApproachObservation(out_link, queue_veh=queue)})
        readings = sensor.read(obs, {isec.id: obs})
        i = next(i for i, m in enumerate(isec.movements) if m.to_link == out_link)
        return readings.down_veh_per_lane[i]

    assert down(10.0) == pytest.approx(10.0 / net.link(out_link).lanes)
    assert down(0.9 * fits) > 0.0
    assert down(1e300) == 0.0


def test_turning_counts_of_any_number_type_are_trusted() -> None:
    import numpy as np

    from signalbrain.control.sensing import Sensor

    net = corridor(1)
    isec = net.intersections[0]
    sensor = Sensor(net, isec)
    approaches = {k: ApproachObservation(k) for k in isec.approach_links}
    mids = [m.id for m in isec.movements]
    for value in (np.int64(2), np.float32(1.0), 3, 0.5):
        obs = Observation(0.0, approaches, {}, dict.fromkeys(mids, value))
        assert sensor.check(float(value), 1.0, obs), value
    obs = Observation(9.0, approaches, {}, dict.fromkeys(mids, "2"))
    assert not sensor.check(9.0, 1.0, obs)
    assert "is not a number of vehicles" in sensor.reason


def test_a_signal_without_any_observation_runs_its_plan_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    net = corridor(1)
    controller = make_controller("adaptive", net)
    controller.start(net, 0.0)
    with caplog.at_level(logging.INFO, logger="signalbrain.control"):
        for t in range(120):
            req = controller.step(float(t), 1.0, {})
            assert isinstance(req["I0"], Request)
    assert not caplog.records


_garbage = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 500))


@settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(0, 1000),
    noise=st.lists(
        st.tuples(
            st.integers(0, 199),
            st.sampled_from(["drop", "invalid", "garbage", "none", "noise"]),
            _garbage,
        ),
        max_size=60,
    ),
)
def test_noise_dropouts_and_garbage_never_crash_or_pass_unsafe(
    name: str, seed: int, noise: list[tuple[int, str, float]]
) -> None:
    net = corridor(1)
    isec = net.intersections[0]
    by_step: dict[int, list[tuple[str, float]]] = {}
    for k, kind, value in noise:
        by_step.setdefault(k, []).append((kind, float(value)))

    def hook(t: float, obs: dict[str, Observation]) -> dict[str, Observation]:
        hits = by_step.get(int(t))
        if not hits:
            return obs
        o = obs["I0"]
        approaches = dict(o.approaches)
        link = isec.approach_links[int(t) % len(isec.approach_links)]
        for kind, value in hits:
            if kind == "drop":
                approaches.pop(link, None)
            elif kind == "invalid":
                approaches[link] = ApproachObservation(link, valid=False)
            elif kind == "garbage":
                approaches[link] = ApproachObservation(
                    link, value, value, value, value, value, value, (value,)
                )
            elif kind == "none":
                return {}
            else:
                a = approaches.get(link, ApproachObservation(link))
                approaches[link] = ApproachObservation(
                    link,
                    a.count_veh,
                    a.occupancy,
                    max(0.0, a.queue_veh + value % 3),
                    max(0.0, a.vehicles_veh + value % 5),
                    a.speed_mps,
                    a.reach_m,
                    a.arrivals_m,
                )
        return {"I0": Observation(t, approaches)}

    from .conftest import toy_run

    logging.getLogger("signalbrain.control").setLevel(logging.ERROR)
    try:
        r = toy_run(
            net, make_controller(name, net), _flows(net), duration_s=200.0, seed=seed, hook=hook
        )
    finally:
        logging.getLogger("signalbrain.control").setLevel(logging.NOTSET)
    assert audit(isec, r.states["I0"]).ok
    assert len(r.states["I0"]) == 200


# ------------------------------------------------------------------ garbage from detectors
def _good(link: str) -> ApproachObservation:
    return ApproachObservation(link, 1.0, 0.2, 1.0, 2.0, 5.0, 100.0, (30.0,))


def _lane(**kw: object) -> LaneObservation:
    fields: dict[str, object] = {
        "lane": "x",
        "movements": (),
        "count_veh": 1.0,
        "occupancy": 0.2,
        "queue_veh": 1.0,
        "vehicles_veh": 2.0,
        "reach_m": 100.0,
        "arrivals_m": (30.0,),
    }
    fields.update(kw)
    return LaneObservation(**fields)  # type: ignore[arg-type]


_GARBAGE_READINGS: dict[str, Callable[[str], object]] = {
    # each crashed the controller (TypeError, OverflowError, AttributeError) before
    "count-none": lambda k: replace(_good(k), count_veh=None),
    "count-string": lambda k: replace(_good(k), count_veh="3"),
    "count-too-big-for-a-float": lambda k: replace(_good(k), count_veh=10**400),
    "speed-none": lambda k: replace(_good(k), speed_mps=None),
    "reach-none": lambda k: replace(_good(k), reach_m=None),
    "position-none": lambda k: replace(_good(k), arrivals_m=(None,)),
    "lanes-none": lambda k: replace(_good(k), lanes=None),
    "lane-none": lambda k: replace(_good(k), lanes=(None,)),
    "lane-movements-none": lambda k: replace(_good(k), lanes=(_lane(movements=None),)),
    "approach-a-string": lambda k: "garbage",
    # passed as plausible before: NaN arrival times reached the controller
    "lane-position-nan": lambda k: replace(
        _good(k), arrivals_m=(), lanes=(_lane(arrivals_m=(math.nan,)),)
    ),
    "lane-position-behind": lambda k: replace(
        _good(k), arrivals_m=(), lanes=(_lane(arrivals_m=(-50.0,)),)
    ),
    "valid-a-string": lambda k: replace(_good(k), valid="no"),
}


@pytest.mark.parametrize("kind", list(_GARBAGE_READINGS))
@pytest.mark.parametrize("name", NAMES)
def test_garbage_readings_make_the_signal_fall_back_and_log(
    kind: str, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    net = corridor(1)
    isec = net.intersections[0]
    links = isec.approach_links
    controller = make_controller(name, net)
    controller.start(net, 0.0)

    def obs(t: float, bad: bool) -> dict[str, Observation]:
        approaches = {k: _good(k) for k in links}
        if bad:
            approaches[links[1]] = _GARBAGE_READINGS[kind](links[1])  # type: ignore[assignment]
        return {"I0": Observation(t, approaches)}

    with caplog.at_level(logging.INFO, logger="signalbrain.control"):
        for t in range(60):
            requests = controller.step(float(t), 1.0, obs(float(t), 20 <= t < 40))
            if 20 <= t < 40:
                plan = controller.units["I0"].fallback  # type: ignore[attr-defined]
                assert requests["I0"] == plan_request(plan, float(t))
    falls = [r.getMessage() for r in caplog.records if "falling back" in r.getMessage()]
    assert len(falls) == 1, falls
    assert f"approach {links[1]}" in falls[0]
    assert "at t=20.0 s" in falls[0]


@pytest.mark.parametrize(
    "observation",
    [
        "garbage",
        Observation(0.0, None),  # type: ignore[arg-type]
        Observation(0.0, {}, {}, None),  # type: ignore[arg-type]
    ],
    ids=["not-an-observation", "approaches-none", "counts-none"],
)
def test_a_garbage_observation_is_a_fault_even_from_a_signal_never_heard_from(
    observation: object, caplog: pytest.LogCaptureFixture
) -> None:
    """No observation at all is a signal without detectors (quiet); garbage is a fault."""
    from signalbrain.control.sensing import Sensor

    net = corridor(1)
    sensor = Sensor(net, net.intersections[0])
    with caplog.at_level(logging.WARNING, logger="signalbrain.control"):
        assert not sensor.check(0.0, 1.0, observation)  # type: ignore[arg-type]
    assert "falling back" in caplog.text


@pytest.mark.parametrize(
    "exit_reading",
    [
        "garbage",
        None,
        ApproachObservation("x", queue_veh=None),  # type: ignore[arg-type]
        ApproachObservation("x", queue_veh=10**400),
        ApproachObservation("x", queue_veh=12.0, valid=False),
    ],
    ids=["a-string", "none", "queue-none", "queue-too-big", "marked-invalid"],
)
def test_an_unreadable_or_invalid_exit_reading_is_left_out(exit_reading: object) -> None:
    """Exit readings are read, not fault-checked: one that cannot be used is left out as a
    missing one is (the invalid one was used, the others crashed the controller)."""
    from signalbrain.control.sensing import Sensor

    net = corridor(2)
    isec = net.intersections[0]
    sensor = Sensor(net, isec)
    out_link = next(m.to_link for m in isec.movements if m.to_link in {k.id for k in net.links})
    i = next(i for i, m in enumerate(isec.movements) if m.to_link == out_link)
    reading = (
        replace(exit_reading, link=out_link)
        if exit_reading.__class__ is (ApproachObservation)
        else exit_reading
    )
    obs = Observation(0.0, {}, {out_link: reading})  # type: ignore[dict-item]
    assert sensor.read(obs, {isec.id: obs}).down_veh_per_lane[i] == 0.0
    # the same from the downstream signal's own approach detector
    other = Observation(0.0, {out_link: reading})  # type: ignore[dict-item]
    mine = Observation(0.0, {})
    everything = {isec.id: mine, net.intersections[1].id: other}
    assert sensor.read(mine, everything).down_veh_per_lane[i] == 0.0


_junk = st.sampled_from(
    [None, "3", math.nan, math.inf, -1.0, 1e308, 10**400, complex(1, 1), (1.0,), [], object()]
)
_FIELDS = ["count_veh", "occupancy", "queue_veh", "vehicles_veh", "speed_mps", "reach_m"]


@st.composite
def _junk_approach(draw: st.DrawFn, link: str) -> object:
    kind = draw(st.sampled_from(["field", "lane-field", "positions", "lanes", "object"]))
    good = _good(link)
    if kind == "field":
        return replace(good, **{draw(st.sampled_from([*_FIELDS, "valid"])): draw(_junk)})
    if kind == "lane-field":
        field = draw(st.sampled_from([*_FIELDS, "valid", "movements", "arrivals_m"]))
        return replace(good, lanes=(_lane(**{field: draw(_junk)}),))
    if kind == "positions":
        return replace(good, arrivals_m=(draw(_junk),))
    if kind == "lanes":
        return replace(good, lanes=draw(_junk))
    return draw(_junk)


@settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(name=st.sampled_from(NAMES), data=st.data())
def test_any_garbage_reading_never_crashes_a_controller(name: str, data: st.DataObject) -> None:
    net = corridor(2)
    isec = net.intersections[0]
    links = isec.approach_links
    controller = make_controller(name, net)
    controller.start(net, 0.0)
    logging.getLogger("signalbrain.control").setLevel(logging.ERROR)
    try:
        for t in range(30):
            approaches: dict[str, object] = {k: _good(k) for k in links}
            exits: dict[str, object] = {}
            if t % 3 == 2:
                link = links[t % len(links)]
                approaches[link] = data.draw(_junk_approach(link))
                exits[isec.movements[0].to_link] = data.draw(_junk_approach("x"))
            o = Observation(float(t), approaches, exits)  # type: ignore[arg-type]
            requests = controller.step(float(t), 1.0, {isec.id: o})
            assert isinstance(requests[isec.id], Request)
    finally:
        logging.getLogger("signalbrain.control").setLevel(logging.NOTSET)
