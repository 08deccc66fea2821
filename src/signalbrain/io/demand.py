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
reference cycles, after the network model's objects exist, so the collections it triggers scan
the whole heap for nothing. 9,000 vehicles on a 1,296-signal netgenerate grid, read after the
network in a fresh process: 0.169 s before, 0.137 s with the pause (CPU, median of 8). Where the
rest went in that pass: ``ElementTree.iterparse`` itself 0.03 s (a regular-expression reader of
the same elements was no faster), the per-vehicle handling and edge splitting about 0.035 s, the
pair count (:func:`_count_pairs`) 0.05 s. Files the compiled scanner reads
(:mod:`signalbrain.io._routes_scan`) have their routes numbered in the file's bytes and counted
in one compiled loop (:mod:`signalbrain.io._route_kernels`): the same 9,000 vehicles from file to
demand in 0.057-0.062 s, fresh process, against 0.087-0.093 s with names and the numpy count
(2026-12-07).
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import itertools
import math
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from signalbrain.demand.model import Demand, check_demand
from signalbrain.errors import InputError, Problem, format_path
from signalbrain.io._fields import (
    Fields,
    _shown,
    decode_text,
    load_yaml,
    not_a_mapping,
    unknown_field,
)
from signalbrain.io._routes_scan import RouteEdges, scan_routes
from signalbrain.io._sumo_xml import paused_gc
from signalbrain.io._xml_scan import available
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

DEFAULT_TURN_SHARES: Mapping[str, float] = {"L": 0.15, "T": 0.7, "R": 0.15, "U": 0.0}
"""Turning shares used to split line (approach) counts when no movement counts exist."""
HEAVY_VCLASSES = frozenset({"truck", "trailer", "bus", "coach", "delivery"})
COUNT_COLUMNS = ("video", "camera", "t_start_s", "t_end_s", "kind", "id", "vehicles")


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


# -- counts CSV --------------------------------------------------------------------------------
def _movement_by_links(network: Network) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for s in network.intersections:
        for m in s.movements:
            if m.turn != "P":
                out.setdefault((m.from_link, m.to_link), m.id)
    return out


def _read_count_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of a counts CSV as ``{column: text}``, after checking the file's shape: UTF-8
    text (a byte-order mark, as spreadsheets write, is fine), every column of
    :data:`COUNT_COLUMNS` once, and as many cells in each row as the header has."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"file not found: {source}") from None
    except OSError as exc:
        raise InputError(f"cannot read CSV: {exc}", source) from None
    text = decode_text(data, source)
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"cannot read CSV: {exc}", source) from None
    layout = (
        f"expected the header {','.join(COUNT_COLUMNS)} and one row per time bin, line or "
        "movement (as signalbrain count writes counts.csv)"
    )
    header = [c.strip() for c in table[0]] if table else []
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(c.strip() for c in row)]
    if not body:
        raise InputError(f"no count rows; {layout}", source)
    missing = [c for c in COUNT_COLUMNS if c not in header]
    if missing:
        found = f"; the header reads {_shown(','.join(header))}"
        hint = (
            "; columns must be separated by commas"
            if len(header) == 1 and any(d in header[0] for d in ";\t|")
            else ""
        )
        raise InputError(
            f"missing columns {', '.join(missing)}{found}{hint}; expected "
            f"{','.join(COUNT_COLUMNS)}",
            source,
        )
    twice = sorted({c for c in header if c in COUNT_COLUMNS and header.count(c) > 1})
    problems = [
        Problem("row 1", f"column {c!r} appears {header.count(c)} times; expected once")
        for c in twice
    ]
    rows: list[dict[str, str]] = []
    for n, row in body:
        if len(row) != len(header):
            problems.append(
                Problem(
                    f"row {n}",
                    f"has {len(row)} values; the header has {len(header)} columns "
                    f"({','.join(header)})",
                )
            )
            continue
        rows.append({"row": str(n), **dict(zip(header, row, strict=True))})
    if problems:
        raise InputError(problems, source)
    return rows


def read_counts_csv(
    path: str | Path, network: Network, *, cameras: Mapping[str, Any] | None = None
) -> Demand:
    """Movement flows [veh/h] from a ``counts.csv`` of ``signalbrain count``.

    Parameters
    ----------
    path
        The CSV file.
    network
        The network whose movements the counts belong to.
    cameras
        Camera id -> :class:`~signalbrain.io.camera.CameraSpec`, to map zone ids to links.

    Raises
    ------
    InputError
        Listing every problem: columns missing or given twice, rows of the wrong length, values
        that are not numbers, time bins that are empty, reversed or not finite, negative counts,
        a row given twice, bins of one count that overlap (their vehicles would be counted
        twice) and movements that match no network movement.
    """
    source = str(path)
    rows = _read_count_rows(path)
    by_links = _movement_by_links(network)
    known_mv = {m.id for s in network.intersections for m in s.movements}
    zone_link: dict[tuple[str, str], str] = {}  # movement rows name zones
    line_link: dict[tuple[str, str], str] = {}  # line rows name lines (ids may repeat a zone's)
    for cam_id, spec in (cameras or {}).items():
        for zone in getattr(spec, "zones", ()):
            if zone.approach:
                zone_link[(cam_id, zone.id)] = zone.approach
        for line in getattr(spec, "lines", ()):
            if line.approach:
                line_link[(cam_id, line.id)] = line.approach
    problems: list[Problem] = []
    mv_veh: dict[str, float] = defaultdict(float)
    line_veh: dict[str, float] = defaultdict(float)
    bins: dict[str, set[tuple[str, float, float]]] = defaultdict(set)
    first_row: dict[tuple[str, ...], str] = {}
    spans: dict[tuple[str, ...], list[tuple[float, float, str]]] = defaultdict(list)
    for row in rows:
        where = f"row {row['row']}"
        values: dict[str, float] = {}
        for col in ("t_start_s", "t_end_s", "vehicles"):
            text = row[col].strip()
            try:
                values[col] = float(text)
            except ValueError:
                problems.append(Problem(where, f"{col} = {_shown(text)}: expected a number"))
                continue
            if not math.isfinite(values[col]):
                problems.append(Problem(where, f"{col} = {text}: must be finite"))
                del values[col]
        if len(values) < 3:
            continue
        t0, t1, veh = values["t_start_s"], values["t_end_s"], values["vehicles"]
        if not t1 > t0:
            problems.append(Problem(where, f"t_end_s = {t1:g} must be after t_start_s = {t0:g}"))
            continue
        if veh < 0:
            problems.append(Problem(where, f"vehicles = {veh:g}: must be >= 0"))
            continue
        video, cam, kind, rid = row["video"], row["camera"], row["kind"].strip(), row["id"]
        key = (video, cam, kind, rid)
        same = (*key, str(t0), str(t1))
        if same in first_row:
            problems.append(
                Problem(
                    where,
                    f"repeats row {first_row[same]} (same video, camera, "
                    "time bin, kind and id): its vehicles would be counted twice",
                )
            )
            continue
        first_row[same] = row["row"]
        spans[key].append((t0, t1, row["row"]))
        if kind == "movement":
            mid = None
            if "->" in rid:
                a, b = rid.split("->", 1)
                mid = by_links.get((zone_link.get((cam, a), a), zone_link.get((cam, b), b)))
            elif rid in known_mv:
                mid = rid
            if mid is None and veh == 0:
                continue  # e.g. a U turn the network does not model, and nobody made it
            if mid is None:
                problems.append(
                    Problem(
                        where,
                        f"movement {rid!r} of camera {cam!r} matches no "
                        "network movement (give the camera files, or "
                        "name links FROM->TO)",
                    )
                )
                continue
            mv_veh[mid] += veh
            bins[mid].add((video, t0, t1))
        elif kind == "line":
            link = line_link.get((cam, rid), rid)
            if not network.has_link(link):
                continue  # a line without an approach counts nothing for the network
            line_veh[link] += veh
            bins["line:" + link].add((video, t0, t1))
        else:
            problems.append(
                Problem(format_path(where, "kind"), f"= {kind!r}: must be line or movement")
            )
    for (video, cam, kind, rid), items in spans.items():
        items.sort()
        for (_, end, before), (start, _, later) in itertools.pairwise(items):
            if start < end:
                problems.append(
                    Problem(
                        f"row {later}",
                        f"time bin from {start:g} s overlaps the bin of row {before} ending at "
                        f"{end:g} s ({kind} {rid!r} of camera {cam!r}, video {video!r}): "
                        "vehicles in the overlap would be counted twice",
                    )
                )
    if problems:
        raise InputError(problems, source)
    flows: dict[str, float] = {}
    for mid, veh in mv_veh.items():
        seconds = sum(t1 - t0 for _, t0, t1 in bins[mid])
        flows[mid] = veh / seconds * 3600.0
    covered = {m.from_link for s in network.intersections for m in s.movements if m.id in flows}
    for link, veh in line_veh.items():
        if link in covered:
            continue
        seconds = sum(t1 - t0 for _, t0, t1 in bins["line:" + link])
        total = veh / seconds * 3600.0
        mvs = [m for s in network.intersections for m in s.movements if m.from_link == link]
        weights = [DEFAULT_TURN_SHARES.get(m.turn, 0.0) for m in mvs]
        wsum = sum(weights)
        for m, w in zip(mvs, weights, strict=True):
            if wsum > 0:
                flows[m.id] = total * w / wsum
    return Demand(flows, source=source)


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


def _edge_numbers(by_links: Mapping[tuple[str, str], str]) -> dict[str, int]:
    """The edge numbers of the pair count: edges in order of first appearance in the pairs."""
    return {e: k for k, e in enumerate(dict.fromkeys(itertools.chain.from_iterable(by_links)))}


def _flat_edges(
    routes: list[tuple[RouteEdges, float, bool]], edge_ids: Mapping[str, int]
) -> tuple[npt.NDArray[np.int64], list[int]]:
    """All routes' edge numbers (-1: an edge no pair has) end to end, and each route's
    length."""
    lengths = [len(edges) for edges, _, _ in routes]
    if not any(isinstance(edges, np.ndarray) for edges, _, _ in routes):
        flat = np.fromiter(
            map(
                edge_ids.get,
                itertools.chain.from_iterable([edges for edges, _, _ in routes]),
                itertools.repeat(-1),
            ),
            dtype=np.int64,
            count=sum(lengths),
        )
        return flat, lengths
    parts = [
        edges
        if isinstance(edges, np.ndarray)
        else np.fromiter(
            map(edge_ids.get, edges, itertools.repeat(-1)), dtype=np.int64, count=len(edges)
        )
        for edges, _, _ in routes
    ]
    return np.concatenate(parts), lengths


def _count_pairs(
    routes: list[tuple[RouteEdges, float, bool]],
    by_links: Mapping[tuple[str, str], str],
    edge_ids: Mapping[str, int] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Vehicles per movement, and heavy vehicles per movement, from ``(edges, vehicles, heavy)``
    per route: every pair of consecutive edges that ``by_links`` knows counts the route's
    vehicles for that movement.

    The same sums, added in the same order, as a loop over routes and pairs, in one compiled
    loop (:func:`signalbrain.io._route_kernels.pair_count_kernel`) when the kernels are built
    ahead of time, else with the pair lookups vectorised in numpy (``np.bincount`` adds its
    weights in input order): the hot part of reading 9,000 routes on a 1,300-signal grid.
    Movements appear in order of their first count. ``edge_ids`` (default: worked out) must be
    :func:`_edge_numbers` of ``by_links``, the numbers of the routes given as arrays.
    """
    if edge_ids is None:
        edge_ids = _edge_numbers(by_links)
    names = list(dict.fromkeys(by_links.values()))
    index = {m: k for k, m in enumerate(names)}
    n_edges = max(len(edge_ids), 1)
    ends = np.fromiter(
        map(edge_ids.__getitem__, itertools.chain.from_iterable(by_links)),
        dtype=np.int64,
        count=2 * len(by_links),
    )
    keys = ends[0::2] * n_edges + ends[1::2]
    target = np.fromiter(map(index.__getitem__, by_links.values()), np.int64, len(by_links))
    order = np.argsort(keys, kind="stable")
    keys, target = keys[order], target[order]
    flat, lengths = _flat_edges(routes, edge_ids)
    if not keys.size or flat.size < 2:
        return {}, {}
    vehicles = np.array([n for _, n, _ in routes], dtype=np.float64)
    is_heavy = np.array([h for _, _, h in routes], dtype=bool)
    if not available():  # in JIT mode importing numba costs more than the loop saves
        return _count_pairs_numpy(flat, lengths, keys, target, n_edges, vehicles, is_heavy, names)
    from signalbrain.io._route_kernels import pair_count_kernel

    ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    head_ptr = np.searchsorted(keys, np.arange(n_edges + 1, dtype=np.int64) * n_edges)
    sums, heavy_sums = np.zeros(len(names)), np.zeros(len(names))
    first = np.full(len(names), -1, dtype=np.int64)
    heavy_first = np.full(len(names), -1, dtype=np.int64)
    pair_count_kernel(
        flat,
        ptr,
        keys,
        head_ptr.astype(np.int64, copy=False),
        target,
        n_edges,
        vehicles,
        is_heavy,
        sums,
        heavy_sums,
        first,
        heavy_first,
    )
    return _in_order(sums, first, names), _in_order(heavy_sums, heavy_first, names)


def _in_order(
    sums: npt.NDArray[Any], rank: npt.NDArray[np.int64], names: list[str]
) -> dict[str, float]:
    """``{name: sum}`` of the counted movements (``rank >= 0``), in order of ``rank``."""
    seen = np.flatnonzero(rank >= 0)
    ordered = seen[np.argsort(rank[seen], kind="stable")]
    return dict(zip([names[k] for k in ordered.tolist()], sums[ordered].tolist(), strict=True))


def _count_pairs_numpy(
    flat: npt.NDArray[np.int64],
    lengths: list[int],
    keys: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64],
    n_edges: int,
    vehicles: npt.NDArray[np.float64],
    is_heavy: npt.NDArray[np.bool_],
    names: list[str],
) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`_count_pairs` in numpy (without the compiled kernels; also their test oracle)."""
    route_of = np.repeat(np.arange(len(lengths)), lengths)
    head, tail = flat[:-1], flat[1:]
    ok = (route_of[:-1] == route_of[1:]) & (head >= 0) & (tail >= 0)
    code = head[ok] * n_edges + tail[ok]
    at = np.minimum(np.searchsorted(keys, code), keys.size - 1)
    hit = keys[at] == code
    movement = target[at[hit]]
    pair_route = route_of[:-1][ok][hit]
    weights, heavy = vehicles[pair_route], is_heavy[pair_route]

    def totals(moves: npt.NDArray[np.int64], w: npt.NDArray[np.float64]) -> dict[str, float]:
        sums = np.bincount(moves, weights=w, minlength=len(names))
        # rank of each movement's first count (no sort: np.minimum.at is one pass)
        first = np.full(len(names), moves.size, dtype=np.int64)
        np.minimum.at(first, moves, np.arange(moves.size))
        return _in_order(sums, np.where(first < moves.size, first, -1), names)

    return totals(movement, weights), totals(movement[heavy], weights[heavy])


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
