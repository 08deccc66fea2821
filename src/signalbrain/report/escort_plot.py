"""Time-space diagram of an escort: the vehicle's trajectory through its preemption windows.

Time runs left to right, distance along the route bottom to top. At every signal on the route the
diagram shows the plan's green for the escort's movement (thin green), the transition from the
call to the window (amber: the running phase finishes its minimum green, yellow and all-red), the
window itself (thick green: queue flush, then dwell until the vehicle has passed), and the return
to coordination (grey). The planned trajectory crosses every signal inside its window.

Needs matplotlib (``pip install 'signalbrain[plot]'``); the figure is drawn without pyplot, so no
display is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from signalbrain.errors import InputError
from signalbrain.escort.plan import EscortPlan
from signalbrain.escort.signal import PlanLike, plan_status
from signalbrain.network import Network

__all__ = ["green_intervals", "plan_phases", "plot_escort"]


def green_intervals(
    plan: PlanLike, phase: int, t0_s: float, t1_s: float
) -> list[tuple[float, float]]:
    """Green intervals of ``phase`` in ``plan`` that overlap ``[t0_s, t1_s]`` [s]."""
    ring = next((r for r, members in enumerate(plan.rings) if phase in members), 0)
    out: list[tuple[float, float]] = []
    t = t0_s
    for _ in range(10_000):
        if t >= t1_s:
            break
        intervals = plan.phase_at(t)
        iv = intervals[min(ring, len(intervals) - 1)]
        if iv.phase == phase and iv.kind == "green":
            out.append((max(iv.start_s, t0_s), min(iv.end_s, t1_s)))
        t = max(iv.end_s, t + 1e-3) + 1e-6
    return out


def plan_phases(
    plan: PlanLike, network: Network, intersection: str, movement: str, phase: int
) -> list[int]:
    """The phases of ``plan`` whose green is the escort's movement's: the window's ``phase`` when
    the plan runs it, else (an escort-only approach phase of
    :func:`signalbrain.escort.phases.escort_network`) every phase of the plan that serves
    ``movement``, protected or permitted."""
    in_plan = {p for ring in plan.rings for p in ring}
    if phase in in_plan:
        return [phase]
    isec = next((i for i in network.intersections if i.id == intersection), None)
    if isec is None:
        return []
    return [
        p.number
        for p in isec.phases
        if p.number in in_plan and (movement in p.protected or movement in p.permitted)
    ]


def _green_at(plan: PlanLike, phase: int, t_s: float) -> bool:
    status, _ = plan_status(plan, t_s, next((r for r, m in enumerate(plan.rings) if phase in m), 0))
    return status.phase == phase and status.kind == "green"


def plot_escort(
    escort: EscortPlan,
    network: Network,
    path: str | Path,
    *,
    plans: Mapping[str, PlanLike] | None = None,
    title: str | None = None,
) -> Path:
    """Draw the time-space diagram of ``escort`` to ``path`` (PNG, SVG or PDF by suffix)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - plot extra not installed
        raise InputError("drawing needs matplotlib: pip install 'signalbrain[plot]'") from None
    traj = escort.trajectory(network)
    distance: dict[int, float] = {}
    d = 0.0
    for j, link_id in enumerate(escort.route.links):
        d += network.link(link_id).length_m
        distance[j] = d
    windows = {w.intersection: w for w in escort.windows}
    recoveries = {r.intersection: r for r in escort.recoveries}
    t_lo = min(min(t for t, _ in traj), min((w.call_s for w in escort.windows), default=0.0))
    t_hi = max(max(t for t, _ in traj), max((r.sync_s for r in escort.recoveries), default=t_lo))
    pad = 0.05 * (t_hi - t_lo + 1.0)
    t0, t1 = t_lo - pad, t_hi + pad
    fig = Figure(figsize=(10, 6.5), dpi=110)
    ax = fig.add_subplot()
    for c in escort.crossings:
        y = distance[c.index]
        w = windows.get(c.intersection)
        plan = plans.get(c.intersection) if plans is not None else None
        phases = (
            plan_phases(plan, network, c.intersection, w.movement, w.phase)
            if plan is not None and w is not None
            else []
        )
        for phase in phases:
            for a, b in green_intervals(plan, phase, t0, t1):  # type: ignore[arg-type]
                ax.plot([a, b], [y, y], color="#7fc97f", lw=2.0, solid_capstyle="butt")
        if w is not None:
            held = plan is not None and any(_green_at(plan, p, w.call_s) for p in phases)
            if w.open_s > w.call_s:
                ax.plot(
                    [w.call_s, w.open_s],
                    [y, y],
                    color="#1a9641" if held else "#fdae61",
                    lw=6,
                    solid_capstyle="butt",
                )
            ax.plot([w.open_s, w.close_s], [y, y], color="#1a9641", lw=6, solid_capstyle="butt")
            if w.flush_s > 0:
                ax.plot(
                    [w.open_s, w.open_s + w.flush_s],
                    [y, y],
                    color="#0b5d1e",
                    lw=6,
                    solid_capstyle="butt",
                )
        r = recoveries.get(c.intersection)
        if r is not None and r.sync_s > r.exit_s:
            ax.plot([r.exit_s, r.sync_s], [y, y], color="#bababa", lw=4, solid_capstyle="butt")
        label = c.intersection + (f"  q={c.queue_veh:g}" if c.queue_veh > 0 else "")
        ax.annotate(label, (t0, y), xytext=(2, 3), textcoords="offset points", fontsize=7)
    (vehicle,) = ax.plot(
        [t for t, _ in traj],
        [x for _, x in traj],
        color="#d7191c",
        lw=1.8,
        label=f"{escort.request.vehicle_id} (planned)",
    )
    handles = [
        ax.plot([], [], color="#7fc97f", lw=2, label="plan green (escort movement)")[0],
        ax.plot([], [], color="#fdae61", lw=6, label="transition (min green, yellow, all-red)")[0],
        ax.plot([], [], color="#0b5d1e", lw=6, label="queue flush")[0],
        ax.plot([], [], color="#1a9641", lw=6, label="preemption window")[0],
        ax.plot([], [], color="#bababa", lw=4, label="recovery to coordination")[0],
    ]
    ax.legend(handles=[vehicle, *handles], loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_xlim(t0, t1)
    ax.set_ylim(0, max(distance.values(), default=1.0) * 1.03)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("distance along the route [m]")
    ax.set_title(
        title
        or f"One-key escort {escort.request.vehicle_id}: "
        f"{escort.route.links[0]} to {escort.route.links[-1]}"
    )
    ax.grid(alpha=0.3)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out
