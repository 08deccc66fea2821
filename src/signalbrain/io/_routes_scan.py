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
0.065 s for that pass, CPU, before the 0.05 s both spent counting edge pairs (measured
2026-12-06, see ``benchmarks/README.md``). Given the edge numbers of the count, the scan also
numbers the routes' edges in the file's bytes instead of splitting them into 254,000 strings,
and the count runs compiled: file to demand 0.045-0.050 s (2026-12-07).
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from signalbrain.io._xml_scan import Scanned, Schema, available, read_all, scan_tags

__all__ = ["ROUTE_SCHEMA", "RouteEdges", "RouteScan", "scan_routes"]

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

RouteEdges = list[str] | npt.NDArray[np.int64]
"""A route's edges: their names, or their numbers (see :func:`scan_routes`'s ``edge_ids``)."""


@dataclass
class RouteScan:
    """What one file adds to the reader's state (committed only when the whole file is read)."""

    routes: dict[str, list[str]] = field(default_factory=dict)
    vtype_heavy: dict[str, bool] = field(default_factory=dict)
    pending: list[tuple[RouteEdges, float, bool]] = field(default_factory=list)
    """Counted routes: edges, vehicles, heavy. The edges are names, or numbers when the scan was
    given edge numbers."""
    departures: list[float] = field(default_factory=list)


def _read(path: Path) -> bytearray:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        return read_all(fh)


def _numbered(
    s: Scanned, rows: npt.NDArray[np.intp], edge_ids: Mapping[str, int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The ``edges`` of the ``route`` tags ``rows`` as edge numbers (``edge_ids``; -1 for an
    edge it does not have), all end to end, and where each route starts (one more entry: the
    end)."""
    k = 2 * s.schema.slot[("route", "edges")]
    starts = np.ascontiguousarray(s.span[rows, k], dtype=np.int64)
    ends = np.ascontiguousarray(s.span[rows, k + 1], dtype=np.int64)
    tokens = int(((ends - starts + 1) // 2)[starts >= 0].sum())  # at most, one in two bytes
    by_number = [""] * len(edge_ids)
    for name, number in edge_ids.items():
        by_number[number] = name
    encoded = [name.encode() for name in by_number]
    name_ptr = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=name_ptr[1:])
    names = np.frombuffer(bytearray(b"".join(encoded)), dtype=np.uint8)  # writeable: AOT
    from signalbrain.io._xml_kernels import token_ids_kernel  # compiled: only when used

    ids = np.empty(tokens, dtype=np.int64)
    ptr = np.empty(rows.size + 1, dtype=np.int64)
    n = token_ids_kernel(
        np.frombuffer(s.data, dtype=np.uint8), starts, ends, names, name_ptr, ids, ptr
    )
    return ids[:n], ptr


def scan_routes(
    path: Path,
    routes: Mapping[str, list[str]],
    vtype_heavy: Mapping[str, bool],
    heavy_classes: frozenset[str],
    depart_s: Callable[[str | None, float], float],
    begin_s: float | None,
    end_s: float | None,
    *,
    edge_ids: Mapping[str, int] | None = None,
    compiled_only: bool = True,
) -> RouteScan | None:
    """One route file's named routes, vehicle types and counted vehicles, or None where the
    ElementTree pass must read it.

    ``routes`` and ``vtype_heavy`` are what earlier files defined; ``depart_s`` parses a time as
    the ElementTree pass does (ValueError: None, and that pass reports it). With ``edge_ids``
    (:func:`signalbrain.io.demand._edge_numbers`), the counted routes this file spells out are
    numbered straight from its bytes (:func:`~signalbrain.io._xml_kernels.token_ids_kernel`)
    instead of split into names, where the file is ASCII (names and numbers count the same).

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
    # every element the pass acts on, in document order
    kinds = np.array([code["vType"], code["route"], code["vehicle"], code["trip"]], dtype=np.int32)
    rows = np.flatnonzero(np.isin(tag, kinds) & ((depth == 1) | (tag == code["vType"])))
    kind_of = tag[rows]
    row_tag = kind_of.tolist()
    v_rows = rows[kind_of == code["vType"]]
    r_rows = rows[kind_of == code["route"]]
    x_rows = rows[(kind_of == code["vehicle"]) | (kind_of == code["trip"])]
    # the first <route> child of each top-level element (ElementTree's elem.find("route"))
    top = np.flatnonzero(depth == 1)
    children = np.flatnonzero((tag == code["route"]) & (depth == 2))
    parents = top[np.searchsorted(top, children) - 1] if top.size else children[:0]
    numbered: list[npt.NDArray[np.int64]] = []
    edges_of: Sequence[str | npt.NDArray[np.int64]]
    if edge_ids is not None and s.text is not None:
        ids, ptr = _numbered(s, np.concatenate([children, r_rows]), edge_ids)
        spans = ptr.tolist()
        runs = [ids[a:b] for a, b in itertools.pairwise(spans)]
        edges_of, numbered = runs[: children.size], runs[children.size :]
    else:
        edges_of = s.column(children, "route", "edges", "")
    child: dict[int, str | npt.NDArray[np.int64]] = {}
    for parent, edges in zip(parents.tolist(), edges_of, strict=True):
        child.setdefault(parent, edges)
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
    r_numbered = iter(numbered)
    # vehicle and trip list the same attributes in the same order: one set of columns
    x_cols = [s.column(x_rows, "vehicle", a) for a in ("depart", "route", "type")]
    x_vals = iter(zip(x_rows.tolist(), *x_cols, strict=True))
    known: dict[str, RouteEdges] = {**routes}
    heavy = {**vtype_heavy}
    pending, departures = out.pending, out.departures
    try:
        for kind in row_tag:
            if kind == code["vType"]:
                vid, vclass = next(v_vals)
                heavy[vid] = out.vtype_heavy[vid] = vclass in heavy_classes
            elif kind == code["route"]:
                rid, edges = next(r_vals)
                as_numbers = next(r_numbered, None)
                if rid:
                    out.routes[rid] = edges.split()
                    known[rid] = out.routes[rid] if as_numbers is None else as_numbers
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
                elif inner is not None and len(inner):
                    # (numbered: a route of white space only adds nothing either way)
                    route = inner.split() if isinstance(inner, str) else inner
                    pending.append((route, 1.0, heavy.get(vtype or "", False)))
                departures.append(t)
    except ValueError:
        return None
    return out
