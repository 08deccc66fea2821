"""Round trips through SUMO: import, write programs back, run ``sumo``, compare trips.

Writing the original programs back as an additional file must reproduce SUMO's own run trip for
trip; a program built from the imported model with :func:`signal_state` must load, be the one SUMO
runs (its ``programID`` shows in SUMO's TLS state output) and change the result.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.io import sumocfg_files
from signalbrain.io.sumo_net import read_sumo_net
from signalbrain.io.sumo_programs import DEFAULT_PROGRAM_ID, write_sumo_programs
from signalbrain.io.sumo_state import signal_state
from signalbrain.network import MIN_YELLOW_S, Intersection, Network, SumoPhase, SumoProgram

pytest.importorskip("sumolib")

Runner = Callable[..., list[dict[str, str]]]

SCENARIOS = {  # folder under scenarios/ -> number of traffic lights
    "resco/cologne1": 1,
    "resco/cologne3": 3,
    "resco/ingolstadt1": 1,
    "resco/ingolstadt7": 7,
    "libsignal/atlanta_1x5": 5,
    "libsignal/hangzhou_1x1_bc-tyc_18041610_1h": 1,
    "libsignal/hangzhou_1x1_kn-hz_18041608_1h": 1,
}


def model_program(isec: Intersection, green_scale: float = 1.5) -> SumoProgram:
    """A program from the imported model: each phase's green (original duration x scale, within
    its limits), then its yellow and all-red, written with :func:`signal_state`."""
    assert isec.sumo is not None
    phases: list[SumoPhase] = []
    for ph in isec.phases:
        k = int(ph.name.split()[2])
        green = min(
            max(isec.sumo.phases[k].duration_s * green_scale, ph.min_green_s), ph.max_green_s
        )
        phases.append(SumoPhase(green, signal_state(isec, ph.protected, ph.permitted)))
        phases.append(SumoPhase(ph.yellow_s, signal_state(isec, yellow=ph.movements)))
        if ph.all_red_s > 0:
            phases.append(SumoPhase(ph.all_red_s, signal_state(isec)))
    return SumoProgram(isec.id, "model", "static", 0.0, tuple(phases), isec.sumo.link_count)


def _tls_state_events(net: Network, folder: Path) -> Path:
    root = ET.Element("additional")
    for isec in net.intersections:
        ET.SubElement(
            root,
            "timedEvent",
            {
                "type": "SaveTLSSwitchStates",
                "source": isec.id,
                "dest": str(folder / f"tls_{isec.id[:40]}.xml"),
            },
        )
    path = folder / "tls_states.add.xml"
    ET.ElementTree(root).write(path)
    return path


def _program_ids(net: Network, folder: Path) -> set[str]:
    ids: set[str] = set()
    for isec in net.intersections:
        out = folder / f"tls_{isec.id[:40]}.xml"
        ids |= {e.get("programID", "") for e in ET.parse(out).getroot().iter("tlsState")}
    return ids


def _check_model_is_sane(net: Network, signals: int) -> None:
    assert net.signal_count == signals
    assert net.movement_count >= 4 * signals
    for isec in net.intersections:
        assert isec.sumo is not None
        assert len(isec.phases) >= 2, isec.id
        assert isec.conflicts, isec.id
        for ph in isec.phases:
            assert ph.yellow_s >= MIN_YELLOW_S
            assert isec.unsafe_pairs(ph.protected, ph.permitted) == []
            assert len(signal_state(isec, ph.protected, ph.permitted)) == isec.sumo.link_count


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_shared_scenario_round_trip(
    scenario: str, shared_data: Path, sumo_runner: Runner, tmp_path: Path
) -> None:
    folder = shared_data / "scenarios" / scenario
    config = next(folder.glob("*.sumocfg"))
    net_file = sumocfg_files(config)["net-file"][0]
    net = read_sumo_net(net_file)
    _check_model_is_sane(net, SCENARIOS[scenario])

    own = sumo_runner(tmp_path, config=config, tag="own")
    programs = write_sumo_programs(net, tmp_path / "original.add.xml")
    events = _tls_state_events(net, tmp_path)
    back = sumo_runner(tmp_path, config=config, additional=(programs, events), tag="back")
    assert len(own) > 10
    assert back == own
    assert _program_ids(net, tmp_path) == {DEFAULT_PROGRAM_ID}

    model = {s.id: model_program(s) for s in net.intersections}
    written = write_sumo_programs(net, tmp_path / "model.add.xml", programs=model)
    changed = sumo_runner(tmp_path, config=config, additional=(written,), tag="model")
    assert changed != own
    assert len(changed) > 10


@pytest.mark.slow
def test_generated_grid_round_trip(
    grid_net: Path, trips_for: Callable[[Path], Path], sumo_runner: Runner, tmp_path: Path
) -> None:
    routes = trips_for(grid_net)
    net = read_sumo_net(grid_net)
    own = sumo_runner(tmp_path, net=grid_net, routes=routes, duration_s=400, tag="own")
    programs = write_sumo_programs(net, tmp_path / "original.add.xml")
    events = _tls_state_events(net, tmp_path)
    back = sumo_runner(
        tmp_path,
        net=grid_net,
        routes=routes,
        duration_s=400,
        additional=(programs, events),
        tag="back",
    )
    assert len(own) > 50
    assert back == own
    assert _program_ids(net, tmp_path) == {DEFAULT_PROGRAM_ID}

    # all-red everywhere: if SUMO ran the written program, nobody crosses a signal
    stop = {
        s.id: SumoProgram(
            s.id, "x", "static", 0.0, (SumoPhase(60.0, signal_state(s)),), s.sumo.link_count
        )
        for s in net.intersections
        if s.sumo is not None
    }
    red = write_sumo_programs(net, tmp_path / "red.add.xml", programs=stop)
    blocked = sumo_runner(
        tmp_path, net=grid_net, routes=routes, duration_s=400, additional=(red,), tag="red"
    )
    assert len(blocked) < len(own) / 2


def test_written_file_is_verbatim(grid_net: Path, tmp_path: Path) -> None:
    net = read_sumo_net(grid_net)
    path = write_sumo_programs(net, tmp_path / "p.add.xml", program_id="mine")
    root = ET.parse(path).getroot()
    assert root.tag == "additional"
    logics = root.findall("tlLogic")
    assert [e.get("id") for e in logics] == [s.id for s in net.intersections]
    for elem, isec in zip(logics, net.intersections, strict=True):
        assert isec.sumo is not None
        assert elem.get("programID") == "mine"
        assert elem.get("type") == isec.sumo.type
        assert [(float(p.get("duration", "nan")), p.get("state")) for p in elem] == [
            (p.duration_s, p.state) for p in isec.sumo.phases
        ]


@pytest.mark.parametrize(
    ("programs", "kwargs", "message"),
    [
        (
            {"nope": SumoProgram("nope", "p", "static", 0, (SumoPhase(5, "G"),), 1)},
            {},
            "unknown traffic light",
        ),
        (
            {"B1": SumoProgram("B1", "p", "static", 0, (SumoPhase(5, "GG"),), 2)},
            {},
            "has 2 characters",
        ),
        (
            {"B1": SumoProgram("B1", "p", "static", 0, (SumoPhase(0, "X" * 20),), 20)},
            {},
            "invalid characters 'X'",
        ),
        (None, {"program_id": "0"}, "SUMO refuses a duplicate"),
    ],
)
def test_write_rejects_bad_programs(
    grid_net: Path,
    tmp_path: Path,
    programs: dict[str, SumoProgram] | None,
    kwargs: dict[str, str],
    message: str,
) -> None:
    net = read_sumo_net(grid_net)
    with pytest.raises(InputError, match=message):
        write_sumo_programs(net, tmp_path / "x.add.xml", programs=programs, **kwargs)
