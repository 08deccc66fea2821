"""Trip metrics of a SUMO run: the contract's means and RESCO's all-vehicle delay.

Two delay figures are reported side by side:

``mean_delay_s``
    The ``sumo run`` contract: mean SUMO ``timeLoss`` of the vehicles that arrived (emergency
    vehicles excluded).
``mean_delay_all_s``
    RESCO's definition (Ault and Sharon 2021): ``timeLoss + departDelay`` over *every* vehicle due
    in the run: arrived, still driving at the end (SUMO writes them with
    ``--tripinfo-output.write-unfinished``) and never let into the network (their insertion
    delay so far, read from SUMO at the end), so holding traffic outside the network never pays.

References
----------
Ault, J., Sharon, G. (2021). Reinforcement Learning Benchmarks for Traffic Signal Control.
NeurIPS Datasets and Benchmarks (RESCO).
Eclipse SUMO documentation, "Simulation/Output/TripInfo".
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from signalbrain.errors import InputError

__all__ = ["EmergencyTrip", "TripSummary", "TripTable", "read_tripinfo", "summarize_trips"]


@dataclass(frozen=True, slots=True)
class TripTable:
    """Parallel arrays, one entry per vehicle in a trip-info file.

    ``arrived`` is False for vehicles still driving at the end of the run and for those SUMO
    removed on the way (``removed``: ``vaporized`` by a jam teleport with
    ``--time-to-teleport.remove``, a collision, TraCI...; SUMO gives them an arrival time).
    """

    ids: tuple[str, ...]
    vtypes: tuple[str, ...]
    arrived: npt.NDArray[np.bool_]
    duration_s: npt.NDArray[np.float64]
    time_loss_s: npt.NDArray[np.float64]
    depart_delay_s: npt.NDArray[np.float64]
    waiting_s: npt.NDArray[np.float64]
    waiting_count: npt.NDArray[np.int64]
    removed: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __post_init__(self) -> None:
        n = len(self.ids)
        if n and self.removed.shape == (0,):  # not given: no vehicle was removed
            object.__setattr__(self, "removed", np.zeros(n, dtype=np.bool_))
        for name in (
            "arrived",
            "duration_s",
            "time_loss_s",
            "depart_delay_s",
            "waiting_s",
            "waiting_count",
            "removed",
        ):
            shape = getattr(self, name).shape
            if shape != (n,):
                raise ValueError(f"TripTable.{name} has shape {shape}, expected ({n},)")
        if len(self.vtypes) != n:
            raise ValueError(f"TripTable.vtypes has {len(self.vtypes)} entries, expected {n}")

    def __len__(self) -> int:
        return len(self.ids)


def read_tripinfo(path: str | Path) -> TripTable:
    """Read a SUMO trip-info file (streaming).

    Raises
    ------
    InputError
        The file is missing or malformed.
    """
    source = str(path)
    ids: list[str] = []
    vtypes: list[str] = []
    removed: list[bool] = []
    rows: list[tuple[float, float, float, float, float, float]] = []
    try:
        for _, elem in ET.iterparse(path, events=("end",)):
            if elem.tag != "tripinfo":
                continue
            get = elem.get
            # vaporized: "" arrived, "end" still driving at the end, else removed on the way
            removed.append(get("vaporized", "") not in ("", "end"))
            ids.append(get("id", ""))
            vtypes.append(get("vType", ""))
            rows.append(
                (
                    float(get("arrival", "-1")),
                    float(get("duration", "0")),
                    float(get("timeLoss", "0")),
                    float(get("departDelay", "0")),
                    float(get("waitingTime", "0")),
                    float(get("waitingCount", "0")),
                )
            )
            elem.clear()
    except FileNotFoundError:
        raise InputError(f"trip-info file not found: {source}") from None
    except (ET.ParseError, ValueError) as exc:
        raise InputError(f"{source}: malformed trip-info output: {exc}") from None
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    gone = np.asarray(removed, dtype=np.bool_).reshape(-1)
    return TripTable(
        ids=tuple(ids),
        vtypes=tuple(vtypes),
        arrived=(arr[:, 0] >= 0) & ~gone,
        duration_s=arr[:, 1].copy(),
        time_loss_s=arr[:, 2].copy(),
        depart_delay_s=arr[:, 3].copy(),
        waiting_s=arr[:, 4].copy(),
        waiting_count=arr[:, 5].astype(np.int64),
        removed=gone,
    )


@dataclass(frozen=True, slots=True)
class EmergencyTrip:
    """An emergency vehicle's trip (the JSON ``emergency`` list)."""

    id: str
    travel_time_s: float
    delay_s: float
    stops: int
    arrived: bool


@dataclass(frozen=True, slots=True)
class TripSummary:
    """Means over the trips of a run (emergency vehicles excluded) [s]; NaN when no vehicle.

    ``removed`` vehicles (SUMO took them out on the way) neither arrived nor are running; their
    trips count in ``mean_delay_all_s`` only.
    """

    departed: int
    arrived: int
    running: int
    waiting_to_enter: int
    mean_travel_time_s: float
    mean_delay_s: float
    mean_waiting_s: float
    mean_delay_all_s: float
    emergency: tuple[EmergencyTrip, ...]
    removed: int = 0


def _mean(values: npt.NDArray[np.float64]) -> float:
    return float(values.mean()) if values.size else math.nan


def summarize_trips(
    trips: TripTable,
    pending_delay_s: Iterable[float] = (),
    vclass_of: Mapping[str, str] | None = None,
) -> TripSummary:
    """The run's means from its trip table.

    Parameters
    ----------
    trips
        Every departed vehicle (arrived or still driving).
    pending_delay_s
        Insertion delay so far of each vehicle due but never inserted [s].
    vclass_of
        Vehicle type -> SUMO vClass; types of class ``emergency`` are reported apart and left
        out of the means.
    """
    classes = vclass_of or {}
    emergency_mask = np.array(
        [classes.get(t) == "emergency" for t in trips.vtypes], dtype=np.bool_
    ).reshape(-1)
    civil = ~emergency_mask
    done = civil & trips.arrived
    pending = np.asarray(list(pending_delay_s), dtype=np.float64).reshape(-1)
    all_delay = np.concatenate([(trips.time_loss_s + trips.depart_delay_s)[civil], pending])
    emergency = tuple(
        EmergencyTrip(
            trips.ids[i],
            float(trips.duration_s[i]),
            float(trips.time_loss_s[i]),
            int(trips.waiting_count[i]),
            bool(trips.arrived[i]),
        )
        for i in np.flatnonzero(emergency_mask)
    )
    return TripSummary(
        departed=len(trips),
        arrived=int(trips.arrived.sum()),
        running=int((~trips.arrived & ~trips.removed).sum()),
        waiting_to_enter=int(pending.size),
        mean_travel_time_s=_mean(trips.duration_s[done]),
        mean_delay_s=_mean(trips.time_loss_s[done]),
        mean_waiting_s=_mean(trips.waiting_s[done]),
        mean_delay_all_s=_mean(all_delay),
        emergency=emergency,
        removed=int(trips.removed.sum()),
    )
