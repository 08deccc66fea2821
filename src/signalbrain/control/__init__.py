"""Live signal control: controllers that request phases each step, and the conflict monitor that
turns every request into a safe signal state.

Data flow per step: detectors -> :class:`Observation` per intersection -> ``Controller.step`` ->
:class:`Request` per intersection -> :class:`ConflictMonitor` -> :class:`SignalState` -> field.
"""

from signalbrain.control.base import (
    ApproachObservation,
    Controller,
    LaneObservation,
    Observation,
    Request,
    SafetyCounts,
    SignalState,
)
from signalbrain.control.monitor import ConflictMonitor, audit, make_monitors

__all__ = [
    "ApproachObservation",
    "ConflictMonitor",
    "Controller",
    "LaneObservation",
    "Observation",
    "Request",
    "SafetyCounts",
    "SignalState",
    "audit",
    "make_monitors",
]
