"""The counts CSV of ``signalbrain count`` as demand: :func:`read_counts_csv` (the layout is
in the docstring of :mod:`signalbrain.io.demand`)."""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from signalbrain.demand.model import Demand
from signalbrain.errors import InputError, Problem, format_path
from signalbrain.io._fields import _shown, decode_text
from signalbrain.io._route_pairs import movement_by_links
from signalbrain.network.model import Network

__all__ = ["COUNT_COLUMNS", "DEFAULT_TURN_SHARES", "read_counts_csv"]

DEFAULT_TURN_SHARES: Mapping[str, float] = {"L": 0.15, "T": 0.7, "R": 0.15, "U": 0.0}
"""Turning shares used to split line (approach) counts when no movement counts exist."""
COUNT_COLUMNS = ("video", "camera", "t_start_s", "t_end_s", "kind", "id", "vehicles")


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
    by_links = movement_by_links(network)
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
