"""Time-space diagrams of a plan along a corridor, with green bands (matplotlib, PNG or SVG).

Distance along the corridor runs up the y axis, time along x. At each signal a bar shows the
outbound through movement's state over a few cycles (green, yellow, red) with the inbound one just
beside it; outbound and inbound green bands are drawn as shaded parallelograms between
consecutive signals at the free-flow speed: the trajectories that leave a signal during its
through green. Where a band reaches the next signal in its green, traffic progresses.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from signalbrain.errors import InputError
from signalbrain.network.model import Network
from signalbrain.timing.corridor import Corridor
from signalbrain.timing.plan import NetworkPlan, movement_green_windows, movement_states

__all__ = ["plot_timespace"]

_COLORS = {"G": "#2ca02c", "g": "#98df8a", "y": "#ffbf00", "r": "#d62728"}


def _bar(
    ax: Any,
    network: Network,
    plan: NetworkPlan,
    sid: str,
    mid: str | None,
    y: float,
    height: float,
    t_end: float,
) -> None:
    if mid is None:
        return
    isec = network.intersection(sid)
    p = plan[sid]
    cuts = {0.0}
    for ph in p.phases:
        s0 = p.phase_start_s(ph.number)
        cuts.update((s0, s0 + ph.green_s, s0 + ph.green_s + ph.yellow_s, s0 + ph.split_s))
    points: list[float] = []
    k = -1
    while True:
        base = p.offset_s + k * p.cycle_s
        if base > t_end:
            break
        points += [base + c for c in sorted(cuts)]
        k += 1
    points = sorted(x for x in set(points) if -p.cycle_s <= x <= t_end + p.cycle_s)
    for a, b in itertools.pairwise(points):
        if b <= 0 or a >= t_end or b - a < 1e-9:
            continue
        state = movement_states(isec, p, 0.5 * (a + b)).get(mid, "r")
        ax.broken_barh(
            [(max(a, 0.0), min(b, t_end) - max(a, 0.0))],
            (y, height),
            facecolors=_COLORS.get(state, "#d62728"),
            linewidth=0,
        )


def _bands(
    ax: Any, network: Network, plan: NetworkPlan, corridor: Corridor, t_end: float, outbound: bool
) -> None:
    ids = corridor.signals
    pos = corridor.position_m
    n = len(ids)
    rng = range(n - 1) if outbound else range(n - 1, 0, -1)
    for i in rng:
        j = i + 1 if outbound else i - 1
        mid = (corridor.out_movements if outbound else corridor.in_movements)[i]
        if mid is None:
            continue
        travel = corridor.out_travel_s[i] if outbound else corridor.in_travel_s[j]
        p = plan[ids[i]]
        wins = movement_green_windows(network.intersection(ids[i]), p, mid)
        k = -1
        while p.offset_s + k * p.cycle_s < t_end:
            for a, b in wins:
                t0 = p.offset_s + k * p.cycle_s + a
                t1 = p.offset_s + k * p.cycle_s + b
                if t1 < 0 or t0 > t_end:
                    continue
                ax.fill(
                    [t0, t1, t1 + travel, t0 + travel],
                    [pos[i], pos[i], pos[j], pos[j]],
                    color="#1f77b4" if outbound else "#9467bd",
                    alpha=0.18,
                    linewidth=0,
                )
            k += 1


def plot_timespace(
    network: Network,
    plan: NetworkPlan,
    corridor: Corridor,
    path: str | Path,
    *,
    cycles: float = 3.0,
    title: str | None = None,
) -> Path:
    """Draw the time-space diagram of ``plan`` along ``corridor`` into ``path`` (.png or .svg).

    Parameters
    ----------
    cycles
        How many cycles of the longest cycle to show.
    """
    out = Path(path)
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"time-space diagram {out}: suffix must be .png or .svg")
    missing = [s for s in corridor.signals if s not in plan.plans]
    if missing:
        raise InputError(f"time-space diagram: no plan for {', '.join(missing)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("time-space diagrams need matplotlib: install signalbrain[plot]") from None
    t_end = cycles * max(plan[s].cycle_s for s in corridor.signals)
    span = max(corridor.position_m[-1], 1.0)
    height = span * 0.012
    fig, ax = plt.subplots(figsize=(11, 6.5))
    _bands(ax, network, plan, corridor, t_end, outbound=True)
    _bands(ax, network, plan, corridor, t_end, outbound=False)
    for sid, y, om, im in zip(
        corridor.signals,
        corridor.position_m,
        corridor.out_movements,
        corridor.in_movements,
        strict=True,
    ):
        _bar(ax, network, plan, sid, om, y - height, height, t_end)
        _bar(ax, network, plan, sid, im, y, height, t_end)
    ax.set_yticks(list(corridor.position_m), list(corridor.signals))
    ax.set_xlim(0, t_end)
    ax.set_ylim(-span * 0.05, span * 1.05)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("signal (distance along the corridor)")
    ax.set_title(
        title
        or f"Time-space diagram, {len(corridor.signals)} signals "
        f"(blue: outbound band, purple: inbound band)"
    )
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc}") from None
    finally:
        plt.close(fig)
    return out
