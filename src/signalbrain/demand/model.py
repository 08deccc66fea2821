"""Demand: movement flow rates [veh/h] keyed by movement id, and what follows from them.

A :class:`Demand` is what the timing engine consumes: hourly flow rates per movement (the
*movement* ids of :class:`~signalbrain.network.Movement`), optional heavy-vehicle shares and a
peak hour factor. Readers for demand YAML, counts CSV and SUMO routes live in
:mod:`signalbrain.io.demand`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from signalbrain._numbers import real_or_nan
from signalbrain.errors import InputError, Problem, format_path
from signalbrain.network.model import Network

__all__ = ["Demand", "check_demand", "link_flows_vph", "smooth", "turning_ratios"]


@dataclass(frozen=True, slots=True)
class Demand:
    """Hourly flow rates per movement.

    Parameters
    ----------
    flows_vph
        Movement id -> demand flow rate [veh/h]. Movements not listed have no demand.
    heavy_share
        Movement id -> share of heavy vehicles in [0, 1] where known.
    peak_hour_factor
        Hourly volume / (4 x peak 15-min volume), in (0, 1]; flows are divided by it to give the
        peak 15-min flow rate the HCM analyses (HCM 7th ed., ch. 19: ``v = V / PHF``).
    source
        Where the demand came from (for messages).
    """

    flows_vph: Mapping[str, float]
    heavy_share: Mapping[str, float] = field(default_factory=dict)
    peak_hour_factor: float = 1.0
    source: str | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for mid, v in self.flows_vph.items():
            if not (math.isfinite(real_or_nan(v)) and v >= 0):
                problems.append(
                    Problem(
                        format_path("flows_vph", mid),
                        f"= {v!r}: must be a finite number >= 0 [veh/h]",
                    )
                )
        for mid, v in self.heavy_share.items():
            if not (isinstance(v, int | float) and 0 <= v <= 1):
                problems.append(
                    Problem(format_path("heavy_share", mid), f"= {v!r}: must be in [0, 1]")
                )
        if not 0 < self.peak_hour_factor <= 1:
            problems.append(
                Problem("peak_hour_factor", f"= {self.peak_hour_factor!r}: must be in (0, 1]")
            )
        if problems:
            raise InputError(problems, self.source)

    def flow_vph(self, movement_id: str) -> float:
        """Analysis flow rate of a movement [veh/h] (peak hour factor applied; 0 if absent)."""
        return float(self.flows_vph.get(movement_id, 0.0)) / self.peak_hour_factor

    def heavy(self, movement_id: str) -> float:
        """Heavy-vehicle share of a movement (0 if unknown)."""
        return float(self.heavy_share.get(movement_id, 0.0))

    def flows_array(self, movement_ids: Sequence[str]) -> npt.NDArray[np.float64]:
        """Analysis flow rates [veh/h] in the order of ``movement_ids``."""
        values = map(self.flows_vph.get, movement_ids, itertools.repeat(0.0))
        flows = np.fromiter(values, dtype=np.float64, count=len(movement_ids))
        return flows / self.peak_hour_factor

    def heavy_array(self, movement_ids: Sequence[str]) -> npt.NDArray[np.float64]:
        """Heavy-vehicle shares in the order of ``movement_ids``."""
        values = map(self.heavy_share.get, movement_ids, itertools.repeat(0.0))
        return np.fromiter(values, dtype=np.float64, count=len(movement_ids))

    def scaled(self, factor: float) -> Demand:
        """All flows multiplied by ``factor``."""
        return Demand(
            {k: v * factor for k, v in self.flows_vph.items()},
            self.heavy_share,
            self.peak_hour_factor,
            self.source,
        )

    @property
    def total_vph(self) -> float:
        """Sum of all movement flows [veh/h] (no peak hour factor)."""
        return float(sum(self.flows_vph.values()))


MAX_FLOW_VPH = 256_000.0
"""Largest analysis flow of one movement [veh/h]: what the widest link a network may have
carries (64 lanes at 4,000 veh/h/lane, the validation's bounds). More is a typo (extra zeros,
a count in veh/day); at 1e308 veh/h the plans' figures of merit overflowed to inf."""


def check_demand(net: Network, demand: Demand) -> list[Problem]:
    """Problems with a demand for a network: movement ids the network does not have, and
    analysis flows (peak hour factor applied) above :data:`MAX_FLOW_VPH`."""
    known = {m.id for s in net.intersections for m in s.movements}
    unknown = sorted(set(demand.flows_vph) - known)
    phf = "" if demand.peak_hour_factor == 1 else " (peak hour factor applied)"
    out = [
        Problem(
            format_path("flows_vph", mid),
            f"= {demand.flows_vph[mid]:g}: analysis flow {demand.flow_vph(mid):g} veh/h{phf} "
            f"is more than any movement carries; must be <= {MAX_FLOW_VPH:,.0f} veh/h",
            demand.source,
        )
        for mid in demand.flows_vph
        if demand.flow_vph(mid) > MAX_FLOW_VPH
    ][:8]
    if not unknown:
        return out
    shown = ", ".join(unknown[:8]) + (f", ... ({len(unknown)} in all)" if len(unknown) > 8 else "")
    hint = ", ".join(sorted(known)[:6])
    return [
        Problem(
            "flows", f"unknown movement ids: {shown}; movement ids look like {hint}", demand.source
        ),
        *out,
    ]


def link_flows_vph(net: Network, demand: Demand) -> dict[str, float]:
    """Flow entering each approach link's stop line [veh/h]: the sum of its movements."""
    out: dict[str, float] = {}
    for s in net.intersections:
        for m in s.movements:
            if m.turn != "P":
                out[m.from_link] = out.get(m.from_link, 0.0) + demand.flow_vph(m.id)
    return out


def turning_ratios(net: Network, demand: Demand) -> dict[str, float]:
    """Share of each movement in the flow of its approach link (0 where the approach is empty)."""
    link = link_flows_vph(net, demand)
    out: dict[str, float] = {}
    for s in net.intersections:
        for m in s.movements:
            if m.turn != "P":
                total = link.get(m.from_link, 0.0)
                out[m.id] = demand.flow_vph(m.id) / total if total > 0 else 0.0
    return out


def smooth(previous: Demand, new: Demand, alpha: float) -> Demand:
    """Exponential smoothing of two demand estimates: ``alpha * new + (1 - alpha) * previous``.

    Used to damp count noise between re-plans (Box & Jenkins style single exponential smoothing).
    """
    if not 0 <= alpha <= 1:
        raise InputError(f"smoothing alpha = {alpha!r}: must be in [0, 1]")
    keys = set(previous.flows_vph) | set(new.flows_vph)
    flows = {
        k: alpha * new.flows_vph.get(k, 0.0) + (1 - alpha) * previous.flows_vph.get(k, 0.0)
        for k in keys
    }
    return Demand(
        flows, {**previous.heavy_share, **new.heavy_share}, new.peak_hour_factor, new.source
    )
