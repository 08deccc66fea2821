"""Demand: movement flow rates [veh/h], saturation flows, turning ratios and smoothing.

Readers (demand YAML, counts CSV, SUMO routes) live in :mod:`signalbrain.io.demand`.
"""

from signalbrain.demand.model import Demand, check_demand, link_flows_vph, smooth, turning_ratios
from signalbrain.demand.saturation import (
    heavy_vehicle_factor,
    permitted_left_sat_vph,
    turn_factor,
)

__all__ = [
    "Demand",
    "check_demand",
    "heavy_vehicle_factor",
    "link_flows_vph",
    "permitted_left_sat_vph",
    "smooth",
    "turn_factor",
    "turning_ratios",
]
