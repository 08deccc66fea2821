"""Signal timing: plans, isolated methods (Webster, HCM delay, NEMA ring-barrier) and network
coordination (platoon-progression offsets, MAXBAND bandwidth).

See :mod:`signalbrain.timing.plan` for the plan types every other package uses.
"""

from signalbrain.timing.plan import (
    NetworkPlan,
    PhaseTiming,
    RingInterval,
    TimingPlan,
    movement_states,
)

__all__ = [
    "NetworkPlan",
    "PhaseTiming",
    "RingInterval",
    "TimingPlan",
    "movement_states",
]
