"""Controller options are checked when a controller is built: a bad value is an InputError naming
the controller and the option, not a silent change of behaviour or a crash mid-run."""

from __future__ import annotations

import pytest

from signalbrain.control import make_controller
from signalbrain.errors import InputError

from .conftest import corridor

BAD_OPTIONS: list[tuple[str, str, object]] = [
    ("fixed", "warmup_s", -5.0),
    ("fixed", "warmup_s", "x"),
    ("fixed", "replan_s", 0),  # would re-plan every step
    ("fixed", "replan_s", "x"),  # used to fail at the first re-plan, 600 s into the run
    ("fixed", "design_factor", "x"),
    ("fixed", "demand", [1, 2]),
    ("fixed", "plans", {"S0": "a plan"}),
    ("fixed", "plausibility", None),
    ("max-pressure", "measure", "bogus"),  # used to run as "queue"
    ("max-pressure", "permitted_weight", float("nan")),
    ("vehicle-actuated", "passage_s", -1.0),
    ("vehicle-actuated", "passage_s", "x"),
    ("adaptive", "method", "bogus"),  # used to run as "priority"
    ("adaptive", "base", "gapout"),
    ("adaptive", "passage_s", 2.5),
    ("adaptive", "horizon_s", 0.0),
    ("adaptive", "gap_s", "x"),
    ("adaptive", "rate_tau_s", 0.0),
]


@pytest.mark.parametrize(("name", "option", "value"), BAD_OPTIONS)
def test_bad_option_values_are_refused_by_name(name: str, option: str, value: object) -> None:
    with pytest.raises(InputError, match=rf"controller\.{name}\.{option}"):
        make_controller(name, corridor(1), **{option: value})


@pytest.mark.parametrize("name", [["fixed"], None, 3])
def test_a_controller_name_that_is_not_a_string_names_the_valid_ones(name: object) -> None:
    with pytest.raises(InputError, match="valid: adaptive"):
        make_controller(name, corridor(1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("fixed", {"warmup_s": 0, "replan_s": None, "design_factor": 1}),
        ("max-pressure", {"measure": "queue", "permitted_weight": 0}),
        ("vehicle-actuated", {"passage_s": 0}),
        ("adaptive", {"base": "clearing", "passage_s": 4.0, "method": "priority"}),
    ],
)
def test_valid_option_values_are_kept(name: str, options: dict[str, object]) -> None:
    ctrl = make_controller(name, corridor(1), **options)
    for option, value in options.items():
        assert getattr(ctrl, option) == value
