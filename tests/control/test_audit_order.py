"""The audit refuses a history that is not in time order instead of misjudging it.

A state holds from its ``t_s`` until the next state's, so a state out of order gives a negative
duration (its conflicting time was subtracted: 3 s of crossing greens audited as 0 s, or as
-3 s) and a NaN time made the conflicting time NaN; two states at the same time leave it unknown
which display was in force. These are a caller's bad input: an :class:`InputError` naming the
states, never counts.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.control import ConflictMonitor, Request, SignalState, audit
from signalbrain.errors import InputError

from .conftest import nema_intersection

NEMA = nema_intersection(min_green_s=7.0, yellow_s=4.0, all_red_s=1.5)[0]
EB_T = NEMA.phase(2).protected[0]
NB_T = NEMA.phase(4).protected[0]


def _states(*frames: tuple[float, dict[str, str]]) -> list[SignalState]:
    ids = [m.id for m in NEMA.movements]
    return [SignalState(t, {m: shown.get(m, "r") for m in ids}, None, (2,)) for t, shown in frames]


CROSSING = {EB_T: "G", NB_T: "G"}


@pytest.mark.parametrize(
    ("states", "where", "what"),
    [
        (  # 3 s of crossing greens, then a stale state from the past: audited as 0 s
            _states((0, {EB_T: "G"}), (10, CROSSING), (13, CROSSING), (10, {EB_T: "G"})),
            "states[3].t_s",
            "= 10: earlier than states[2].t_s = 13",
        ),
        (  # audited as -3 s of conflicting green
            _states((0, {EB_T: "G"}), (10, CROSSING), (7, {EB_T: "G"}), (20, {EB_T: "G"})),
            "states[2].t_s",
            "= 7: earlier than states[1].t_s = 10",
        ),
        (  # the crossing display and its replacement at one instant: which one showed?
            _states((0, {EB_T: "G"}), (10, CROSSING), (10, {EB_T: "G"}), (20, {EB_T: "G"})),
            "states[2].t_s",
            "= 10: the same time as states[1].t_s = 10",
        ),
        (  # audited as NaN seconds of conflicting green
            _states((0, {EB_T: "G"}), (math.nan, CROSSING), (20, {EB_T: "G"})),
            "states[1].t_s",
            "= nan: not a finite time",
        ),
        (
            _states((0, {EB_T: "G"}), (math.inf, {EB_T: "G"})),
            "states[1].t_s",
            "= inf: not a finite time",
        ),
        (  # was read as 5 s by float(): a time must be a number
            _states((0, {EB_T: "G"}), ("5", {EB_T: "G"})),
            "states[1].t_s",
            "= '5': not a finite time",
        ),
    ],
    ids=["stale-state", "backwards", "duplicate-time", "nan-time", "infinite-time", "text-time"],
)
def test_a_history_out_of_time_order_is_refused(
    states: list[SignalState], where: str, what: str
) -> None:
    with pytest.raises(InputError) as info:
        audit(NEMA, states)
    text = str(info.value)
    assert f"intersection A: {where} {what}" in text, text
    assert "strictly increasing time order" in text


@pytest.mark.parametrize("from_start", [True, False])
def test_the_order_is_checked_for_mid_program_recordings_too(from_start: bool) -> None:
    states = _states((0, {EB_T: "G"}), (10, CROSSING), (7, {EB_T: "G"}), (20, {EB_T: "G"}))
    with pytest.raises(InputError, match=r"states\[2\]\.t_s"):
        audit(NEMA, states, from_start=from_start)


def test_every_misplaced_state_is_named_up_to_ten_and_the_rest_counted() -> None:
    states = _states(*[(float(100 - k), {}) for k in range(15)])  # 14 steps back
    with pytest.raises(InputError) as info:
        audit(NEMA, states)
    paths = [p.path for p in info.value.problems]
    assert paths[:10] == [f"states[{k}].t_s" for k in range(1, 11)]
    assert "and 4 more states out of time order" in str(info.value)


@pytest.mark.parametrize(
    "states",
    [
        [],
        _states((0, {EB_T: "G"})),
        _states(
            (0, {EB_T: "G"}), (7, {EB_T: "y"}), (11, {}), (12.5, {NB_T: "G"}), (40, {NB_T: "G"})
        ),
        _states((0, {}), (1e-9, {})),  # apart by less than the monitor's tolerance: in order
    ],
    ids=["empty", "one-state", "in-order", "tiny-steps"],
)
def test_a_history_in_time_order_is_audited(states: list[SignalState]) -> None:
    assert audit(NEMA, states).ok


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    phases=st.lists(st.sampled_from([(2, 6), (4, 8), (1, 5), (3, 7)]), min_size=2, max_size=12),
    swap=st.integers(0, 10**6),
)
def test_a_monitor_history_audits_in_order_and_is_refused_out_of_it(
    phases: list[tuple[int, int]], swap: int
) -> None:
    mon = ConflictMonitor(NEMA)
    states = [
        mon.step(k * 1.0, 1.0, Request(phases=phases[min(k // 15, len(phases) - 1)]))
        for k in range(15 * len(phases))
    ]
    assert audit(NEMA, states).ok
    k = swap % (len(states) - 1)
    states[k], states[k + 1] = states[k + 1], states[k]
    with pytest.raises(InputError, match=rf"states\[{k + 1}\]\.t_s = {k:g}: earlier than"):
        audit(NEMA, states)
