"""The ``escort`` block of ``sumo run --escort auto`` lists only the vehicles escorted.

A vehicle whose request the manager refused (its route takes a turn no movement allows) was
logged as "not escorted" and still listed under ``escort.vehicles``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from signalbrain.escort.sumo import SumoEscort
from signalbrain.io import bundled_network, read_network

ROUTES = {
    "ev_ok": ["W_S1", "S1_S2", "S2_S3"],
    "ev_bad": ["W_S1", "S2_S3"],  # not joined: refused by the manager
}


def _fake_sumo() -> Any:
    """The parts of SUMO's API the hook reads, at the step both vehicles depart."""
    return SimpleNamespace(
        simulation=SimpleNamespace(
            getDeltaT=lambda: 1.0,
            getLoadedIDList=lambda: list(ROUTES),
            getDepartedIDList=lambda: list(ROUTES),
            getArrivedIDList=lambda: [],
        ),
        vehicle=SimpleNamespace(
            getVehicleClass=lambda vid: "emergency",
            getRoute=lambda vid: ROUTES[vid],
            getRouteIndex=lambda vid: 0,
            getDepartDelay=lambda vid: 0.0,
            getIDList=lambda: list(ROUTES),
            getRoadID=lambda vid: ROUTES[vid][0],
            getLanePosition=lambda vid: 0.0,
            getSpeed=lambda vid: 0.0,
            setRoute=lambda vid, route: None,
        ),
    )


def test_a_refused_vehicle_is_not_listed_as_escorted() -> None:
    net = read_network(bundled_network("arterial"))
    hook = SumoEscort("auto", net, sumo=_fake_sumo(), dispatch_lead_s=0.0)
    hook(10.0, {}, {})
    assert hook.summary()["vehicles"] == ["ev_ok"]
    assert set(hook.escorted) == {"ev_ok"}
