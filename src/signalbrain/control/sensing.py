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

from signalbrain.control.base import ApproachObservation, Observation
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


def _finite_nonneg(*values: float) -> bool:
    return all(math.isfinite(v) and v >= 0 for v in values)


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
    """

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

    # ------------------------------------------------------------------ fault checks
    def _problem(self, a: ApproachObservation, dt_s: float) -> str:
        lanes = max(
            self._links[a.link].lanes if a.link in self._links else 1,
            len(a.lanes),
            self._movement_lanes.get(a.link, 0),
        )
        if not a.valid or any(not ln.valid for ln in a.lanes):
            return "reports invalid"
        if not _finite_nonneg(a.count_veh, a.occupancy, a.queue_veh, a.vehicles_veh):
            return "reports NaN, infinite or negative values"
        if a.occupancy > 1.0:
            return f"reports occupancy {a.occupancy:g} > 1"
        if a.queue_veh > a.vehicles_veh + 0.5:
            return f"reports {a.queue_veh:g} halting of {a.vehicles_veh:g} vehicles"
        if not (math.isnan(a.speed_mps) or 0 <= a.speed_mps < 100):
            return f"reports speed {a.speed_mps:g} m/s"
        most = lanes * max(dt_s, 0.0) * self.plausibility.max_flow_vphpl / 3600.0 + 2.0
        if a.count_veh > most:
            return f"counts {a.count_veh:g} vehicles in {dt_s:g} s"
        reaches = (a.reach_m, *(ln.reach_m for ln in a.lanes))
        if not all(math.isfinite(r) and 0 <= r <= self.plausibility.max_reach_m for r in reaches):
            return f"reports a reach outside 0-{self.plausibility.max_reach_m:g} m"
        # without a reach, the vehicles must fit on the link itself
        zone_m = a.reach_m if a.reach_m > 0 else self._length_m.get(a.link, 0.0)
        if zone_m > 0:
            fit = lanes * (zone_m / self.plausibility.jam_spacing_m + 1.0) + 1.0
            if a.vehicles_veh > fit:
                return f"reports {a.vehicles_veh:g} vehicles in {zone_m:g} m"
        if a.arrivals_m:
            far = max(*reaches, self._length_m.get(a.link, 0.0)) + 1.0
            if any(not (math.isfinite(d) and -1.0 <= d <= far) for d in a.arrivals_m):
                return "reports impossible vehicle positions"
        for ln in a.lanes:
            if (
                not _finite_nonneg(ln.count_veh, ln.occupancy, ln.queue_veh, ln.vehicles_veh)
                or ln.occupancy > 1.0
                or ln.queue_veh > ln.vehicles_veh + 0.5
            ):
                return f"lane {ln.lane} reports impossible values"
        return ""

    def _count_problem(self, obs: Observation, dt_s: float) -> str:
        """What is wrong with the turning-movement counts, if anything: each must be a number
        of vehicles the movement's lanes can pass in the step."""
        per_lane = max(dt_s, 0.0) * self.plausibility.max_flow_vphpl / 3600.0
        for mid, c in obs.movement_counts_veh.items():
            if mid not in self._pos:
                continue
            if not (isinstance(c, numbers.Real) and math.isfinite(c) and c >= 0):
                return f"movement {mid}: count {c!r} is not a number of vehicles"
            most = self._lanes_of[mid] * per_lane + 2.0
            if c > most:
                return f"movement {mid}: counts {c:g} vehicles in {dt_s:g} s"
        return ""

    def check(self, t_s: float, dt_s: float, obs: Observation | None) -> bool:
        """Update the fault state with this step's observation; True when it can be trusted."""
        reason = ""
        if obs is None or not isinstance(obs, Observation):
            if self._seen_obs:
                reason = "no observation"
        else:
            self._seen_obs = True
            for link, a in obs.approaches.items():
                if not isinstance(a, ApproachObservation):
                    reason = f"approach {link}: unreadable observation"
                    break
                self._seen.add(link)
                problem = self._problem(a, dt_s)
                if problem:
                    reason = f"approach {link}: detector {problem}"
                    break
            else:
                missing = sorted(self._seen - set(obs.approaches))
                if missing:
                    reason = f"approach {missing[0]}: detector stopped reporting"
                else:
                    reason = self._count_problem(obs, dt_s)
        if reason:
            self._clean_since = None
            if not self.faulty:
                self.faulty = True
                self.reason = reason
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
        for i, link in enumerate(self._to_link):
            reading = obs.exits.get(link)
            if reading is None:
                other = self._observer.get(link)
                other_obs = everything.get(other) if other is not None else None
                reading = other_obs.approaches.get(link) if other_obs is not None else None
            if reading is not None and _finite_nonneg(reading.queue_veh):
                lanes = max(self._links[link].lanes if link in self._links else 1, 1)
                # an exit reading that cannot be true is left out, as a missing one is
                fit = self._length_m.get(link, math.inf) / self.plausibility.jam_spacing_m + 1.0
                if reading.queue_veh / lanes <= fit:
                    down[i] = reading.queue_veh / lanes
        for lst in arrivals:
            lst.sort()
        return Readings(queue, vehicles, arrivals, count, down, reach)
