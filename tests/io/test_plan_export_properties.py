"""Property tests of the plan exports: the SUMO ``tlLogic`` programs of any optimised plan, read
back phase by phase, show the plan's displays (so no conflicting greens, full yellows and
all-reds, no short greens), and the UTDF timing keeps the plan's cycle, offset, minimums and
clearances. Networks, demand and methods are drawn as in ``tests/timing/test_plan_properties``,
whose strategies and checkers this module loads."""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.control.base import SignalState
from signalbrain.io.plan_sumo import write_plan_sumo
from signalbrain.io.plan_utdf import plan_utdf_text
from signalbrain.network import Intersection, Network
from signalbrain.timing import NetworkPlan, TimingPlan, movement_states, optimize_network

_SPEC = importlib.util.spec_from_file_location(
    "plan_properties", Path(__file__).parents[1] / "timing" / "test_plan_properties.py"
)
assert _SPEC is not None
assert _SPEC.loader is not None
props: Any = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(props)

EXPORTS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def with_link_indices(net: Network) -> Network:
    """``net`` with one SUMO link index per movement (as a SUMO import gives)."""
    isecs = []
    for s in net.intersections:
        moves = tuple(replace(m, sumo_link_indices=(k,)) for k, m in enumerate(s.movements))
        isecs.append(replace(s, movements=moves))
    return replace(net, intersections=tuple(isecs))


def read_programs(path: Path) -> dict[str, tuple[float, list[tuple[float, str]]]]:
    """``{tls id: (offset, [(duration, state), ...])}`` of a written additional file."""
    out = {}
    for tl in ET.parse(path).getroot().iter("tlLogic"):
        phases = [(float(p.get("duration", "nan")), p.get("state", "")) for p in tl.iter("phase")]
        out[tl.get("id", "")] = (float(tl.get("offset", "nan")), phases)
    return out


def program_states(
    isec: Intersection, offset_s: float, phases: list[tuple[float, str]], cycles: int = 3
) -> list[SignalState]:
    """Displays of a read-back program from its cycle start at ``offset_s`` (SUMO starts the
    first phase at the offset), per movement through its link index. Durations are whole
    milliseconds, SUMO's resolution: the checks allow 1 ms."""
    states = []
    t = offset_s
    for _ in range(cycles):
        for duration, state in phases:
            shown = {m.id: state[m.sumo_link_indices[0]] for m in isec.movements}
            states.append(SignalState(t, shown))
            t += duration
    return states


def _sumo_problems(net: Network, plans: NetworkPlan) -> list[str]:
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_plan_sumo(net, plans, Path(tmp) / "plan.add.xml")
        programs = read_programs(path)
    assert set(programs) == set(plans.plans)
    for isec in net.intersections:
        p = plans[isec.id]
        offset, phases = programs[isec.id]
        cycle = sum(d for d, _ in phases)
        if abs(cycle - p.cycle_s) > 1e-3 * len(phases) or any(d <= 0 for d, _ in phases):
            out.append(f"{isec.id}: durations {[d for d, _ in phases]} for a {p.cycle_s} s cycle")
            continue
        if not (0.0 <= offset < p.cycle_s) or abs(offset - p.offset_s) > 1e-9:
            out.append(f"{isec.id}: offset {offset} for the plan's {p.offset_s}")
        # the same displays as the plan at the middle of every program phase
        t = offset
        for duration, state in phases:
            want = movement_states(isec, p, t + 0.5 * duration)
            got = {m.id: state[m.sumo_link_indices[0]] for m in isec.movements}
            if got != want:
                out.append(f"{isec.id}: at {t:g} s the program shows {got}, the plan {want}")
                break
            t += duration
        states = program_states(isec, offset, phases)
        found = props.display_problems(isec, states, offset + cycle, 1e-3)
        out.extend(f"{isec.id} (read back): {prob}" for prob in found)
    return out


def _utdf_problems(net: Network, plans: NetworkPlan) -> list[str]:
    rows = list(csv.reader(io.StringIO(plan_utdf_text(net, plans))))
    by_key = {(r[0], r[1]): r[2:] for r in rows if len(r) > 2}
    nodes = {}
    in_nodes = False
    for r in rows:
        if r[:1] == ["[Nodes]"]:
            in_nodes = True
        elif r[:1] and r[0].startswith("["):
            in_nodes = False
        elif in_nodes and len(r) == 6 and r[0].isdigit():
            nodes[r[5]] = r[0]
    out: list[str] = []
    for isec in net.intersections:
        p: TimingPlan = plans[isec.id]
        k = nodes[isec.id]
        cycle = float(by_key[("Cycle Length", k)][0])
        offset = float(by_key[("Offset", k)][0])
        # tenths: either tenth next to the cycle (round_plan's window: 20.28125 s has groups
        # of 10.14 s, each rounded to 10.1, so 20.2), or longer where minimums, yellows and
        # all-reds rounded up need it
        longest = max(len(ring) for ring in p.rings)
        if (
            not p.cycle_s - 0.1 - 1e-9 <= cycle <= p.cycle_s + 0.3 * longest + 1e-9
            or not 0 <= offset < cycle
        ):
            out.append(f"{isec.id}: cycle {cycle}, offset {offset} for {p.cycle_s}, {p.offset_s}")
        for ring in p.rings:
            total = sum(
                float(by_key[(row, k)][n - 1])
                for n in ring
                for row in ("MaxGreen", "Yellow", "AllRed")
            )
            if not math.isclose(total, cycle, abs_tol=1e-9):
                out.append(f"{isec.id}: ring {ring} splits add up to {total} for a {cycle} s cycle")
        for pt in p.phases:
            ph = isec.phase(pt.number)

            def value(row: str, number: int = pt.number, node: str = k) -> float:
                return float(by_key[(row, node)][number - 1])

            if value("MaxGreen") < max(ph.min_green_s, ph.ped_min_s) - 1e-9:
                out.append(f"{isec.id}: phase {pt.number} green {value('MaxGreen')} < minimum")
            if value("Yellow") < ph.yellow_s - 1e-9 or value("AllRed") < ph.all_red_s - 1e-9:
                out.append(
                    f"{isec.id}: phase {pt.number} clearance {value('Yellow')} + "
                    f"{value('AllRed')} for the network's {ph.yellow_s} + {ph.all_red_s}"
                )
            split = value("MaxGreen") + value("Yellow") + value("AllRed")
            if value("MinSplit") > split + 1e-9 or value("MinGreen") > value("MaxGreen") + 1e-9:
                out.append(f"{isec.id}: phase {pt.number} MinSplit/MinGreen above the split")
            span = (value("End") - value("Start")) % cycle
            if not math.isclose(span, split % cycle, abs_tol=1e-9):
                out.append(f"{isec.id}: phase {pt.number} Start/End do not span its split")
            # a tenth for the group, and its greens give way to the other phases' clearances
            # rounded up to the tenth
            slack = 0.1 + 0.2 * longest + abs(cycle - p.cycle_s) + 1e-9
            if not math.isclose(split, pt.split_s, abs_tol=slack):
                out.append(
                    f"{isec.id}: phase {pt.number} split {split} for the plan's {pt.split_s}"
                )
    return out


@EXPORTS
@given(st.data(), props.OPTIONS)
def test_exported_programs_show_the_plans_displays(
    data: st.DataObject, options: dict[str, Any]
) -> None:
    net = with_link_indices(data.draw(props.networks()))
    demand = data.draw(props.demands(net))
    if options["method"] == "webster":
        options["joint"] = False
    plans = optimize_network(net, demand, **options)
    problems = _sumo_problems(net, plans)
    assert not problems, problems


@EXPORTS
@given(st.data(), props.OPTIONS)
def test_utdf_keeps_the_plans_timing(data: st.DataObject, options: dict[str, Any]) -> None:
    net = data.draw(props.networks())
    demand = data.draw(props.demands(net))
    if options["method"] == "webster":
        options["joint"] = False
    plans = optimize_network(net, demand, **options)
    problems = _utdf_problems(net, plans)
    assert not problems, problems
