"""Detector readings from a running SUMO turned into controller observations.

A :class:`DetectorReader` subscribes to the detectors signalbrain placed
(:mod:`signalbrain.sim.detectors`) and, each step, builds one
:class:`~signalbrain.control.base.Observation` per intersection: per lane the stop-line count (E1
vehicles not seen on the loop the step before), halting and total vehicles, occupancy and mean
speed over the zone (E2), and the distances to the stop line of the moving vehicles in the zone
(what a camera or radar tracks; halting means slower than 0.1 m/s, SUMO's threshold); lanes are
summed into approaches keyed by the network's link ids. A reading that is missing or impossible
(occupancy below 0 or, on a zone longer than a vehicle, above 100 %; a vehicle count that
disagrees with the vehicles seen) marks the lane ``valid=False`` so the controller can fall
back; nothing else about vehicles is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from signalbrain.control.base import ApproachObservation, LaneObservation, Observation
from signalbrain.network import Intersection
from signalbrain.sim.detectors import DetectorSpec
from signalbrain.sim.netxml import SumoNetIndex

__all__ = ["DetectorReader", "LinkMap", "link_map"]

# TraCI variable ids (traci.constants), fixed by the TraCI protocol.
_VEH_IDS = 0x12
_OCCUPANCY = 0x13
_VEH_NUMBER = 0x10
_SPEED = 0x40
_LANE_ID = 0x51
_LANE_POS = 0x56
_TRACK_VARS = (_SPEED, _LANE_ID, _LANE_POS)
_VEHICLE_M = 12.0  # a vehicle overlapping the zone end may have its front this far past it
_MOVING_MPS = 0.1  # SUMO's halting threshold: slower counts as queued


@dataclass(frozen=True, slots=True)
class LinkMap:
    """How one intersection's SUMO lanes and edges map to the network model.

    ``edge_link`` maps SUMO edges (approach and exit) to link ids; ``lane_movements`` the
    approach lanes to the movements they serve.
    """

    intersection: str
    tls_id: str
    edge_link: Mapping[str, str]
    lane_movements: Mapping[str, tuple[str, ...]]


def link_map(intersection: Intersection, index: SumoNetIndex) -> LinkMap:
    """Match an imported intersection to its SUMO connections by signal link index."""
    if intersection.sumo is None:
        raise ValueError(f"intersection {intersection.id!r} has no SUMO program")
    tls = intersection.sumo.tls_id
    by_index: dict[int, list[str]] = {}
    for m in intersection.movements:
        for i in m.sumo_link_indices:
            by_index.setdefault(i, []).append(m.id)
    edge_link: dict[str, str] = {}
    lane_movements: dict[str, list[str]] = {}
    for c in index.connections:
        if c.tls_id != tls:
            continue
        for mid in by_index.get(c.link_index, ()):
            m = intersection.movement(mid)
            edge_link.setdefault(c.from_edge, m.from_link)
            edge_link.setdefault(c.to_edge, m.to_link)
            movements = lane_movements.setdefault(c.from_lane, [])
            if mid not in movements:
                movements.append(mid)
    return LinkMap(
        intersection.id, tls, edge_link, {k: tuple(v) for k, v in lane_movements.items()}
    )


@dataclass(slots=True)
class _Lane:
    """Mutable per-lane state: the area detector, the stop-line loop and what it saw last."""

    spec: DetectorSpec
    lane_length_m: float
    movements: tuple[str, ...]
    loop: str | None
    last_loop_ids: frozenset[str]
    last_zone_ids: frozenset[str]
    empty: LaneObservation | None = None


class DetectorReader:
    """Subscribes to signalbrain's detectors and reads observations each step.

    Parameters
    ----------
    sumo
        The running ``libsumo`` or ``traci`` module.
    specs
        The detectors that were loaded.
    maps
        The link map of every controlled intersection.
    index
        Lane lengths.
    """

    def __init__(
        self,
        sumo: ModuleType,
        specs: Sequence[DetectorSpec],
        maps: Sequence[LinkMap],
        index: SumoNetIndex,
    ) -> None:
        self._sumo = sumo
        self._maps = {m.tls_id: m for m in maps}
        loops = {(d.tls_id, d.lane): d.id for d in specs if d.kind == "loop"}
        self._lanes: dict[str, list[tuple[str, _Lane]]] = {}  # isec -> [(role:edge, lane)]
        for d in specs:
            lmap = self._maps.get(d.tls_id)
            if d.kind != "area" or lmap is None:
                continue
            link = lmap.edge_link.get(d.edge)
            if link is None:
                continue
            on_stop_lane = d.role == "approach" and d.to_stop_m == 0.0
            lane = _Lane(
                d,
                index.lanes[d.lane].length_m,
                lmap.lane_movements.get(d.lane, ()) if on_stop_lane else (),
                loops.get((d.tls_id, d.lane)) if on_stop_lane else None,
                frozenset(),
                frozenset(),
            )
            self._lanes.setdefault(lmap.intersection, []).append((f"{d.role}:{link}", lane))
        self._subscribe()

    def _subscribe(self) -> None:
        area_vars = [_VEH_IDS, _OCCUPANCY, _VEH_NUMBER]
        groups: dict[str, dict[str, list[_Lane]]] = {}
        for isec, lanes in self._lanes.items():
            for key, lane in lanes:
                self._sumo.lanearea.subscribe(lane.spec.id, area_vars)
                if lane.loop is not None:
                    self._sumo.inductionloop.subscribe(lane.loop, [_VEH_IDS])
                groups.setdefault(isec, {}).setdefault(key, []).append(lane)
        self._groups = {
            isec: [
                (key.partition(":")[0], key.partition(":")[2], tuple(lanes))
                for key, lanes in by_key.items()
            ]
            for isec, by_key in groups.items()
        }
        self._last: dict[
            tuple[str, str, str], tuple[tuple[LaneObservation, ...], ApproachObservation]
        ] = {}
        # Vehicles are tracked once each (speed, lane, position) so zone readings need no
        # per-vehicle calls; only vehicles inside a zone are ever looked at.
        self.resubscribe()

    def resubscribe(self) -> None:
        """Track every vehicle in the network: when the reader starts, and again when it is
        restored from a checkpoint into a replayed simulation (detectors were subscribed when
        the run started)."""
        for vid in self._sumo.vehicle.getIDList():
            self._sumo.vehicle.subscribe(vid, _TRACK_VARS)

    @property
    def detector_count(self) -> int:
        """Area detectors read (stop-line loops not counted)."""
        return sum(len(v) for v in self._lanes.values())

    def read(self, t_s: float) -> dict[str, Observation]:
        """Observations of every equipped intersection for the step that just ended."""
        vehicle = self._sumo.vehicle
        for vid in self._sumo.simulation.getDepartedIDList():
            vehicle.subscribe(vid, _TRACK_VARS)
        area: Mapping[str, Mapping[int, Any]] = self._sumo.lanearea.getAllSubscriptionResults()
        loop: Mapping[str, Mapping[int, Any]] = self._sumo.inductionloop.getAllSubscriptionResults()
        tracks: Mapping[str, Mapping[int, Any]] = vehicle.getAllSubscriptionResults()
        out: dict[str, Observation] = {}
        for isec, groups in self._groups.items():
            approaches: dict[str, ApproachObservation] = {}
            exits: dict[str, ApproachObservation] = {}
            for role, link, lanes in groups:
                obs = tuple(self._lane(lane, area, loop, tracks) for lane in lanes)
                key = (isec, role, link)
                last = self._last.get(key)
                if last is not None and all(a is b for a, b in zip(obs, last[0], strict=True)):
                    summed = last[1]  # the same (empty) lane readings as the step before
                else:
                    summed = ApproachObservation.from_lanes(link, obs)
                    self._last[key] = (obs, summed)
                (approaches if role == "approach" else exits)[link] = summed
            out[isec] = Observation(t_s=t_s, approaches=approaches, exits=exits)
        return out

    def _track(self, vid: str, tracks: Mapping[str, Mapping[int, Any]]) -> tuple[float, str, float]:
        got = tracks.get(vid)
        if got is not None:
            return float(got[_SPEED]), str(got[_LANE_ID]), float(got[_LANE_POS])
        vehicle = self._sumo.vehicle
        return (
            float(vehicle.getSpeed(vid)),
            str(vehicle.getLaneID(vid)),
            float(vehicle.getLanePosition(vid)),
        )

    def _lane(
        self,
        lane: _Lane,
        area: Mapping[str, Mapping[int, Any]],
        loop: Mapping[str, Mapping[int, Any]],
        tracks: Mapping[str, Mapping[int, Any]],
    ) -> LaneObservation:
        spec = lane.spec
        reach = spec.length_m + spec.to_stop_m
        res = area.get(spec.id)
        if not res or _VEH_IDS not in res:
            return LaneObservation(spec.lane, lane.movements, reach_m=reach, valid=False)
        ids = frozenset(res[_VEH_IDS])
        occupancy = float(res[_OCCUPANCY]) / 100.0
        number = float(res[_VEH_NUMBER])
        # SUMO counts a vehicle spanning a zone shorter than itself with more than the zone's
        # length (a 4.2 m zone between close junctions read 176 % with two cars on it, and its
        # signal fell back to the fixed plan for minutes): above 100 % is impossible only on
        # a zone longer than any vehicle
        full = occupancy <= 1.0 or spec.length_m < _VEHICLE_M
        valid = occupancy >= 0.0 and full and number == len(ids)
        count = 0.0
        if spec.role == "exit":
            count = float(len(ids - lane.last_zone_ids))
        elif lane.loop is not None:
            lres = loop.get(lane.loop)
            if not lres or _VEH_IDS not in lres:
                valid = False
            else:
                loop_ids = frozenset(lres[_VEH_IDS])
                count = float(len(loop_ids - lane.last_loop_ids))
                lane.last_loop_ids = loop_ids
        lane.last_zone_ids = ids
        if not ids and lane.empty is not None and count == 0.0 and valid:
            return lane.empty
        # The tracked vehicles still inside the zone: speed and distance to the stop line (what
        # a camera or radar sees; a vehicle that left the zone during the step is not tracked).
        end_m = lane.lane_length_m + spec.to_stop_m
        speeds: list[float] = []
        arrivals: list[float] = []
        for vid in ids:
            speed_mps, lane_id, pos_m = self._track(vid, tracks)
            if lane_id != spec.lane or not spec.start_m - 0.5 <= pos_m <= spec.end_m + _VEHICLE_M:
                continue
            speeds.append(speed_mps)
            if speed_mps >= _MOVING_MPS and spec.role == "approach":
                arrivals.append(min(max(end_m - pos_m, 0.0), reach))
        arrivals.sort()
        halting = sum(1 for v in speeds if v < _MOVING_MPS)
        speed = sum(speeds) / len(speeds) if speeds else math.nan
        out = LaneObservation(
            lane=spec.lane,
            movements=lane.movements,
            count_veh=count,
            occupancy=min(max(occupancy, 0.0), 1.0),
            queue_veh=float(halting),
            vehicles_veh=float(len(ids)),
            speed_mps=speed,
            reach_m=reach,
            arrivals_m=tuple(arrivals),
            valid=valid,
        )
        if not ids and count == 0.0 and valid:
            lane.empty = out
        return out
