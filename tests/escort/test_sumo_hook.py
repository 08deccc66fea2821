"""The SUMO request hook of ``sumo run --escort auto`` on a stand-in for SUMO's API.

* The ``escort`` block lists only the vehicles escorted: a vehicle whose request the manager
  refused (its route takes a turn no movement allows) was logged as "not escorted" and still
  listed under ``escort.vehicles``.
* An emergency ``<trip>`` (from and to only, routed by SUMO when it inserts it) is requested
  ahead of its departure: its loaded route, the two edges, was refused ("no allowed movement
  joins these links; not escorted") and it was requested only when it departed.
* A round trip (its route ends on the edge it starts on) keeps its route: the escort routed it
  from its first edge to its last, that edge alone, and handed it that route, so SUMO ended the
  trip at once (15 s instead of the loop).
* A vehicle not escorted is logged once: refused when requested ahead of its departure, it was
  refused (and logged) again when it departed.
* A vehicle with stops to make keeps its route: SUMO dropped the stops off the escort's route
  with no word (an ambulance that was to pick up a patient drove straight on).
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


def _fake_sumo(routes: dict[str, list[str]] = ROUTES, *, departed: bool = True) -> Any:
    """The parts of SUMO's API the hook reads, at the step the vehicles are loaded (and depart
    when ``departed``, else 30 s later)."""
    return SimpleNamespace(
        simulation=SimpleNamespace(
            getDeltaT=lambda: 1.0,
            getLoadedIDList=lambda: list(routes),
            getDepartedIDList=lambda: list(routes) if departed else [],
            getArrivedIDList=lambda: [],
        ),
        vehicle=SimpleNamespace(
            getVehicleClass=lambda vid: "emergency",
            getRoute=lambda vid: routes[vid],
            getRouteIndex=lambda vid: 0,
            getDepartDelay=lambda vid: 0.0 if departed else -30.0,
            getIDList=lambda: list(routes) if departed else [],
            getRoadID=lambda vid: routes[vid][0],
            getLanePosition=lambda vid: 0.0,
            getSpeed=lambda vid: 0.0,
            setRoute=lambda vid, route: None,
            getStops=lambda vid: [],
        ),
    )


def test_a_refused_vehicle_is_not_listed_as_escorted() -> None:
    net = read_network(bundled_network("arterial"))
    hook = SumoEscort("auto", net, sumo=_fake_sumo(), dispatch_lead_s=0.0)
    hook(10.0, {}, {})
    assert hook.summary()["vehicles"] == ["ev_ok"]
    assert set(hook.escorted) == {"ev_ok"}


def test_a_trip_is_requested_ahead_of_its_departure(caplog: Any) -> None:
    net = read_network(bundled_network("arterial"))
    hook = SumoEscort("auto", net, sumo=_fake_sumo({"ev_trip": ["W_S1", "S6_E"]}, departed=False))
    hook(10.0, {}, {})  # due at 40 s, within the 60 s lead
    assert "not escorted" not in caplog.text
    assert hook.summary()["vehicles"] == ["ev_trip"]
    route = hook.manager.remaining_route("ev_trip") if hook.manager is not None else ()
    assert route[0] == "W_S1"
    assert route[-1] == "S6_E"
    assert len(route) > 2


def test_a_round_trip_keeps_its_route() -> None:
    net = read_network(bundled_network("grid3x3"))
    loop = ["I0_1_I0_2", "I0_2_I1_2", "I1_2_I1_1", "I1_1_I0_1", "I0_1_I0_2"]
    pushed: list[list[str]] = []
    sumo = _fake_sumo({"ev_loop": loop})
    sumo.vehicle.setRoute = lambda vid, route: pushed.append(list(route))
    hook = SumoEscort("auto", net, sumo=sumo, dispatch_lead_s=0.0)
    hook(10.0, {}, {})
    assert hook.summary()["vehicles"] == ["ev_loop"]
    assert pushed == []
    assert hook.manager is not None
    assert list(hook.manager.remaining_route("ev_loop")) == loop


def test_a_vehicle_with_stops_keeps_its_route() -> None:
    net = read_network(bundled_network("grid3x3"))
    detour = ["I0_1_I0_2", "I0_2_I1_2", "I1_2_I2_2", "I2_2_I2_1", "I2_1_I1_1", "I1_1_I1_0"]
    pushed: list[list[str]] = []
    sumo = _fake_sumo({"ev_stop": detour})
    sumo.vehicle.setRoute = lambda vid, route: pushed.append(list(route))
    sumo.vehicle.getStops = lambda vid: [SimpleNamespace(lane="I2_2_I2_1_0", duration=20.0)]
    hook = SumoEscort("auto", net, sumo=sumo, dispatch_lead_s=0.0)
    hook(10.0, {}, {})
    assert pushed == []
    assert hook.manager is not None
    assert list(hook.manager.remaining_route("ev_stop")) == detour


def test_a_vehicle_not_escorted_is_logged_once(caplog: Any) -> None:
    net = read_network(bundled_network("arterial"))
    routes = {"ev_out": ["nowhere", "S6_E"]}
    hook = SumoEscort("auto", net, sumo=_fake_sumo(routes, departed=False))
    hook(10.0, {}, {})  # requested ahead of the departure at 40 s: refused
    hook.bind_sumo(_fake_sumo(routes))
    hook(40.0, {}, {})  # departs: requested again, refused again
    assert hook.summary()["vehicles"] == []
    assert caplog.text.count("ev_out: route") == 1


def test_a_trip_with_stops_is_requested_when_it_departs(caplog: Any) -> None:
    """Its own route is the one SUMO gives it on insertion: nothing to request ahead, and no
    "not escorted" (a trip with a stop was refused ahead: "destination: missing")."""
    net = read_network(bundled_network("arterial"))
    sumo = _fake_sumo({"ev_trip": ["W_S1", "S3_S4", "S6_E"]}, departed=False)  # from, stop, to
    sumo.vehicle.getStops = lambda vid: [SimpleNamespace(lane="S3_S4_0", duration=20.0)]
    hook = SumoEscort("auto", net, sumo=sumo)
    hook(10.0, {}, {})
    assert "not escorted" not in caplog.text
    assert hook.summary()["vehicles"] == []
