"""One-key escort: green waves for emergency vehicles, with queue clearance and safe recovery.

A dispatcher gives an emergency vehicle's origin and destination (or route); the escort routes it
on current travel times, predicts its arrival at every signal, opens a preemption window at each
one early enough to discharge the queue in its way, and brings every signal back to its plan
afterwards. Everything it asks for is a ``Request(force=True)`` that the conflict monitor serves
like any other request, so no preemption can produce an unsafe display.

Offline planning: :func:`plan_escort` (what ``signalbrain escort`` prints and draws). Live
operation: :class:`EscortManager`, wrapped as a controller by :class:`EscortController`;
:class:`NaivePreemption` is the distance-triggered baseline. :func:`escort_network` adds each
approach's own protected phase for the escort to ask for; the monitors that serve the escort's
requests must be built on that network (``signalbrain sumo run --escort`` does).
"""

from signalbrain.escort.audit import COORD_STATE, AuditEvent, EventCode, preempt_number
from signalbrain.escort.controller import EscortController, NaivePreemption, conditions_from
from signalbrain.escort.manager import EscortManager
from signalbrain.escort.model import EscortConfig, EscortRequest, LinkCondition, PositionUpdate
from signalbrain.escort.phases import escort_network, with_escort_phases
from signalbrain.escort.plan import EscortPlan, plan_escort, plan_escorts, predicted_events
from signalbrain.escort.recovery import Recovery, RecoverySegment, plan_recovery
from signalbrain.escort.routing import Route, RoutingGraph, SignalCrossing, TravelTimes, crossings
from signalbrain.escort.signal import PhaseStatus, latest_call_s, transition_s
from signalbrain.escort.windows import PreemptionWindow, phase_for, plan_windows, resolve_windows

__all__ = [
    "COORD_STATE",
    "AuditEvent",
    "EscortConfig",
    "EscortController",
    "EscortManager",
    "EscortPlan",
    "EscortRequest",
    "EventCode",
    "LinkCondition",
    "NaivePreemption",
    "PhaseStatus",
    "PositionUpdate",
    "PreemptionWindow",
    "Recovery",
    "RecoverySegment",
    "Route",
    "RoutingGraph",
    "SignalCrossing",
    "TravelTimes",
    "conditions_from",
    "crossings",
    "escort_network",
    "latest_call_s",
    "phase_for",
    "plan_escort",
    "plan_escorts",
    "plan_recovery",
    "plan_windows",
    "predicted_events",
    "preempt_number",
    "resolve_windows",
    "transition_s",
    "with_escort_phases",
]
