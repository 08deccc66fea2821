"""Plans as a Synchro UTDF combined CSV (the timing sections).

The Universal Traffic Data Format (Trafficware, *Synchro Studio User Guide*, ch. "UTDF") stores a
network in one CSV file of bracketed sections. :func:`write_plan_utdf` writes the sections that
carry timing, which is what Synchro's "Merge data from UTDF" and controller databases exchange:

``[Network]``
    ``UTDFVERSION`` 8 and the time/distance metric flag.
``[Nodes]``
    one row per signal: numeric ``INTID`` (1..n in plan order), ``TYPE`` 0 (signalized), ``X``,
    ``Y`` [m] and ``DESCRIPTION`` = the signalbrain intersection id.
``[Timeplans]``
    per signal: ``Control Type`` 0 (pretimed), ``Cycle Length``, ``Lock Timings`` 0,
    ``Referenced To`` 0 (begin of green), ``Reference Phase`` (first phase of ring 1, whose green
    starts the cycle), ``Offset`` [s], ``Master`` 0, ``Yield`` 0, ``Node 0`` = INTID.
``[Phases]``
    one column per phase number ``D1``...: ``BRP`` (barrier, ring, position digits),
    ``MinGreen``, ``MaxGreen`` (= the pretimed green), ``VehExt`` 0, ``Yellow``, ``AllRed``,
    ``Recall`` 3 (max recall, as pretimed), ``MinSplit`` (``MinGreen`` plus the plan's
    ``Yellow`` and ``AllRed``, which may be rounded up from the network's), ``Start``/``End``
    (split start and end in the cycle, offset applied), ``LocalStart`` (from the cycle start) and
    ``ActGreen``.
Phases a signal does not have are left empty. Times are tenths of a second: the plan is rounded
to them as a whole (clearances and minimums up), so every ring's splits add up to the written
cycle and the offset and starts stay below it.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from pathlib import Path

from signalbrain._files import atomic_write_text
from signalbrain.errors import InputError
from signalbrain.network.model import Intersection, Network
from signalbrain.timing.plan import NetworkPlan, PhaseTiming, TimingPlan
from signalbrain.timing.rounding import round_plan

__all__ = ["plan_utdf_text", "write_plan_utdf"]

UTDF_MAX_PHASE = 99
"""Highest phase number written (one D column per number up to the highest used; NEMA plans
use 1-8, signalbrain's escort phases are never written)."""

_ROWS = (
    "BRP",
    "MinGreen",
    "MaxGreen",
    "VehExt",
    "Yellow",
    "AllRed",
    "Recall",
    "MinSplit",
    "Start",
    "End",
    "LocalStart",
    "ActGreen",
)


def _n(x: float) -> str:
    r = round(float(x), 1)
    return str(int(r)) if r.is_integer() else f"{r:.1f}"


def _up(x: float) -> str:
    """``x`` [s] rounded up to UTDF's tenth of a second: minimums and clearances are never
    written shorter than the plan's (3.14 s was written 3.1)."""
    return _n(math.ceil(round(float(x) * 10.0, 6)) / 10.0)


def _tenths(isec: Intersection, plan: TimingPlan) -> TimingPlan:
    """``plan`` on UTDF's tenth-of-a-second grid: :func:`~signalbrain.timing.round_plan` in
    tenths (clearances rounded up, each barrier group to the nearest tenth, greens sharing it by
    the largest remainder, never below the minimum or the plan's own green if shorter, the
    offset modulo the rounded cycle). Rounding each value alone wrote a ring whose splits did
    not add up to the written cycle (4 x 25.5 s for a 51.1 s cycle) and an offset equal to it."""
    k = 10.0
    phases = tuple(
        PhaseTiming(p.number, p.green_s * k, p.yellow_s * k, p.all_red_s * k) for p in plan.phases
    )
    scaled = TimingPlan(
        plan.intersection, plan.cycle_s * k, plan.offset_s * k, phases, plan.rings, plan.barriers
    )
    floors = tuple(
        replace(
            ph,
            min_green_s=k * min(max(ph.min_green_s, ph.ped_min_s), plan.phase(ph.number).green_s),
            ped_min_s=0.0,
        )
        for ph in isec.phases
        if plan.has_phase(ph.number)
    )
    limits = replace(
        isec, phases=floors, cycle_min_s=isec.cycle_min_s * k, cycle_max_s=isec.cycle_max_s * k
    )
    r = round_plan(scaled, limits)
    return TimingPlan(
        plan.intersection,
        r.cycle_s / k,
        r.offset_s / k,
        tuple(
            PhaseTiming(p.number, p.green_s / k, p.yellow_s / k, p.all_red_s / k) for p in r.phases
        ),
        plan.rings,
        plan.barriers,
    )


def _brp(plan: TimingPlan) -> dict[int, str]:
    out: dict[int, str] = {}
    for b, group in enumerate(plan.barriers):
        members = set(group)
        for r, ring in enumerate(plan.rings):
            seq = [n for n in ring if n in members]
            for pos, n in enumerate(seq):
                out[n] = f"{b + 1}{r + 1}{pos + 1}"
    return out


def plan_utdf_text(network: Network, plan: NetworkPlan) -> str:
    """The UTDF CSV text (see the module docstring)."""
    isecs = [s for s in network.intersections if s.id in plan.plans]
    too_high = [
        (s.id, ph.number)
        for s in isecs
        for ph in plan.plans[s.id].phases
        if not 1 <= ph.number <= UTDF_MAX_PHASE
    ]
    if too_high:
        sid, number = too_high[0]
        raise InputError(
            f"signal {sid!r}: phase {number} cannot be written to UTDF, whose phase columns are "
            f"D1-D{UTDF_MAX_PHASE}; renumber the phases or write .yaml or .add.xml"
        )
    max_phase = max((ph.number for s in isecs for ph in plan.plans[s.id].phases), default=8)
    width = max(8, max_phase)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(
        [
            ["[Network]"],
            ["Network Settings"],
            ["RECORDNAME", "DATA"],
            ["UTDFVERSION", "8"],
            ["Metric", "1"],
            ["Source", "signalbrain"],
            [],
        ]
    )
    w.writerows([["[Nodes]"], ["Node Data"], ["INTID", "TYPE", "X", "Y", "Z", "DESCRIPTION"]])
    for k, s in enumerate(isecs, start=1):
        xs = [network.node(n).x_m for n in s.nodes if network.has_node(n)]
        ys = [network.node(n).y_m for n in s.nodes if network.has_node(n)]
        x = sum(xs) / len(xs) if xs else 0.0
        y = sum(ys) / len(ys) if ys else 0.0
        w.writerow([k, 0, _n(x), _n(y), 0, s.id])
    w.writerows([[], ["[Timeplans]"], ["Timing Plan Settings"], ["RECORDNAME", "INTID", "DATA"]])
    tenths = {s.id: _tenths(s, plan.plans[s.id]) for s in isecs}
    for k, s in enumerate(isecs, start=1):
        p = tenths[s.id]
        ref = p.rings[0][0] if p.rings and p.rings[0] else p.phases[0].number
        for name, value in (
            ("Control Type", "0"),
            ("Cycle Length", _n(p.cycle_s)),
            ("Lock Timings", "0"),
            ("Referenced To", "0"),
            ("Reference Phase", str(ref)),
            ("Offset", _n(p.offset_s)),
            ("Master", "0"),
            ("Yield", "0"),
            ("Node 0", str(k)),
        ):
            w.writerow([name, k, value])
    w.writerows(
        [
            [],
            ["[Phases]"],
            ["Phase Data"],
            ["RECORDNAME", "INTID", *[f"D{i}" for i in range(1, width + 1)]],
        ]
    )
    for k, s in enumerate(isecs, start=1):
        p = tenths[s.id]
        brp = _brp(p)
        cols: dict[str, list[str]] = {r: [""] * width for r in _ROWS}
        cycle = round(p.cycle_s * 10.0)  # in tenths, so that no time is written as the cycle
        for pt in p.phases:
            i = pt.number - 1
            ph = s.phase(pt.number)
            local = p.phase_start_s(pt.number)
            min_green = max(ph.min_green_s, ph.ped_min_s)
            start = round((p.offset_s + local) * 10.0) % cycle / 10.0
            green = _n(pt.green_s)
            values = {
                "BRP": brp.get(pt.number, ""),
                "MinGreen": _up(min_green),
                "MaxGreen": green,
                "VehExt": "0",
                "Yellow": _up(pt.yellow_s),
                "AllRed": _up(pt.all_red_s),
                "Recall": "3",
                "MinSplit": _n(sum(float(_up(v)) for v in (min_green, pt.yellow_s, pt.all_red_s))),
                "Start": _n(start),
                "End": _n(round((start + pt.split_s) * 10.0) % cycle / 10.0),
                "LocalStart": _n(local),
                "ActGreen": green,
            }
            for r in _ROWS:
                cols[r][i] = values[r]
        for r in _ROWS:
            w.writerow([r, k, *cols[r]])
    return buf.getvalue()


def write_plan_utdf(network: Network, plan: NetworkPlan, path: str | Path) -> Path:
    """Write the plan as a Synchro UTDF combined CSV file, atomically."""
    if any(ph.number < 1 for p in plan.plans.values() for ph in p.phases):
        raise InputError("UTDF numbers phases from 1: a plan has a phase number < 1")
    p = Path(path)
    text = plan_utdf_text(network, plan)
    try:
        atomic_write_text(p, text)  # a failed write keeps the previous file whole
    except OSError as exc:
        raise InputError(f"cannot write {p}: {exc}") from None
    return p
