"""What the adaptive controller knows of each signal, built once when the run starts.

:class:`_Memory` holds, per signal, the stages' movements and saturation headways, the arrays
the rollout kernel takes (service levels, saturation flows, minimum and maximum greens, change
intervals), the per-movement state the controller updates every step (waiting clocks, average
arrival rates, what was sent down each exit link), and the longest red a movement may see
(:func:`_cover_cycle_s`). :func:`build_memory` fills it from the network, and
:func:`build_feeds` links each signal to the signals upstream of it (coordination).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from signalbrain.control.core import Unit
from signalbrain.control.stages import Stage
from signalbrain.network.model import Link

__all__ = ["build_feeds", "build_memory"]


def _cover_cycle_s(stages: tuple[Stage, ...]) -> float:
    """Longest a movement may have to wait when every other stage runs its maximum green: the
    maximum greens and change intervals of the stages of a small set that serves every movement
    (greedy set cover), all but the shortest [s]."""
    left = {m for s in stages for m in s.levels}
    chosen: list[Stage] = []
    while left:
        best = max(stages, key=lambda s: len(left & set(s.levels)))
        if not left & set(best.levels):
            break
        chosen.append(best)
        left -= set(best.levels)
    spans = [s.max_green_s + s.clearance_s for s in chosen]
    return float(sum(spans) - min(spans)) if len(spans) > 1 else 0.0


@dataclass(slots=True)
class _Memory:
    rows: list[list[tuple[int, float]]]  # per stage: (movement position, headway_s)
    protected: list[list[int]]
    waiting_since: list[float]
    outflow: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)
    to_links: list[str] = field(default_factory=list)
    by_link: dict[str, list[int]] = field(default_factory=dict)
    has_protected: list[bool] = field(default_factory=list)
    level: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    sat_vps: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    storage_veh: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    rate_vps: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    min_green: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    max_green: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    clear_s: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    speed_mps: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    link_lanes: dict[str, float] = field(default_factory=dict)
    max_red_s: float = 90.0


def build_memory(
    unit: Unit,
    links: Mapping[str, Link],
    t_s: float,
    permitted_factor: float,
    max_red_s: float,
) -> _Memory:
    """The controller's model of one signal at the start of the run.

    Parameters
    ----------
    unit
        The signal.
    links
        The network's links by id (a movement on a link not in it gets 1800 veh/h per lane,
        13.9 m/s and no storage limit).
    t_s
        Start of the run [s]: every waiting clock starts here.
    permitted_factor
        Saturation flow of permitted (yielding) movements relative to protected ones.
    max_red_s
        The controller's longest red [s]; the signal's is at least one cycle of maximum greens.

    Returns
    -------
    _Memory
    """
    isec = unit.intersection
    pos = {m.id: i for i, m in enumerate(isec.movements)}
    rows: list[list[tuple[int, float]]] = []
    prot: list[list[int]] = []
    for stage in unit.shadow.stages:
        row = []
        for mid, lv in stage.levels.items():
            m = isec.movement(mid)
            if m.turn == "P":
                continue
            link = links.get(m.from_link)
            sat_vph = (link.sat_flow_vphpl if link else 1800.0) * m.lanes
            if lv == 1:
                sat_vph *= permitted_factor
            row.append((pos[mid], 3600.0 / max(sat_vph, 1.0)))
        rows.append(row)
        prot.append([pos[m] for m, lv in stage.levels.items() if lv == 2])
    mem = _Memory(
        rows,
        prot,
        [t_s] * len(isec.movements),
        to_links=[m.to_link for m in isec.movements],
    )
    n_mov = len(isec.movements)
    mem.level = np.zeros((len(unit.shadow.stages), n_mov))
    for k, stage in enumerate(unit.shadow.stages):
        for mid, lv in stage.levels.items():
            if isec.movement(mid).turn != "P":
                mem.level[k, pos[mid]] = 1.0 if lv == 2 else permitted_factor
    mem.sat_vps = np.array(
        [
            (links[m.from_link].sat_flow_vphpl if m.from_link in links else 1800.0)
            * m.lanes
            / 3600.0
            for m in isec.movements
        ]
    )
    mem.storage_veh = np.array(
        [
            min(links[m.to_link].length_m, 120.0) / 7.5 if m.to_link in links else 1e9
            for m in isec.movements
        ]
    )
    mem.rate_vps = np.zeros(n_mov)
    mem.has_protected = [
        any(s.levels.get(m.id) == 2 for s in unit.shadow.stages) for m in isec.movements
    ]
    for i, m in enumerate(isec.movements):
        if m.turn != "P":
            mem.by_link.setdefault(m.from_link, []).append(i)
    mem.min_green = np.array([s.min_green_s for s in unit.shadow.stages])
    mem.max_green = np.array([s.max_green_s for s in unit.shadow.stages])
    mem.clear_s = np.array([s.clearance_s for s in unit.shadow.stages])
    mem.speed_mps = np.array(
        [
            links[m.from_link].free_speed_mps if m.from_link in links else 13.9
            for m in isec.movements
        ]
    )
    mem.link_lanes = {
        link: float(links[link].lanes if link in links else len(idx))
        for link, idx in mem.by_link.items()
    }
    mem.max_red_s = max(max_red_s, _cover_cycle_s(unit.shadow.stages))
    return mem


def build_feeds(
    units: Iterable[Unit], links: Mapping[str, Link], owner: Mapping[str, str]
) -> tuple[dict[str, list[tuple[str, str, float]]], dict[str, float]]:
    """For each signal, the links it sends vehicles down that another signal observes.

    Parameters
    ----------
    units
        Every signal of the controller.
    links
        The network's links by id.
    owner
        Approach link -> the signal it feeds.

    Returns
    -------
    feeds, travel_s
        Downstream signal -> [(upstream signal, link, free-flow travel time [s])], and link ->
        its free-flow travel time [s].
    """
    feeds: dict[str, list[tuple[str, str, float]]] = {}
    travel_s: dict[str, float] = {}
    for unit in units:
        for m in unit.intersection.movements:
            target = owner.get(m.to_link)
            out_link = links.get(m.to_link)
            if target is None or out_link is None or target == unit.intersection.id:
                continue
            feeds.setdefault(target, [])
            entry = (
                unit.intersection.id,
                m.to_link,
                out_link.length_m / out_link.free_speed_mps,
            )
            if entry not in feeds[target]:
                feeds[target].append(entry)
            travel_s[m.to_link] = entry[2]
    return feeds, travel_s
