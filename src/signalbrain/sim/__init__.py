"""Closed-loop simulation: the SUMO adapter that drives SUMO's lights from a signalbrain controller
through the conflict monitor, senses traffic with detectors signalbrain places itself, and
measures the run (``signalbrain sumo run``).
"""

from signalbrain.sim.baselines import BASELINE_TYPES, convert_program, write_programs
from signalbrain.sim.config import SumoConfig, read_sumocfg, split_sumo_args, sumo_command
from signalbrain.sim.detectors import (
    DEFAULT_REACH_M,
    DetectorSpec,
    place_detectors,
    write_detectors,
)
from signalbrain.sim.metrics import TripSummary, TripTable, read_tripinfo, summarize_trips
from signalbrain.sim.netxml import SumoNetIndex, read_net_index
from signalbrain.sim.run import (
    SUMO_CONTROLLERS,
    ObservationHook,
    RequestHook,
    RunResult,
    controller_names,
    run_sumo,
)

__all__ = [
    "BASELINE_TYPES",
    "DEFAULT_REACH_M",
    "SUMO_CONTROLLERS",
    "DetectorSpec",
    "ObservationHook",
    "RequestHook",
    "RunResult",
    "SumoConfig",
    "SumoNetIndex",
    "TripSummary",
    "TripTable",
    "controller_names",
    "convert_program",
    "place_detectors",
    "read_net_index",
    "read_sumocfg",
    "read_tripinfo",
    "run_sumo",
    "split_sumo_args",
    "summarize_trips",
    "sumo_command",
    "write_detectors",
    "write_programs",
]
