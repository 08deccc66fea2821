"""Live signal control: controllers that request phases each step, and the conflict monitor that
turns every request into a safe signal state.

Data flow per step: detectors -> :class:`Observation` per intersection -> ``Controller.step`` ->
:class:`Request` per intersection -> :class:`ConflictMonitor` -> :class:`SignalState` -> field.
Controllers by name: :data:`CONTROLLERS` and :func:`make_controller` (``fixed``,
``max-pressure``, ``vehicle-actuated``, ``adaptive``).
"""

from signalbrain.control.actuated import Actuated
from signalbrain.control.adaptive import Adaptive
from signalbrain.control.audit import audit
from signalbrain.control.base import (
    ApproachObservation,
    Controller,
    LaneObservation,
    Observation,
    Request,
    SafetyCounts,
    SignalState,
)
from signalbrain.control.core import SignalController
from signalbrain.control.fixed import FixedTime
from signalbrain.control.max_pressure import MaxPressure
from signalbrain.control.monitor import ConflictMonitor, make_monitors
from signalbrain.control.registry import CONTROLLERS, make_controller
from signalbrain.control.sensing import Plausibility
from signalbrain.control.stages import Shadow, Stage, stages

__all__ = [
    "CONTROLLERS",
    "Actuated",
    "Adaptive",
    "ApproachObservation",
    "ConflictMonitor",
    "Controller",
    "FixedTime",
    "LaneObservation",
    "MaxPressure",
    "Observation",
    "Plausibility",
    "Request",
    "SafetyCounts",
    "Shadow",
    "SignalController",
    "SignalState",
    "Stage",
    "audit",
    "make_controller",
    "make_monitors",
    "stages",
]
