"""Audit events of preemption in the Indiana high-resolution event enumerations.

Each preemption call, entry, queue flush, dwell, exit and recovery is one :class:`AuditEvent`
(time, signal, event code, parameter), the record ATSPM systems collect from controllers [1]_.
The parameter of the preemption codes (101-111) is the preempt number (1-10): here one number per
escorted vehicle, stable for the whole run. The escort's queue flush plays the part of track
clearance (106): the approach's queue is discharged before the vehicle arrives, then the signal
dwells (107) until the vehicle has passed. Recovery to coordination is logged with the coordination
code 150 (parameter: 2 transition add, 3 subtract, 4 dwell, 1 in step).

Files are written by :mod:`signalbrain.io.atspm`.

References
----------
.. [1] Sturdevant, J. R. et al. (2012). Indiana Traffic Signal Hi Resolution Data Logger
   Enumerations. INDOT and Purdue University. doi:10.4231/K4RN35SH
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["COORD_STATE", "AuditEvent", "EventCode", "preempt_number"]


class EventCode(IntEnum):
    """Indiana hi-res event codes used by the escort."""

    PREEMPT_ADVANCE_WARNING = 101
    PREEMPT_CALL_ON = 102
    PREEMPT_CALL_OFF = 104
    PREEMPT_ENTRY_STARTED = 105
    PREEMPT_TRACK_CLEARANCE = 106
    PREEMPT_DWELL = 107
    PREEMPT_MAX_PRESENCE = 110
    PREEMPT_EXIT = 111
    COORD_CYCLE_STATE = 150

    @property
    def label(self) -> str:
        """The name the enumerations document gives the code."""
        return _LABELS[self]


_LABELS = {
    EventCode.PREEMPT_ADVANCE_WARNING: "Preempt Advance Warning Input",
    EventCode.PREEMPT_CALL_ON: "Preempt (Call) Input On",
    EventCode.PREEMPT_CALL_OFF: "Preempt (Call) Input Off",
    EventCode.PREEMPT_ENTRY_STARTED: "Preempt Entry Started",
    EventCode.PREEMPT_TRACK_CLEARANCE: "Preemption Begin Track Clearance",
    EventCode.PREEMPT_DWELL: "Preemption Begin Dwell Service",
    EventCode.PREEMPT_MAX_PRESENCE: "Preemption Max Presence Exceeded",
    EventCode.PREEMPT_EXIT: "Preemption Begin Exit Interval",
    EventCode.COORD_CYCLE_STATE: "Coord Cycle State Change",
}

COORD_STATE = {"in_step": 1, "add": 2, "subtract": 3, "dwell": 4, "resume": 1}
"""Parameter of code 150 per coordination state (Indiana enumerations; ``resume`` rejoins the
plan at once, so it is logged as in step)."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One hi-res event: at ``t_s`` [s], signal ``signal_id`` logged ``code`` with ``param``.

    ``vehicle_id`` and ``note`` are extras kept in the JSON log (not in the ATSPM CSV).
    """

    t_s: float
    signal_id: str
    code: int
    param: int
    vehicle_id: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        """Name of the event code ("" if not one of :class:`EventCode`)."""
        try:
            return EventCode(self.code).label
        except ValueError:
            return ""


def preempt_number(slot: int) -> int:
    """Preempt number (1-10) of the ``slot``-th escorted vehicle (0-based), cycling."""
    return slot % 10 + 1
