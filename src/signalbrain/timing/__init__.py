"""Signal timing: plans, isolated methods (Webster, HCM delay, NEMA ring-barrier) and network
coordination (platoon-progression offsets, MAXBAND bandwidth).

See :mod:`signalbrain.timing.plan` for the plan types every other package uses and
:func:`optimize_network` for the entry point.
"""

from signalbrain.timing.coordination import CoordinationResult, Coordinator
from signalbrain.timing.corridor import Corridor, find_corridor
from signalbrain.timing.hcm import (
    MovementDelay,
    evaluate_plan,
    incremental_delay_s,
    initial_queue_delay_s,
    intersection_delay_s,
    level_of_service,
    uniform_delay_s,
)
from signalbrain.timing.isolated import (
    IsolatedSolver,
    SplitResult,
    isolated_plan,
    isolated_plans,
    webster_cycle_s,
)
from signalbrain.timing.maxband import BandResult, maxband, maxband_plan
from signalbrain.timing.optimize import METHODS, optimize_network
from signalbrain.timing.phasing import select_phases
from signalbrain.timing.plan import (
    NetworkPlan,
    PhaseTiming,
    RingInterval,
    TimingPlan,
    movement_green_windows,
    movement_states,
)
from signalbrain.timing.rounding import round_plan

__all__ = [
    "METHODS",
    "BandResult",
    "CoordinationResult",
    "Coordinator",
    "Corridor",
    "IsolatedSolver",
    "MovementDelay",
    "NetworkPlan",
    "PhaseTiming",
    "RingInterval",
    "SplitResult",
    "TimingPlan",
    "evaluate_plan",
    "find_corridor",
    "incremental_delay_s",
    "initial_queue_delay_s",
    "intersection_delay_s",
    "isolated_plan",
    "isolated_plans",
    "level_of_service",
    "maxband",
    "maxband_plan",
    "movement_green_windows",
    "movement_states",
    "optimize_network",
    "round_plan",
    "select_phases",
    "uniform_delay_s",
    "webster_cycle_s",
]
