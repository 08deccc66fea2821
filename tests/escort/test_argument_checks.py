"""Bad arguments to the escort planner are InputErrors that name them, not errors deep inside."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"depart_s": "10"}, r"depart_s = '10'"),
        ({"depart_s": None}, r"depart_s = None"),
        ({"priority": "high"}, r"priority = 'high'"),
        ({"route": "W_S1", "destination": None}, r"route = 'W_S1'"),
    ],
)
def test_a_malformed_request_is_refused_by_field(fields: dict[str, Any], message: str) -> None:
    request = EscortRequest(**{"vehicle_id": "ev", "origin": "W", "destination": "E", **fields})
    with pytest.raises(InputError, match=message):
        plan_escort(NET, request)
    with pytest.raises(InputError, match=message):
        EscortManager(NET).submit(request)


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
