"""How long a SUMO traffic light's original program clears what a green phase ends: the
yellow and all-red after each green phase, and the clearance of its signalled pedestrian
crossings (:func:`signalbrain.io.sumo_tls.build_intersection` uses both; the rules are in
:mod:`signalbrain.io.sumo_net`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from signalbrain.network.displays import GREEN, YELLOW
from signalbrain.network.model import SumoProgram

__all__ = ["Clearance", "clearance", "pedestrian_clearance_s"]


@dataclass(frozen=True, slots=True)
class Clearance:
    yellow_s: float
    all_red_s: float


def clearance(
    program: SumoProgram,
    k: int,
    green_phases: Sequence[int],
    modelled: Sequence[int],
    successors: Sequence[int],
) -> Clearance:
    """Original yellow and all-red after green phase ``k``: the phases until the next green one.

    A green phase running straight into a green phase that keeps every modelled link of it green
    ends nothing there: its movements clear when that phase's do, so it takes that clearance.
    """
    n = len(program.phases)
    yellow = red = 0.0
    for _ in range(n):
        yellow = red = 0.0
        m = successors[k]
        for _ in range(n):  # bounded: 'next' attributes may close a loop that skips k
            if m == k or m in green_phases:
                break
            ph = program.phases[m]
            if any(ph.state[i] in YELLOW for i in modelled):
                yellow += ph.duration_s
            else:
                red += ph.duration_s
            m = successors[m]
        cur, nxt = program.phases[k].state, program.phases[m].state
        if (
            yellow
            or red
            or m == k
            or any(cur[i] in GREEN and nxt[i] not in GREEN for i in modelled)
        ):
            break
        k = m
    return Clearance(yellow, red)


def pedestrian_clearance_s(
    program: SumoProgram,
    k: int,
    crossing: int,
    foes: Mapping[int, set[int]],
    successors: Sequence[int],
) -> float:
    """Original clearance of crossing link ``crossing`` green in phase ``k`` [s].

    From the end of the crossing's green to the first phase that turns green a link conflicting
    with it, in the order SUMO runs the phases. Conflicting links still green from the
    crossing's green on (turning vehicles that yield to pedestrians) count only once they have
    shown red. netconvert ends a crossing's green with a phase in which the parallel vehicles
    keep green, then their yellow: about 5 s + 3 s.
    """
    n = len(program.phases)
    last = m = k
    for _ in range(n):  # to the end of the crossing's green
        if program.phases[m].state[crossing] not in GREEN:
            break
        last, m = m, successors[m]
    else:
        return 0.0  # always green
    carried = {f for f in foes.get(crossing, ()) if program.phases[last].state[f] in GREEN}
    total = 0.0
    for _ in range(n):
        state = program.phases[m].state
        carried = {f for f in carried if state[f] in GREEN}
        if any(state[f] in GREEN and f not in carried for f in foes.get(crossing, ())):
            break
        if state[crossing] in GREEN:  # the crossing goes again first: no conflict after it
            break
        total += program.phases[m].duration_s
        m = successors[m]
    return total
