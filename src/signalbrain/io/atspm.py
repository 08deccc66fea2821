"""ATSPM high-resolution event logs: write and read CSV, write JSON.

The CSV is the controller event log that ATSPM systems ingest [1]_, one event per row::

    timestamp,signal_id,event_code,event_param
    1970-01-01 00:02:03.4,S1,102,1

``timestamp`` has the 0.1 s resolution of the Indiana enumerations [2]_ and is ``start`` plus the
event's time in seconds (``start`` defaults to 1970-01-01 00:00:00, so the clock of a simulation
reads directly). Rows are in time order. The JSON log holds the same events with the simulation
time ``t_s``, the event name, the vehicle and a note::

    {"format": "signalbrain-atspm-events", "version": 1, "start": "1970-01-01T00:00:00",
     "events": [{"t_s": 123.4, "timestamp": "...", "signal_id": "S1", "event_code": 102,
                 "event_param": 1, "event": "Preempt (Call) Input On", "vehicle_id": "ev0",
                 "note": ""}]}

References
----------
.. [1] Utah DOT, Automated Traffic Signal Performance Measures, ``Controller_Event_Log`` table
   (SignalID, Timestamp, EventCode, EventParam).
.. [2] Sturdevant, J. R. et al. (2012). Indiana Traffic Signal Hi Resolution Data Logger
   Enumerations. doi:10.4231/K4RN35SH
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from signalbrain.errors import InputError, Problem
from signalbrain.escort.audit import AuditEvent

__all__ = [
    "CSV_COLUMNS",
    "EPOCH",
    "events_to_dict",
    "read_events_csv",
    "write_events_csv",
    "write_events_json",
]

CSV_COLUMNS = ("timestamp", "signal_id", "event_code", "event_param")
EPOCH = datetime(1970, 1, 1)
_FORMAT = "%Y-%m-%d %H:%M:%S"


def _timestamp(start: datetime, t_s: float) -> str:
    tenths = round(t_s * 10.0)
    moment = start + timedelta(seconds=tenths // 10)
    return f"{moment.strftime(_FORMAT)}.{tenths % 10}"


def _ordered(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """By time, then signal; a signal's events at one time stay in the order they happened.
    (Signals are handled in an order that may differ from one process to the next, so the
    order among them is fixed here: the same run writes the same file.)"""
    return sorted(events, key=lambda e: (e.t_s, e.signal_id))


def write_events_csv(
    events: Iterable[AuditEvent], path: str | Path, *, start: datetime = EPOCH
) -> Path:
    """Write events as an ATSPM event-log CSV (see the module docstring); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for e in _ordered(events):
            writer.writerow([_timestamp(start, e.t_s), e.signal_id, int(e.code), int(e.param)])
    return out


def events_to_dict(events: Iterable[AuditEvent], *, start: datetime = EPOCH) -> dict[str, Any]:
    """The JSON document of an event log."""
    return {
        "format": "signalbrain-atspm-events",
        "version": 1,
        "start": start.isoformat(),
        "events": [
            {
                "t_s": round(e.t_s, 3),
                "timestamp": _timestamp(start, e.t_s),
                "signal_id": e.signal_id,
                "event_code": int(e.code),
                "event_param": int(e.param),
                "event": e.label,
                "vehicle_id": e.vehicle_id,
                "note": e.note,
            }
            for e in _ordered(events)
        ],
    }


def write_events_json(
    events: Iterable[AuditEvent], path: str | Path, *, start: datetime = EPOCH
) -> Path:
    """Write events as the JSON log (see the module docstring); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(events_to_dict(events, start=start), indent=1) + "\n", encoding="utf-8"
    )
    return out


def read_events_csv(path: str | Path, *, start: datetime = EPOCH) -> list[AuditEvent]:
    """Read an ATSPM event-log CSV; ``t_s`` is the time since ``start`` [s].

    Accepts the column names above and the ATSPM database names (``SignalID``, ``Timestamp``,
    ``EventCode``, ``EventParam``), in any order.

    Raises
    ------
    InputError
        Missing file or columns, or rows with a bad timestamp or code (every bad row listed).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"file not found: {source}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {source}: {exc}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise InputError(
            [Problem("", f"empty file; expected a header {','.join(CSV_COLUMNS)}")], source=source
        )
    aliases = {
        "signalid": "signal_id",
        "timestamp": "timestamp",
        "eventcode": "event_code",
        "eventparam": "event_param",
    }
    header = [aliases.get(h.strip().lower().replace("_", ""), h.strip()) for h in rows[0]]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise InputError(
            [
                Problem(
                    "header",
                    f"missing columns {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}",
                )
            ],
            source=source,
        )
    col = {c: header.index(c) for c in CSV_COLUMNS}
    out: list[AuditEvent] = []
    problems: list[Problem] = []
    for n, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        where = f"line {n}"
        if len(row) < len(header):
            problems.append(Problem(where, f"{len(row)} fields; expected {len(header)}"))
            continue
        stamp = row[col["timestamp"]].strip()
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            problems.append(
                Problem(f"{where}.timestamp", f"{stamp!r}: expected YYYY-MM-DD HH:MM:SS.f")
            )
            continue
        try:
            code = int(row[col["event_code"]])
            param = int(row[col["event_param"]])
        except ValueError:
            problems.append(Problem(where, "event_code and event_param must be integers"))
            continue
        if not 0 <= code <= 255:
            problems.append(Problem(f"{where}.event_code", f"= {code}: must be in 0..255"))
            continue
        t_s = (moment - start).total_seconds()
        out.append(AuditEvent(t_s, row[col["signal_id"]].strip(), code, param))
    if problems:
        raise InputError(problems, source=source)
    return out
