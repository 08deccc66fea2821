"""signal_state on intersections built in code (no SUMO needed)."""

from __future__ import annotations

import pytest

from signalbrain.errors import InputError
from signalbrain.io.sumo_state import constant_link_states, link_count, signal_state
from signalbrain.network import Intersection, Movement, Phase, SumoPhase, SumoProgram


def _isec(sumo: SumoProgram | None = None) -> Intersection:
    movements = (
        Movement("W.T", "W", "E", "T", 2, (0, 1)),
        Movement("W.L", "W", "N", "L", 1, (2,)),
        Movement("S.T", "S", "N", "T", 1, (4,)),
        Movement("X.T", "X", "Y", "T", 1, ()),
    )
    return Intersection(
        "A", ("A",), movements, (Phase(1, ("W.T",), ("W.L",)),), frozenset(), sumo=sumo
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "rrrrr"),
        ({"protected": ["W.T"]}, "GGrrr"),
        ({"protected": ["W.T"], "permitted": ["W.L"]}, "GGgrr"),
        ({"yellow": ["W.T", "W.L"], "protected": ["S.T"]}, "yyyrG"),
    ],
)
def test_state_without_sumo_program(kwargs: dict[str, list[str]], expected: str) -> None:
    isec = _isec()
    assert link_count(isec) == 5
    assert signal_state(isec, **kwargs) == expected


def test_unmodelled_links_keep_their_constant_state() -> None:
    program = SumoProgram(
        "A",
        "0",
        "static",
        0.0,
        (
            SumoPhase(30, "GGgrsO"),
            SumoPhase(3, "yyyrsO"),
            SumoPhase(30, "rrrGGO"),
            SumoPhase(3, "rrryyO"),
        ),
        6,
    )
    assert constant_link_states(program) == {5: "O"}
    isec = _isec(program)
    assert link_count(isec) == 6
    # index 3: no movement, not constant -> red; index 5: no movement, always 'O' -> kept
    assert signal_state(isec, protected=["S.T"]) == "rrrrGO"
    assert signal_state(isec, protected=["W.T"]) == "GGrrrO"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"protected": ["Q.T"]}, "unknown movement"),
        ({"protected": ["W.T"], "yellow": ["W.T"]}, "both 'G' and 'y'"),
        ({"permitted": ["X.T"]}, "no SUMO link indices"),
    ],
)
def test_bad_requests(kwargs: dict[str, list[str]], message: str) -> None:
    with pytest.raises(InputError, match=message):
        signal_state(_isec(), **kwargs)


def test_index_beyond_the_program() -> None:
    short = SumoProgram("A", "0", "static", 0.0, (SumoPhase(30, "GGg"),), 3)
    with pytest.raises(InputError, match="beyond the 3 links"):
        signal_state(_isec(short), protected=["S.T"])
