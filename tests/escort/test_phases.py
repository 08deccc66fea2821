"""Escort phases: an approach's own protected green, added for preemption only, never relaxing a
rule of the original model (checked by auditing monitor output against the original)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.control import ConflictMonitor, Request, audit
from signalbrain.control.monitor import MovementClearances
from signalbrain.escort.phases import escort_network, is_escort_phase, with_escort_phases
from signalbrain.escort.windows import phase_for
from signalbrain.network import Intersection, Phase, pair
from signalbrain.network.generate import arterial, grid

ARTERIAL = arterial(3)
GRID = grid(2, 2)
ORIGINALS = [*ARTERIAL.intersections, *GRID.intersections]


def _approaches(isec: Intersection) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in isec.movements:
        if m.turn != "P":
            out.setdefault(m.from_link, set()).add(m.id)
    return out


@pytest.mark.parametrize("isec", ORIGINALS, ids=lambda s: s.id)
def test_every_approach_gets_its_whole_protected_green(isec: Intersection) -> None:
    ext = with_escort_phases(isec)
    assert ext.phases[: len(isec.phases)] == isec.phases
    assert (ext.rings, ext.barriers, ext.conflicts) == (isec.rings, isec.barriers, isec.conflicts)
    added = ext.phases[len(isec.phases) :]
    assert all(is_escort_phase(p) and p.number >= 100 for p in added)
    for ids in _approaches(isec).values():
        assert any(ids <= set(p.protected) for p in ext.phases)
    original = MovementClearances.of(isec)
    for p in added:
        assert ext.unsafe_pairs(p.protected) == []
        for mid in p.protected:
            assert p.yellow_s >= original.yellow_s[mid]
            assert p.all_red_s >= original.all_red_s[mid]
            assert p.min_green_s >= original.fallback_min_green_s[mid]


def test_nothing_is_added_where_phases_already_serve_each_approach() -> None:
    isec = ARTERIAL.intersections[0]
    split = tuple(
        Phase(k + 1, tuple(sorted(ids)), (), 5.0, 40.0, 3.5, 1.5)
        for k, ids in enumerate(_approaches(isec).values())
    )
    one_per_approach = replace(isec, phases=split, rings=(), barriers=())
    assert with_escort_phases(one_per_approach) is one_per_approach
    net = replace(ARTERIAL, intersections=(one_per_approach, *ARTERIAL.intersections[1:]))
    assert escort_network(net).intersections[0] is one_per_approach


def test_a_merge_conflict_keeps_the_approach_out() -> None:
    isec = ARTERIAL.intersection("S1")
    w = sorted(_approaches(isec)["W_S1"])
    merged = replace(isec, conflicts=isec.conflicts | {pair(w[0], w[1])})
    names = {p.name for p in with_escort_phases(merged).phases}
    assert "escort: approach W_S1" not in names
    assert "escort: approach W_S1" in {p.name for p in with_escort_phases(isec).phases}


def test_a_shared_lane_left_turn_is_served_by_its_approach_phase() -> None:
    isec = ARTERIAL.intersection("S1")
    shared = with_escort_phases(replace(isec, shared_lanes=frozenset({pair("W_S1.L", "W_S1.T")})))
    chosen = shared.phase(phase_for(shared, "W_S1.L"))
    assert chosen.name == "escort: approach W_S1"
    # with a lane of its own the protected-left phase of the plan stays the choice
    assert phase_for(with_escort_phases(isec), "W_S1.L") == phase_for(isec, "W_S1.L")


EXTENDED = [with_escort_phases(s) for s in ORIGINALS]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(ORIGINALS) - 1),
    picks=st.lists(st.integers(0, 40), min_size=1, max_size=150),
    dt=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_monitor_with_escort_phases_never_breaks_the_original_rules(
    which: int, picks: list[int], dt: float
) -> None:
    """Random requests mixing plan and escort phases, through the monitor of the extended
    intersection; the states are audited against the original model."""
    ext, original = EXTENDED[which], ORIGINALS[which]
    numbers = [p.number for p in ext.phases]
    monitor = ConflictMonitor(ext)
    states = []
    for k, pick in enumerate(picks):
        number = numbers[pick % len(numbers)]
        states.append(monitor.step(k * dt, dt, Request(phase=number, force=pick % 3 == 0)))
    counts = audit(original, states)
    assert counts.ok, counts
