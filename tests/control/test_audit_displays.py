"""The audit reads only display letters it knows, and says so when it meets another.

It used to read anything but ``G``, ``g`` and ``y`` as red: a SUMO ``Y`` (yellow), ``o``/``O``
(light off: the movement runs uncontrolled) or a typo ``x`` crossing a green passed as safe.
SUMO's letters are now read as the SUMO import reads them (``DISPLAYS``); anything else is an
:class:`InputError` naming the state and movement.
"""

from __future__ import annotations

from typing import Any

import pytest

from signalbrain.control import SignalState, audit
from signalbrain.errors import InputError

from .conftest import nema_intersection

NEMA = nema_intersection(min_green_s=7.0, yellow_s=4.0, all_red_s=1.5)[0]
EB_T = NEMA.phase(2).protected[0]
NB_T = NEMA.phase(4).protected[0]


def _states(*frames: tuple[float, dict[str, Any]]) -> list[SignalState]:
    ids = [m.id for m in NEMA.movements]
    return [SignalState(t, {m: shown.get(m, "r") for m in ids}, None, (2,)) for t, shown in frames]


@pytest.mark.parametrize(
    ("letter", "conflicting_s"),
    [
        ("G", 10.0),
        ("g", 10.0),
        ("y", 10.0),
        ("Y", 10.0),  # SUMO's major yellow: was read as red, 0 s
        ("o", 10.0),  # light off (blinking): uncontrolled, was read as red
        ("O", 10.0),  # light off: uncontrolled, was read as red
        ("r", 0.0),
        ("u", 0.0),  # red-yellow: still stop
        ("s", 0.0),  # right on red after a stop, yielding to every foe (the import's red)
    ],
)
def test_sumo_letters_crossing_a_green_are_read_as_the_import_reads_them(
    letter: str, conflicting_s: float
) -> None:
    states = _states(
        (0.0, {EB_T: "G"}),
        (20.0, {EB_T: "G", NB_T: letter}),
        (30.0, {EB_T: "G"}),
        (40.0, {EB_T: "G"}),
    )
    counts = audit(NEMA, states, from_start=False)
    assert counts.conflicting_green_s == pytest.approx(conflicting_s)


@pytest.mark.parametrize(
    ("display", "shown"),
    [("x", "'x'"), ("R", "'R'"), ("", "''"), ("green", "'green'"), (None, "None"), (2, "2")],
)
def test_a_display_that_is_no_signal_letter_is_refused_by_name(display: Any, shown: str) -> None:
    states = _states((0.0, {EB_T: "G"}), (20.0, {EB_T: "G", NB_T: display}), (30.0, {EB_T: "G"}))
    with pytest.raises(InputError) as info:
        audit(NEMA, states)
    text = str(info.value)
    assert f"intersection A: states[1].movements.{NB_T} = {shown}: not a signal display" in text
    assert "a display is one of G, g, y, r, Y, u, s, o, O" in text


def test_an_unhashable_display_and_a_state_without_a_mapping_are_refused() -> None:
    states = _states((0.0, {EB_T: "G"}), (20.0, {EB_T: "G", NB_T: ["G"]}))
    with pytest.raises(InputError, match=r"states\[1\]\.movements\.\S+ = \['G'\]"):
        audit(NEMA, states)
    bad = SignalState(30.0, "GGrr")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"states\[1\]\.movements: a str: expected a mapping"):
        audit(NEMA, [states[0], bad])


def test_many_unknown_displays_are_listed_up_to_ten() -> None:
    frames = [(float(t), dict.fromkeys([m.id for m in NEMA.movements], "x")) for t in range(3)]
    with pytest.raises(InputError) as info:
        audit(NEMA, _states(*frames))
    n = 3 * len(NEMA.movements)
    assert f"and {n - 10} more displays not known" in str(info.value)


def test_every_reading_is_a_display_the_audit_judges() -> None:
    from signalbrain.control.audit import DISPLAYS

    assert set(DISPLAYS.values()) == {"G", "g", "y", "r"}
    assert all(DISPLAYS[c] == c for c in "Ggyr")
