"""What a dispatcher and a vehicle tell the escort: requests, position updates and settings.

An :class:`EscortRequest` is the "one key": a vehicle id, where it starts (a link or a node), where
it goes (a link or a node) or the route it will take, when it departs and how urgent it is.
A :class:`PositionUpdate` is one GPS-like fix (link, distance along it, speed); fixes arrive at
irregular times and carry noise. :class:`LinkCondition` is what sensing says about a link (standing
queue, space-mean speed). :class:`EscortConfig` holds the traffic-flow constants of the planner.

References
----------
.. [1] Highway Capacity Manual, 7th ed., ch. 19: saturation headway and start-up lost time.
.. [2] Nelson, E. and Bullock, D. (2000). Impact of emergency vehicle preemption on signalized
   corridor operation. TRR 1727, 1-11.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

from signalbrain._numbers import is_real, real_or_nan
from signalbrain.control.base import LaneObservation
from signalbrain.errors import InputError, Problem

__all__ = ["EscortConfig", "EscortRequest", "LinkCondition", "PositionUpdate"]


@dataclass(frozen=True, slots=True)
class EscortRequest:
    """One escort: the vehicle, its origin and destination (or its route) and its urgency.

    Parameters
    ----------
    vehicle_id
        Id of the emergency vehicle.
    origin
        Link id or node id where the trip starts.
    destination
        Link id or node id where it ends; ``None`` when ``route`` is given.
    route
        Explicit sequence of link ids to follow (then no routing is done).
    depart_s
        Departure time [s] (simulation or plan clock).
    priority
        Higher values are served first where escorts cross; equal priorities are served in order
        of arrival at the signal.
    """

    vehicle_id: str
    origin: str
    destination: str | None = None
    route: tuple[str, ...] = ()
    depart_s: float = 0.0
    priority: int = 0

    def problems(self) -> list[Problem]:
        """What is wrong with the request itself (network references are checked by routing)."""
        out: list[Problem] = []
        if not isinstance(self.vehicle_id, str):
            # position fixes name the vehicle by a string: any other id would never be followed
            out.append(
                Problem("vehicle_id", f"= {self.vehicle_id!r}: expected a vehicle id (text)")
            )
        elif not self.vehicle_id:
            out.append(Problem("vehicle_id", "empty; expected a vehicle id"))
        route_ok = isinstance(self.route, tuple | list) and all(
            isinstance(k, str) for k in self.route
        )
        if not route_ok:
            out.append(Problem("route", f"= {self.route!r}: expected a sequence of link ids"))
        given_route = route_ok and bool(self.route)
        if not isinstance(self.origin, str):
            out.append(Problem("origin", f"= {self.origin!r}: expected a link or node id"))
        elif not self.origin and not given_route:
            out.append(Problem("origin", "empty; expected a link or node id"))
        if self.destination is not None and not isinstance(self.destination, str):
            out.append(
                Problem("destination", f"= {self.destination!r}: expected a link or node id")
            )
        elif self.destination is None and not given_route and route_ok:
            out.append(Problem("destination", "missing; give a destination or a route"))
        if not (math.isfinite(real_or_nan(self.depart_s)) and self.depart_s >= 0):
            out.append(Problem("depart_s", f"= {self.depart_s!r}: must be finite and >= 0"))
        if not isinstance(self.priority, Integral) or isinstance(self.priority, bool):
            out.append(Problem("priority", f"= {self.priority!r}: must be a whole number"))
        return out

    def validate(self) -> EscortRequest:
        """Return self if valid, else raise one :class:`InputError`."""
        problems = self.problems()
        if problems:
            raise InputError(problems, source=f"escort request {self.vehicle_id!r}")
        return self


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    """A GPS-like fix of an escorted vehicle.

    ``position_m`` is the distance from the start of ``link`` [m]; it may be noisy (beyond the
    link's ends, or slightly behind an earlier fix). ``speed_mps`` is the reported speed [m/s],
    NaN where there is none (a vehicle waiting to depart): the ETA then takes the planning speed.
    """

    vehicle_id: str
    t_s: float
    link: str
    position_m: float
    speed_mps: float


@dataclass(frozen=True, slots=True)
class LinkCondition:
    """What sensing reports about a link: standing queue [veh], space-mean speed [m/s] and the
    vehicles still moving towards the stop line within the detectors' reach [veh].

    ``speed_mps`` is ``None`` when no speed is measured (free speed is assumed). ``lanes``
    holds the detectors' per-lane readings where they are per lane (empty otherwise): the flush
    then counts the vehicles in the lanes that serve the escort's movement
    (:meth:`~signalbrain.escort.routing.TravelTimes.to_flush_per_lane`).
    """

    queue_veh: float = 0.0
    speed_mps: float | None = None
    moving_veh: float = 0.0
    lanes: tuple[LaneObservation, ...] = ()


@dataclass(frozen=True, slots=True)
class EscortConfig:
    """Constants of the escort planner.

    Parameters
    ----------
    headway_s
        Saturation headway [s/veh/lane] at which a standing queue discharges (HCM: about 2 s).
    lost_time_s
        Start-up lost time [s] counted into the flush (HCM: about 2 s before the queue
        discharges at saturation headway). 0 by default: the window then opens that much later,
        so the escort catches up with the tail of the discharging queue and follows it over the
        stop line instead of finding the approach empty. On the congested grid of
        ``benchmarks/escort`` 0 instead of 2 s lowered others' delay over no escort from
        +1.4 % to +0.8 % (``fixed``, 16 route seeds; naive +0.8 %) and from +1.2 % to +0.8 %
        (``adaptive``, 8 seeds; naive +0.8 %), for ambulance time loss 7.1 % instead of 6.2 %
        of the free-flow trip (``fixed``; naive 7.7 %) and one stop in 144 trips.
    margin_s
        Extra green [s] between the last queued vehicle leaving and the escort arriving. On the
        congested grid of ``benchmarks/escort`` (8 route seeds, ``fixed``; the ETA at call time
        was within 0.4 s of the arrival on average) 1 s instead of 3 s lowered others' delay
        over no escort from +1.8 % to +1.3 % at the same ambulance times (time loss 6.5 % of the
        free-flow trip instead of 6.8 %; 0 s: +1.3 %, 6.9 %), with a 2 s lost time.
    pass_s
        Time [s] after the predicted stop-line arrival until the vehicle has crossed the junction;
        the window closes then, or as soon as the vehicle is reported inside the junction
        (:meth:`~signalbrain.escort.manager.EscortManager.enter_junction`) or beyond it.
    min_speed_mps, min_speed_fraction
        Floor of the measured link speed used for planning: the larger of ``min_speed_mps`` [m/s]
        and this fraction of the free speed. Stop-line detectors see traffic braking for a red,
        which the window turns green, so the escort does not crawl at that speed.
    smoothing_s
        Time constant [s] of the exponential smoothing of measured conditions in the routing
        cost (re-routing on every red would make the route flip-flop).
    moving_weight
        Share of the moving vehicles within detector reach counted into the queue to flush: they
        reach the stop line before the escort and join the queue while its approach is red (the
        queue grows until the window opens). On the congested grid of ``benchmarks/escort``
        (3 seeds, ``fixed``) counting all of them, with a 3 s margin, cut the ambulances' mean
        time loss from 7.9 % to 6.0 % of the free-flow trip (worst 18.8 % to 14.5 %; they had
        caught up with queues still discharging) for others' delay +0.1 % instead of -0.3 %
        over no escort (earlier, uncongested grids and RESCO cologne3 showed no gain at 0.5).
    queue_weight
        Weight of a link's queue flush time in the routing cost: flushing ahead of the vehicle
        costs it little time but delays cross traffic, so queues count at this fraction.
    left_turn_s, right_turn_s
        Routing penalty of a left (U: twice) and a right turn [s]: turning is slower, and a
        permitted left must still yield to oncoming traffic.
    speed_blend
        Weight of the vehicle's own reported speed in the ETA over the rest of its current link.
    plan_slack_s
        A signal in step with its timing plan whose plan turns the escort's phase green no later
        than this after the window's opening [s] is not called early: the plan's own green
        serves the flush, so the phase in service is not cut short and nothing needs recovery
        (0 turns this off). The default equals ``margin_s``: starting up to that much later
        still discharges the queue by the vehicle's arrival. On the grid above (3 s margin)
        waiting for the plan lowered others' delay over no escort from +3.2 % to +2.6 %.
    max_presence_s
        Longest a signal is held for one escort [s] (Indiana event 110 when exceeded).
    spill_fraction, jam_spacing_m
        Where the vehicles flushed at one signal of the route plus the queue standing at the
        next would fill more than ``spill_fraction`` of the road between the two (length x
        lanes / ``jam_spacing_m`` [m per stopped vehicle], summed over the route's links from
        one stop line to the next), the next signal's window opens with
        this one's: the flush would otherwise back up into the junction and stall, the escort
        behind it, until the queue ahead moved (0 turns this off). The fraction stands for what
        the count misses: vehicles turning in from the cross street, arrivals before the flush
        gets there, queues beyond detector reach. Measured with ``benchmarks/escort`` (3 seeds
        per shared scenario, 8 per grid, ``fixed``): at 0.5 it acts on atlanta_1x5 (short
        links, oversaturated), where the ambulances' trips fell from 126.9 s to 117.9 s (time
        loss 52.9 % -> 42.4 % of free flow, at most 3 stops instead of 4) and others' delay over
        no escort from +1.8 % to +0.4 %, and on one ingolstadt7 window; the grid and the other
        RESCO and Hangzhou runs are unchanged. At 0.8 atlanta gained little (124.7 s); opening
        the next window with the flush wherever either approach had a queue cut atlanta to
        107.8 s but raised others' delay on the grid from +0.8 % to +8-10 % and on cologne3
        from +0.5 % to +9.3 %.
    lookahead_s
        Signals whose ETA is further ahead than this are planned but not yet called [s].
    recovery
        Transition methods allowed to return to coordination: ``resume`` (rejoin the plan at
        once; the shortest, taken whenever allowed at a coordinated signal), ``dwell``,
        ``shortway`` (also taken instead of ``resume`` at a signal that runs alone).
    max_adjust_fraction
        Largest change of one cycle by ``shortway`` (add or subtract), as a fraction of the cycle.
    max_dwell_fraction
        Longest ``dwell`` in the escort's phase, as a fraction of the cycle, unless ``shortway``
        cannot get in step within ``max_recovery_cycles`` (a long dwell starves the cross street).
    max_recovery_cycles
        Recovery must end within this many plain cycle lengths of the window's end (the brief's
        "within 2 cycles"); ``shortway`` transitions that would take longer are not used.
    """

    headway_s: float = 2.0
    lost_time_s: float = 0.0
    margin_s: float = 1.0
    pass_s: float = 2.0
    min_speed_mps: float = 3.0
    min_speed_fraction: float = 0.5
    smoothing_s: float = 60.0
    queue_weight: float = 0.25
    moving_weight: float = 1.0
    left_turn_s: float = 8.0
    right_turn_s: float = 3.0
    speed_blend: float = 0.5
    plan_slack_s: float = 1.0
    max_presence_s: float = 180.0
    lookahead_s: float = 600.0
    spill_fraction: float = 0.5
    jam_spacing_m: float = 7.5
    recovery: tuple[str, ...] = ("resume", "dwell", "shortway")
    max_adjust_fraction: float = 0.2
    max_dwell_fraction: float = 0.3
    max_recovery_cycles: int = 2

    def __post_init__(self) -> None:
        problems = [
            Problem(name, f"= {getattr(self, name)!r}: must be a number")
            for name in self.__dataclass_fields__
            if name != "recovery" and not is_real(getattr(self, name))
        ]
        if problems:
            raise InputError(problems, source="EscortConfig")
        for name in (
            "headway_s",
            "lost_time_s",
            "margin_s",
            "pass_s",
            "plan_slack_s",
            "lookahead_s",
            "queue_weight",
            "moving_weight",
            "left_turn_s",
            "right_turn_s",
            "smoothing_s",
            "min_speed_fraction",
            "spill_fraction",
        ):
            value = getattr(self, name)
            if not (math.isfinite(real_or_nan(value)) and value >= 0):
                problems.append(Problem(name, f"= {value}: must be finite and >= 0"))
        for name in ("min_speed_mps", "max_presence_s", "jam_spacing_m"):
            value = getattr(self, name)
            if not (math.isfinite(real_or_nan(value)) and value > 0):
                problems.append(Problem(name, f"= {value}: must be finite and > 0"))
        if not 0.0 <= self.speed_blend <= 1.0:
            problems.append(Problem("speed_blend", f"= {self.speed_blend}: must be in [0, 1]"))
        if not 0.0 < self.max_adjust_fraction < 1.0:
            problems.append(
                Problem("max_adjust_fraction", f"= {self.max_adjust_fraction}: must be in (0, 1)")
            )
        if not 0.0 <= self.max_dwell_fraction <= 1.0:
            problems.append(
                Problem("max_dwell_fraction", f"= {self.max_dwell_fraction}: must be in [0, 1]")
            )
        if self.max_recovery_cycles < 1 or self.max_recovery_cycles != int(
            self.max_recovery_cycles
        ):
            problems.append(
                Problem(
                    "max_recovery_cycles",
                    f"= {self.max_recovery_cycles}: must be a whole number >= 1",
                )
            )
        given = self.recovery if isinstance(self.recovery, tuple | list) else ("?",)
        bad = [m for m in given if m not in ("resume", "dwell", "shortway")]
        if bad or not given:
            problems.append(
                Problem(
                    "recovery",
                    f"= {self.recovery!r}: must be a non-empty subset of resume, dwell, shortway",
                )
            )
        if problems:
            raise InputError(problems, source="EscortConfig")

    def flush_s(self, queue_veh: float, lanes: int) -> float:
        """Green needed to discharge ``queue_veh`` standing on ``lanes`` lanes [s]: start-up lost
        time plus the per-lane queue at saturation headway (0 when there is no queue)."""
        if queue_veh <= 0:
            return 0.0
        per_lane = math.ceil(queue_veh / max(lanes, 1) - 1e-9)
        return self.lost_time_s + per_lane * self.headway_s
