"""ATSPM event logs: CSV round trip, JSON content, every bad row reported."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from signalbrain.errors import InputError
from signalbrain.escort.audit import AuditEvent, EventCode
from signalbrain.io.atspm import read_events_csv, write_events_csv, write_events_json

EVENTS = [
    AuditEvent(123.44, "S1", EventCode.PREEMPT_CALL_ON, 1, "ev0"),
    AuditEvent(12.0, "S2", EventCode.PREEMPT_EXIT, 2, "ev1", "passed"),
    AuditEvent(3725.05, "S1", EventCode.COORD_CYCLE_STATE, 1),
]


def test_csv_is_time_ordered_with_tenths(tmp_path):
    path = write_events_csv(EVENTS, tmp_path / "log.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamp,signal_id,event_code,event_param"
    assert lines[1] == "1970-01-01 00:00:12.0,S2,111,2"
    assert lines[2] == "1970-01-01 00:02:03.4,S1,102,1"
    assert lines[3].startswith("1970-01-01 01:02:05.")


def test_csv_round_trip_with_start(tmp_path):
    start = datetime(2026, 11, 21, 8, 0, 0)
    path = write_events_csv(EVENTS, tmp_path / "log.csv", start=start)
    back = read_events_csv(path, start=start)
    assert [(e.signal_id, e.code, e.param) for e in back] == [
        ("S2", 111, 2),
        ("S1", 102, 1),
        ("S1", 150, 1),
    ]
    assert [e.t_s for e in back] == pytest.approx([12.0, 123.4, 3725.0], abs=0.11)


def test_reads_atspm_database_column_names(tmp_path):
    path = tmp_path / "db.csv"
    path.write_text("SignalID,Timestamp,EventCode,EventParam\n7115,2019-03-01 06:00:00.3,105,1\n")
    (event,) = read_events_csv(path, start=datetime(2019, 3, 1, 6))
    assert (event.signal_id, event.code, event.param) == ("7115", 105, 1)
    assert event.t_s == pytest.approx(0.3)
    assert event.label == "Preempt Entry Started"


def test_bad_rows_are_all_reported(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "timestamp,signal_id,event_code,event_param\n"
        "yesterday,S1,102,1\n"
        "1970-01-01 00:00:01.0,S1,x,1\n"
        "1970-01-01 00:00:01.0,S1,999,1\n"
    )
    with pytest.raises(InputError) as err:
        read_events_csv(path)
    text = str(err.value)
    assert "3 problems" in text
    assert "line 2.timestamp" in text
    assert "line 4.event_code" in text
    assert str(path) in text


def test_missing_columns_and_file(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("time,signal\n")
    with pytest.raises(InputError, match="missing columns"):
        read_events_csv(path)
    with pytest.raises(InputError, match="file not found"):
        read_events_csv(tmp_path / "nope.csv")


def test_json_log_names_events(tmp_path):
    doc = json.loads(write_events_json(EVENTS, tmp_path / "log.json").read_text())
    assert doc["format"] == "signalbrain-atspm-events"
    first = doc["events"][0]
    assert first == {
        "t_s": 12.0,
        "timestamp": "1970-01-01 00:00:12.0",
        "signal_id": "S2",
        "event_code": 111,
        "event_param": 2,
        "event": "Preemption Begin Exit Interval",
        "vehicle_id": "ev1",
        "note": "passed",
    }
