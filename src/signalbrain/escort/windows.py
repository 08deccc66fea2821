"""Preemption windows: when each signal on the route must serve the escort's movement.

For a signal whose stop line the vehicle reaches at ``eta_s``, the window opens early enough for
the standing queue on the approach to discharge before the vehicle arrives:

    open_s = eta_s - flush_s(queue) - margin_s,   flush_s = lost time + per-lane queue x headway

and closes once the vehicle has crossed (``eta_s + pass_s``, or earlier when an update shows it
beyond the junction). The call is placed at :func:`~signalbrain.escort.signal.latest_call_s`, so
the running phase still gets its minimum green and full yellow and all-red. Queue clearance ahead
of the vehicle, signal after signal, is what makes the windows a "green wave" along the route
rather than signal-by-signal preemption [1]_ [2]_. Where the vehicles flushed at one signal
would not fit behind the queue at the next (short, congested links), the next window opens with
this one (:func:`plan_windows`, ``EscortConfig.spill_fraction``), so the flush is not stopped
by the queue ahead with the escort behind it.

Where windows of different vehicles at one signal would overlap with different phases,
:func:`resolve_windows` serves them by priority, then by arrival order: the later one opens only
after the earlier one has closed and its phase has timed yellow and all-red.

References
----------
.. [1] Qin, X. and Khan, A. M. (2012). Control strategies of traffic signal timing transition for
   emergency vehicle preemption. Transportation Research Part C 25, 1-17.
.. [2] Highway Capacity Manual, 7th ed., ch. 19 (queue discharge at saturation headway).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from signalbrain.errors import InputError
from signalbrain.escort.model import EscortConfig
from signalbrain.escort.routing import SignalCrossing
from signalbrain.escort.signal import PlanLike, latest_call_s
from signalbrain.network import Intersection, Network

__all__ = ["PreemptionWindow", "phase_for", "plan_windows", "resolve_windows"]


@dataclass(frozen=True, slots=True)
class PreemptionWindow:
    """The green one signal gives one escort.

    Parameters
    ----------
    vehicle_id, intersection, movement, approach_link
        Who, where and which movement is served.
    phase
        The phase that serves ``movement`` (protected where one exists).
    eta_s
        Predicted arrival at the stop line [s].
    queue_veh
        Standing queue to flush on the approach [veh].
    flush_s
        Green needed to discharge that queue [s].
    open_s, close_s
        The window: the movement is green from ``open_s`` until the vehicle has passed [s].
    call_s
        Latest time to place the call so that the green starts by ``open_s`` [s].
    priority
        The escort's priority.
    delay_s
        How much later than asked the window opens because another escort goes first [s].
    """

    vehicle_id: str
    intersection: str
    movement: str
    approach_link: str
    phase: int
    eta_s: float
    queue_veh: float
    flush_s: float
    open_s: float
    close_s: float
    call_s: float
    priority: int = 0
    delay_s: float = 0.0

    @property
    def lead_s(self) -> float:
        """How long before the vehicle's arrival the call is placed [s]."""
        return self.eta_s - self.call_s


def phase_for(isec: Intersection, movement: str) -> int:
    """The phase to serve ``movement`` with.

    Where the movement's lane is shared with other movements of its approach
    (:attr:`~signalbrain.network.Intersection.shared_lanes`, e.g. a left turn from a lane the
    through traffic uses too), the vehicles standing ahead of the escort may belong to any of
    them, so a protected-left stage would hold the escort behind through vehicles facing red.
    The choice, in this order:

    1. a phase protecting the movement and giving green to all its lane sharers (an escort
       phase of :mod:`signalbrain.escort.phases` does, where the intersection has them);
    2. with lane sharers, a phase giving green to all of them and permitting the movement (the
       escort yields to oncoming traffic, but is not held behind a queue facing red);
    3. a phase protecting the movement, else one permitting it.

    Raises
    ------
    InputError
        When no phase gives the movement green.
    """
    sharers = isec.lane_sharers(movement)
    together = sharers | {movement}
    protecting = [ph for ph in isec.phases if movement in ph.protected]
    permitting = [ph for ph in isec.phases if movement in ph.permitted]
    if sharers:
        for ph in protecting + permitting:
            if together <= set(ph.movements):
                return ph.number
    if protecting:
        return protecting[0].number
    if permitting:
        return permitting[0].number
    raise InputError(f"intersection {isec.id!r}: no phase serves movement {movement!r}")


def plan_windows(
    vehicle_id: str,
    ahead: Sequence[SignalCrossing],
    network: Network,
    plans: Mapping[str, PlanLike] | None,
    config: EscortConfig,
    *,
    priority: int = 0,
) -> list[PreemptionWindow]:
    """A window per signal crossing, in route order."""
    out: list[PreemptionWindow] = []
    for c in ahead:
        isec = network.intersection(c.intersection)
        phase = phase_for(isec, c.movement)
        if c.per_lane_veh is None:
            flush = config.flush_s(c.queue_veh, network.link(c.approach_link).lanes)
        else:  # the lanes the escort's movement uses (see TravelTimes.to_flush_per_lane)
            flush = config.flush_s(c.per_lane_veh, 1)
        open_s = c.eta_s - flush - config.margin_s
        plan = plans.get(c.intersection) if plans is not None else None
        call = latest_call_s(isec, plan, phase, open_s)
        out.append(
            PreemptionWindow(
                vehicle_id,
                c.intersection,
                c.movement,
                c.approach_link,
                phase,
                c.eta_s,
                c.queue_veh,
                flush,
                open_s,
                c.eta_s + config.pass_s,
                min(call, open_s),
                priority,
            )
        )
    if config.spill_fraction > 0:
        _cascade(out, ahead, network, plans, config)
    return out


def _cascade(
    windows: list[PreemptionWindow],
    ahead: Sequence[SignalCrossing],
    network: Network,
    plans: Mapping[str, PlanLike] | None,
    config: EscortConfig,
) -> None:
    """Open a window no later than the one upstream of it where the upstream flush may not fit
    behind the downstream queue (in place, in route order; ``ahead`` are the windows' crossings).

    The queue flushed at one signal drives on to the next; where that signal's standing queue
    plus the flushed vehicles fill more than ``spill_fraction`` of the road between the two
    (:attr:`SignalCrossing.storage_veh`: all of it, not just the approach link, which on a
    stretch with unsignalised junctions is its last piece only), the flush backs up into the
    upstream junction and stalls there (the escort behind it) until the downstream queue moves.
    So the downstream signal starts discharging when the upstream one does.

    Counting the approach link alone opened ingolstadt7's 32564122, whose 60 m approach ends a
    264 m two-lane stretch, with the signal upstream and held it green for 40 s and more while
    the ambulance drove the stretch. Counting the stretch (``benchmarks/escort``, 11 SUMO seeds,
    2026-12-07): ingolstadt7's others' delay +5.5 +- 1.3 % over no escort -> +1.5 +- 0.9 %, and
    0.19 +- 0.36 s below naive's instead of 1.10 +- 0.52 s above; the ambulances' trips alike
    (124.4 -> 124.8 s, time loss 8.5 -> 8.8 % of free flow, at most one stop); atlanta_1x5,
    whose signals are a link apart, unchanged."""
    for k in range(len(windows) - 1):
        up, down = windows[k], windows[k + 1]
        if down.open_s <= up.open_s:
            continue
        storage_veh = ahead[k + 1].storage_veh
        if storage_veh is None:
            link = network.link(down.approach_link)
            storage_veh = link.length_m * link.lanes / config.jam_spacing_m
        if down.queue_veh + up.queue_veh <= config.spill_fraction * storage_veh:
            continue
        isec = network.intersection(down.intersection)
        plan = plans.get(down.intersection) if plans is not None else None
        call = latest_call_s(isec, plan, down.phase, up.open_s)
        windows[k + 1] = replace(down, open_s=up.open_s, call_s=min(call, up.open_s))


def _clearance_s(isec: Intersection, phase: int) -> float:
    try:
        return isec.phase(phase).clearance_s
    except KeyError:
        return max((p.clearance_s for p in isec.phases), default=0.0)


def resolve_windows(
    windows: Iterable[PreemptionWindow],
    network: Network,
) -> list[PreemptionWindow]:
    """Make the windows of several escorts at each signal sequential where their phases differ.

    Windows are served by priority (higher first), then by ETA, then by vehicle id. A window that
    overlaps an already served one of another phase (including that phase's yellow and all-red)
    is moved after it (called when that one closes: its phase then times yellow and all-red);
    the moved window keeps its length and the vehicle is expected later by the same amount
    (``delay_s``). Windows of the same phase share the green.
    """
    by_isec: dict[str, list[PreemptionWindow]] = {}
    for w in windows:
        by_isec.setdefault(w.intersection, []).append(w)
    out: list[PreemptionWindow] = []
    for isec_id, group in by_isec.items():
        if len(group) == 1:
            out.extend(group)
            continue
        isec = network.intersection(isec_id)
        placed: list[PreemptionWindow] = []
        for w in sorted(group, key=lambda x: (-x.priority, x.eta_s, x.vehicle_id)):
            moved = w
            for _ in range(len(placed) + 1):
                clash = next(
                    (
                        p
                        for p in placed
                        if p.phase != moved.phase
                        and (
                            moved.open_s < p.close_s + _clearance_s(isec, p.phase)
                            and p.open_s < moved.close_s + _clearance_s(isec, moved.phase)
                        )
                    ),
                    None,
                )
                if clash is None:
                    break
                start = clash.close_s + _clearance_s(isec, clash.phase)
                shift = start - moved.open_s
                moved = replace(
                    moved,
                    open_s=start,
                    close_s=moved.close_s + shift,
                    eta_s=moved.eta_s + shift,
                    delay_s=moved.delay_s + shift,
                    call_s=clash.close_s,
                )
            placed.append(moved)
        out.extend(placed)
    return out
