"""The one table of display letters the SUMO import, the audit and the escort read through."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from signalbrain.network.displays import DISPLAYS, GREEN, RED, YELLOW, movement_display


def test_the_letter_sets_and_the_table_agree() -> None:
    for letters, reads in ((GREEN, {"G", "g"}), (YELLOW, {"y"}), (RED, {"r"})):
        assert {DISPLAYS[c] for c in letters} <= reads
    assert set(DISPLAYS) == GREEN | YELLOW | RED


@pytest.mark.parametrize(
    ("state", "indices", "shown"),
    [
        ("GG", (0, 1), "G"),
        ("Gg", (0, 1), "g"),  # one yielding link: the movement yields
        ("Gr", (0, 1), "g"),
        ("Or", (0,), "g"),  # light off: uncontrolled, a permitted green
        ("yr", (0, 1), "y"),
        ("Yr", (0,), "y"),
        ("ur", (0, 1), "r"),  # red-yellow is still a stop
        ("sr", (0,), "r"),
        ("rr", (0, 5), "r"),  # an index past the end is ignored
        ("xG", (0, 1), "x"),  # an unknown letter is kept, to be refused by name
    ],
)
def test_a_movement_reads_its_links_together(
    state: str, indices: tuple[int, ...], shown: str
) -> None:
    assert movement_display(state, indices) == shown


def test_the_escort_reads_the_lights_back_through_the_same_table() -> None:
    """It used to read ``u`` (red-yellow, before a green) as yellow, a green's end, and a light
    switched off (``o``) as red; it also read only a movement's first link."""
    from signalbrain.escort.sumo import SumoEscort

    moves = [
        SimpleNamespace(id=m, sumo_link_indices=ix)
        for m, ix in (("a", (0,)), ("b", (1,)), ("c", (2, 3)), ("d", (4,)), ("e", (9,)))
    ]
    isec = SimpleNamespace(movements=moves)
    esc = SumoEscort.__new__(SumoEscort)
    esc.manager = SimpleNamespace(signals_in_use=lambda: {"S1"})  # type: ignore[assignment]
    esc.network = SimpleNamespace(intersection=lambda _id: isec)  # type: ignore[assignment]
    esc._tls = {"S1": "t1"}
    sumo = SimpleNamespace(trafficlight=SimpleNamespace(getRedYellowGreenState=lambda _t: "uorGx"))
    states = esc._states(sumo, 7.0)  # type: ignore[arg-type]
    assert states["S1"].t_s == 7.0
    assert states["S1"].movements == {"a": "r", "b": "g", "c": "g", "d": "r"}
