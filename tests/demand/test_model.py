"""Demand container, saturation factors, turning ratios and smoothing."""

from __future__ import annotations

import pytest

from signalbrain.demand import (
    Demand,
    check_demand,
    heavy_vehicle_factor,
    link_flows_vph,
    permitted_left_sat_vph,
    smooth,
    turn_factor,
    turning_ratios,
)
from signalbrain.errors import InputError
from signalbrain.network.generate import grid


def test_peak_hour_factor_and_arrays() -> None:
    d = Demand({"a": 900.0, "b": 450.0}, {"a": 0.1}, peak_hour_factor=0.9)
    assert d.flow_vph("a") == pytest.approx(1000.0)
    assert d.flow_vph("zz") == 0.0
    assert d.flows_array(["b", "a", "c"]).tolist() == pytest.approx([500.0, 1000.0, 0.0])
    assert d.heavy_array(["a", "b"]).tolist() == [0.1, 0.0]
    assert d.total_vph == 1350.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"flows_vph": {"a": -1.0}}, "flows_vph.a"),
        ({"flows_vph": {"a": float("nan")}}, "finite"),
        ({"flows_vph": {}, "heavy_share": {"a": 1.5}}, "heavy_share.a"),
        ({"flows_vph": {}, "peak_hour_factor": 0.0}, "peak_hour_factor"),
    ],
)
def test_bad_demand(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        Demand(**kwargs)  # type: ignore[arg-type]


def test_saturation_factors() -> None:
    assert heavy_vehicle_factor(0.1) == pytest.approx(1 / 1.1)
    assert turn_factor("L") == 0.95
    assert turn_factor("R") == 0.85
    assert turn_factor("T") == 1.0
    # gap acceptance, 600 veh/h opposing: 600 e^-0.75 / (1 - e^-0.41667) = 283.42 / 0.34076
    assert permitted_left_sat_vph(600.0, 1800.0) == pytest.approx(831.7, abs=0.1)
    assert permitted_left_sat_vph(0.0, 1800.0) == 1800.0
    assert permitted_left_sat_vph(50.0, 1000.0) == 1000.0  # capped (light opposing: ~1400)
    assert permitted_left_sat_vph(1200.0, 1800.0) < permitted_left_sat_vph(600.0, 1800.0)


def test_ratios_link_flows_check_and_smooth() -> None:
    net = grid(1, 1)
    isec = net.intersections[0]
    flows = {m.id: (300.0 if m.turn == "T" else 100.0) for m in isec.movements}
    d = Demand(flows)
    links = link_flows_vph(net, d)
    assert set(links.values()) == {500.0}
    ratios = turning_ratios(net, d)
    assert ratios[isec.movements[0].id] in (0.2, 0.6)
    assert check_demand(net, d) == []
    bad = Demand({"nope": 1.0}, source="d.yaml")
    problems = check_demand(net, bad)
    assert len(problems) == 1
    assert "unknown movement ids: nope" in str(problems[0])
    s = smooth(Demand({"a": 100.0}), Demand({"a": 200.0, "b": 50.0}), 0.25)
    assert s.flows_vph == {"a": 125.0, "b": 12.5}
    with pytest.raises(InputError, match="alpha"):
        smooth(d, d, 1.5)
