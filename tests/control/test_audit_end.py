"""A history's last state holds until ``end_s`` when the caller knows the end.

Without it the last state's duration is unknown and adds no conflicting time: a hand-fed
history whose last state shows crossing greens audited as safe, with no way to say how long
they showed.
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
CROSSING = {EB_T: "G", NB_T: "G"}


def _states(*frames: tuple[float, dict[str, str]]) -> list[SignalState]:
    ids = [m.id for m in NEMA.movements]
    return [SignalState(t, {m: shown.get(m, "r") for m in ids}, None, (2,)) for t, shown in frames]


@pytest.mark.parametrize(
    ("states", "end_s", "conflicting_s"),
    [
        (_states((0.0, {EB_T: "G"}), (10.0, CROSSING)), 13.0, 3.0),
        (_states((0.0, CROSSING)), 5.0, 5.0),  # one state: was 0 s, the only state unclosed
        (_states((0.0, {EB_T: "G"}), (10.0, CROSSING)), 10.0, 0.0),  # ended as it began
        (_states((0.0, {EB_T: "G"}), (10.0, CROSSING)), None, 0.0),  # unknown end: unclosed
        ([], 5.0, 0.0),
    ],
    ids=["last-state", "single-state", "zero-length", "end-unknown", "empty"],
)
def test_end_s_closes_the_last_state(
    states: list[SignalState], end_s: float | None, conflicting_s: float
) -> None:
    assert audit(NEMA, states, end_s=end_s).conflicting_green_s == pytest.approx(conflicting_s)


@pytest.mark.parametrize("from_start", [True, False])
def test_end_s_counts_as_a_closing_copy_of_the_last_state(from_start: bool) -> None:
    """The run loops close a history by appending the last display at the end time; end_s
    audits the same (and judges no interval short because the recording ended)."""
    states = _states((0.0, {EB_T: "G"}), (3.0, {EB_T: "y"}), (4.0, CROSSING), (6.0, {NB_T: "G"}))
    closed = [*states, SignalState(9.0, states[-1].movements, None, (2,))]
    assert audit(NEMA, states, from_start=from_start, end_s=9.0) == audit(
        NEMA, closed, from_start=from_start
    )


@pytest.mark.parametrize(
    ("end_s", "message"),
    [
        (float("nan"), r"end_s = nan: must be a finite time \[s\] or None"),
        (float("inf"), r"end_s = inf: must be a finite time"),
        ("13", r"end_s = '13': must be a finite time"),
        (True, r"end_s = True: must be a finite time"),
        (7.0, r"end_s = 7: earlier than the last state's t_s = 10"),
    ],
)
def test_an_end_that_is_no_time_after_the_last_state_is_refused(end_s: Any, message: str) -> None:
    states = _states((0.0, {EB_T: "G"}), (10.0, CROSSING))
    with pytest.raises(InputError, match=rf"intersection A: {message}"):
        audit(NEMA, states, end_s=end_s)
