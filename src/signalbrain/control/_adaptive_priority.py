"""The adaptive controller's earlier rule, ``method="priority"``, kept for comparison.

Each stage is rated by its service rate ``n / (setup + service)`` (Lämmer & Helbing 2008): the
vehicles it would serve, queued and arriving with gaps of at most ``gap_s``, over the time to
switch to it and discharge them (:func:`discharge`).

References
----------
Lämmer, S., Helbing, D. (2008). Self-control of traffic lights and vehicle flows in urban road
networks. Journal of Statistical Mechanics P04019.
"""

from __future__ import annotations

from collections.abc import Mapping

from signalbrain.control._adaptive_model import _Memory
from signalbrain.control.core import Unit
from signalbrain.control.sensing import Readings
from signalbrain.control.stages import Stage

__all__ = ["discharge", "stage_priorities"]


def discharge(
    queue_veh: float,
    arrivals: list[tuple[float, float]],
    headway_s: float,
    start_s: float,
    gap_s: float,
    limit_s: float,
) -> tuple[float, float]:
    """Vehicles served and the time service ends for one movement.

    Parameters
    ----------
    queue_veh
        Vehicles waiting at the stop line.
    arrivals
        (seconds from now, weight) of approaching vehicles, sorted.
    headway_s
        Saturation headway of the movement (1 / saturation flow) [s/veh].
    start_s
        When the movement starts discharging, from now [s].
    gap_s
        An arrival later than this after the discharge ends does not extend it [s].
    limit_s
        Service never runs past this time from now [s].

    Returns
    -------
    served_veh, end_s
    """
    end = start_s + queue_veh * headway_s
    served = queue_veh
    if end > limit_s:
        return queue_veh * (limit_s - start_s) / max(end - start_s, 1e-9), limit_s
    for eta, w in arrivals:
        if eta > end + gap_s or eta > limit_s:
            break
        end = max(end, eta) + w * headway_s
        served += w
        if end >= limit_s:
            return served, limit_s
    return served, end


def stage_priorities(
    unit: Unit,
    readings: Readings,
    extra: Mapping[str, tuple[float, list[tuple[float, float]]]] | None,
    lost_s: float,
    horizon_s: float,
    gap_s: float,
) -> list[tuple[float, float, float]]:
    """(priority [veh/s], vehicles served, service end [s from now]) of every stage.

    Parameters
    ----------
    unit
        The signal.
    readings
        This step's measurements.
    extra
        Vehicles upstream signals sent, per approach link (beyond the detectors' view they
        add to the arrivals, shared among the link's movements), or ``None``.
    lost_s
        Start-up lost time of a new green [s].
    horizon_s
        Forecast horizon [s].
    gap_s
        Largest gap in the arriving stream a green still bridges [s].
    """
    mem: _Memory = unit.memory  # type: ignore[assignment]
    shadow = unit.shadow
    current: Stage | None = shadow.current
    state = shadow.state
    movements = unit.intersection.movements
    switch_s = (current.clearance_s if current is not None else 0.0) + lost_s
    out = []
    for k, stage in enumerate(shadow.stages):
        served_total = 0.0
        end_max = 0.0
        limit = min(horizon_s, stage.max_green_s + switch_s)
        for i, headway in mem.rows[k]:
            green_now = (
                state is not None
                and state.movements.get(movements[i].id) in ("G", "g")
                and current is not None
                and stage is current
            )
            start = 0.0 if green_now else switch_s
            arrivals = readings.arrivals_s[i]
            more = extra.get(movements[i].from_link) if extra else None
            if more:
                share = 1.0 / len(mem.by_link.get(movements[i].from_link, [i]))
                seen = readings.reach_s[i]
                arrivals = sorted(arrivals + [(e, w * share) for e, w in more[1] if e > seen])
            served, end = discharge(readings.queue_veh[i], arrivals, headway, start, gap_s, limit)
            served_total += served
            end_max = max(end_max, end)
        rate = served_total / end_max if end_max > 0 else 0.0
        out.append((rate, served_total, end_max))
    return out
