"""Two-way green bandwidth along a corridor as a mixed-integer linear program (MAXBAND style).

Given the common cycle ``C``, each signal's outbound and inbound through green windows
``[g0_i, g1_i]`` and ``[h0_i, h1_i]`` (seconds after its cycle start, from its plan) and the
travel times between signals, choose the cycle starts (offsets) ``phi_i`` and band times so that
an outbound band of width ``b`` and an inbound band of width ``bb`` pass every signal in green:

    outbound:  phi_i + g0_i <= theta + T_i,    theta + T_i + b <= phi_i + g1_i
    inbound:   phi_i + h0_i + C n_i <= theta_in - Tb_i,
               theta_in - Tb_i + bb <= phi_i + h1_i + C n_i

where ``T_i`` / ``Tb_i`` are the cumulative outbound / inbound travel times from the first signal,
``theta`` and ``theta_in`` the times the bands pass the first signal and ``n_i`` integers (the
outbound cycle index is absorbed in the free ``phi_i``). The objective is MAXBAND's
``max b + k bb`` with the balance constraint ``(1 - k) bb >= (1 - k) k b``, ``k`` the ratio of
inbound to outbound volume. Solved with :func:`scipy.optimize.milp` (HiGHS).

As in MAXBAND, each signal may also lead or lag its left turns: the variants of its plan with
the phase order of the ring segments reversed (:func:`sequence_patterns`) each get a binary
variable, exactly one chosen, and the window constraints of the others are relaxed by a big-M.
When no offsets let even a zero-width band pass both ways, the outbound band alone is maximised.

References
----------
Little, J. D. C. (1966). The synchronization of traffic signals by mixed-integer linear
programming. Operations Research 14(4), 568-594.
Little, J. D. C., Kelson, M. D., Gartner, N. H. (1981). MAXBAND: a program for setting signals on
arteries and triangular networks. Transportation Research Record 795, 40-46.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from signalbrain.errors import InputError, SignalbrainError
from signalbrain.network.model import Network
from signalbrain.timing.corridor import Corridor
from signalbrain.timing.plan import NetworkPlan, TimingPlan, movement_green_windows

__all__ = [
    "BandResult",
    "MilpError",
    "MixedCyclesError",
    "NoBandError",
    "maxband",
    "maxband_plan",
    "sequence_patterns",
]


@dataclass(frozen=True, slots=True)
class BandResult:
    """Offsets [s] per corridor signal and the two bandwidths [s].

    ``outbound_start_s`` / ``inbound_start_s``: when each band's front passes the first signal
    (absolute time, modulo the cycle); ``rings``: the chosen phase sequence of each signal.
    """

    offsets_s: dict[str, float]
    outbound_s: float
    inbound_s: float
    cycle_s: float
    outbound_start_s: float = 0.0
    inbound_start_s: float = 0.0
    rings: dict[str, tuple[tuple[int, ...], ...]] = field(default_factory=dict)


def _window(
    network: Network, plan: TimingPlan, sid: str, mid: str | None, cycle: float
) -> tuple[float, float]:
    if mid is None:
        return 0.0, cycle  # no through movement here: never blocks the band
    wins = movement_green_windows(network.intersection(sid), plan, mid)
    if not wins:
        raise InputError(f"maxband: movement {mid!r} of {sid} is never green in its plan")
    a, b = max(wins, key=lambda w: w[1] - w[0])
    return a, b


def sequence_patterns(plan: TimingPlan, max_patterns: int = 4) -> list[TimingPlan]:
    """``plan`` and its variants with the phase order of ring segments reversed (leading or
    lagging lefts). Only the first barrier group with two-phase ring segments is varied, so at
    most ``max_patterns`` variants (the plan itself first). Reversing the order of phases inside
    a ring segment keeps every pair of concurrent phases, so each variant is as safe as the plan.
    """
    for group in plan.barriers:
        members = set(group)
        segs = [r for r, ring in enumerate(plan.rings) if sum(n in members for n in ring) >= 2]
        if not segs:
            continue
        out = [plan]
        for flips in itertools.product((False, True), repeat=len(segs)):
            if not any(flips) or len(out) >= max_patterns:
                continue
            rings = []
            for r, ring in enumerate(plan.rings):
                if r in segs and flips[segs.index(r)]:
                    head = [n for n in ring if n in members][::-1]
                    it = iter(head)
                    rings.append(tuple(next(it) if n in members else n for n in ring))
                else:
                    rings.append(ring)
            out.append(
                TimingPlan(
                    plan.intersection,
                    plan.cycle_s,
                    plan.offset_s,
                    plan.phases,
                    tuple(rings),
                    plan.barriers,
                    plan.notes,
                )
            )
        return out
    return [plan]


def maxband(
    network: Network,
    plan: NetworkPlan,
    corridor: Corridor,
    *,
    inbound_weight: float = 1.0,
    time_limit_s: float = 10.0,
    sequences: bool = True,
) -> BandResult:
    """Offsets (and phase sequences) maximising ``b + k bb`` along ``corridor``.

    All corridor signals must run one cycle (half cycles count their first half only). With
    ``sequences`` each signal may also lead or lag its left turns (MAXBAND's left-turn patterns,
    :func:`sequence_patterns`), chosen by binary variables. When no offsets let even a zero-width
    band pass both ways, the outbound band alone is maximised and ``inbound_s`` is 0.
    """
    try:
        return _maxband(network, plan, corridor, inbound_weight, time_limit_s, sequences, True)
    except _InfeasibleError:
        pass
    try:
        return _maxband(network, plan, corridor, inbound_weight, time_limit_s, sequences, False)
    except _InfeasibleError:
        raise NoBandError(
            f"maxband: no offsets give a band even one way along {' - '.join(corridor.signals)} "
            "(check the corridor's link lengths and speeds)"
        ) from None


class _InfeasibleError(Exception):
    pass


class NoBandError(SignalbrainError):
    """Not even a one-way band fits the corridor (absurd travel times between its signals)."""


class MixedCyclesError(InputError):
    """The corridor's signals do not run one common cycle (or half of it)."""


class MilpError(SignalbrainError):
    """The MILP solver stopped without a solution (a time limit, or HiGHS' "Solve error" on
    some corridors of very short links)."""


def _maxband(
    network: Network,
    plan: NetworkPlan,
    corridor: Corridor,
    inbound_weight: float,
    time_limit_s: float,
    sequences: bool,
    two_way: bool,
) -> BandResult:
    ids = corridor.signals
    cycles = {round(plan[s].cycle_s, 6) for s in ids}
    cycle = max(plan[s].cycle_s for s in ids)
    if len(cycles) > 1 and any(
        abs(2 * plan[s].cycle_s - cycle) > 1e-6 and abs(plan[s].cycle_s - cycle) > 1e-6 for s in ids
    ):
        raise MixedCyclesError(
            "maxband: the corridor signals run different cycles; coordinate them "
            "on a common cycle first"
        )
    k = float(inbound_weight)
    if not k > 0:
        raise InputError(f"maxband: inbound_weight = {k}: must be > 0")
    n = len(ids)
    variants = [sequence_patterns(plan[s]) if sequences else [plan[s]] for s in ids]
    g = [
        [_window(network, v, s, m, cycle) for v in vs]
        for s, m, vs in zip(ids, corridor.out_movements, variants, strict=True)
    ]
    h = [
        [_window(network, v, s, m, cycle) for v in vs]
        for s, m, vs in zip(ids, corridor.in_movements, variants, strict=True)
    ]
    t_out = np.concatenate([[0.0], np.cumsum(corridor.out_travel_s)])
    t_in = np.concatenate([[0.0], np.cumsum(corridor.in_travel_s)])
    from scipy.optimize import Bounds, LinearConstraint, milp  # slow import: only when used

    # variables: b, bb, theta, theta_in, phi_i, n_i, then one binary per (signal, pattern)
    z_start = 4 + 2 * n
    z_of: list[list[int]] = []
    nv = z_start
    for vs in variants:
        z_of.append(list(range(nv, nv + len(vs))))
        nv += len(vs)
    B, BB, TH, THI = 0, 1, 2, 3

    def phi(i: int) -> int:
        return 4 + i

    def ncyc(i: int) -> int:
        return 4 + n + i

    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(coefs: dict[int, float], upper: float, lower: float = -np.inf) -> None:
        row = np.zeros(nv)
        for j, c in coefs.items():
            row[j] += c
        rows.append(row)
        lo.append(lower)
        hi.append(upper)

    span = float(t_out[-1] + t_in[-1]) + 3 * cycle
    big = 4.0 * span + 4.0 * cycle
    for i in range(n):
        add(dict.fromkeys(z_of[i], 1.0), 1.0, 1.0)
        for p, z in enumerate(z_of[i]):
            (g0, g1), (h0, h1) = g[i][p], h[i][p]
            add({phi(i): 1.0, TH: -1.0, z: big}, t_out[i] - g0 + big)
            add({TH: 1.0, phi(i): -1.0, B: 1.0, z: big}, g1 - t_out[i] + big)
            if two_way:
                add({phi(i): 1.0, THI: -1.0, ncyc(i): cycle, z: big}, -t_in[i] - h0 + big)
                add(
                    {THI: 1.0, phi(i): -1.0, ncyc(i): -cycle, BB: 1.0, z: big},
                    h1 + t_in[i] + big,
                )
    if not two_way:
        k = 0.0
    if two_way and abs(1.0 - k) > 1e-12:
        add({BB: (1.0 - k), B: -(1.0 - k) * k}, np.inf, 0.0)
    m_int = math.ceil(span / cycle) + 2
    lower = np.full(nv, -span)
    upper = np.full(nv, span)
    lower[[B, BB]] = 0.0
    upper[B] = cycle
    upper[BB] = cycle if two_way else 0.0
    lower[[TH, THI]] = 0.0
    upper[[TH, THI]] = cycle
    lower[phi(0)] = upper[phi(0)] = 0.0
    lower[4 + n : z_start] = -m_int
    upper[4 + n : z_start] = m_int
    lower[z_start:] = 0.0
    upper[z_start:] = 1.0
    c = np.zeros(nv)
    c[B] = -1.0
    c[BB] = -k
    integrality = np.zeros(nv)
    integrality[4 + n :] = 1
    res = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": time_limit_s},
    )
    if res.x is None and res.status == 2:
        raise _InfeasibleError
    if res.x is None:
        raise MilpError(f"maxband: the MILP solver found no solution ({res.message})")
    x = res.x
    offsets = {s: float(x[phi(i)] % plan[s].cycle_s) for i, s in enumerate(ids)}
    chosen = {
        s: variants[i][int(np.argmax([x[z] for z in z_of[i]]))].rings for i, s in enumerate(ids)
    }
    return BandResult(
        offsets, float(x[B]), float(x[BB]), cycle, float(x[TH]), float(x[THI]), chosen
    )


def maxband_plan(
    network: Network, plan: NetworkPlan, corridor: Corridor, *, inbound_weight: float = 1.0
) -> tuple[NetworkPlan, BandResult]:
    """``plan`` with the corridor's offsets (and phase sequences) from the MAXBAND solution."""
    band = maxband(network, plan, corridor, inbound_weight=inbound_weight)
    plans = dict(plan.plans)
    for sid, off in band.offsets_s.items():
        p = plans[sid]
        rings = band.rings.get(sid, p.rings)
        plans[sid] = TimingPlan(
            p.intersection, p.cycle_s, off % p.cycle_s, p.phases, rings, p.barriers, p.notes
        )
    route = " - ".join(corridor.signals)
    note: tuple[str, ...] = (
        f"MAXBAND along {route}: outbound band {band.outbound_s:.1f} s, "
        f"inbound {band.inbound_s:.1f} s of a {band.cycle_s:.1f} s cycle",
    )
    if band.inbound_s <= 0 and band.outbound_s > 0:
        note += ("no offsets pass a band both ways with these greens: outbound band only",)
    objective = {
        **plan.objective,
        "bandwidth_out_s": band.outbound_s,
        "bandwidth_in_s": band.inbound_s,
    }
    return NetworkPlan(plans, plan.notes + note, objective), band
