"""What a controller makes of detector readings: per-movement queues, arrivals and counts, and
the plausibility checks that decide when a detector has failed.

Detectors report per lane (or per approach); controllers reason per movement. A lane that serves
several movements (a shared through-right lane) splits its readings among them by
:data:`TURN_SHARE` (throughs weigh most, U-turns almost nothing); an approach without per-lane
data splits by the movements' lane counts. Arrival times are the moving
vehicles' distances to the stop line over the link's free speed.

Faults
------
An approach's readings are rejected when the detector says so (``valid=False``), when they are
missing after having been reported, or when they are impossible: NaN or infinite, negative,
occupancy above 1, more halting than present vehicles, more stop-line crossings than
``max_flow_vphpl`` allows, or more vehicles than fit the zone at jam spacing. An intersection with a
rejected approach is *faulty* until its readings have been clean for ``recover_s``; each fault
episode is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from signalbrain._numbers import check_fields
from signalbrain.control.base import ApproachObservation, LaneObservation, Observation
from signalbrain.network.model import Intersection, Network

__all__ = ["DEFAULT_PLAUSIBILITY", "TURN_SHARE", "Plausibility", "Readings", "Sensor"]

log = logging.getLogger("signalbrain.control")


TURN_SHARE = {"T": 1.0, "R": 0.4, "L": 0.4, "U": 0.02, "P": 0.0}
"""Relative share of a shared lane's vehicles assumed to make each turn (no turn detection)."""


@dataclass(frozen=True, slots=True)
class Plausibility:
    """Bounds of believable detector readings.

    Parameters
    ----------
    max_flow_vphpl
        Most vehicles a lane can pass a stop line per hour [veh/h/lane]; counts above it are
        impossible (saturation flow is about 1,900).
    jam_spacing_m
        Shortest space a stopped vehicle takes [m].
    recover_s
        Clean readings needed before a faulty intersection is trusted again [s].
    max_reach_m
        Longest view a detector may report upstream of its stop line [m] (a chain of advance
        loops or a long-range radar; a camera sees 100-150 m).
    """

    max_flow_vphpl: float = 3600.0
    jam_spacing_m: float = 5.0
    recover_s: float = 10.0
    max_reach_m: float = 2000.0

    def __post_init__(self) -> None:
        check_fields(self, positive=("max_flow_vphpl", "jam_spacing_m", "max_reach_m"))


DEFAULT_PLAUSIBILITY = Plausibility()
"""The bounds used unless a controller is given others."""


@dataclass(slots=True)
class Readings:
    """Per-movement measurements of one intersection at one step (lists by movement position).

    ``queue_veh`` halting vehicles; ``vehicles_veh`` all vehicles within reach; ``arrivals_s``
    estimated arrival times at the stop line of moving vehicles, as (seconds from now, weight);
    ``count_veh`` stop-line crossings this step; ``down_veh_per_lane`` the queue per lane on the
    movement's exit link (0 when unobserved); ``reach_s`` how far ahead detectors see arrivals
    (their reach over the free speed) [s].
    """

    queue_veh: list[float]
    vehicles_veh: list[float]
    arrivals_s: list[list[tuple[float, float]]]
    count_veh: list[float]
    down_veh_per_lane: list[float]
    reach_s: list[float]


def _real(value: object) -> float | None:
    """``value`` as a float if it is a real number a float can hold (NaN and infinities
    included), else ``None``: a string, ``None``, a complex or an array is not a reading."""
    if type(value) is float:
        return value
    if not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):  # an int too large for a float
        return None


def _finite_nonneg(*values: object) -> bool:
    # runs for every reading of every signal every step: a float skips the call to _real, and
    # 0 <= f < inf is isfinite(f) and f >= 0 (NaN fails both)
    for v in values:
        f = v if type(v) is float else _real(v)
        if f is None or not 0.0 <= f < math.inf:
            return False
    return True


def _says_valid(flag: object) -> bool:
    """Whether a detector's ``valid`` flag is true (``True``, numpy's, 1); anything else, a
    string or an array included, is not."""
    if flag is True:
        return True
    try:
        return bool(flag == True)  # noqa: E712 - numpy's bool_ is not ``True``
    except (TypeError, ValueError):
        return False


def _positions_ok(positions: object, far_m: float) -> bool:
    """Whether vehicle positions are a sequence of distances in [-1, ``far_m``] [m]."""
    if not isinstance(positions, tuple | list):
        return False
    for d in positions:
        f = d if type(d) is float else _real(d)
        if f is None or not (math.isfinite(f) and -1.0 <= f <= far_m):
            return False
    return True


class Sensor:
    """Turns one intersection's observations into :class:`Readings` and watches for faults.

    Parameters
    ----------
    network
        The network (link lengths, lanes, free speeds; which intersection observes a link).
    intersection
        The intersection this sensor serves.
    plausibility
        Bounds for the fault checks.

    Attributes
    ----------
    episodes
        Fault episodes so far.
    untrusted_s
        Time its readings were not trusted (the signal ran its fallback plan) [s].
    """

    # class defaults too: a sensor restored from a checkpoint written before they existed
    episodes: int = 0
    untrusted_s: float = 0.0

    def __init__(
        self,
        network: Network,
        intersection: Intersection,
        plausibility: Plausibility = DEFAULT_PLAUSIBILITY,
    ) -> None:
        self.intersection = intersection
        self.plausibility = plausibility
        self.ids = [m.id for m in intersection.movements]
        self._pos = {mid: i for i, mid in enumerate(self.ids)}
        self._links = {k.id: k for k in network.links}
        self._approach_share: dict[str, list[tuple[int, float]]] = {}
        self._movement_lanes: dict[str, int] = {}
        for link in intersection.approach_links:
            ms = [
                (i, m.lanes)
                for i, m in enumerate(intersection.movements)
                if m.from_link == link and m.turn != "P"
            ]
            total = float(sum(w for _, w in ms)) or 1.0
            self._approach_share[link] = [(i, w / total) for i, w in ms]
            self._movement_lanes[link] = int(total)
        self._speed = [
            self._links[m.from_link].free_speed_mps if m.from_link in self._links else 13.9
            for m in intersection.movements
        ]
        self._observer = {
            link: s.id
            for s in network.intersections
            for link in s.approach_links
            if s.id != intersection.id
        }
        self._to_link = [m.to_link for m in intersection.movements]
        self._lanes_of = {m.id: max(m.lanes, 1) for m in intersection.movements}
        self._length_m = {k.id: k.length_m for k in network.links}
        self._turn_weight = [TURN_SHARE.get(m.turn, 1.0) for m in intersection.movements]
        self._seen: set[str] = set()
        self._seen_obs = False
        self.faulty = False
        self.reason = ""
        self._clean_since: float | None = None
        self.episodes = 0
        self.untrusted_s = 0.0

    # ------------------------------------------------------------------ fault checks
    def _problem(self, a: ApproachObservation, dt_s: float) -> str:
        if not isinstance(a.lanes, tuple | list) or not all(
            isinstance(ln, LaneObservation) for ln in a.lanes
        ):
            return "reports unreadable lanes"
        lanes = max(
            self._links[a.link].lanes if a.link in self._links else 1,
            len(a.lanes),
            self._movement_lanes.get(a.link, 0),
        )
        if not _says_valid(a.valid) or any(not _says_valid(ln.valid) for ln in a.lanes):
            return "reports invalid"
        if not _finite_nonneg(a.count_veh, a.occupancy, a.queue_veh, a.vehicles_veh):
            return "reports NaN, infinite, negative or unreadable values"
        if a.occupancy > 1.0:
            return f"reports occupancy {a.occupancy:g} > 1"
        if a.queue_veh > a.vehicles_veh + 0.5:
            return f"reports {a.queue_veh:g} halting of {a.vehicles_veh:g} vehicles"
        speed = _real(a.speed_mps)
        if speed is None or not (math.isnan(speed) or 0 <= speed < 100):
            return f"reports speed {a.speed_mps!r} m/s"
        most = lanes * max(dt_s, 0.0) * self.plausibility.max_flow_vphpl / 3600.0 + 2.0
        if a.count_veh > most:
            return f"counts {a.count_veh:g} vehicles in {dt_s:g} s"
        reaches = (a.reach_m, *(ln.reach_m for ln in a.lanes))
        if not (_finite_nonneg(*reaches) and max(reaches) <= self.plausibility.max_reach_m):
            return f"reports a reach outside 0-{self.plausibility.max_reach_m:g} m"
        # without a reach, the vehicles must fit on the link itself
        zone_m = a.reach_m if a.reach_m > 0 else self._length_m.get(a.link, 0.0)
        if zone_m > 0:
            fit = lanes * (zone_m / self.plausibility.jam_spacing_m + 1.0) + 1.0
            if a.vehicles_veh > fit:
                return f"reports {a.vehicles_veh:g} vehicles in {zone_m:g} m"
        # the controller reads each lane's positions (or the approach's, without lanes): all
        # are checked, not only the approach's summary
        far = max(*reaches, self._length_m.get(a.link, 0.0)) + 1.0
        sources: tuple[ApproachObservation | LaneObservation, ...] = (a, *a.lanes)
        if not all(_positions_ok(x.arrivals_m, far) for x in sources):
            return "reports impossible vehicle positions"
        for ln in a.lanes:
            if (
                not _finite_nonneg(ln.count_veh, ln.occupancy, ln.queue_veh, ln.vehicles_veh)
                or ln.occupancy > 1.0
                or ln.queue_veh > ln.vehicles_veh + 0.5
                or not isinstance(ln.movements, tuple | list)
                or not all(isinstance(m, str) for m in ln.movements)
            ):
                return f"lane {ln.lane!r} reports impossible values"
        return ""

    def _count_problem(self, obs: Observation, dt_s: float) -> str:
        """What is wrong with the turning-movement counts, if anything: each must be a number
        of vehicles the movement's lanes can pass in the step."""
        per_lane = max(dt_s, 0.0) * self.plausibility.max_flow_vphpl / 3600.0
        if not isinstance(obs.movement_counts_veh, Mapping):
            return "turning-movement counts are unreadable"
        for mid, c in obs.movement_counts_veh.items():
            if mid not in self._pos:
                continue
            if not _finite_nonneg(c):
                return f"movement {mid}: count {c!r} is not a number of vehicles"
            most = self._lanes_of[mid] * per_lane + 2.0
            if c > most:
                return f"movement {mid}: counts {c:g} vehicles in {dt_s:g} s"
        return ""

    def _approach_problem(self, obs: Observation, dt_s: float) -> str:
        """What is wrong with an observation's approaches and counts, if anything."""
        where = "detectors"
        try:
            for link, a in obs.approaches.items():
                where = f"approach {link}: detector"
                if not isinstance(a, ApproachObservation):
                    return f"approach {link}: unreadable observation"
                self._seen.add(link)
                problem = self._problem(a, dt_s)
                if problem:
                    return f"{where} {problem}"
            where = "detectors"
            missing = sorted(self._seen - set(obs.approaches))
            if missing:
                return f"approach {missing[0]}: detector stopped reporting"
            return self._count_problem(obs, dt_s)
        except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            # readings of a kind no check foresaw: a fault, never a crash
            return f"{where} reports unreadable values ({type(exc).__name__}: {exc})"

    def check(self, t_s: float, dt_s: float, obs: Observation | None) -> bool:
        """Update the fault state with this step's observation; True when it can be trusted."""
        reason = ""
        if obs is None:
            if self._seen_obs:
                reason = "no observation"
        elif not isinstance(obs, Observation) or not isinstance(obs.approaches, Mapping):
            # garbage is a fault even from a signal that never reported (absence is not)
            self._seen_obs = True
            reason = "unreadable observation"
        else:
            self._seen_obs = True
            reason = self._approach_problem(obs, dt_s)
        if reason:
            self._clean_since = None
            self.untrusted_s += dt_s
            if not self.faulty:
                self.faulty = True
                self.reason = reason
                self.episodes += 1
                log.warning(
                    "intersection %s: %s at t=%.1f s; falling back to its fixed plan",
                    self.intersection.id,
                    reason,
                    t_s,
                )
            return False
        if self.faulty:
            if self._clean_since is None:
                self._clean_since = t_s
            if t_s - self._clean_since >= self.plausibility.recover_s:
                log.info(
                    "intersection %s: detectors plausible again at t=%.1f s (fault was: "
                    "%s); resuming control",
                    self.intersection.id,
                    t_s,
                    self.reason,
                )
                self.faulty = False
                self.reason = ""
        if self.faulty:
            self.untrusted_s += dt_s
        return not self.faulty

    # ------------------------------------------------------------------ readings
    def read(self, obs: Observation, everything: Mapping[str, Observation]) -> Readings:
        """Per-movement readings; call only after :meth:`check` returned True."""
        n = len(self.ids)
        queue = [0.0] * n
        vehicles = [0.0] * n
        count = [0.0] * n
        arrivals: list[list[tuple[float, float]]] = [[] for _ in range(n)]
        reach = [0.0] * n
        pos = self._pos
        for link, a in obs.approaches.items():
            share = self._approach_share.get(link, [])
            parts = a.lanes or (a,)
            for ln in parts:
                lane_movements = getattr(ln, "movements", ())
                idx = [(pos[m], self._turn_weight[pos[m]]) for m in lane_movements if m in pos]
                total = sum(w for _, w in idx)
                weights = [(i, w / total) for i, w in idx] if idx and total > 0 else share
                for i, w in weights:
                    reach[i] = max(reach[i], ln.reach_m / self._speed[i])
                    queue[i] += ln.queue_veh * w
                    vehicles[i] += ln.vehicles_veh * w
                    count[i] += ln.count_veh * w
                    if ln.arrivals_m:
                        v = self._speed[i]
                        arrivals[i].extend((d / v, w) for d in ln.arrivals_m)
        for mid, c in obs.movement_counts_veh.items():
            if mid in pos and math.isfinite(c) and c >= 0:
                count[pos[mid]] = float(c)
        down = [0.0] * n
        exits = obs.exits if isinstance(obs.exits, Mapping) else {}
        for i, link in enumerate(self._to_link):
            reading = exits.get(link)
            if reading is None:
                other = self._observer.get(link)
                other_obs = everything.get(other) if other is not None else None
                if isinstance(other_obs, Observation) and isinstance(other_obs.approaches, Mapping):
                    reading = other_obs.approaches.get(link)
            # an exit reading that is garbage, marked invalid or cannot be true is left out, as a
            # missing one is
            if (
                isinstance(reading, ApproachObservation)
                and _says_valid(reading.valid)
                and _finite_nonneg(reading.queue_veh)
            ):
                lanes = max(self._links[link].lanes if link in self._links else 1, 1)
                fit = self._length_m.get(link, math.inf) / self.plausibility.jam_spacing_m + 1.0
                if reading.queue_veh / lanes <= fit:
                    down[i] = reading.queue_veh / lanes
        for lst in arrivals:
            lst.sort()
        return Readings(queue, vehicles, arrivals, count, down, reach)
