"""What controllers see and what they ask for: observations, requests, signal states.

A controller senses traffic only the way field detectors and cameras would (counts, occupancy,
halting vehicles and speeds within a detector's reach, never routes or destinations), and each step
asks for a phase per intersection with a :class:`Request`. The :class:`~signalbrain.control.monitor.
ConflictMonitor` turns a request into a :class:`SignalState`, the per-movement display that is
written to the field (or to SUMO); it alone decides what is safe.

Units: times [s], counts [veh] since the previous step, occupancy as a fraction in [0, 1], speeds
[m/s], distances [m].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from signalbrain.network.model import Network

__all__ = [
    "ApproachObservation",
    "Controller",
    "LaneObservation",
    "Observation",
    "Request",
    "SafetyCounts",
    "SignalState",
]


@dataclass(frozen=True, slots=True)
class LaneObservation:
    """What the detectors of one lane report for the last step.

    Parameters
    ----------
    lane
        Lane id (as in the simulator or the field inventory).
    movements
        Ids of the movements this lane serves (from its connections); empty if unknown.
    count_veh
        Vehicles that crossed the stop-line detector since the previous step [veh].
    occupancy
        Fraction of the step the detection zone was occupied [0, 1].
    queue_veh
        Halting vehicles within the detector's reach [veh].
    vehicles_veh
        All vehicles within the detector's reach, halting or moving [veh].
    speed_mps
        Mean speed of the vehicles within reach [m/s]; NaN when the zone is empty.
    reach_m
        Length of the detection zone upstream of the stop line [m] (a camera sees 100-150 m).
    arrivals_m
        Distances to the stop line of the *moving* vehicles within reach [m], as a camera or a
        radar tracks them; empty when the detector cannot resolve vehicles.
    valid
        False when the detector reported nothing or reported an error this step.
    """

    lane: str
    movements: tuple[str, ...] = ()
    count_veh: float = 0.0
    occupancy: float = 0.0
    queue_veh: float = 0.0
    vehicles_veh: float = 0.0
    speed_mps: float = math.nan
    reach_m: float = 0.0
    arrivals_m: tuple[float, ...] = ()
    valid: bool = True


@dataclass(frozen=True, slots=True)
class ApproachObservation:
    """Detector readings of one incoming (or outgoing) link, summed over its lanes.

    The fields mean what they mean in :class:`LaneObservation`, summed over lanes (occupancy and
    speed are averaged). ``lanes`` keeps the per-lane readings when the detectors are per lane.
    """

    link: str
    count_veh: float = 0.0
    occupancy: float = 0.0
    queue_veh: float = 0.0
    vehicles_veh: float = 0.0
    speed_mps: float = math.nan
    reach_m: float = 0.0
    arrivals_m: tuple[float, ...] = ()
    valid: bool = True
    lanes: tuple[LaneObservation, ...] = ()

    @classmethod
    def from_lanes(cls, link: str, lanes: tuple[LaneObservation, ...]) -> ApproachObservation:
        """Aggregate per-lane readings: sums of counts, queues and vehicles; mean occupancy;
        vehicle-weighted mean speed; valid only if every lane is valid."""
        if not lanes:
            return cls(link, valid=False)
        speeds = [
            (ln.speed_mps, ln.vehicles_veh)
            for ln in lanes
            if ln.vehicles_veh > 0 and math.isfinite(ln.speed_mps)
        ]
        weight = sum(w for _, w in speeds)
        speed = sum(s * w for s, w in speeds) / weight if weight > 0 else math.nan
        return cls(
            link=link,
            count_veh=sum(ln.count_veh for ln in lanes),
            occupancy=sum(ln.occupancy for ln in lanes) / len(lanes),
            queue_veh=sum(ln.queue_veh for ln in lanes),
            vehicles_veh=sum(ln.vehicles_veh for ln in lanes),
            speed_mps=speed,
            reach_m=max(ln.reach_m for ln in lanes),
            arrivals_m=tuple(sorted(d for ln in lanes for d in ln.arrivals_m)),
            valid=all(ln.valid for ln in lanes),
            lanes=lanes,
        )


@dataclass(frozen=True)
class Observation:
    """Everything the detectors of one intersection report at time ``t_s``.

    Parameters
    ----------
    t_s
        Simulation or wall-clock time of the readings [s].
    approaches
        Readings of the incoming links, keyed by link id. A link with no entry has no detector.
    exits
        Readings of detectors on outgoing links near the intersection (spill-back), by link id.
    movement_counts_veh
        Vehicles per movement since the previous step, where turns are detected (cameras with
        entry and exit zones); keyed by movement id, optional.
    """

    t_s: float
    approaches: Mapping[str, ApproachObservation] = field(default_factory=dict)
    exits: Mapping[str, ApproachObservation] = field(default_factory=dict)
    movement_counts_veh: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Request:
    """What a controller asks of one intersection for the next step.

    Parameters
    ----------
    phase
        The phase to be green; ``None`` (with ``hold`` false) asks for all red.
    hold
        Keep the phases being served now (``phase`` is then ignored).
    force
        Preemption (escort, transit priority). It is served exactly like any other request: the
        monitor still enforces conflicts, minimum greens, yellow and all-red; the flag is carried
        into :attr:`SignalState.forced` for logs and evaluation.
    phases
        Phases to be green together (one per ring of a dual-ring controller); when given it takes
        the place of ``phase``.
    """

    phase: int | None = None
    hold: bool = False
    force: bool = False
    phases: tuple[int, ...] = ()

    @property
    def wanted(self) -> tuple[int, ...]:
        """The phase numbers asked for (empty for all red)."""
        if self.phases:
            return self.phases
        return () if self.phase is None else (self.phase,)


@dataclass(frozen=True, slots=True)
class SignalState:
    """The display of every movement of one intersection from ``t_s`` until the next state.

    Parameters
    ----------
    t_s
        Time from which this display holds [s].
    movements
        Movement id -> ``"G"`` (protected green), ``"g"`` (permitted green, yield), ``"y"``
        (yellow) or ``"r"`` (red).
    phase
        The first of ``phases`` when all its movements show green, else ``None`` (changing or
        all red).
    phases
        The phases the monitor is serving: their movements are green or waiting for clearance.
    forced
        Whether the request served was a preemption (``Request.force``).
    """

    t_s: float
    movements: Mapping[str, str]
    phase: int | None = None
    phases: tuple[int, ...] = ()
    forced: bool = False

    def green(self) -> tuple[str, ...]:
        """Movements showing green (protected or permitted)."""
        return tuple(m for m, s in self.movements.items() if s in "Gg")

    def __reduce__(self) -> tuple[type[SignalState], tuple[Any, ...]]:
        # A run's checkpoint holds every state written (the audit's input): as a plain tuple
        # they pickle 2.5 times faster than through dataclasses' slots state.
        return (SignalState, (self.t_s, self.movements, self.phase, self.phases, self.forced))


@dataclass(frozen=True, slots=True)
class SafetyCounts:
    """Violations found by :func:`~signalbrain.control.monitor.audit` (the JSON ``safety`` block).

    Parameters
    ----------
    conflicting_green_s
        Time during which two movements that must not run together both showed green or
        yellow [s].
    short_yellow
        Green-to-red changes with no or too short a yellow.
    short_all_red
        Movements turned green before a conflicting movement's all-red (or a protected movement's
        change to permitted) had fully elapsed.
    short_green
        Green intervals ended before the phase's minimum green.
    """

    conflicting_green_s: float = 0.0
    short_yellow: int = 0
    short_all_red: int = 0
    short_green: int = 0

    def __add__(self, other: SafetyCounts) -> SafetyCounts:
        return SafetyCounts(
            self.conflicting_green_s + other.conflicting_green_s,
            self.short_yellow + other.short_yellow,
            self.short_all_red + other.short_all_red,
            self.short_green + other.short_green,
        )

    @property
    def ok(self) -> bool:
        """True when no violation was found."""
        return (
            self.conflicting_green_s == 0
            and self.short_yellow == 0
            and self.short_all_red == 0
            and self.short_green == 0
        )

    def as_dict(self) -> dict[str, float | int]:
        """The counters under the names of the ``sumo run`` JSON ``safety`` block."""
        return {
            "conflicting_green_s": self.conflicting_green_s,
            "short_yellow": self.short_yellow,
            "short_all_red": self.short_all_red,
            "short_green": self.short_green,
        }


@runtime_checkable
class Controller(Protocol):
    """A signal controller for every intersection of a network.

    ``start`` is called once before the first step; ``step`` once per simulation step with the
    observations of every intersection (keyed by intersection id) and returns a request per
    intersection (an intersection left out keeps its current phases). Controllers never see
    vehicles' routes or destinations, and never write signal states: the conflict monitor does.
    """

    name: str

    def start(self, network: Network, t_s: float) -> None:
        """Prepare for a run on ``network`` starting at ``t_s``."""
        ...

    def step(
        self, t_s: float, dt_s: float, obs: Mapping[str, Observation]
    ) -> Mapping[str, Request]:
        """Requests for the step from ``t_s`` to ``t_s + dt_s``."""
        ...
