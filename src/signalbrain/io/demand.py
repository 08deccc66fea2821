"""Demand files: movement flows from a demand YAML, a counts CSV or SUMO routes.

demand YAML
    ::

        peak_hour_factor: 0.92          # optional, default 1
        flows_vph:                      # movement id -> veh/h
          W_A.T: 620
          W_A.L: 80
        heavy_share: {W_A.T: 0.04}      # optional, movement id -> share in [0, 1]

    A bare mapping of movement ids to flows is accepted too.
counts CSV
    The vision output of ``signalbrain count`` (``video,camera,t_start_s,t_end_s,kind,id,vehicles``,
    see ``DESIGN.md``). A ``movement`` row id ``FROM->TO`` names two zones of the camera; their
    ``approach`` fields (link ids) give the network movement from link FROM to link TO. Without the
    camera files the two names are taken as link ids, or the id as a movement id. Flow rate =
    vehicles / seconds covered x 3600. ``line`` rows give approach totals; they are split over the
    approach's movements with :data:`DEFAULT_TURN_SHARES` only for approaches no movement row
    covers. ``signalbrain count`` writes a row for every entry-exit pair of zones, U turns
    included: a row with no vehicles for a movement the network lacks carries no demand and is
    passed over; one with vehicles is an error.
SUMO routes
    A ``.rou.xml``: every ``vehicle`` with a ``route`` (inline or by reference), every ``flow`` with
    ``vehsPerHour``, ``period``, ``probability`` or ``number``, and route distributions. Each pair
    of consecutive edges that a network movement joins counts one vehicle for that movement. Flows
    are per hour of the demand period (first to last departure, or the ``begin``/``end`` given).
    Vehicles of a ``vType`` with a heavy ``vClass`` (truck, trailer, bus, coach, delivery) count
    towards the movement's heavy share. ``trip`` elements (origin and destination only) are routed
    on the network's turn-aware link graph by free-flow time.

Why :func:`read_sumo_routes` pauses the cyclic garbage collector: it makes a list per route and no
reference cycles, after the network model's objects exist, so the collections it triggers scan the
whole heap for nothing. 9,000 vehicles on a 1,296-signal netgenerate grid, read after the network in
a fresh process: 0.169 s before, 0.137 s with the pause (CPU, median of 8). Where the rest went in
that pass: ``ElementTree.iterparse`` itself 0.03 s (a regular-expression reader of the same elements
was no faster), the per-vehicle handling and edge splitting about 0.035 s, the pair count
(:func:`~signalbrain.io._route_pairs._count_pairs`) 0.05 s. Files the compiled scanner reads
(:mod:`signalbrain.io._routes_scan`) have their routes numbered in the file's bytes and counted in
one compiled loop (:mod:`signalbrain.io._route_kernels`): the same 9,000 vehicles from file to
demand in 0.057-0.062 s, fresh process, against 0.087-0.093 s with names and the numpy count
(2026-12-07).

This module holds the YAML reader and writer, the SUMO route reader and :func:`read_demand`; the
counts CSV reader is in :mod:`signalbrain.io._counts_csv`, the route pair count in
:mod:`signalbrain.io._route_pairs`.
"""

from __future__ import annotations

import difflib
import gzip
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from signalbrain.demand.model import Demand, check_demand
from signalbrain.errors import InputError, Problem
from signalbrain.io._counts_csv import COUNT_COLUMNS as COUNT_COLUMNS
from signalbrain.io._counts_csv import DEFAULT_TURN_SHARES as DEFAULT_TURN_SHARES
from signalbrain.io._counts_csv import _read_count_rows as _read_count_rows
from signalbrain.io._counts_csv import read_counts_csv
from signalbrain.io._fields import Fields, load_yaml, not_a_mapping, unknown_field
from signalbrain.io._route_pairs import _count_pairs, _edge_numbers
from signalbrain.io._route_pairs import _count_pairs_numpy as _count_pairs_numpy
from signalbrain.io._route_pairs import _flat_edges as _flat_edges
from signalbrain.io._route_pairs import _in_order as _in_order
from signalbrain.io._route_pairs import movement_by_links as _movement_by_links
from signalbrain.io._routes_scan import RouteEdges, scan_routes
from signalbrain.io._sumo_xml import paused_gc
from signalbrain.network.model import Network

__all__ = [
    "DEFAULT_TURN_SHARES",
    "HEAVY_VCLASSES",
    "demand_to_dict",
    "parse_demand",
    "read_counts_csv",
    "read_demand",
    "read_demand_yaml",
    "read_sumo_routes",
    "write_demand",
]

HEAVY_VCLASSES = frozenset({"truck", "trailer", "bus", "coach", "delivery"})


# -- YAML --------------------------------------------------------------------------------------
_DEMAND_KEYS = ("flows_vph", "heavy_share", "peak_hour_factor")
_DEMAND_LAYOUT = "flows_vph: {MOVEMENT_ID: veh/h, ...} (see networks/*.demand.yaml)"


def parse_demand(doc: Any, source: str | None = None, network: Network | None = None) -> Demand:
    """A :class:`Demand` from plain data (see the module docstring)."""
    f = Fields(source)
    if not isinstance(doc, Mapping):
        raise InputError([Problem("", f"{not_a_mapping(doc)}; expected {_DEMAND_LAYOUT}", source)])
    top = f.mapping(doc, "")
    if "flows_vph" not in top and "intersections" in top and "links" in top:
        raise InputError(f"a network file, not demand; expected {_DEMAND_LAYOUT}", source)
    if "flows_vph" not in top:
        # a bare mapping of movement ids to flows; a key close to a field name is a typo of it
        typos = {
            k: unknown_field(k, _DEMAND_KEYS)
            for k, v in top.items()
            if isinstance(v, Mapping) or difflib.get_close_matches(k, _DEMAND_KEYS, cutoff=0.75)
        }
        if typos:
            raise InputError([Problem(k, m, source) for k, m in typos.items()])
        top = {"flows_vph": top}
    f.unknown_keys(top, "", _DEMAND_KEYS)
    flows_doc = f.mapping(top["flows_vph"], "flows_vph")
    flows = {k: f.number(flows_doc, k, "flows_vph", minimum=0.0) for k in flows_doc}
    if not flows_doc and not f.problems:
        f.add("flows_vph", f"has no flows; expected {_DEMAND_LAYOUT}")
    heavy_doc = f.mapping(top.get("heavy_share"), "heavy_share", required=False)
    heavy = {k: f.number(heavy_doc, k, "heavy_share", minimum=0.0, maximum=1.0) for k in heavy_doc}
    phf = f.number(top, "peak_hour_factor", "", 1.0, minimum=0.0, exclusive=True, maximum=1.0)
    if network is not None:
        known = {m.id for s in network.intersections for m in s.movements}
        unknown = sorted(set(heavy) - known)
        if unknown:
            f.add(
                "heavy_share",
                f"unknown movement ids: {', '.join(unknown[:8])}"
                + (f", ... ({len(unknown)} in all)" if len(unknown) > 8 else "")
                + f"; movement ids look like {', '.join(sorted(known)[:6])}",
            )
    f.raise_if_any()
    demand = Demand(flows, heavy, phf, source)
    if network is not None:
        problems = check_demand(network, demand)
        if problems:
            raise InputError(problems)
    return demand


def read_demand_yaml(path: str | Path, network: Network | None = None) -> Demand:
    """Read a demand YAML file."""
    return parse_demand(load_yaml(path), str(path), network)


def demand_to_dict(demand: Demand) -> dict[str, Any]:
    """Plain data of a demand (the YAML layout)."""
    doc: dict[str, Any] = {
        "peak_hour_factor": demand.peak_hour_factor,
        "flows_vph": {k: round(float(v), 3) for k, v in demand.flows_vph.items()},
    }
    if demand.heavy_share:
        doc["heavy_share"] = {k: round(float(v), 4) for k, v in demand.heavy_share.items()}
    return doc


def write_demand(demand: Demand, path: str | Path) -> Path:
    """Write a demand YAML file."""
    import yaml

    from signalbrain.io._yaml import Dumper

    p = Path(path)
    try:
        p.write_text(
            yaml.dump(demand_to_dict(demand), Dumper=Dumper, sort_keys=False), encoding="utf-8"
        )
    except OSError as exc:
        raise InputError(f"cannot write {p}: {exc}") from None
    return p


# -- SUMO routes -------------------------------------------------------------------------------
def _time(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        if ":" in value:  # SUMO also accepts d:h:m:s / h:m:s
            parts = [float(x) for x in value.split(":")]
            total = 0.0
            for x, scale in zip(reversed(parts), (1, 60, 3600, 86400), strict=False):
                total += x * scale
            return total
        raise


def _iter_xml(path: Path) -> Iterator[tuple[str, ET.Element]]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        yield from ET.iterparse(fh, events=("start", "end"))


@paused_gc()  # thousands of routes and no cycles: see signalbrain.io._sumo_xml
def read_sumo_routes(
    paths: str | Path | list[str | Path],
    network: Network,
    *,
    begin_s: float | None = None,
    end_s: float | None = None,
) -> Demand:
    """Movement flows [veh/h] from SUMO route files (see the module docstring).

    Parameters
    ----------
    paths
        One or more ``.rou.xml`` files (gzipped ok).
    network
        The network (normally imported from the SUMO ``.net.xml`` the routes drive on).
    begin_s, end_s
        The demand period [s]; by default first and last departure. Vehicles departing outside
        it are not counted, and flows count only their share inside it.
    """
    files = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
    by_links = _movement_by_links(network)
    routes: dict[str, list[str]] = {}
    dists: dict[str, list[tuple[list[str], float]]] = {}
    vtype_heavy: dict[str, bool] = {}
    t_first, t_last = math.inf, -math.inf
    graph: Any = None  # networkx.DiGraph, built on the first trip without a route

    pending: list[tuple[RouteEdges, float, bool]] = []
    edge_ids = _edge_numbers(by_links)

    def add(edges: list[str], n: float, vtype: str | None) -> None:
        # counted all at once at the end (_count_pairs), in this order
        pending.append((edges, n, vtype_heavy.get(vtype or "", False)))

    def route_of(elem: ET.Element) -> list[tuple[list[str], float]]:
        ref = elem.get("route")
        if ref is not None:
            if ref in routes:
                return [(routes[ref], 1.0)]
            if ref in dists:
                return dists[ref]
            return []
        inner = elem.find("route")
        if inner is not None and inner.get("edges"):
            return [(inner.get("edges", "").split(), 1.0)]
        dist = elem.find("routeDistribution")
        if dist is not None:
            return _distribution(dist)
        return []

    def _distribution(dist: ET.Element) -> list[tuple[list[str], float]]:
        items = [
            (r.get("edges", "").split(), float(r.get("probability", "1")))
            for r in dist.findall("route")
            if r.get("edges")
        ]
        items += [
            (routes[r.get("refId", "")], float(r.get("probability", "1")))
            for r in dist.findall("route")
            if r.get("refId") in routes
        ]
        total = sum(w for _, w in items) or 1.0
        return [(e, w / total) for e, w in items]

    def trip_edges(elem: ET.Element) -> list[tuple[list[str], float]]:
        nonlocal graph
        a, b = elem.get("from"), elem.get("to")
        if not a or not b or not network.has_link(a) or not network.has_link(b):
            return []
        import networkx as nx  # slow import: only for trips without a route

        from signalbrain.network.graph import to_link_graph

        if graph is None:
            graph = to_link_graph(network)
        try:
            path = nx.shortest_path(
                graph,
                a,
                b,
                weight=lambda u, v, d: (
                    graph.nodes[v].get("travel_time_s", 1.0) if graph is not None else 1.0
                ),
            )
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []
        return [(list(path), 1.0)]

    for path in files:
        if not path.is_file():
            raise InputError(f"file not found: {path}")
        fast = scan_routes(
            path, routes, vtype_heavy, HEAVY_VCLASSES, _time, begin_s, end_s, edge_ids=edge_ids
        )
        if fast is not None:
            routes.update(fast.routes)
            vtype_heavy.update(fast.vtype_heavy)
            pending.extend(fast.pending)
            if fast.departures:
                t_first = min(t_first, *fast.departures)
                t_last = max(t_last, *fast.departures)
            continue
        depth = 0
        try:
            for event, elem in _iter_xml(path):
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                tag = elem.tag
                if tag == "vType":
                    vtype_heavy[elem.get("id", "")] = elem.get("vClass", "") in HEAVY_VCLASSES
                elif tag == "route" and depth == 1 and elem.get("id"):
                    routes[elem.get("id", "")] = elem.get("edges", "").split()
                elif tag == "routeDistribution" and depth == 1 and elem.get("id"):
                    dists[elem.get("id", "")] = _distribution(elem)
                elif tag in ("vehicle", "trip") and depth == 1:
                    t = (
                        _time(elem.get("depart"), 0.0)
                        if elem.get("depart") not in ("triggered", "containerTriggered", "begin")
                        else 0.0
                    )
                    if (begin_s is not None and t < begin_s) or (end_s is not None and t >= end_s):
                        elem.clear()  # departs outside the demand period
                        continue
                    items = (
                        route_of(elem)
                        if tag == "vehicle" or elem.find("route") is not None
                        else trip_edges(elem)
                    )
                    for edges, w in items:
                        add(edges, w, elem.get("type"))
                    t_first, t_last = min(t_first, t), max(t_last, t)
                    elem.clear()
                elif tag == "flow" and depth == 1:
                    b = _time(elem.get("begin"), 0.0)
                    e = _time(elem.get("end"), b + 3600.0)
                    span = max(e - b, 0.0)
                    if elem.get("number") is not None:
                        n = float(elem.get("number", "0"))
                    elif elem.get("vehsPerHour") is not None:
                        n = float(elem.get("vehsPerHour", "0")) * span / 3600.0
                    elif elem.get("perHour") is not None:
                        n = float(elem.get("perHour", "0")) * span / 3600.0
                    elif elem.get("period") is not None:
                        per = elem.get("period", "1")
                        rate = (
                            float(per.split("(")[1].rstrip(")"))
                            if per.startswith("exp(")
                            else 1.0 / float(per)
                        )
                        n = rate * span
                    elif elem.get("probability") is not None:
                        n = float(elem.get("probability", "0")) * span
                    else:
                        n = 0.0
                    # the part of the flow inside the demand period
                    lo_f = b if begin_s is None else max(b, begin_s)
                    hi_f = e if end_s is None else min(e, end_s)
                    if span > 0.0:
                        n *= max(hi_f - lo_f, 0.0) / span
                    b, e = lo_f, max(hi_f, lo_f)
                    items = (
                        route_of(elem)
                        if elem.get("route")
                        or elem.find("route") is not None
                        or elem.find("routeDistribution") is not None
                        else trip_edges(elem)
                    )
                    for edges, w in items:
                        add(edges, n * w, elem.get("type"))
                    t_first, t_last = min(t_first, b), max(t_last, e)
                    elem.clear()
        except ET.ParseError as exc:
            raise InputError(f"malformed XML: {exc}", str(path)) from None
        except ValueError as exc:
            raise InputError(f"bad number in routes: {exc}", str(path)) from None
    counts, heavy = _count_pairs(pending, by_links, edge_ids)
    lo = begin_s if begin_s is not None else (t_first if math.isfinite(t_first) else 0.0)
    hi = end_s if end_s is not None else (t_last if math.isfinite(t_last) else 3600.0)
    hours = max(hi - lo, 60.0) / 3600.0
    flows = {m: n / hours for m, n in counts.items()}
    shares = {m: min(1.0, heavy[m] / counts[m]) for m in heavy if counts[m] > 0}
    return Demand(flows, shares, source=", ".join(str(p) for p in files))


def read_demand(path: str | Path, network: Network, **kwargs: Any) -> Demand:
    """Read demand by suffix: ``.yaml``/``.yml`` demand YAML, ``.csv`` counts, ``.rou.xml``
    (or ``.xml``, ``.xml.gz``) SUMO routes."""
    name = str(path).lower()
    if name.endswith((".yaml", ".yml")):
        return read_demand_yaml(path, network)
    if name.endswith(".csv"):
        return read_counts_csv(path, network, **kwargs)
    if name.endswith((".xml", ".xml.gz")):
        return read_sumo_routes(path, network, **kwargs)
    raise InputError(
        f"demand file {path}: unknown format; expected .yaml (demand), .csv "
        "(counts of signalbrain count) or .rou.xml (SUMO routes)"
    )
