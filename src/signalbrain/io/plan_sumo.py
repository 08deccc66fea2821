"""Plans as SUMO traffic-light programs (``tlLogic`` in an additional file).

:func:`plan_programs` turns each :class:`~signalbrain.timing.TimingPlan` into a static
:class:`~signalbrain.network.SumoProgram`: the cycle is cut at every point where some ring changes
interval, and each piece shows :func:`~signalbrain.timing.movement_states` written at the
movements' SUMO link indices with :func:`~signalbrain.io.sumo_state.signal_state` (one
:class:`~signalbrain.io.sumo_state.StateWriter` per intersection; links outside the model keep
their constant original character). SUMO starts the first phase of a program at
its ``offset`` (Traffic Lights docs: "the initial time offset of the program"), which is the plan's
cycle start, so ``offset`` is the plan's ``offset_s``. :func:`write_plan_sumo` writes the
programs with :func:`~signalbrain.io.sumo_programs.write_sumo_programs`, so SUMO loads them with
``-a FILE.add.xml`` in place of ``tlsCycleAdaptation.py`` + ``tlsCoordinator.py`` output.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

from signalbrain.errors import InputError
from signalbrain.io.sumo_programs import DEFAULT_PROGRAM_ID, write_sumo_programs
from signalbrain.io.sumo_state import StateWriter, red_state
from signalbrain.network.model import Intersection, Network, SumoPhase, SumoProgram
from signalbrain.timing.plan import NetworkPlan, TimingPlan, movement_states

__all__ = ["plan_program", "plan_programs", "write_plan_sumo"]


def _cuts(plan: TimingPlan) -> list[float]:
    """Where some ring changes interval, on SUMO's millisecond grid (a program's durations are
    whole milliseconds; rounding the durations one by one instead drifted the cycle and gave
    changes less than 0.5 ms apart a duration of 0, which the writer refused)."""
    cuts = {0.0, plan.cycle_s}
    for ph in plan.phases:
        s = plan.phase_start_s(ph.number)
        cuts.update((s, s + ph.green_s, s + ph.green_s + ph.yellow_s, s + ph.split_s))
    return sorted({round(c, 3) for c in cuts if 0.0 <= c <= plan.cycle_s})


def plan_program(
    intersection: Intersection, plan: TimingPlan, program_id: str = DEFAULT_PROGRAM_ID
) -> SumoProgram:
    """The static SUMO program that runs ``plan`` at ``intersection``."""
    if not any(m.sumo_link_indices for m in intersection.movements):
        raise InputError(
            f"intersection {intersection.id!r} has no SUMO link indices: write "
            "SUMO programs only for networks imported from SUMO"
        )
    base = plan.with_offset(0.0)
    cuts = _cuts(base)
    phases: list[SumoPhase] = []
    write_state = StateWriter(intersection)
    linked = {m.id for m in intersection.movements if m.sumo_link_indices}
    for a, b in itertools.pairwise(cuts):
        states = movement_states(intersection, base, 0.5 * (a + b))
        with_links = [(m, s) for m, s in states.items() if m in linked]
        state = write_state(
            [m for m, s in with_links if s == "G"],
            [m for m, s in with_links if s == "g"],
            [m for m, s in with_links if s == "y"],
        )
        if phases and phases[-1].state == state:
            last = phases[-1]
            phases[-1] = SumoPhase(last.duration_s + (b - a), state)
        else:
            phases.append(SumoPhase(b - a, state))
    link_count = len(phases[0].state)
    return SumoProgram(
        intersection.id,
        program_id,
        "static",
        plan.offset_s,
        tuple(SumoPhase(round(p.duration_s, 3), p.state) for p in phases),
        link_count,
    )


def _program_key(intersection: Intersection, plan: TimingPlan) -> tuple[object, ...]:
    """Everything :func:`plan_program`'s phases depend on, with movements as their SUMO link
    indices: the plan without its offset, each phase's protected and permitted link indices and
    the all-red state (links outside the model included). Two intersections with the same key
    get the same phases."""
    links = {m.id: m.sumo_link_indices for m in intersection.movements}
    phases = tuple(
        (
            p.number,
            tuple(links.get(m, ()) for m in p.protected),
            tuple(links.get(m, ()) for m in p.permitted),
        )
        for p in intersection.phases
    )
    return (
        plan.cycle_s,
        plan.phases,
        plan.rings,
        plan.barriers,
        phases,
        red_state(intersection),
    )


def plan_programs(
    network: Network, plan: NetworkPlan, program_id: str = DEFAULT_PROGRAM_ID
) -> dict[str, SumoProgram]:
    """Programs for every planned intersection of ``network``.

    Intersections of one layout running the same plan (offsets aside) share the work: the
    program is built once and copied with each one's id and offset.
    """
    out = {}
    built: dict[tuple[object, ...], SumoProgram] = {}
    for isec in network.intersections:
        if isec.id not in plan.plans:
            continue
        timing = plan.plans[isec.id]
        if not any(m.sumo_link_indices for m in isec.movements):
            out[isec.id] = plan_program(isec, timing, program_id)  # raises the usual error
            continue
        key = _program_key(isec, timing)
        done = built.get(key)
        if done is None:
            done = built[key] = plan_program(isec, timing, program_id)
            out[isec.id] = done
        else:
            out[isec.id] = replace(done, tls_id=isec.id, offset_s=timing.offset_s)
    return out


def write_plan_sumo(
    network: Network, plan: NetworkPlan, path: str | Path, *, program_id: str = DEFAULT_PROGRAM_ID
) -> Path:
    """Write the plans as a SUMO additional file (``.add.xml``)."""
    return write_sumo_programs(
        network, path, programs=plan_programs(network, plan, program_id), program_id=program_id
    )
