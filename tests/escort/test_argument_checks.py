"""Bad arguments to the escort planner are InputErrors that name them, not errors deep inside."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from signalbrain.errors import InputError
from signalbrain.escort import (
    EscortConfig,
    EscortManager,
    EscortRequest,
    LinkCondition,
    plan_escort,
    plan_escorts,
)
from signalbrain.network.generate import arterial

NET = arterial(3)


def _refused_by_planner_and_manager(fields: dict[str, Any], message: str) -> None:
    """A request W -> E with ``fields`` changed is refused alike by the planner and the live
    manager, with ``message``."""
    request = EscortRequest(**{"vehicle_id": "ev", "origin": "W", "destination": "E", **fields})
    with pytest.raises(InputError, match=message):
        plan_escort(NET, request)
    with pytest.raises(InputError, match=message):
        EscortManager(NET).submit(request)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"depart_s": "10"}, r"depart_s = '10'"),
        ({"depart_s": None}, r"depart_s = None"),
        ({"priority": "high"}, r"priority = 'high'"),
        ({"route": "W_S1", "destination": None}, r"route = 'W_S1'"),
        # were TypeError: 'NoneType' / 'int' object is not iterable
        ({"route": None}, r"route = None: expected a sequence of link ids"),
        ({"route": 5, "destination": None}, r"route = 5"),
        # was accepted: fixes (named by text) never reached the escort, its calls held green
        ({"vehicle_id": 7}, r"vehicle_id = 7: expected a vehicle id"),
        ({"origin": None}, r"origin = None: expected a link or node id"),
        ({"destination": 5}, r"destination = 5: expected a link or node id"),
    ],
)
def test_a_malformed_request_is_refused_by_field(fields: dict[str, Any], message: str) -> None:
    _refused_by_planner_and_manager(fields, message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t_s": float("nan")}, r"t_s = nan"),
        ({"config": "fast"}, r"config: a str"),
        ({"conditions": {"W_S1": 5}}, r"conditions\.W_S1: a int"),
    ],
)
def test_bad_planner_arguments_are_refused_by_name(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        plan_escort(NET, EscortRequest("ev", "W", "E"), **kwargs)


def test_requests_must_be_a_list_of_requests() -> None:
    with pytest.raises(InputError, match="requests"):
        plan_escorts(NET, EscortRequest("ev", "W", "E"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"requests\[1\]"):
        plan_escorts(NET, [EscortRequest("ev", "W", "E"), "ev2"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"headway_s": "2"}, r"headway_s = '2'"),
        ({"min_speed_mps": None}, r"min_speed_mps = None"),
        ({"max_recovery_cycles": 1.5}, r"max_recovery_cycles = 1\.5"),
        ({"recovery": None}, r"recovery = None"),
    ],
)
def test_a_malformed_config_is_refused_by_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        EscortConfig(**fields)


def test_manager_refuses_a_config_of_another_type() -> None:
    with pytest.raises(InputError, match="EscortConfig"):
        EscortManager(NET, config="fast")  # type: ignore[arg-type]


def test_valid_arguments_still_plan() -> None:
    plan = plan_escort(
        NET,
        EscortRequest("ev", "W", "E", depart_s=5, priority=2),
        conditions={"W_S1": LinkCondition(queue_veh=3.0)},
        config=EscortConfig(recovery=("dwell",)),
        t_s=5,
    )
    assert [w.intersection for w in plan.windows] == ["S1", "S2", "S3"]


@pytest.mark.parametrize(
    ("plans", "message"),
    [
        # was AttributeError: 'str' object has no attribute 'rings'
        ({"S1": "fixed"}, r"plans\.S1: a str: expected a TimingPlan \(missing cycle_s"),
        ({"S2": 5}, r"plans\.S2: a int: expected a TimingPlan"),
        ({"S1": None}, r"plans\.S1: a NoneType: expected a TimingPlan"),
        # was AttributeError: 'list' object has no attribute 'get'
        ([1, 2], r"plans: a list: expected a mapping of intersection id to TimingPlan"),
        ("fixed", r"plans: a str: expected a mapping"),
    ],
)
def test_plans_that_are_not_plans_are_refused_by_name(plans: Any, message: str) -> None:
    request = EscortRequest("ev", "W", "E")
    with pytest.raises(InputError, match=message):
        plan_escort(NET, request, plans)
    with pytest.raises(InputError, match=message):
        EscortManager(NET, plans)


def test_a_network_plan_and_a_misfiled_plan_are_refused(plans_for: Any) -> None:
    from signalbrain.timing import NetworkPlan

    plans = plans_for(NET)
    with pytest.raises(InputError, match=r"plans: a NetworkPlan \(pass its \.plans\)"):
        plan_escort(NET, EscortRequest("ev", "W", "E"), NetworkPlan(plans))  # type: ignore[arg-type]
    swapped = {**plans, "S1": plans["S2"]}
    with pytest.raises(InputError, match=r"plans\.S1: is the plan of intersection 'S2'"):
        EscortManager(NET, swapped)
    assert plan_escort(NET, EscortRequest("ev", "W", "E"), NetworkPlan(plans).plans).windows


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        # was planned along the route to S1_S2, while re-routing headed for E
        ({"route": ("W_S1", "S1_S2")}, r"destination: 'E': the route ends at link 'S1_S2'"),
        ({"origin": "N1", "route": ("W_S1", "S1_S2", "S2_S3", "S3_E")}, r"origin: 'N1'"),
        # was "no route from 'W' to 'W'", as if the network were at fault
        ({"destination": "W"}, r"destination: 'W' is the origin node"),
    ],
)
def test_a_request_that_contradicts_itself_is_refused(fields: dict[str, Any], message: str) -> None:
    _refused_by_planner_and_manager(fields, message)


@pytest.mark.parametrize(
    "fields",
    [
        {"route": ("W_S1", "S1_S2", "S2_S3", "S3_E")},  # origin node, destination node
        {"origin": "W_S1", "destination": "S3_E", "route": ("W_S1", "S1_S2", "S2_S3", "S3_E")},
        {"origin": "", "destination": None, "route": ("W_S1", "S1_S2")},
        {"origin": "W_S1", "destination": "W_S1"},  # to the end of the first link
    ],
)
def test_consistent_requests_still_plan(fields: dict[str, Any]) -> None:
    request = EscortRequest(**{"vehicle_id": "ev", "origin": "W", "destination": "E", **fields})
    assert plan_escort(NET, request).route.links[0] == "W_S1"
    EscortManager(NET).submit(request)


@pytest.mark.parametrize("t_s", [float("nan"), float("inf"), "10", True, 10**400])
def test_manager_refuses_a_time_that_is_not_one(t_s: Any) -> None:
    """An int too large for a float (10**400) raised OverflowError from every check."""
    manager = EscortManager(NET)
    # submit at NaN was accepted with no window at all: the ambulance got no green
    with pytest.raises(InputError, match=r"t_s = .*: must be a finite time"):
        manager.submit(EscortRequest("ev", "W", "E"), t_s)
    assert manager.active == ()
    manager.submit(EscortRequest("ev", "W", "E"), 0.0)
    # a NaN step time was logged into the audit log and stalled the call's timing
    with pytest.raises(InputError, match=r"step: t_s = "):
        manager.step(t_s, 1.0)
    with pytest.raises(InputError, match=r"dt_s = -1"):
        manager.step(0.0, -1.0)
    with pytest.raises(InputError, match=r"dt_s = 1000"):
        manager.step(0.0, 10**400)
    assert manager.step(0.0, 1.0) is not None


@pytest.mark.parametrize(
    ("call", "args", "message"),
    [
        # was TypeError: '<' not supported / must be real number, not str
        ("enter_junction", ("ev", "S1", "3"), r"enter_junction: t_s = '3': must be a finite time"),
        # was TypeError: unhashable type: 'list'
        ("enter_junction", (["ev"], "S1", 3.0), r"enter_junction: vehicle_id = \['ev'\]"),
        ("enter_junction", ("ev", ["S1"], 3.0), r"enter_junction: node_id = \['S1'\]"),
        # was ignored without a word: the call held green for a vehicle already through
        ("enter_junction", ("ev", "S1", float("nan")), r"enter_junction: t_s = nan"),
        ("enter_junction", ("ev", "S1", True), r"enter_junction: t_s = True"),
        ("cancel", (["ev"], 3.0), r"cancel: vehicle_id = \['ev'\]: expected an id \(str\)"),
        ("cancel", ("ev", "3"), r"cancel: t_s = '3': must be a finite time"),
        ("cancel", (7, 3.0), r"cancel: vehicle_id = 7"),
        ("arrive", ({"ev"}, 3.0), r"arrive: vehicle_id = \{'ev'\}"),
        ("arrive", ("ev", None), r"arrive: t_s = None"),
    ],
)
def test_manager_events_refuse_arguments_by_name(
    call: str, args: tuple[Any, ...], message: str
) -> None:
    manager = EscortManager(NET)
    manager.submit(EscortRequest("ev", "W", "E"), 0.0)
    with pytest.raises(InputError, match=message):
        getattr(manager, call)(*args)
    assert manager.active == ("ev",)  # the refused event changed nothing
    manager.enter_junction("ev", "S1", 3.0)
    manager.cancel("nobody", 3.0)  # a vehicle not escorted is still ignored
    manager.cancel("ev", 3.0)
    assert manager.active == ()


def test_plans_whose_keys_name_no_signal_are_refused(plans_for: Any) -> None:
    """``{"S9": plan}`` on a network of S1-S3 was ignored without a word: no signal got a plan
    (no prediction before a display is seen, no recovery target)."""
    typo = {"S9": replace(plans_for(NET)["S1"], intersection="S9")}
    message = r"plans: no key names a signal of the network \('S9'\): expected intersection ids"
    with pytest.raises(InputError, match=message + r" \(S1, S2, S3\)"):
        EscortManager(NET, typo)
    with pytest.raises(InputError, match=message):
        plan_escort(NET, EscortRequest("ev", "W", "E"), typo)


def test_plans_of_a_larger_network_are_used_and_the_extra_keys_logged(
    plans_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Plans for a larger network (or with one key misspelt) still serve the signals they name;
    the keys that name none are logged with the signals left without a plan."""
    plans = plans_for(arterial(5))
    with caplog.at_level(logging.WARNING, logger="signalbrain.escort"):
        manager = EscortManager(NET, plans)
    assert manager.plans is plans
    assert "plans: 'S4', 'S5' name no signal of the network and are ignored" in caplog.text
    assert "without a plan" not in caplog.text
    caplog.clear()
    own = plans_for(NET)
    misspelt = {"S1": own["S1"], "S2": own["S2"], "S 3": replace(own["S3"], intersection="S 3")}
    with caplog.at_level(logging.WARNING, logger="signalbrain.escort"):
        plan_escort(NET, EscortRequest("ev", "W", "E"), misspelt)
    assert "'S 3' name no signal of the network and are ignored" in caplog.text
    assert "signals without a plan: S3" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="signalbrain.escort"):
        EscortManager(NET, own)
        EscortManager(NET, {})
    assert caplog.text == ""


def test_a_number_too_large_for_a_float_is_named_not_an_overflow() -> None:
    """``depart_s=10**400`` or a planner constant of 10**400 raised OverflowError from
    ``math.isfinite`` instead of naming the field."""
    problems = EscortRequest("ev", "W", "E", depart_s=10**400).problems()
    assert [p.path for p in problems] == ["depart_s"]
    assert "must be finite and >= 0" in problems[0].message
    with pytest.raises(InputError, match=r"headway_s = 1000.*: must be finite and >= 0"):
        EscortConfig(headway_s=10**400)
    with pytest.raises(InputError, match=r"min_speed_mps = 1000.*: must be finite and > 0"):
        EscortConfig(min_speed_mps=10**400)
