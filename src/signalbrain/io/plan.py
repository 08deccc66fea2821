"""Plan files: a :class:`~signalbrain.timing.NetworkPlan` as YAML or JSON.

Layout (both formats; the suffix ``.yaml``/``.yml`` or ``.json`` picks the syntax)::

    format: signalbrain-plan
    version: 1
    network: grid3x3                  # optional, informative
    notes: [...]                      # network-wide notes
    objective: {delay_vehh: 12.3}     # optional figures of merit
    plans:
      A:
        cycle_s: 90.0
        offset_s: 12.5                # cycle start [s] modulo the cycle
        rings: [[1, 2, 3, 4], [5, 6, 7, 8]]
        barriers: [[1, 2, 5, 6], [3, 4, 7, 8]]
        phases:
          - {number: 1, green_s: 10.5, yellow_s: 3.5, all_red_s: 1.5}
        notes: [...]
    performance:                      # optional, written by signalbrain optimize; not read
      A: {delay_s: 31.2, los: C, movements: {W_A.T: {flow_vph: 620, capacity_vph: 840,
                                                     x: 0.74, delay_s: 28.1, los: C}}}

:func:`read_plan` gathers every problem (types, missing fields, plan invariants) and raises one
:class:`~signalbrain.errors.InputError`; :func:`write_plan` is the inverse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from signalbrain._files import atomic_write_text
from signalbrain.errors import InputError, format_path
from signalbrain.io._fields import Fields, load_yaml
from signalbrain.io._yaml import Dumper
from signalbrain.timing.plan import NetworkPlan, PhaseTiming, TimingPlan

__all__ = ["PLAN_FORMAT", "parse_plan", "plan_to_dict", "read_plan", "write_plan"]

PLAN_FORMAT = "signalbrain-plan"
_TOP = ("format", "version", "network", "method", "notes", "objective", "plans", "performance")
_PLAN = ("cycle_s", "offset_s", "rings", "barriers", "phases", "notes")
_PHASE = ("number", "green_s", "yellow_s", "all_red_s")
SUFFIXES = (".yaml", ".yml", ".json")


def plan_to_dict(
    plan: NetworkPlan,
    *,
    network: str | None = None,
    method: str | None = None,
    performance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The plan as plain data (see the module docstring for the layout); ``performance`` (HCM
    figures per intersection, informative) is written after the plans and ignored on reading."""
    doc: dict[str, Any] = {"format": PLAN_FORMAT, "version": 1}
    if network:
        doc["network"] = network
    if method:
        doc["method"] = method
    doc["notes"] = list(plan.notes)
    if plan.objective:
        doc["objective"] = {k: float(v) for k, v in plan.objective.items()}
    doc["plans"] = {
        iid: {
            "cycle_s": float(p.cycle_s),
            "offset_s": float(p.offset_s),
            "rings": [list(r) for r in p.rings],
            "barriers": [list(b) for b in p.barriers],
            "phases": [
                {
                    "number": ph.number,
                    "green_s": float(ph.green_s),
                    "yellow_s": float(ph.yellow_s),
                    "all_red_s": float(ph.all_red_s),
                }
                for ph in p.phases
            ],
            "notes": list(p.notes),
        }
        for iid, p in plan.plans.items()
    }
    if performance:
        doc["performance"] = dict(performance)
    return doc


def _int_groups(f: Fields, raw: Any, path: str) -> tuple[tuple[int, ...], ...]:
    out = []
    for i, group in enumerate(f.sequence(raw, path)):
        items = []
        for j, n in enumerate(f.sequence(group, format_path(path, i))):
            if isinstance(n, bool) or not isinstance(n, int):
                f.add(format_path(path, i, j), f"= {n!r}: expected a phase number")
            else:
                items.append(n)
        out.append(tuple(items))
    return tuple(out)


def parse_plan(doc: Any, source: str | None = None) -> NetworkPlan:
    """A :class:`NetworkPlan` from plain data (a parsed YAML or JSON document)."""
    f = Fields(source)
    top = f.mapping(doc, "(document)")
    f.unknown_keys(top, "", _TOP)
    if top and top.get("format", PLAN_FORMAT) != PLAN_FORMAT:
        f.add("format", f"= {top.get('format')!r}: expected {PLAN_FORMAT!r}")
    notes = tuple(str(n) for n in f.sequence(top.get("notes"), "notes", required=False))
    objective = {
        k: f.number(f.mapping(top.get("objective"), "objective", required=False), k, "objective")
        for k in f.mapping(top.get("objective"), "objective", required=False)
    }
    plans: dict[str, TimingPlan] = {}
    for iid, raw in f.mapping(top.get("plans"), "plans").items():
        base = format_path("plans", iid)
        p = f.mapping(raw, base)
        if not p:
            continue
        f.unknown_keys(p, base, _PLAN)
        n_before = len(f.problems)
        cycle = f.number(p, "cycle_s", base, minimum=0.0, exclusive=True)
        offset = f.number(p, "offset_s", base, 0.0, minimum=0.0)
        rings = _int_groups(f, p.get("rings"), format_path(base, "rings"))
        barriers = _int_groups(f, p.get("barriers"), format_path(base, "barriers"))
        phases = []
        for i, ph_raw in enumerate(f.sequence(p.get("phases"), format_path(base, "phases"))):
            pp = format_path(base, "phases", i)
            ph = f.mapping(ph_raw, pp)
            f.unknown_keys(ph, pp, _PHASE)
            phases.append(
                PhaseTiming(
                    f.integer(ph, "number", pp),
                    f.number(ph, "green_s", pp, minimum=0.0),
                    f.number(ph, "yellow_s", pp, minimum=0.0),
                    f.number(ph, "all_red_s", pp, minimum=0.0),
                )
            )
        pnotes = tuple(
            str(n) for n in f.sequence(p.get("notes"), format_path(base, "notes"), required=False)
        )
        if len(f.problems) > n_before:
            continue
        try:
            plans[iid] = TimingPlan(iid, cycle, offset, tuple(phases), rings, barriers, pnotes)
        except InputError as exc:
            for prob in exc.problems:
                f.add(prob.path, prob.message)
    f.raise_if_any()
    return NetworkPlan(plans, notes, objective)


def read_plan(path: str | Path) -> NetworkPlan:
    """Read a plan file (``.yaml``, ``.yml`` or ``.json``)."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"plan file suffix {p.suffix!r}: expected one of {', '.join(SUFFIXES)}", str(p)
        )
    if p.suffix.lower() == ".json":
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"file not found: {p}") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read JSON: {exc}", str(p)) from None
    else:
        doc = load_yaml(p)
    return parse_plan(doc, str(p))


def write_plan(
    plan: NetworkPlan,
    path: str | Path,
    *,
    network: str | None = None,
    method: str | None = None,
    performance: Mapping[str, Any] | None = None,
) -> Path:
    """Write a plan as YAML or JSON (the suffix decides), atomically."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"plan file suffix {p.suffix!r}: expected one of {', '.join(SUFFIXES)}", str(p)
        )
    doc = plan_to_dict(plan, network=network, method=method, performance=performance)
    if suffix == ".json":
        text = json.dumps(doc, indent=1) + "\n"
    else:
        text = yaml.dump(doc, Dumper=Dumper, sort_keys=False, default_flow_style=None, width=100)
    try:
        atomic_write_text(p, text)  # a failed write keeps the previous plan whole
    except OSError as exc:
        raise InputError(f"cannot write {p}: {exc}") from None
    return p
