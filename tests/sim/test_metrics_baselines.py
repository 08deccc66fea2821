"""Trip metrics (contract and RESCO delay) and SUMO baseline program conversion."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from signalbrain.errors import InputError
from signalbrain.network import SumoPhase, SumoProgram
from signalbrain.sim.baselines import convert_program, write_programs
from signalbrain.sim.metrics import read_tripinfo, summarize_trips

_TRIPS = """<tripinfos>
  <tripinfo id="a" depart="0" departDelay="2" arrival="100" duration="100" timeLoss="30"
            waitingTime="10" waitingCount="1" vType="car"/>
  <tripinfo id="b" depart="5" departDelay="0" arrival="65" duration="60" timeLoss="10"
            waitingTime="4" waitingCount="2" vType="car"/>
  <tripinfo id="c" depart="50" departDelay="8" arrival="-1" duration="50" timeLoss="40"
            waitingTime="20" waitingCount="3" vType="car"/>
  <tripinfo id="ev" depart="10" departDelay="0" arrival="70" duration="60" timeLoss="5"
            waitingTime="0" waitingCount="0" vType="ambulance"/>
</tripinfos>
"""


def test_summary_separates_contract_and_resco_delay(tmp_path: Path) -> None:
    path = tmp_path / "ti.xml"
    path.write_text(_TRIPS, encoding="utf-8")
    trips = read_tripinfo(path)
    assert len(trips) == 4
    s = summarize_trips(
        trips, pending_delay_s=[12.0], vclass_of={"car": "passenger", "ambulance": "emergency"}
    )
    assert (s.departed, s.arrived, s.running, s.waiting_to_enter) == (4, 3, 1, 1)
    # contract: arrived civil vehicles only (a, b)
    assert s.mean_delay_s == pytest.approx(20.0)
    assert s.mean_travel_time_s == pytest.approx(80.0)
    assert s.mean_waiting_s == pytest.approx(7.0)
    # RESCO: timeLoss + departDelay of a, b, c and the never-inserted vehicle
    assert s.mean_delay_all_s == pytest.approx((32 + 10 + 48 + 12) / 4)
    assert [(e.id, e.travel_time_s, e.delay_s, e.stops) for e in s.emergency] == [
        ("ev", 60.0, 5.0, 0)
    ]


def test_empty_run_gives_nan_means(tmp_path: Path) -> None:
    path = tmp_path / "ti.xml"
    path.write_text("<tripinfos/>", encoding="utf-8")
    s = summarize_trips(read_tripinfo(path))
    assert s.departed == 0
    assert math.isnan(s.mean_delay_s)
    assert math.isnan(s.mean_delay_all_s)


def test_trip_table_checks_shapes(tmp_path: Path) -> None:
    path = tmp_path / "ti.xml"
    path.write_text(_TRIPS, encoding="utf-8")
    trips = read_tripinfo(path)
    with pytest.raises(ValueError, match=r"expected \(4,\)"):
        type(trips)(
            trips.ids,
            trips.vtypes,
            trips.arrived,
            np.zeros(3),
            trips.time_loss_s,
            trips.depart_delay_s,
            trips.waiting_s,
            trips.waiting_count,
        )


def test_malformed_tripinfo(tmp_path: Path) -> None:
    path = tmp_path / "ti.xml"
    path.write_text("<tripinfos><tripinfo id='a' duration='x'/></tripinfos>", encoding="utf-8")
    with pytest.raises(InputError, match="malformed trip-info"):
        read_tripinfo(path)


_PROGRAM = SumoProgram(
    "J1",
    "0",
    "static",
    3.0,
    (
        SumoPhase(31, "GGrr"),
        SumoPhase(4, "yyrr"),
        SumoPhase(2, "rrrr"),
        SumoPhase(3, "rrGg", min_dur_s=2, max_dur_s=9),
        SumoPhase(80, "rrGG"),
        SumoPhase(4, "rryy"),
    ),
    link_count=4,
)


@pytest.mark.parametrize("kind", ["actuated", "delay_based"])
def test_convert_sets_bounds_on_green_phases_only(kind: str) -> None:
    out = convert_program(_PROGRAM, kind)
    assert out.type == kind
    assert out.tls_id == "J1"
    assert out.program_id == f"signalbrain_{kind}"
    bounds = [(p.min_dur_s, p.max_dur_s) for p in out.phases]
    assert bounds == [(5, 50), (4, 4), (2, 2), (2, 9), (5, 80), (4, 4)]
    assert [p.state for p in out.phases] == [p.state for p in _PROGRAM.phases]


def test_convert_rejects_unknown_type() -> None:
    with pytest.raises(InputError, match="valid: actuated, delay_based"):
        convert_program(_PROGRAM, "static")


def test_write_programs_round_trip(tmp_path: Path) -> None:
    path = write_programs([convert_program(_PROGRAM, "actuated")], tmp_path / "p.add.xml")
    tl = ET.parse(path).getroot().find("tlLogic")
    assert tl is not None
    assert (tl.get("id"), tl.get("type"), tl.get("offset")) == ("J1", "actuated", "3")
    phases = tl.findall("phase")
    assert [(p.get("duration"), p.get("minDur"), p.get("maxDur")) for p in phases][:2] == [
        ("31", "5", "50"),
        ("4", "4", "4"),
    ]


def test_vehicles_sumo_removed_did_not_arrive(tmp_path: Path) -> None:
    """With --time-to-teleport.remove SUMO writes a jammed vehicle's removal as an arrival
    (vaporized="teleport"): it was counted as arrived and its cut-short trip in the means."""
    path = tmp_path / "ti.xml"
    path.write_text(
        """<tripinfos>
  <tripinfo id="a" departDelay="0" arrival="100" duration="100" timeLoss="30"
            waitingTime="10" waitingCount="1" vType="car" vaporized=""/>
  <tripinfo id="j" departDelay="2" arrival="28" duration="20" timeLoss="9"
            waitingTime="6" waitingCount="1" vType="car" vaporized="teleport"/>
  <tripinfo id="r" departDelay="1" arrival="-1" duration="50" timeLoss="40"
            waitingTime="20" waitingCount="3" vType="car" vaporized="end"/>
</tripinfos>
""",
        encoding="utf-8",
    )
    s = summarize_trips(read_tripinfo(path))
    assert (s.departed, s.arrived, s.running, s.removed) == (3, 1, 1, 1)
    assert s.mean_delay_s == pytest.approx(30.0)
    assert s.mean_travel_time_s == pytest.approx(100.0)
    assert s.mean_delay_all_s == pytest.approx((30 + 11 + 41) / 3)
