"""The signal model of one SUMO traffic light: movements, conflicts and phases from its links.

Pure translation logic used by :func:`signalbrain.io.sumo_net.read_sumo_net`: it gets the
controlled links of one ``tlLogic`` (with their SUMO link index, edges, turn and junction), the
junction's right-of-way data mapped onto those link indices, and the program, and returns an
:class:`~signalbrain.network.Intersection`. The rules are documented in
:mod:`signalbrain.io.sumo_net`; the SUMO state characters are those of the SUMO documentation
("Traffic Lights", ``tlLogic`` phase states).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from signalbrain.io._sumo_clearances import clearance, pedestrian_clearance_s
from signalbrain.network.displays import GREEN, RED, YELLOW, YIELD_GREEN
from signalbrain.network.model import (
    CONFLICT,
    NONE,
    PERMISSIVE,
    Intersection,
    Movement,
    Phase,
    SumoProgram,
    Turn,
    pair,
)
from signalbrain.network.validate import MAX_CYCLE_S, MIN_YELLOW_S

__all__ = ["GREEN", "RED", "YIELD_GREEN", "SumoLink", "build_intersection"]


DEFAULT_MIN_GREEN_S = 5.0
"""Minimum green when the SUMO phase has no ``minDur`` [s]."""
DEFAULT_MAX_GREEN_S = 60.0
"""Lower bound of the maximum green when the phase has no ``maxDur`` [s]: max(2 x duration, 60)."""
DEFAULT_ALL_RED_S = 1.0
"""All-red used when a missing or short yellow is replaced [s] (ITE: 1 s is the usual minimum)."""

LONE_CYCLE_MIN_S = 30.0
"""``cycle_min_s`` of an imported traffic light (SUMO programs carry no cycle limits); the
network import lowers it for signals with a signalised neighbour
(:func:`signalbrain.io.sumo_net.read_sumo_net`). A signal that runs alone gains nothing from a
cycle shorter than Webster's, and Webster's short cycles underrate the time SUMO's drivers lose
at each phase change (they stop at yellow): cologne3's lone signals at 20 s instead of 30 s
gave 26.3 s mean time loss instead of 20.5 s."""


@dataclass(frozen=True, slots=True)
class SumoLink:
    """One controlled SUMO connection: TLS link ``index`` from a lane of ``from_edge`` to
    ``to_edge`` through ``junction``."""

    index: int
    from_edge: str
    to_edge: str
    from_lane: int
    turn: Turn
    junction: str


def _chars(program: SumoProgram, index: int) -> tuple[str, ...]:
    return tuple(ph.state[index] for ph in program.phases)


def _columns(program: SumoProgram) -> list[tuple[str, ...]] | None:
    """``_chars`` of every link index at once (None when the states differ in length)."""
    states = [ph.state for ph in program.phases]
    if not states or len({len(s) for s in states}) != 1:
        return None
    return list(zip(*states, strict=True))


def _phase_masks(states: Sequence[str]) -> tuple[dict[int, int], dict[int, int]]:
    """Per link index, bit masks of the phases that show it green and yielding green."""
    green: dict[int, int] = {}
    yield_green: dict[int, int] = {}
    for k, s in enumerate(states):
        bit = 1 << k
        for i, ch in enumerate(s):
            if ch in GREEN:
                green[i] = green.get(i, 0) | bit
                if ch in YIELD_GREEN:
                    yield_green[i] = yield_green.get(i, 0) | bit
    return green, yield_green


def _ids(items: Iterable[object], limit: int = 8) -> str:
    seq = [str(i) for i in items]
    text = ", ".join(seq[:limit])
    return text + (f", ... ({len(seq)} in all)" if len(seq) > limit else "")


def _link_relations(
    foes: Iterable[tuple[int, int]], yields: set[tuple[int, int]], program: SumoProgram
) -> dict[tuple[int, int], int]:
    """PERMISSIVE or CONFLICT for every foe pair of link indices (sorted pairs)."""
    green, yield_green = _phase_masks([ph.state for ph in program.phases])
    out: dict[tuple[int, int], int] = {}
    for a, b in foes:
        i, j = (a, b) if a < b else (b, a)
        if (i, j) in out:
            continue
        # some phase shows one green while the other, which yields to it, shows yielding green
        ok = ((i, j) in yields and yield_green.get(i, 0) & green.get(j, 0)) or (
            (j, i) in yields and yield_green.get(j, 0) & green.get(i, 0)
        )
        out[(i, j)] = PERMISSIVE if ok else CONFLICT
    return out


def _original_notes(
    program: SumoProgram,
    foes: Iterable[tuple[int, int]],
    yields: set[tuple[int, int]],
    links: Sequence[SumoLink],
    successors: Sequence[int],
) -> list[str]:
    """Human-readable notes on what is unsafe in the original program (``successors``: the
    phase that follows each phase). Lanes of one stream
    (same from and to edge) merging are no signal conflict; pedestrian links have no yellow in
    SUMO (their clearance is a phase with vehicles still green), so the yellow checks skip them."""
    pedestrian = {k.index for k in links if k.turn == "P"}
    stream = {k.index: (k.from_edge, k.to_edge) for k in links}
    phases = program.phases
    n = len(phases)
    notes: list[str] = []
    clash: dict[tuple[int, int], int] = {}
    green, yield_green = _phase_masks([ph.state for ph in phases])
    for a, b in foes:
        i, j = (a, b) if a < b else (b, a)
        both = green.get(i, 0) & green.get(j, 0)
        if not both or (i, j) in clash or (i in stream and stream[i] == stream.get(j)):
            continue
        if (i, j) in yields:
            both &= ~yield_green.get(i, 0)
        if (j, i) in yields:
            both &= ~yield_green.get(j, 0)
        if both:  # the first phase showing both green with neither yielding
            clash[(i, j)] = (both & -both).bit_length() - 1
    if clash:
        items = [f"{i}+{j} (phase {k})" for (i, j), k in sorted(clash.items())]
        notes.append(
            "unsafe original program: conflicting links green together with neither "
            f"yielding: {_ids(items)}"
        )
    no_yellow: dict[int, list[int]] = {}
    short: dict[int, float] = {}
    for k in range(n):
        cur, nxt = phases[k].state, phases[successors[k]].state
        for i, ch in enumerate(cur):
            if ch not in GREEN or i in pedestrian:
                continue
            if nxt[i] in RED:
                no_yellow.setdefault(k, []).append(i)
            elif nxt[i] in YELLOW:
                total, m = 0.0, successors[k]
                for _ in range(n):
                    if phases[m].state[i] not in YELLOW:
                        break
                    total += phases[m].duration_s
                    m = successors[m]
                if total < MIN_YELLOW_S:
                    short[i] = min(total, short.get(i, total))
    if no_yellow:
        items = [f"links {_ids(v, 6)} after phase {k}" for k, v in sorted(no_yellow.items())]
        notes.append(
            "unsafe original program: green switches straight to red with no yellow: "
            + "; ".join(items[:6])
            + (" ..." if len(items) > 6 else "")
        )
    if short:
        items = [f"{i} ({t:g} s)" for i, t in sorted(short.items())]
        notes.append(
            f"unsafe original program: yellow shorter than {MIN_YELLOW_S:g} s on links "
            f"{_ids(items)}"
        )
    return notes


def _group_movements(
    links: Sequence[SumoLink], program: SumoProgram, constant: set[int]
) -> list[Movement]:
    """Modelled links grouped by (from edge, to edge), split where their states differ."""
    groups: dict[tuple[str, str, tuple[str, ...]], list[SumoLink]] = {}
    columns = _columns(program)
    for link in sorted(links, key=lambda k: k.index):
        if link.index in constant:
            continue
        chars = columns[link.index] if columns is not None else _chars(program, link.index)
        key = (link.from_edge, link.to_edge, chars)
        groups.setdefault(key, []).append(link)
    used: dict[tuple[str, str], int] = {}
    out: list[Movement] = []
    for (from_edge, to_edge, _), members in groups.items():
        turn = members[0].turn
        used[(from_edge, turn)] = used.get((from_edge, turn), 0) + 1
        count = used[(from_edge, turn)]
        mid = f"{from_edge}.{turn}" + ("" if count == 1 else str(count))
        lanes = len({k.from_lane for k in members})
        out.append(Movement(mid, from_edge, to_edge, turn, lanes, tuple(k.index for k in members)))
    return out


def _movement_relations(
    movements: Sequence[Movement],
    link_rel: Mapping[tuple[int, int], int],
    yields: set[tuple[int, int]],
) -> tuple[dict[tuple[str, str], int], set[tuple[str, str]]]:
    """Movement-pair relation (max over their link pairs) and which movement yields to which."""
    rel: dict[tuple[str, str], int] = {}
    myield: set[tuple[str, str]] = set()
    owner = {i: m for m in movements for i in m.sumo_link_indices}
    for (i, j), r in link_rel.items():
        a, b = owner.get(i), owner.get(j)
        if a is None or b is None:
            continue
        x, y = a.id, b.id
        if x == y:
            continue
        key = (x, y) if x <= y else (y, x)  # pair(x, y)
        if rel.get(key, NONE) < r:
            rel[key] = r
        if (i, j) in yields:
            myield.add((x, y))
        if (j, i) in yields:
            myield.add((y, x))
    return rel, myield


def _safe_groups(
    protected: list[str],
    permitted: list[str],
    rel: Mapping[tuple[str, str], int],
    myield: set[tuple[str, str]],
) -> tuple[list[tuple[list[str], list[str]]], list[str]]:
    """Make one phase's green safe: demote yielding movements of protected permissive pairs to
    permitted, then split hard conflicts greedily into several groups (first group keeps the
    phase). Returns the groups and what was changed."""
    changes: list[str] = []
    prot = list(protected)
    perm = list(permitted)
    changed = True
    while changed:
        changed = False
        for x in range(len(prot)):
            for y in range(x + 1, len(prot)):
                a, b = prot[x], prot[y]
                if rel.get(pair(a, b), NONE) != PERMISSIVE:
                    continue
                loser = a if (a, b) in myield and (b, a) not in myield else b
                prot.remove(loser)
                perm.append(loser)
                changes.append(f"{loser} demoted to permitted (yields to {a if loser == b else b})")
                changed = True
                break
            if changed:
                break
    groups: list[tuple[list[str], list[str]]] = []
    for mid in prot + perm:
        is_prot = mid in prot
        for gp, gq in groups:
            if all(rel.get(pair(mid, o), NONE) != CONFLICT for o in gp + gq):
                (gp if is_prot else gq).append(mid)
                break
        else:
            groups.append(([mid], []) if is_prot else ([], [mid]))
    if len(groups) > 1:
        changes.append(f"split into {len(groups)} phases to separate conflicting movements")
    return groups, changes


def build_intersection(
    tls_id: str,
    nodes: Sequence[str],
    links: Sequence[SumoLink],
    foes: Iterable[tuple[int, int]],
    yields: set[tuple[int, int]],
    program: SumoProgram,
    successors: Sequence[int] | None = None,
) -> Intersection:
    """The signal model of one SUMO traffic light.

    Parameters
    ----------
    tls_id
        The ``tlLogic`` id (becomes the intersection id).
    nodes
        Junction ids the traffic light controls.
    links
        Its controlled vehicle connections.
    foes
        Pairs of link indices (TLS numbering) whose paths conflict at their junction.
    yields
        Pairs ``(i, j)``: link ``i`` must yield to link ``j`` (junction ``response``).
    program
        The imported program; kept verbatim in :attr:`Intersection.sumo`.
    successors
        The phase SUMO runs after each phase (the phases' ``next`` attributes); by default
        the next one in the program, the last followed by the first.

    Returns
    -------
    Intersection
        With movements, conflicts, one ring of phases (numbered 1..n) and notes.
    """
    foes = sorted({(a, b) if a < b else (b, a) for a, b in foes})
    n_phases = len(program.phases)
    if successors is None:
        successors = [(k + 1) % n_phases for k in range(n_phases)]
    notes = _original_notes(program, foes, yields, links, successors)
    link_rel = _link_relations(foes, yields, program)
    columns = _columns(program)
    constant = {
        k.index
        for k in links
        if len(set(columns[k.index] if columns is not None else _chars(program, k.index))) <= 1
    }
    movements = _group_movements(links, program, constant)
    modelled = [i for m in movements for i in m.sumo_link_indices]
    states = [ph.state for ph in program.phases]
    green_phases = [
        k
        for k, s in enumerate(states)
        if any(s[i] in GREEN for i in modelled) and not any(s[i] in YELLOW for i in modelled)
    ]
    served = {
        m.id for m in movements for k in green_phases if states[k][m.sumo_link_indices[0]] in GREEN
    }
    dropped = [m for m in movements if m.id not in served]
    if dropped:
        notes.append(
            "movements green in no green phase of the original program, left out of the "
            f"model (they show red in signalbrain states): {_ids(m.id for m in dropped)}"
        )
        movements = [m for m in movements if m.id in served]
    if constant:
        kept = {i: states[0][i] for i in sorted(constant)} if states else {}
        notes.append(
            "links the original program never changes, left out of the model and kept "
            "as they are: " + _ids(f"{i}={c}" for i, c in kept.items())
        )
    rel, myield = _movement_relations(movements, link_rel, yields)
    crossings = [i for m in movements if m.turn == "P" for i in m.sumo_link_indices]
    link_foes: dict[int, set[int]] = {}
    for a, b in foes:
        link_foes.setdefault(a, set()).add(b)
        link_foes.setdefault(b, set()).add(a)
    phases: list[Phase] = []
    for k in green_phases:
        s = states[k]
        prot = [m.id for m in movements if s[m.sumo_link_indices[0]] == "G"]
        perm = [m.id for m in movements if s[m.sumo_link_indices[0]] in YIELD_GREEN]
        groups, changes = _safe_groups(prot, perm, rel, myield)
        if changes:
            notes.append(f"unsafe original program: phase {k}: " + "; ".join(changes))
        clear = clearance(program, k, green_phases, modelled, successors)
        if clear.yellow_s < MIN_YELLOW_S:
            yellow_s = MIN_YELLOW_S
            all_red_s = max(clear.yellow_s + clear.all_red_s - MIN_YELLOW_S, DEFAULT_ALL_RED_S)
        else:
            yellow_s, all_red_s = clear.yellow_s, clear.all_red_s
        ped_clear_s = max(
            (
                pedestrian_clearance_s(program, k, i, link_foes, successors)
                for i in crossings
                if s[i] in GREEN
            ),
            default=0.0,
        )
        all_red_s = max(all_red_s, ped_clear_s - yellow_s)
        sp = program.phases[k]
        min_g = sp.min_dur_s if sp.min_dur_s is not None else DEFAULT_MIN_GREEN_S
        max_g = (
            sp.max_dur_s
            if sp.max_dur_s is not None
            else max(2.0 * sp.duration_s, DEFAULT_MAX_GREEN_S)
        )
        max_g = max(max_g, min_g)
        base = f"sumo phase {k}" + (f" {sp.name}" if sp.name else "")
        for part, (gp, gq) in enumerate(groups):
            phases.append(
                Phase(
                    len(phases) + 1,
                    tuple(gp),
                    tuple(gq),
                    min_g,
                    max_g,
                    yellow_s,
                    all_red_s,
                    name=base if part == 0 else f"{base} part {part + 1}",
                )
            )
    if movements and not phases:
        notes.append("the original program has no green phase")
    conflicts = frozenset(k for k, r in rel.items() if r in (PERMISSIVE, CONFLICT))
    permissive = frozenset(k for k, r in rel.items() if r == PERMISSIVE)
    cycle_s = sum(ph.duration_s for ph in program.phases)
    if cycle_s > MAX_CYCLE_S:
        notes.append(
            f"the original cycle of {cycle_s:g} s is beyond any timing plan: cycle_max_s set to "
            f"{MAX_CYCLE_S:g} s"
        )
    shared_lanes = _shared_lanes(movements, links)
    return Intersection(
        id=tls_id,
        nodes=tuple(nodes),
        movements=tuple(movements),
        phases=tuple(phases),
        conflicts=conflicts,
        permissive=permissive,
        cycle_min_s=LONE_CYCLE_MIN_S,
        cycle_max_s=min(max(180.0, cycle_s), MAX_CYCLE_S),
        sumo=program,
        notes=tuple(notes),
        shared_lanes=shared_lanes,
    )


def _shared_lanes(
    movements: Sequence[Movement], links: Sequence[SumoLink]
) -> frozenset[tuple[str, str]]:
    """Pairs of modelled movements with a connection from the same approach lane."""
    owner = {i: m.id for m in movements for i in m.sumo_link_indices}
    by_lane: dict[tuple[str, int], set[str]] = {}
    for k in links:
        mid = owner.get(k.index)
        if mid is not None and k.turn != "P":
            by_lane.setdefault((k.from_edge, k.from_lane), set()).add(mid)
    out: set[tuple[str, str]] = set()
    for ids in by_lane.values():
        ordered = sorted(ids)
        out.update(pair(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    return frozenset(out)
