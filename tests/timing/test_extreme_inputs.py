"""Timing inputs at and beyond their limits: a clear message or a plan that says what it did,
never a hang, a traceback or a plan that hides a broken limit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from signalbrain.cli import main
from signalbrain.errors import InputError
from signalbrain.io import bundled_demand, bundled_network, read_network
from signalbrain.io.demand import read_demand
from signalbrain.io.plan_utdf import plan_utdf_text
from signalbrain.network import check_network
from signalbrain.timing import optimize_network


def _single(**changes: float):
    net = read_network(bundled_network("single"))
    isec = replace(net.intersections[0], **changes)
    return replace(net, intersections=(isec,))


def test_a_cycle_beyond_the_maximum_says_so_also_when_coordinated() -> None:
    net = _single(cycle_max_s=60.0)
    demand = read_demand(bundled_demand("single"), net)
    for method in ("transyt", "webster"):
        plan = optimize_network(net, demand, method=method)
        p = next(iter(plan.plans.values()))
        assert p.cycle_s > 60.0
        assert any("more than the maximum 60 s" in n for n in p.notes), (method, p.notes)


def test_absurd_clearances_and_cycles_are_refused() -> None:
    net = read_network(bundled_network("single"))
    isec = net.intersections[0]
    phases = (replace(isec.phases[0], yellow_s=1e300), *isec.phases[1:])
    bad = replace(net, intersections=(replace(isec, phases=phases),))
    problems = check_network(bad)
    assert any("yellow_s = 1e+300: must be <= 30 s" in str(p) for p in problems)
    phases = (replace(isec.phases[0], all_red_s=1e300), *isec.phases[1:])
    bad = replace(net, intersections=(replace(isec, phases=phases),))
    assert any("all_red_s = 1e+300: must be 0 to 60 s" in str(p) for p in check_network(bad))
    demand = read_demand(bundled_demand("single"), net)
    with pytest.raises(InputError, match=r"cycle_s = 1e\+300: must be > 0 and <= 3600 s"):
        optimize_network(net, demand, cycle_s=1e300)


def test_utdf_refuses_a_phase_number_it_has_no_column_for() -> None:
    net = read_network(bundled_network("single"))
    demand = read_demand(bundled_demand("single"), net)
    plan = optimize_network(net, demand)
    sid, p = next(iter(plan.plans.items()))
    old = p.phases[0].number

    def renumber(groups: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(100_000_000 if n == old else n for n in g) for g in groups)

    high = replace(
        p,
        phases=(replace(p.phases[0], number=100_000_000), *p.phases[1:]),
        rings=renumber(p.rings),
        barriers=renumber(p.barriers),
    )
    bad = replace(plan, plans={**plan.plans, sid: high})
    with pytest.raises(InputError, match="phase 100000000 cannot be written to UTDF"):
        plan_utdf_text(net, bad)


def test_maxband_without_any_band_falls_back_with_a_note() -> None:
    net = read_network(bundled_network("arterial"))
    far = replace(net, links=tuple(replace(k, length_m=1e15) for k in net.links))
    demand = read_demand(bundled_demand("arterial"), net)
    plan = optimize_network(far, demand, method="maxband")
    assert any("no offsets give a band even one way" in n for n in plan.notes)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cycle", "1e300"], "--cycle: 1e+300: must be > 0 and <= 3600 s"),
        (["--begin", "100", "--end", "50"], "--end: 50: must be after --begin 100"),
        (["--begin", "nan"], "--begin: nan: must be a time >= 0 [s]"),
    ],
)
def test_cli_names_bad_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = ["optimize", str(bundled_network("single")), "--demand", str(bundled_demand("single"))]
    assert main([*argv, *extra, "-o", str(tmp_path / "p.yaml")]) == 2
    assert message in capsys.readouterr().err


def test_an_empty_counts_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "counts.csv"
    empty.write_text("", encoding="utf-8")
    argv = ["optimize", str(bundled_network("single")), "--demand", str(empty)]
    assert main([*argv, "-o", str(tmp_path / "p.yaml")]) == 2
    assert "no count rows" in capsys.readouterr().err


def test_a_cycle_limit_given_alone_wins_over_the_signals_other_limit() -> None:
    net = read_network(bundled_network("arterial"))  # cycle limits 40-150 s
    demand = read_demand(bundled_demand("arterial"), net)
    plan = optimize_network(net, demand, cycle_min_s=200.0)  # was 150 s, silently
    assert all(p.cycle_s >= 200.0 for p in plan.plans.values())
    plan = optimize_network(net, demand, method="webster", cycle_max_s=30.0)
    notes = [n for p in plan.plans.values() for n in p.notes]
    assert any("more than the maximum 30 s" in n for n in notes), notes  # said 40 s
    with pytest.raises(InputError, match=r"cycle_min_s = 1e\+300: must be > 0 and <= 3600 s"):
        optimize_network(net, demand, cycle_min_s=1e300)


def _routes_elsewhere(folder: Path) -> Path:
    """SUMO routes on edges no bundled network has."""
    path = folder / "other.rou.xml"
    path.write_text(
        '<routes><vehicle id="v0" depart="0"><route edges="a b c"/></vehicle>'
        '<vehicle id="v1" depart="10"><route edges="a b c"/></vehicle></routes>\n',
        encoding="utf-8",
    )
    return path


def _counts_without_cameras(folder: Path) -> Path:
    path = folder / "counts.csv"
    path.write_text(
        "video,camera,t_start_s,t_end_s,kind,id,vehicles\nv.mp4,cam,0,60,line,north,12\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--min-cycle", "1e300"], "--min-cycle: 1e+300: must be > 0 and <= 3600 s"),
        (["--max-cycle", "inf"], "--max-cycle: inf: must be > 0 and <= 3600 s"),
        (["--min-cycle", "90", "--max-cycle", "60"], "--min-cycle: 90: must be <= --max-cycle 60"),
        (["--route", "S1,S2"], "--route: used only by --method maxband and --timespace"),
        (["--route", "S1,S9", "--timespace", "{tmp}/ts.png"], "unknown intersections S9"),
        (["--joint", "--method", "webster"], "--joint: used only by the coordinated methods"),
        (["--cameras", "cam.yaml"], "--cameras: used only with a counts CSV as --demand"),
        (["--begin", "5"], "--begin: cuts only SUMO routes"),
        (["--routes", "x.rou.xml"], "--routes: give either --demand or --routes, not both"),
        (["--timespace", "{tmp}/ts.txt"], "--timespace: ts.txt: the suffix must be one of .png"),
        (["--timespace", "{tmp}/none/ts.png"], "--timespace: folder {tmp}/none does not exist"),
        (["-o", "{tmp}/none/p.yaml"], "--output: folder {tmp}/none does not exist"),
        (["-o", "{tmp}/p.add.xml"], "SUMO programs need a network imported from SUMO"),
        (["--demand", "{net}"], "a network file, not demand; expected flows_vph"),
        (["--demand", "{routes}"], "other.rou.xml: no vehicle drives a movement of network"),
        (["--demand", "{counts}"], "no counted vehicle maps to a movement or approach link"),
    ],
)
def test_cli_refuses_what_it_would_ignore_or_get_wrong_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    """Options that would be ignored, limits that would be overridden, output targets that
    cannot be written and demand that matches nothing: exit 2 naming the option, nothing
    written (the plan used to be written before --timespace or --route failed)."""
    names = {
        "tmp": str(tmp_path),
        "net": str(bundled_network("arterial")),
        "routes": str(_routes_elsewhere(tmp_path)),
        "counts": str(_counts_without_cameras(tmp_path)),
    }
    argv = ["optimize", names["net"], "--demand", str(bundled_demand("arterial"))]
    argv += ["-o", str(tmp_path / "p.yaml")]
    assert main([*argv, *(a.format(**names) for a in extra)]) == 2
    err = capsys.readouterr().err
    assert message.format(**names) in err
    assert "Traceback" not in err
    assert not any(p.name.startswith(("p.", "ts.")) for p in tmp_path.iterdir())


@pytest.mark.shared
def test_maxband_without_a_corridor_falls_back_with_a_note(shared_data: Path) -> None:
    """cologne3's three signals lie on no straight route of two or more: ``optimize --method
    maxband`` exited 2 ("a corridor needs at least two signals") instead of giving the transyt
    offsets with a note, as it does for a lone signal."""
    from signalbrain.io import load_network
    from signalbrain.io.demand import read_sumo_routes

    cfg = shared_data / "scenarios" / "resco" / "cologne3" / "cologne3.sumocfg"
    net = load_network(cfg)
    demand = read_sumo_routes(next(cfg.parent.glob("*.rou.xml")), net)
    plan = optimize_network(net, demand, method="maxband")
    assert any("maxband found no corridor" in n for n in plan.notes)
    with pytest.raises(InputError):
        optimize_network(net, demand, method="maxband", route=[s.id for s in net.intersections])


def test_a_lone_signal_with_fixed_greens_runs_the_requested_cycle_and_says_so() -> None:
    """Found by the plan properties: a lone signal whose greens are fixed ran half of a
    requested 104 s cycle, 52 s, lengthened to 54 s by whole-second yellows (3.5 -> 4 s). A
    lone signal no longer runs half cycles: it runs the 104 s asked for, and the note names the
    request and the limit it breaks."""
    from signalbrain.demand.model import Demand
    from signalbrain.network.generate import Limits, grid
    from signalbrain.timing import optimize_network

    limits = Limits(
        min_green_s=5, max_green_s=5, left_min_green_s=12, left_max_green_s=12,
        yellow_s=3.5, all_red_s=1, cycle_min_s=15, cycle_max_s=15,
    )  # fmt: skip
    net = grid(1, 1, limits=limits)
    ids = [m.id for i in net.intersections for m in i.movements]
    plan = optimize_network(
        net, Demand(dict.fromkeys(ids, 0.0)), method="maxband", cycle_s=104, whole_seconds=True
    ).plans["I0_0"]
    assert plan.cycle_s == 104.0
    note = "runs a 104.0 s cycle for the requested 104 s cycle, longer than cycle_max_s = 15 s"
    assert note in plan.notes, plan.notes


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("flows_vph: {W_A.T: 1e308}\n", "flows_vph.W_A.T = 1e+308: analysis flow 1e+308 veh/h"),
        (
            "peak_hour_factor: 1e-300\nflows_vph: {W_A.T: 100}\n",
            "flows_vph.W_A.T = 100: analysis flow 1e+302 veh/h",
        ),
    ],
)
def test_a_flow_no_movement_can_carry_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, shown: str
) -> None:
    """1e308 veh/h (or 100 veh/h over a peak hour factor of 1e-300) gave exit 0, a numpy
    overflow warning, a performance index of inf and a 309-digit v/c in the notes. A movement
    flow above what 64 lanes at 4,000 veh/h/lane carry is refused naming the field."""
    demand = tmp_path / "demand.yaml"
    demand.write_text(text)
    out = tmp_path / "p.yaml"
    argv = ["optimize", str(bundled_network("single")), "--demand", str(demand), "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"demand.yaml: {shown}" in err
    assert "must be <= 256,000 veh/h" in err
    assert not out.exists()


@pytest.mark.parametrize("method", ["transyt", "webster"])
def test_cycle_limits_with_no_whole_second_between_say_so(method: str) -> None:
    """Cycle limits [90.5, 90.5] s hold no whole second: the whole-second plan runs 91 s, and
    its note blamed the minimum greens ('minimum greens and clearances need a 91.0 s cycle'),
    which fit in 74 s. The note now names the limits and the rounding."""
    net = _single(cycle_min_s=90.5, cycle_max_s=90.5)
    demand = read_demand(bundled_demand("single"), net)
    p = optimize_network(net, demand, method=method).plans["A"]
    assert p.cycle_s in (90.0, 91.0)
    assert any(
        "no whole-second cycle lies within the cycle limits [90.5, 90.5] s" in n for n in p.notes
    ), p.notes
    assert not any(n.startswith("minimum greens and clearances need") for n in p.notes), p.notes
    assert optimize_network(net, demand, method=method, whole_seconds=False)["A"].cycle_s == 90.5


@pytest.mark.parametrize("cycle_s", [10**400, "60", True])
def test_a_requested_cycle_that_is_no_number_is_named(cycle_s: object) -> None:
    """10**400 raised OverflowError formatting the message, '60' TypeError comparing it, and
    True was taken as a 1 s cycle."""
    from signalbrain.demand.model import Demand
    from signalbrain.network.generate import arterial
    from signalbrain.timing import optimize_network

    net = arterial(2)
    flows = {m.id: 100.0 for i in net.intersections for m in i.movements}
    with pytest.raises(InputError, match=r"cycle_s = .*: must be > 0 and <= 3600 s"):
        optimize_network(net, Demand(flows), cycle_s=cycle_s)  # type: ignore[arg-type]


@pytest.mark.parametrize("flow", [10**400, True])
def test_a_flow_that_is_no_finite_number_is_named(flow: object) -> None:
    """10**400 raised OverflowError; True was taken as 1 veh/h."""
    from signalbrain.demand.model import Demand

    with pytest.raises(InputError, match=r"flows_vph\.x = .*: must be a finite number >= 0"):
        Demand({"x": flow})  # type: ignore[dict-item]
