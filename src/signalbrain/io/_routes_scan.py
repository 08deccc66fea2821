"""SUMO route files of routed vehicles on the compiled scanner (:mod:`signalbrain.io._xml_scan`).

:func:`signalbrain.io.demand.read_sumo_routes` reads each file with :func:`scan_routes` first
and with :mod:`xml.etree.ElementTree` where it answers None. It reads what ``duarouter`` and
``randomTrips.py -r`` write: ``vType`` (any depth), named ``route`` elements, and ``vehicle`` and
``trip`` elements with a ``route`` reference or a ``route`` child. Files with ``flow`` or
``routeDistribution`` elements, trips without a route (which need a shortest path), numbers that
do not parse and anything the scanner declines go to the ElementTree pass, which gives the same
result or the error it always gave. Tests compare both passes.

Why: ElementTree builds an element per tag and the pass walks them in Python; on 9,000 routed
vehicles of a 1,296-signal grid (2.9 MB) the scan and the columns it reads take 0.045 s against
0.065 s for that pass, CPU, before the 0.05 s both spend counting edge pairs (measured
2026-12-06, see ``benchmarks/README.md``).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from signalbrain.io._xml_scan import Schema, available, read_all, scan_tags

__all__ = ["ROUTE_SCHEMA", "RouteScan", "scan_routes"]

ROUTE_SCHEMA = Schema(
    (
        ("vType", ("id", "vClass")),
        ("route", ("id", "edges")),
        ("vehicle", ("depart", "route", "type")),
        ("trip", ("depart", "route", "type")),
        ("flow", ()),
        ("routeDistribution", ()),
    )
)
"""What the route pass reads."""

_UNTIMED = ("triggered", "containerTriggered", "begin")


@dataclass
class RouteScan:
    """What one file adds to the reader's state (committed only when the whole file is read)."""

    routes: dict[str, list[str]] = field(default_factory=dict)
    vtype_heavy: dict[str, bool] = field(default_factory=dict)
    pending: list[tuple[list[str], float, bool]] = field(default_factory=list)
    departures: list[float] = field(default_factory=list)


def _read(path: Path) -> bytearray:
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as fh:
            return bytearray(fh.read())
    with path.open("rb") as fh:
        return read_all(fh)


def scan_routes(
    path: Path,
    routes: Mapping[str, list[str]],
    vtype_heavy: Mapping[str, bool],
    heavy_classes: frozenset[str],
    depart_s: Callable[[str | None, float], float],
    begin_s: float | None,
    end_s: float | None,
    *,
    compiled_only: bool = True,
) -> RouteScan | None:
    """One route file's named routes, vehicle types and counted vehicles, or None where the
    ElementTree pass must read it.

    ``routes`` and ``vtype_heavy`` are what earlier files defined; ``depart_s`` parses a time as
    the ElementTree pass does (ValueError: None, and that pass reports it).

    Raises
    ------
    OSError, EOFError
        The file cannot be read.
    """
    if compiled_only and not available():
        return None  # before reading: the ElementTree pass reads the file itself
    s = scan_tags(_read(path), ROUTE_SCHEMA, compiled_only=compiled_only)
    if s is None:
        return None
    code = ROUTE_SCHEMA.code
    tag, depth = s.tag, s.depth
    if np.any((tag == code["flow"]) | (tag == code["routeDistribution"])):
        return None
    out = RouteScan()
    # the first <route> child of each top-level element (ElementTree's elem.find("route"))
    top = np.flatnonzero(depth == 1)
    children = np.flatnonzero((tag == code["route"]) & (depth == 2))
    parents = top[np.searchsorted(top, children) - 1] if top.size else children[:0]
    edges_of = s.column(children, "route", "edges", "")
    child: dict[int, str] = {}
    for parent, edges in zip(parents.tolist(), edges_of, strict=True):
        child.setdefault(parent, edges)
    # every element the pass acts on, in document order
    kinds = np.array([code["vType"], code["route"], code["vehicle"], code["trip"]], dtype=np.int32)
    rows = np.flatnonzero(np.isin(tag, kinds) & ((depth == 1) | (tag == code["vType"])))
    kind_of = tag[rows]
    row_tag = kind_of.tolist()
    v_rows = rows[kind_of == code["vType"]]
    r_rows = rows[kind_of == code["route"]]
    x_rows = rows[(kind_of == code["vehicle"]) | (kind_of == code["trip"])]
    v_vals = iter(
        zip(
            s.column(v_rows, "vType", "id", ""),
            s.column(v_rows, "vType", "vClass", ""),
            strict=True,
        )
    )
    r_vals = iter(
        zip(
            s.column(r_rows, "route", "id", ""), s.column(r_rows, "route", "edges", ""), strict=True
        )
    )
    # vehicle and trip list the same attributes in the same order: one set of columns
    x_cols = [s.column(x_rows, "vehicle", a) for a in ("depart", "route", "type")]
    x_vals = iter(zip(x_rows.tolist(), *x_cols, strict=True))
    known = {**routes}
    heavy = {**vtype_heavy}
    pending, departures = out.pending, out.departures
    try:
        for kind in row_tag:
            if kind == code["vType"]:
                vid, vclass = next(v_vals)
                heavy[vid] = out.vtype_heavy[vid] = vclass in heavy_classes
            elif kind == code["route"]:
                rid, edges = next(r_vals)
                if rid:
                    known[rid] = out.routes[rid] = edges.split()
            else:
                row, depart, ref, vtype = next(x_vals)
                t = 0.0 if depart in _UNTIMED else depart_s(depart, 0.0)
                if (begin_s is not None and t < begin_s) or (end_s is not None and t >= end_s):
                    continue
                inner = child.get(row)
                if kind == code["trip"] and inner is None:
                    return None  # a trip without a route: the shortest path is the other pass's
                if ref is not None:
                    if ref in known:
                        pending.append((known[ref], 1.0, heavy.get(vtype or "", False)))
                elif inner:
                    pending.append((inner.split(), 1.0, heavy.get(vtype or "", False)))
                departures.append(t)
    except ValueError:
        return None
    return out
