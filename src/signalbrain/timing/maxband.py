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

The phase sequence is taken as planned: MAXBAND's choice of leading or lagging left turns per
signal is not searched, so when the through greens are short against the spacing no offsets may
let even a zero-width band pass both ways; the outbound band alone is then maximised.

References
----------
Little, J. D. C. (1966). The synchronization of traffic signals by mixed-integer linear
programming. Operations Research 14(4), 568-594.
Little, J. D. C., Kelson, M. D., Gartner, N. H. (1981). MAXBAND: a program for setting signals on
arteries and triangular networks. Transportation Research Record 795, 40-46.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from signalbrain.errors import InputError, SignalbrainError
from signalbrain.network.model import Network
from signalbrain.timing.corridor import Corridor
from signalbrain.timing.plan import NetworkPlan, movement_green_windows

__all__ = ["BandResult", "maxband", "maxband_plan"]


@dataclass(frozen=True, slots=True)
class BandResult:
    """Offsets [s] per corridor signal and the two bandwidths [s].

    ``outbound_start_s`` / ``inbound_start_s``: when each band's front passes the first signal
    (absolute time, modulo the cycle).
    """

    offsets_s: dict[str, float]
    outbound_s: float
    inbound_s: float
    cycle_s: float
    outbound_start_s: float = 0.0
    inbound_start_s: float = 0.0


def _window(
    network: Network, plan: NetworkPlan, sid: str, mid: str | None, cycle: float
) -> tuple[float, float]:
    if mid is None:
        return 0.0, cycle  # no through movement here: never blocks the band
    wins = movement_green_windows(network.intersection(sid), plan[sid], mid)
    if not wins:
        raise InputError(f"maxband: movement {mid!r} of {sid} is never green in its plan")
    a, b = max(wins, key=lambda w: w[1] - w[0])
    return a, b


def maxband(
    network: Network,
    plan: NetworkPlan,
    corridor: Corridor,
    *,
    inbound_weight: float = 1.0,
    time_limit_s: float = 10.0,
) -> BandResult:
    """Offsets maximising ``b + k bb`` along ``corridor`` for the splits in ``plan``.

    All corridor signals must run one cycle (half cycles count their first half only). When no
    offsets let even a zero-width band pass both ways (green windows too short for the spacing),
    the outbound band alone is maximised and ``inbound_s`` is reported as 0.
    """
    try:
        return _maxband(network, plan, corridor, inbound_weight, time_limit_s, two_way=True)
    except _InfeasibleError:
        return _maxband(network, plan, corridor, inbound_weight, time_limit_s, two_way=False)


class _InfeasibleError(Exception):
    pass


def _maxband(
    network: Network,
    plan: NetworkPlan,
    corridor: Corridor,
    inbound_weight: float,
    time_limit_s: float,
    *,
    two_way: bool,
) -> BandResult:
    ids = corridor.signals
    cycles = {round(plan[s].cycle_s, 6) for s in ids}
    cycle = max(plan[s].cycle_s for s in ids)
    if len(cycles) > 1 and any(
        abs(2 * plan[s].cycle_s - cycle) > 1e-6 and abs(plan[s].cycle_s - cycle) > 1e-6 for s in ids
    ):
        raise InputError(
            "maxband: the corridor signals run different cycles; coordinate them "
            "on a common cycle first"
        )
    k = float(inbound_weight)
    if not k > 0:
        raise InputError(f"maxband: inbound_weight = {k}: must be > 0")
    n = len(ids)
    g = [
        _window(network, plan, s, m, cycle)
        for s, m in zip(ids, corridor.out_movements, strict=True)
    ]
    h = [
        _window(network, plan, s, m, cycle) for s, m in zip(ids, corridor.in_movements, strict=True)
    ]
    t_out = np.concatenate([[0.0], np.cumsum(corridor.out_travel_s)])
    t_in = np.concatenate([[0.0], np.cumsum(corridor.in_travel_s)])
    from scipy.optimize import Bounds, LinearConstraint, milp  # slow import: only when used

    # variables: b, bb, theta, theta_in, phi_0..phi_{n-1}, n_0..n_{n-1}
    nv = 4 + 2 * n
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

    for i in range(n):
        add({phi(i): 1.0, TH: -1.0}, t_out[i] - g[i][0])
        add({TH: 1.0, phi(i): -1.0, B: 1.0}, g[i][1] - t_out[i])
        if two_way:
            add({phi(i): 1.0, THI: -1.0, ncyc(i): cycle}, -t_in[i] - h[i][0])
            add({THI: 1.0, phi(i): -1.0, ncyc(i): -cycle, BB: 1.0}, h[i][1] + t_in[i])
    if not two_way:
        k = 0.0
    if two_way and abs(1.0 - k) > 1e-12:
        add({BB: (1.0 - k), B: -(1.0 - k) * k}, np.inf, 0.0)
    span = float(t_out[-1] + t_in[-1]) + 3 * cycle
    m_int = math.ceil(span / cycle) + 2
    lower = np.full(nv, -span)
    upper = np.full(nv, span)
    lower[[B, BB]] = 0.0
    upper[B] = min(b - a for a, b in g)
    upper[BB] = min(b - a for a, b in h) if two_way else 0.0
    lower[[TH, THI]] = 0.0
    upper[[TH, THI]] = cycle
    lower[phi(0)] = upper[phi(0)] = 0.0
    lower[4 + n :] = -m_int
    upper[4 + n :] = m_int
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
        raise SignalbrainError(f"maxband: the MILP solver found no solution ({res.message})")
    x = res.x
    offsets = {s: float(x[phi(i)] % plan[s].cycle_s) for i, s in enumerate(ids)}
    return BandResult(offsets, float(x[B]), float(x[BB]), cycle, float(x[TH]), float(x[THI]))


def maxband_plan(
    network: Network, plan: NetworkPlan, corridor: Corridor, *, inbound_weight: float = 1.0
) -> tuple[NetworkPlan, BandResult]:
    """``plan`` with the corridor's offsets replaced by the MAXBAND solution."""
    band = maxband(network, plan, corridor, inbound_weight=inbound_weight)
    plans = dict(plan.plans)
    for sid, off in band.offsets_s.items():
        plans[sid] = plans[sid].with_offset(off)
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
