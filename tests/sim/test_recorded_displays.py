"""SUMO's displays are read back per movement with the letters SUMO documents; a letter it does
not document is kept so the audit refuses it instead of reading it as red."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from signalbrain.errors import InputError
from signalbrain.network import Intersection, Movement, Phase
from signalbrain.network.model import CONFLICT, SumoPhase, SumoProgram
from signalbrain.sim.loop import StateRecorder


def _crossing() -> Intersection:
    """Two conflicting movements, each on two SUMO links (0-1 and 2-3)."""
    ew = Movement("ew", "W_A", "A_E", "T", 2, (0, 1))
    ns = Movement("ns", "S_A", "A_N", "T", 2, (2, 3))
    program = SumoProgram("A", "0", "static", 0.0, (SumoPhase(30.0, "GGrr"),), 4)
    isec = Intersection(
        "A",
        ("A",),
        (ew, ns),
        (Phase(1, ("ew",), min_green_s=1.0), Phase(2, ("ns",), min_green_s=1.0)),
        frozenset({("ew", "ns")}),
        sumo=program,
    )
    assert isec.relation("ew", "ns") == CONFLICT
    return isec


class _FakeSumo:
    def __init__(self, texts: dict[float, str]) -> None:
        self.texts = texts
        self.t = 0.0
        self.trafficlight = SimpleNamespace(getRedYellowGreenState=lambda tls: self.texts[self.t])


def _recorded(texts: dict[float, str], end_s: float) -> tuple[Intersection, StateRecorder]:
    isec = _crossing()
    sumo = _FakeSumo(texts)
    rec = StateRecorder(sumo, [isec])  # type: ignore[arg-type]
    for t in texts:
        sumo.t = t
        rec.record(t)
    rec.finish(end_s)
    return isec, rec


@pytest.mark.parametrize(
    ("text", "ew", "ns"),
    [
        ("GGrr", "G", "r"),
        ("GgOo", "g", "g"),  # lights off: uncontrolled, a permitted green
        ("Yyus", "y", "r"),  # SUMO's Y is a yellow; u, s are reds
        ("GGxr", "G", "x"),  # not a SUMO letter: kept for the audit to refuse
    ],
)
def test_a_movement_shows_what_its_links_show(text: str, ew: str, ns: str) -> None:
    _, rec = _recorded({0.0: text}, 10.0)
    assert dict(rec.states["A"][0].movements) == {"ew": ew, "ns": ns}


def test_lights_off_across_a_green_count_as_conflicting_time() -> None:
    _, rec = _recorded({0.0: "GGrr", 10.0: "GGOO", 25.0: "GGrr"}, 40.0)
    assert rec.audit().conflicting_green_s == pytest.approx(15.0)


def test_an_undocumented_letter_is_refused_by_the_audit() -> None:
    _, rec = _recorded({0.0: "GGrr", 10.0: "GGxx"}, 20.0)
    with pytest.raises(InputError, match=r"states\[1\]\.movements\.ns = 'x'"):
        rec.audit()
