"""Upper bounds of link values and cycle limits in the network YAML.

A saturation flow of 1e300 veh/h/lane, a speed of 1,000 m/s, a 1,000 km link or a 10-hour
maximum cycle used to be accepted and silently reshaped every plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.io import read_network

from .test_network_yaml import SINGLE, edit

BAD: list[tuple[str, str, str, str]] = [
    (
        "saturation flow",
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E, sat_flow_vphpl: 1e300}",
        "links.A_E.sat_flow_vphpl = 1e+300: must be <= 4000 veh/h/lane",
    ),
    (
        "saturation flow per hour, not per lane and hour",
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E, sat_flow_vphpl: 5700}",
        "links.A_E.sat_flow_vphpl = 5700: must be <= 4000 veh/h/lane",
    ),
    (
        "speed in km/h... times ten",
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E, free_speed_mps: 500}",
        "links.A_E.free_speed_mps = 500: must be <= 100 m/s",
    ),
    (
        "length in millimetres",
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E, length_m: 300000}",
        "links.A_E.length_m = 300000: must be <= 100000 m",
    ),
    (
        "maximum cycle in tenths of a second",
        "  A:\n    phases:",
        "  A:\n    cycle_max_s: 36000\n    phases:",
        "intersections.A.cycle_max_s = 36000: must be <= 3600 s",
    ),
]


@pytest.mark.parametrize(("what", "old", "new", "message"), BAD, ids=[c[0] for c in BAD])
def test_absurd_values_are_refused(
    tmp_path: Path, what: str, old: str, new: str, message: str
) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(edit(SINGLE, old, new), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_network(path)
    assert f"{path}: {message}" in str(info.value)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sat_flow_vphpl", "1e300", "= 1e+300: must be <= 4000"),
        ("free_speed_mps", "1000", "= 1000: must be <= 100"),
        ("cycle_max_s", "7200", "= 7200: must be <= 3600"),
        ("cycle_min_s", "7200", "= 7200: must be <= 3600"),
        ("yellow_s", "45", "= 45: must be <= 30"),
        ("lanes", "99", "= 99: must be <= 64"),
    ],
)
def test_an_absurd_default_is_reported_once(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(f"defaults: {{{key}: {value}}}\n{SINGLE}", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_network(path)
    assert [str(p) for p in info.value.problems] == [f"{path}: defaults.{key} {message}"]


def test_values_at_the_bounds_are_accepted(tmp_path: Path) -> None:
    text = edit(
        SINGLE,
        "A_E: {from: A, to: E}",
        "A_E: {from: A, to: E, sat_flow_vphpl: 4000, free_speed_mps: 100, length_m: 100000}",
    )
    text = edit(text, "  A:\n    phases:", "  A:\n    cycle_max_s: 3600\n    phases:")
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    net = read_network(path)
    link = net.link("A_E")
    assert (link.sat_flow_vphpl, link.free_speed_mps, link.length_m) == (4000, 100, 100000)
    assert net.intersection("A").cycle_max_s == 3600
