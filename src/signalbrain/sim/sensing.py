"""Detector readings from a running SUMO turned into controller observations.

A :class:`DetectorReader` subscribes to the detectors signalbrain placed
(:mod:`signalbrain.sim.detectors`) and, each step, builds one
:class:`~signalbrain.control.base.Observation` per intersection: per lane the stop-line count (E1
vehicles not seen on the loop the step before), halting and total vehicles, occupancy and mean
speed over the zone (E2), and the distances to the stop line of the moving vehicles in the zone
(what a camera or radar tracks); lanes are summed into approaches keyed by the network's link ids.
A reading that is missing or impossible (negative, occupancy over 100 %, more halting than present)
marks the lane ``valid=False`` so the controller can fall back; nothing else about vehicles is read.
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
_MEAN_SPEED = 0x11
_HALTING = 0x14
_VEH_NUMBER = 0x10
_MOVING_MPS = 0.1


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
        area_vars = [_VEH_IDS, _OCCUPANCY, _MEAN_SPEED, _HALTING, _VEH_NUMBER]
        for lanes in self._lanes.values():
            for _, lane in lanes:
                self._sumo.lanearea.subscribe(lane.spec.id, area_vars)
                if lane.loop is not None:
                    self._sumo.inductionloop.subscribe(lane.loop, [_VEH_IDS])

    @property
    def detector_count(self) -> int:
        """Area detectors read (stop-line loops not counted)."""
        return sum(len(v) for v in self._lanes.values())

    def read(self, t_s: float) -> dict[str, Observation]:
        """Observations of every equipped intersection for the step that just ended."""
        area: Mapping[str, Mapping[int, Any]] = self._sumo.lanearea.getAllSubscriptionResults()
        loop: Mapping[str, Mapping[int, Any]] = self._sumo.inductionloop.getAllSubscriptionResults()
        out: dict[str, Observation] = {}
        for isec, lanes in self._lanes.items():
            groups: dict[str, list[LaneObservation]] = {}
            for key, lane in lanes:
                groups.setdefault(key, []).append(self._lane(lane, area, loop))
            approaches = {
                k[9:]: ApproachObservation.from_lanes(k[9:], tuple(v))
                for k, v in groups.items()
                if k.startswith("approach:")
            }
            exits = {
                k[5:]: ApproachObservation.from_lanes(k[5:], tuple(v))
                for k, v in groups.items()
                if k.startswith("exit:")
            }
            out[isec] = Observation(t_s=t_s, approaches=approaches, exits=exits)
        return out

    def _lane(
        self,
        lane: _Lane,
        area: Mapping[str, Mapping[int, Any]],
        loop: Mapping[str, Mapping[int, Any]],
    ) -> LaneObservation:
        spec = lane.spec
        reach = spec.length_m + spec.to_stop_m
        res = area.get(spec.id)
        if not res or _VEH_IDS not in res:
            return LaneObservation(spec.lane, lane.movements, reach_m=reach, valid=False)
        ids = frozenset(res[_VEH_IDS])
        occupancy = float(res[_OCCUPANCY]) / 100.0
        halting = float(res[_HALTING])
        number = float(res[_VEH_NUMBER])
        speed = float(res[_MEAN_SPEED])
        valid = (
            0.0 <= occupancy <= 1.0
            and 0.0 <= halting <= number
            and number == len(ids)
            and math.isfinite(speed)
        )
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
        arrivals: list[float] = []
        if spec.role == "approach" and ids:
            vehicle = self._sumo.vehicle
            end_m = lane.lane_length_m + spec.to_stop_m
            arrivals = sorted(
                end_m - vehicle.getLanePosition(vid)
                for vid in ids
                if vehicle.getSpeed(vid) > _MOVING_MPS
            )
        return LaneObservation(
            lane=spec.lane,
            movements=lane.movements,
            count_veh=count,
            occupancy=min(max(occupancy, 0.0), 1.0),
            queue_veh=max(halting, 0.0),
            vehicles_veh=max(number, 0.0),
            speed_mps=speed if speed >= 0 else math.nan,
            reach_m=reach,
            arrivals_m=tuple(arrivals),
            valid=valid,
        )
