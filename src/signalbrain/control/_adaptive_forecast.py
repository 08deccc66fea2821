"""The adaptive controller's arrival forecasts and the queues its detectors cannot see.

Per movement, the vehicles reaching the stop line in each 1 s slot of the horizon: those the
detectors see approaching; beyond their view, the vehicles the upstream signals sent down the
link (coordination: :func:`record_outflow` remembers what each signal sent, :func:`projected`
hands it to the signal downstream) until the link's travel time; after that a fraction of the
movement's average arrival rate (:func:`learn_rates`). :func:`hidden_queue` estimates the queue
beyond a detection zone full of halting vehicles.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from signalbrain.control._adaptive_model import _Memory
from signalbrain.control._rollout import arrival_slots
from signalbrain.control.core import Unit
from signalbrain.control.sensing import Readings

__all__ = ["forecast_slots", "hidden_queue", "learn_rates", "projected", "record_outflow"]

F64 = npt.NDArray[np.float64]

# approach link -> (link travel time [s], [(seconds from now, vehicles)])
Projected = dict[str, tuple[float, list[tuple[float, float]]]]


def projected(
    feeds: Mapping[str, list[tuple[str, str, float]]],
    units: Mapping[str, Unit],
    unit: Unit,
    t_s: float,
) -> Projected:
    """Vehicles upstream signals sent towards ``unit`` and not yet at its stop line:
    approach link -> (link travel time [s], [(seconds from now, vehicles)])."""
    out: Projected = {}
    for source, link, travel_s in feeds.get(unit.intersection.id, ()):
        mem: _Memory = units[source].memory  # type: ignore[assignment]
        sent = mem.outflow.get(link)
        if not sent:
            continue
        lst = out.setdefault(link, (travel_s, []))[1]
        lst.extend((t_sent + travel_s - t_s, w) for t_sent, w in sent)
    return out


def record_outflow(
    mem: _Memory, travel_s: Mapping[str, float], t_s: float, readings: Readings
) -> None:
    """Remember what a signal sent down each exit link, one entry per step and link, for as
    long as the link's travel time ``travel_s`` [s]."""
    sent: dict[str, float] = {}
    for i, c in enumerate(readings.count_veh):
        if c > 0:
            link = mem.to_links[i]
            sent[link] = sent.get(link, 0.0) + c
    for link, c in sent.items():
        mem.outflow.setdefault(link, deque()).append((t_s, c))
    for link, q in mem.outflow.items():
        oldest = t_s - travel_s.get(link, 0.0)
        while q and q[0][0] < oldest:
            q.popleft()


def learn_rates(mem: _Memory, readings: Readings, dt_s: float, rate_tau_s: float) -> None:
    """Arrival rates per movement [veh/s]: exponential average of stop-line counts with time
    constant ``rate_tau_s`` [s]."""
    alpha = min(1.0, dt_s / rate_tau_s)
    counts = np.asarray(readings.count_veh)
    if dt_s > 0:
        mem.rate_vps += alpha * (counts / dt_s - mem.rate_vps)


def forecast_slots(
    mem: _Memory,
    readings: Readings,
    sent: Projected | None,
    horizon_s: float,
    rate_weight: float,
) -> F64:
    """Vehicles reaching each movement's stop line per 1 s slot over the horizon.

    Parameters
    ----------
    mem
        The signal's model.
    readings
        This step's measurements: the vehicles seen approaching, and how far the detectors see.
    sent
        The vehicles upstream signals sent (see :func:`projected`), or ``None`` when not
        coordinating; beyond the detectors' view they arrive until the link's travel time.
    horizon_s
        Forecast horizon [s].
    rate_weight
        Fraction of the average arrival rate expected after that.

    Returns
    -------
    F64
        ``(n_movements, int(horizon_s))`` vehicles.
    """
    n_mov = len(mem.to_links)
    n_slot = int(horizon_s)
    seen = [(i, e, w) for i, arr in enumerate(readings.arrivals_s) for e, w in arr]
    seen_a = np.array(seen, dtype=np.float64).reshape(-1, 3)
    first = np.minimum(np.asarray(readings.reach_s, dtype=np.int64) + 1, n_slot)
    until = np.zeros(n_mov, dtype=np.int64)
    fed_mov: list[npt.NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
    fed_eta: list[F64] = [np.zeros(0)]
    fed_w: list[F64] = [np.zeros(0)]
    if sent is not None:
        for link, (travel_s, vehicles) in sent.items():
            idx = mem.by_link.get(link)
            if not idx:
                continue
            sent_a = np.array(vehicles, dtype=np.float64).reshape(-1, 2)
            rates = mem.rate_vps[idx]
            total = float(rates.sum())
            for i, r in zip(idx, rates, strict=True):
                share = r / total if total > 0 else 1.0 / len(idx)
                until[i] = min(int(travel_s), n_slot)
                fed_mov.append(np.full(len(sent_a), i, dtype=np.int64))
                fed_eta.append(sent_a[:, 0])
                fed_w.append(sent_a[:, 1] * share)
    return arrival_slots(
        n_mov,
        n_slot,
        seen_a[:, 0].astype(np.int64),
        seen_a[:, 1],
        seen_a[:, 2],
        first,
        mem.rate_vps * rate_weight,
        until,
        np.concatenate(fed_mov),
        np.concatenate(fed_eta),
        np.concatenate(fed_w),
    )


def hidden_queue(
    mem: _Memory,
    queue: F64,
    readings: Readings,
    hidden_factor: float,
    jam_ratio: float,
    spacing_m: float,
) -> F64:
    """Vehicles queued beyond the detectors' reach [veh], per movement.

    An approach whose zone holds halting vehicles over ``jam_ratio`` of what fits in it (at
    ``spacing_m`` [m] per vehicle and lane) has a queue that goes on beyond the zone, out of
    sight; it is taken to be ``hidden_factor`` times the part that is seen, shared among the
    approach's movements as their seen queues are. Without it the rollout expects a long
    queue to clear within one zone's worth of green and leaves it early."""
    hidden = np.zeros(len(queue))
    if hidden_factor <= 0.0:
        return hidden
    for link, idx in mem.by_link.items():
        reach_m = max(readings.reach_s[i] * mem.speed_mps[i] for i in idx)
        fits_veh = reach_m * mem.link_lanes[link] / spacing_m
        if fits_veh > 0.0 and float(queue[idx].sum()) >= jam_ratio * fits_veh:
            hidden[idx] = hidden_factor * queue[idx]
    return hidden
