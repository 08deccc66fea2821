"""Synthetic networks: grids and arterials of any size, for tests, demos and benchmarks.

Every signal is a four-leg intersection with turns and conflicts inferred from the geometry
(:mod:`signalbrain.network.geometry`) and one of two standard phasings:

``nema``
    Eight phases in a dual ring with protected-permitted lefts (NEMA numbering: 2/6 the main street
    east-west throughs, 4/8 the side street, 1/5/3/7 the lefts), as in the HCM's reference
    intersection.
``two-phase``
    Phase 2 serves east-west, phase 4 north-south; lefts are permitted (they yield).

A city-scale grid of 100 x 100 signals (10,000) builds in a few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from numbers import Integral, Real

from signalbrain._numbers import real_or_nan
from signalbrain.errors import InputError, Problem
from signalbrain.network.geometry import infer_conflicts, infer_movements, movement_legs
from signalbrain.network.model import Intersection, Link, Movement, Network, Node, Phase
from signalbrain.network.validate import (
    MAX_LANES,
    MAX_LENGTH_M,
    MAX_SAT_FLOW_VPHPL,
    MAX_SPEED_MPS,
)

__all__ = ["PHASINGS", "Limits", "arterial", "four_leg_phases", "grid"]

PHASINGS = ("nema", "two-phase")


@dataclass(frozen=True, slots=True)
class Limits:
    """Timing limits applied to generated phases [s]."""

    min_green_s: float = 7.0
    max_green_s: float = 60.0
    left_min_green_s: float = 5.0
    left_max_green_s: float = 30.0
    yellow_s: float = 3.5
    all_red_s: float = 1.5
    ped_min_s: float = 0.0
    cycle_min_s: float = 40.0
    cycle_max_s: float = 150.0


def _direction(center: Node, other: Node) -> str:
    dx, dy = other.x_m - center.x_m, other.y_m - center.y_m
    if abs(dx) >= abs(dy):
        return "E" if dx > 0 else "W"
    return "N" if dy > 0 else "S"


def four_leg_phases(
    node: Node,
    movements: Sequence[Movement],
    links: dict[str, Link],
    nodes: dict[str, Node],
    phasing: str = "nema",
    limits: Limits = Limits(),
) -> tuple[list[Phase], tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """Standard phases for a four-leg intersection, by approach direction.

    Returns
    -------
    phases, rings, barriers
    """
    by_dir: dict[str, dict[str, str]] = {}
    for m in movements:
        approach = _direction(node, nodes[links[m.from_link].from_node])
        by_dir.setdefault(approach, {})[m.turn] = m.id

    def ids(direction: str, turns: str) -> tuple[str, ...]:
        got = by_dir.get(direction, {})
        return tuple(got[t] for t in turns if t in got)

    def through(number: int, name: str, direction: str) -> Phase:
        return Phase(
            number,
            ids(direction, "TR"),
            ids(direction, "L"),
            limits.min_green_s,
            limits.max_green_s,
            limits.yellow_s,
            limits.all_red_s,
            limits.ped_min_s,
            name,
        )

    def left(number: int, name: str, direction: str) -> Phase:
        return Phase(
            number,
            ids(direction, "L"),
            (),
            limits.left_min_green_s,
            limits.left_max_green_s,
            limits.yellow_s,
            limits.all_red_s,
            0.0,
            name,
        )

    if phasing == "two-phase":
        ew = Phase(
            2,
            ids("W", "TR") + ids("E", "TR"),
            ids("W", "L") + ids("E", "L"),
            limits.min_green_s,
            limits.max_green_s,
            limits.yellow_s,
            limits.all_red_s,
            limits.ped_min_s,
            "EW",
        )
        ns = Phase(
            4,
            ids("S", "TR") + ids("N", "TR"),
            ids("S", "L") + ids("N", "L"),
            limits.min_green_s,
            limits.max_green_s,
            limits.yellow_s,
            limits.all_red_s,
            limits.ped_min_s,
            "NS",
        )
        phases = [p for p in (ew, ns) if p.movements]
        numbers = tuple(p.number for p in phases)
        return phases, (numbers,), (numbers,)
    # NEMA dual ring: approach W = eastbound (EB), E = westbound (WB), S = NB, N = SB.
    candidates = [
        left(1, "WBL", "E"),
        through(2, "EBT", "W"),
        left(3, "SBL", "N"),
        through(4, "NBT", "S"),
        left(5, "EBL", "W"),
        through(6, "WBT", "E"),
        left(7, "NBL", "S"),
        through(8, "SBT", "N"),
    ]
    phases = [p for p in candidates if p.movements]
    present = {p.number for p in phases}
    rings = tuple(tuple(n for n in ring if n in present) for ring in ((1, 2, 3, 4), (5, 6, 7, 8)))
    barriers = tuple(tuple(n for n in grp if n in present) for grp in ((1, 2, 5, 6), (3, 4, 7, 8)))
    return phases, tuple(r for r in rings if r), tuple(b for b in barriers if b)


def _build(
    name: str,
    nodes: list[Node],
    links: list[Link],
    signals: list[str],
    phasing: str,
    limits: Limits,
) -> Network:
    if not isinstance(phasing, str) or phasing not in PHASINGS:
        raise InputError(f"phasing = {phasing!r}: must be one of {', '.join(PHASINGS)}")
    _check_limits(limits)
    node_map = {n.id: n for n in nodes}
    link_map = {k.id: k for k in links}
    incoming: dict[str, list[Link]] = {}
    outgoing: dict[str, list[Link]] = {}
    for k in links:
        incoming.setdefault(k.to_node, []).append(k)
        outgoing.setdefault(k.from_node, []).append(k)
    isecs = []
    for sid in signals:
        local = {k.id: k for k in incoming.get(sid, []) + outgoing.get(sid, [])}
        movements = infer_movements([sid], local, node_map)
        conflicts, permissive = infer_conflicts(
            movements, movement_legs(movements, link_map, node_map, [sid])
        )
        phases, rings, barriers = four_leg_phases(
            node_map[sid], movements, link_map, node_map, phasing, limits
        )
        isecs.append(
            Intersection(
                sid,
                (sid,),
                tuple(movements),
                tuple(phases),
                conflicts,
                permissive,
                rings,
                barriers,
                limits.cycle_min_s,
                limits.cycle_max_s,
            )
        )
    return Network(name, tuple(nodes), tuple(links), tuple(isecs))


def _two_way(links: list[Link], a: Node, b: Node, lanes: int, speed: float, sat: float) -> None:
    length = max(1.0, ((a.x_m - b.x_m) ** 2 + (a.y_m - b.y_m) ** 2) ** 0.5)
    links.append(Link(f"{a.id}_{b.id}", a.id, b.id, lanes, length, speed, sat))
    links.append(Link(f"{b.id}_{a.id}", b.id, a.id, lanes, length, speed, sat))


_MAX_SPACING_M = MAX_LENGTH_M  # 100 km between signals: beyond it a typo (1e300 overflowed)


def _spacings(values: float | Sequence[float], n: int, what: str) -> list[float]:
    if isinstance(values, Real):
        raw: list[object] = [values] * n
    else:
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise InputError(f"{what} = {values!r}: give one distance [m] or a sequence of them")
        raw = list(values)
        if len(raw) != n:
            raise InputError(f"{what}: expected {n} spacings, got {len(raw)}")
    out = [real_or_nan(v) for v in raw]
    bad = [
        r
        for r, v in zip(raw, out, strict=True)
        if not (math.isfinite(v) and 0 < v <= _MAX_SPACING_M)
    ]
    if bad:
        raise InputError(
            f"{what}: spacings must be finite numbers > 0 and at most {_MAX_SPACING_M:g} m, "
            f"got {bad[0]!r}"
        )
    return out


def _check_limits(limits: Limits) -> None:
    """Every timing limit a finite number >= 0 [s] (whether they make valid phases is
    :func:`~signalbrain.network.validate.validate_network`'s to say); all problems at once."""
    if not isinstance(limits, Limits):
        raise InputError(f"limits = {limits!r}: expected a signalbrain.network.generate.Limits")
    problems = [
        Problem(f"limits.{f.name}", f"= {raw!r}: must be a finite number >= 0 [s]")
        for f in fields(limits)
        if not (
            (value := real_or_nan(raw := getattr(limits, f.name))) >= 0 and math.isfinite(value)
        )
    ]
    if problems:
        raise InputError(problems)


_ARG_MAXIMA = {"mps": (MAX_SPEED_MPS, "m/s"), "vphpl": (MAX_SAT_FLOW_VPHPL, "veh/h/lane")}
"""Upper bound and unit of a generator argument by the unit suffix of its name; distances
(``_m``) are bounded by :data:`MAX_LENGTH_M`."""


def _check_args(**values: float) -> None:
    """The generators' scalar arguments: lane counts are whole numbers from 1 to 64, distances,
    speeds and flows finite, > 0 and within the bounds validation sets (100 km, 100 m/s,
    4,000 veh/h/lane); every problem named at once."""
    problems: list[Problem] = []
    for name, value in values.items():
        if name.endswith("lanes"):
            whole = isinstance(value, int) and not isinstance(value, bool)
            if not whole or not 1 <= value <= MAX_LANES:
                problems.append(
                    Problem(name, f"= {value!r}: must be a whole number 1 to {MAX_LANES}")
                )
        elif isinstance(value, bool) or not (
            isinstance(value, int | float) and math.isfinite(value) and value > 0
        ):
            problems.append(Problem(name, f"= {value!r}: must be a finite number > 0"))
        else:
            most, unit = _ARG_MAXIMA.get(name.rsplit("_", 1)[-1], (MAX_LENGTH_M, "m"))
            if value > most:
                problems.append(Problem(name, f"= {value!r}: must be <= {most:g} {unit}"))
    if problems:
        raise InputError(problems)


def grid(
    rows: int,
    cols: int,
    *,
    spacing_m: float | Sequence[float] = 250.0,
    boundary_m: float = 200.0,
    lanes: int = 2,
    free_speed_mps: float = 13.89,
    sat_flow_vphpl: float = 1900.0,
    phasing: str = "nema",
    limits: Limits = Limits(),
    name: str | None = None,
) -> Network:
    """A ``rows`` x ``cols`` grid of signals with a boundary node beyond every edge signal.

    Signal ids are ``I{row}_{col}``; boundary nodes ``B...``; link ids ``FROM_TO``.
    ``spacing_m`` is one distance or ``max(rows, cols) - 1`` distances (uneven blocks).
    """
    if (
        not all(isinstance(v, Integral) and not isinstance(v, bool) for v in (rows, cols))
        or min(rows, cols) < 1
    ):
        raise InputError(
            f"grid size rows={rows!r}, cols={cols!r}: rows and cols must be whole numbers >= 1"
        )
    rows, cols = int(rows), int(cols)
    _check_args(
        boundary_m=boundary_m,
        lanes=lanes,
        free_speed_mps=free_speed_mps,
        sat_flow_vphpl=sat_flow_vphpl,
    )
    steps = _spacings(spacing_m, max(rows, cols) - 1, "spacing_m") if max(rows, cols) > 1 else []
    xs = [0.0]
    for s in steps[: cols - 1]:
        xs.append(xs[-1] + s)
    ys = [0.0]
    for s in steps[: rows - 1]:
        ys.append(ys[-1] + s)
    nodes: list[Node] = []
    links: list[Link] = []
    sig = [[Node(f"I{r}_{c}", xs[c], ys[r]) for c in range(cols)] for r in range(rows)]
    for row in sig:
        nodes.extend(row)
    for r in range(rows):
        for c in range(cols):
            here = sig[r][c]
            if c + 1 < cols:
                _two_way(links, here, sig[r][c + 1], lanes, free_speed_mps, sat_flow_vphpl)
            if r + 1 < rows:
                _two_way(links, here, sig[r + 1][c], lanes, free_speed_mps, sat_flow_vphpl)
    for r in range(rows):
        for c, dx in ((0, -boundary_m), (cols - 1, boundary_m)):
            b = Node(f"B{r}_{'W' if dx < 0 else 'E'}", xs[c] + dx, ys[r])
            nodes.append(b)
            _two_way(links, b, sig[r][c], lanes, free_speed_mps, sat_flow_vphpl)
    for c in range(cols):
        for r, dy in ((0, -boundary_m), (rows - 1, boundary_m)):
            b = Node(f"B{'S' if dy < 0 else 'N'}_{c}", xs[c], ys[r] + dy)
            nodes.append(b)
            _two_way(links, b, sig[r][c], lanes, free_speed_mps, sat_flow_vphpl)
    signals = [n.id for row in sig for n in row]
    return _build(name or f"grid{rows}x{cols}", nodes, links, signals, phasing, limits)


def arterial(
    n: int,
    *,
    spacing_m: float | Sequence[float] = (320.0, 210.0, 450.0, 260.0, 380.0),
    side_m: float = 200.0,
    main_lanes: int = 2,
    side_lanes: int = 1,
    free_speed_mps: float = 15.0,
    side_speed_mps: float = 11.0,
    sat_flow_vphpl: float = 1900.0,
    phasing: str = "nema",
    limits: Limits = Limits(),
    name: str | None = None,
) -> Network:
    """An east-west arterial of ``n`` signals with a north and a south side street at each.

    Signal ids ``S1``..``Sn`` west to east; end nodes ``W`` and ``E``; side-street ends
    ``N1``/``X1`` ... Spacing is uneven by default (the pattern repeats for long arterials).
    """
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
        raise InputError(f"arterial size {n!r}: must be a whole number >= 1")
    n = int(n)
    _check_args(
        side_m=side_m,
        main_lanes=main_lanes,
        side_lanes=side_lanes,
        free_speed_mps=free_speed_mps,
        side_speed_mps=side_speed_mps,
        sat_flow_vphpl=sat_flow_vphpl,
    )
    if isinstance(spacing_m, Real):
        steps = _spacings(spacing_m, n - 1, "spacing_m")
    else:
        if isinstance(spacing_m, str) or not isinstance(spacing_m, Iterable):
            raise InputError(
                f"spacing_m = {spacing_m!r}: give one distance [m] or a sequence of them"
            )
        pattern = list(spacing_m)
        if not pattern:
            raise InputError("spacing_m: an empty sequence; give one distance or a pattern")
        steps = _spacings([pattern[i % len(pattern)] for i in range(n - 1)], n - 1, "spacing_m")
    xs = [0.0]
    for s in steps:
        xs.append(xs[-1] + s)
    nodes = [Node(f"S{i + 1}", x, 0.0) for i, x in enumerate(xs)]
    links: list[Link] = []
    west = Node("W", -side_m * 1.5, 0.0)
    east = Node("E", xs[-1] + side_m * 1.5, 0.0)
    nodes += [west, east]
    _two_way(links, west, nodes[0], main_lanes, free_speed_mps, sat_flow_vphpl)
    for i in range(n - 1):
        _two_way(links, nodes[i], nodes[i + 1], main_lanes, free_speed_mps, sat_flow_vphpl)
    _two_way(links, nodes[n - 1], east, main_lanes, free_speed_mps, sat_flow_vphpl)
    for i in range(n):
        sig = nodes[i]
        for tag, dy in (("N", side_m), ("X", -side_m)):
            end = Node(f"{tag}{i + 1}", sig.x_m, dy)
            nodes.append(end)
            _two_way(links, end, sig, side_lanes, side_speed_mps, sat_flow_vphpl)
    return _build(
        name or f"arterial{n}", nodes, links, [f"S{i + 1}" for i in range(n)], phasing, limits
    )
