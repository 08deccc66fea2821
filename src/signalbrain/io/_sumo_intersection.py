"""One traffic light of a SUMO network becomes an :class:`~signalbrain.network.Intersection`.

Used by :func:`signalbrain.io.sumo_net.read_sumo_net`, whose module docstring gives the mapping.
:func:`_intersection` chooses the traffic light's program (:func:`_program`: the requested
``programID`` or the one SUMO runs), checks it against the connections it controls
(:func:`_check_program`), reads the order its phases run in from their ``next`` attributes
(:func:`_successors`), gathers its controlled links with their turns (:func:`_turn`, from SUMO's
``dir`` or the edges' headings) and junction request indices, and hands them to the
:class:`~signalbrain.io._sumo_templates.IntersectionBuilder`. :func:`internal_edge_junction`
names the junction an internal edge lies in (signalled crossings here, vehicles on internal
edges in the escort).
"""

from __future__ import annotations

from dataclasses import replace

from signalbrain.errors import InputError
from signalbrain.io._sumo_raw import Conn, RawNet, RawPhase, junction_indices
from signalbrain.io._sumo_templates import IntersectionBuilder, LinkRow
from signalbrain.network.geometry import classify_turn, heading_deg
from signalbrain.network.model import Intersection, SumoPhase, SumoProgram, Turn

__all__ = ["internal_edge_junction"]


_DIR_TURN: dict[str, Turn] = {"s": "T", "l": "L", "L": "L", "r": "R", "R": "R", "t": "U"}


def internal_edge_junction(edge_id: str) -> str | None:
    """The junction an internal edge of SUMO lies in (``":J_3"`` -> ``"J"``: SUMO names the
    edges inside junction ``J`` ``:J_<index>``, crossings and walking areas included); ``None``
    for an edge that is not internal."""
    if not edge_id.startswith(":"):
        return None
    return edge_id[1:].rsplit("_", 1)[0]


def _turn(conn: Conn, raw: RawNet) -> Turn:
    if conn.direction in _DIR_TURN:
        return _DIR_TURN[conn.direction]
    a, b = raw.edges[conn.from_edge], raw.edges[conn.to_edge]
    (x0, y0), (x1, y1) = raw.coords[a.from_node], raw.coords[a.to_node]
    (u0, v0), (u1, v1) = raw.coords[b.from_node], raw.coords[b.to_node]
    return classify_turn(heading_deg(x0, y0, x1, y1), heading_deg(u0, v0, u1, v1))


def _program(
    tls_id: str,
    program_id: str | None,
    raw: RawNet,
    phase_cache: dict[tuple[RawPhase, ...], tuple[SumoPhase, ...]],
) -> tuple[SumoProgram | None, list[str]]:
    programs = raw.programs.get(tls_id, {})
    if not programs:
        return None, []
    notes = []
    if program_id is not None and program_id in programs:
        chosen = program_id
    else:
        chosen = list(programs)[-1]
        if program_id is not None:
            notes.append(f"has no program {program_id!r}: imported {chosen!r}, the one SUMO runs")
    if len(programs) > 1:
        notes.append(
            f"program {chosen!r} imported; the file also has "
            f"{', '.join(p for p in programs if p != chosen)}"
        )
    prog = programs[chosen]
    key = tuple(prog.phases)
    phases = phase_cache.get(key)
    if phases is None:  # programs repeat (generated grids): equal phases, shared frozen objects
        phases = phase_cache[key] = tuple(
            SumoPhase(duration, state, min_dur, max_dur, name)
            for duration, state, min_dur, max_dur, name, _ in prog.phases
        )
    return SumoProgram(
        tls_id,
        chosen,
        prog.type,
        prog.offset_s,
        phases,
        len(phases[0].state) if phases else 0,
        tuple(raw.tls_params.get((tls_id, chosen), ())),
    ), notes


def _successors(
    tls_id: str, program: SumoProgram, raw: RawNet, source: str
) -> tuple[tuple[int, ...] | None, list[str]]:
    """The phase SUMO runs after each phase of ``program`` when some phase has a ``next``
    attribute (the first of several targets, which actuated programs choose between), with a
    note; ``(None, [])`` when the phases run in file order."""
    raw_phases = raw.programs[tls_id][program.program_id].phases
    if not any(ph[5] for ph in raw_phases):
        return None, []
    n = len(raw_phases)
    out: list[int] = []
    for k, ph in enumerate(raw_phases):
        targets = ph[5].split()
        if not targets:
            out.append((k + 1) % n)
            continue
        if not all(t.isdigit() and int(t) < n for t in targets):
            raise InputError(
                f"<tlLogic id={tls_id!r} programID={program.program_id!r}> phase {k}: "
                f"next={ph[5]!r}: expected phase indices 0 to {n - 1}",
                source=source,
            )
        out.append(int(targets[0]))
    note = (
        "phases have 'next' attributes: yellow and all-red read in the order they give"
        + (
            " (the first of several targets)"
            if any(len(ph[5].split()) > 1 for ph in raw_phases)
            else ""
        )
        + "; a written-back original program leaves them out"
    )
    return tuple(out), [note]


def _check_program(program: SumoProgram, tls_conns: list[Conn], source: str) -> None:
    lengths = {len(p.state) for p in program.phases}
    problems = []
    if not program.phases:
        problems.append("has no phases")
    if len(lengths) > 1:
        problems.append(f"phases have states of different lengths {sorted(lengths)}")
    top = max((c.link_index for c in tls_conns if c.link_index is not None), default=-1)
    if program.phases and top >= min(lengths):
        problems.append(
            f"a connection uses link index {top} but states have {min(lengths)} characters"
        )
    if problems:
        raise InputError(
            f"traffic light {program.tls_id!r} program {program.program_id!r}: "
            + "; ".join(problems),
            source=source,
        )


def _intersection(
    tls_id: str,
    raw: RawNet,
    program_id: str | None,
    source: str,
    edge_ok: set[str],
    builder: IntersectionBuilder,
) -> Intersection | None:
    program, notes = _program(tls_id, program_id, raw, builder.phase_cache)
    if program is None:
        return None
    conns = raw.tl_conns.get(tls_id, [])
    _check_program(program, conns, source)
    successors, next_notes = _successors(tls_id, program, raw, source)
    notes += next_notes
    links: list[LinkRow] = []
    junction_of: dict[int, tuple[str, int]] = {}
    junctions: dict[str, dict[int, int]] = {}
    by_junction_index: dict[tuple[str, int], int] = {}
    functions = raw.functions
    edges = raw.edges
    for conn in conns:
        index = conn.link_index
        if index is None:
            continue
        from_edge, to_edge = conn.from_edge, conn.to_edge
        # normal edges (edge_ok) are never walking areas or crossings: the order of the tests
        # does not matter, the common case goes first
        if from_edge in edge_ok and to_edge in edge_ok:
            node = edges[from_edge].to_node
            turn = _DIR_TURN.get(conn.direction) or _turn(conn, raw)
            links.append((index, from_edge, to_edge, conn.from_lane, turn, node))
        elif (
            functions.get(from_edge, "") == "walkingarea"
            and functions.get(to_edge, "") == "crossing"
        ):
            crossing = to_edge.lstrip(":")
            node = internal_edge_junction(f":{crossing}") or crossing  # crossings are internal
            links.append((index, crossing, crossing, 0, "P", node))
        else:
            continue
        indices = junctions.get(node)
        if indices is None:
            indices = junctions[node] = junction_indices(raw, node)
        jidx = indices.get(id(conn))
        if jidx is not None:
            junction_of[index] = (node, jidx)
            by_junction_index[(node, jidx)] = index
    requests = []
    for i, (node, ji) in junction_of.items():
        row = raw.requests.get(node, {}).get(ji)
        if row is not None:
            requests.append((i, node, ji, row[0], row[1]))
    junction_links = [(node, jj, index) for (node, jj), index in by_junction_index.items()]
    nodes = list(dict.fromkeys(k[5] for k in links if k[4] != "P"))
    isec = builder.build(tls_id, nodes, links, requests, junction_links, program, successors)
    if notes:
        isec = replace(isec, notes=tuple(notes) + isec.notes)
    return isec
