"""``TimingPlan``'s quick validation (``_starts_if_valid``) must pass exactly the plans the
worded check (``_invariant_problems``) passes, and give the phase starts of ``_compute_starts``."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from signalbrain.timing.plan import PhaseTiming, TimingPlan

STRUCTURES = [
    (((1, 2),), ((1,), (2,))),
    (((1, 2, 3, 4), (5, 6, 7, 8)), ((1, 2, 5, 6), (3, 4, 7, 8))),
    (((1, 2), (5, 6)), ((1, 2, 5, 6),)),
    (((1, 2, 3),), ((1, 2, 3),)),
    (((1, 2), (3,)), ((1, 3), (2,))),  # ring 2 idle in the second group
    (((1, 2), (2, 3)), ((1, 2, 3),)),  # a phase in two rings
    (((1, 2),), ((1,),)),  # a ring phase in no barrier group
    ((), ()),
]

times = st.one_of(
    st.sampled_from([0.0, 1.0, 3.0, 4.5, 12.0]),
    st.floats(min_value=0.0, max_value=60.0, allow_nan=False),
)
BAD = [math.nan, math.inf, -1.0, -1e-12]


def _raw(
    cycle: float,
    offset: float,
    phases: tuple[PhaseTiming, ...],
    rings: tuple[tuple[int, ...], ...],
    barriers: tuple[tuple[int, ...], ...],
) -> TimingPlan:
    """A plan object without its checks (to test the checks themselves)."""
    plan = object.__new__(TimingPlan)
    for name, value in (
        ("intersection", "A"),
        ("cycle_s", cycle),
        ("offset_s", offset),
        ("phases", phases),
        ("rings", rings),
        ("barriers", barriers),
        ("notes", ()),
        ("_index", {p.number: i for i, p in enumerate(phases)}),
    ):
        object.__setattr__(plan, name, value)
    return plan


@settings(max_examples=400, deadline=None)
@given(
    structure=st.sampled_from(STRUCTURES),
    greens=st.lists(times, min_size=8, max_size=8),
    clears=st.lists(st.sampled_from([0.0, 1.0, 3.0]), min_size=8, max_size=8),
    poison=st.one_of(
        st.none(), st.tuples(st.integers(0, 7), st.integers(0, 1), st.sampled_from(BAD))
    ),
    drop=st.sampled_from([None, 0, 1]),
    duplicate=st.booleans(),
    cycle_shift=st.sampled_from([0.0, 0.0, 0.0, 1e-9, 0.5, -3.0, math.nan]),
    offset_frac=st.sampled_from([0.0, 0.3, 0.999, 1.0, 1.5, -0.1, 2.0]),
)
def test_quick_check_agrees_with_worded_check(
    structure: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]],
    greens: list[float],
    clears: list[float],
    poison: tuple[int, int, float] | None,
    drop: int | None,
    duplicate: bool,
    cycle_shift: float,
    offset_frac: float,
) -> None:
    rings, barriers = structure
    if poison is not None:  # one bad green or yellow
        k, which, bad = poison
        (greens if which == 0 else clears)[k] = bad
    numbers = sorted({n for ring in rings for n in ring})
    phases = [PhaseTiming(n, greens[k], clears[k], 0.0) for k, n in enumerate(numbers)]
    if drop is not None and len(phases) > drop:
        del phases[drop]
    if duplicate and phases:
        phases.append(phases[0])
    # the cycle the groups add up to, when they do (else any)
    total = 0.0
    for group in barriers:
        members = set(group)
        seqs = [[n for n in ring if n in members] for ring in rings]
        sums = [sum(p.split_s for p in phases if p.number in s) for s in seqs if s]
        total += max(sums) if sums else 0.0
    cycle = total + cycle_shift
    offset = offset_frac * cycle if math.isfinite(cycle) else 0.0
    if offset_frac == 2.0:  # exactly the upper limit (cycle + tolerance): out
        offset = max(cycle, 0.0) + 1e-6
    plan = _raw(cycle, offset, tuple(phases), rings, barriers)
    problems = plan._invariant_problems()
    quick = plan._starts_if_valid()
    assert (quick is None) == bool(problems)
    if quick is not None:
        assert quick == plan._compute_starts()


def test_valid_plan_keeps_its_starts() -> None:
    ph = tuple(PhaseTiming(n, 10.0, 3.0, 1.0) for n in range(1, 9))
    rings = ((1, 2, 3, 4), (5, 6, 7, 8))
    plan = TimingPlan("A", 56.0, 5.0, ph, rings, ((1, 2, 5, 6), (3, 4, 7, 8)))
    assert plan.phase_start_s(2) == 14.0
    assert plan.phase_start_s(7) == 28.0


def test_quick_check_at_the_limits() -> None:
    """Offsets and cycles at and just past the tolerances, where the two checks could part."""
    ph = (PhaseTiming(1, 9.0, 3.0, 0.0), PhaseTiming(2, 15.0, 3.0, 0.0))
    structure = (((1, 2),), ((1,), (2,)))
    for cycle in (30.0, 30.0 + 3e-5, 30.0 + 2.9e-5, 30.0 - 3e-5, 0.0, -30.0, math.inf):
        for offset in (0.0, -0.0, -1e-300, 29.999, 30.0, 30.0 + 1e-6, 30.0 + 1.1e-6, math.nan):
            plan = _raw(cycle, offset, ph, *structure)
            quick = plan._starts_if_valid()
            assert (quick is None) == bool(plan._invariant_problems()), (cycle, offset)
            if quick is not None:
                assert quick == plan._compute_starts()
