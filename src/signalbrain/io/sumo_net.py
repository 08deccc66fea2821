"""SUMO network import: a ``.net.xml`` file becomes a :class:`~signalbrain.network.Network`.

:func:`read_sumo_net` reads junctions, edges, lanes, connections with their traffic-light link
indices, ``tlLogic`` programs and each junction's right-of-way matrix (``request`` rows), so a
plan computed on the model can be written back to SUMO with
:func:`~signalbrain.io.sumo_state.signal_state` at the same link indices.

The file is read in one streaming pass (:mod:`signalbrain.io._sumo_xml`, expat with a
start-element handler) that keeps only what the model needs. The importer used to build
:mod:`sumolib`'s full network and then make a second pass for what sumolib drops (request rows,
the order of connections at a junction, ``tlLogic`` params, ``lefthand``); on a 1,296-signal
netgenerate grid (15 MB) that took 2.7 s, the single pass plus the model 0.8 s, with the same
result (``tests/io/sumo`` checks equality against the sumolib reader on the shared scenarios and
on generated grids). Edge length and speed, lane permissions and the choice of programs follow
sumolib's reading of the file. sumolib stays a requirement of SUMO import (the ``sumo`` extra),
but the reader does not import it. Traffic lights that share a junction layout (most of a
generated grid) share one signal model, renamed (:mod:`signalbrain.io._sumo_templates`). What
one traffic light becomes (its program, the order of its phases, its links and their turns) is
read in :mod:`signalbrain.io._sumo_intersection`.

Mapping
-------
nodes
    Every junction that an imported edge touches or a traffic light controls, at its (x, y) [m].
links
    Every normal edge with at least one vehicle lane. ``lanes`` = lanes open to passenger cars
    (lanes open to any vehicle class when none is, e.g. bus or rail edges); sidewalk-only edges are
    left out. ``length_m`` and ``free_speed_mps`` are the edge's; ``sat_flow_vphpl`` is
    :data:`SAT_FLOW_VPHPL` (1800 veh/h/lane, HCM base 1900 less the usual urban adjustments).
intersections
    One per ``tlLogic`` (a traffic light may control several junctions: all are its ``nodes``).
    The program used is ``program_id`` when given (for the traffic lights that have it), else
    the one SUMO would run: the last one loaded (the network's, then those of the additional
    files of a ``.sumocfg``, in order). It is kept verbatim in ``Intersection.sumo``.
movements
    Controlled vehicle connections grouped by (from edge, to edge), split further so that all
    link indices of a movement show the same state in every phase. Ids are ``FROMEDGE.TURN``
    (``FROMEDGE.TURN2``... when one edge has two exits of the same turn). Turn from SUMO's
    ``dir``: ``s`` T, ``l``/``L`` L, ``r``/``R`` R, ``t`` U (``invalid`` from edge headings).
    Signalled pedestrian crossings become movements of turn ``P`` (id ``CROSSING.P``).
conflicts
    From the junction ``request`` rows. SUMO numbers a junction's links by its incoming lanes
    (``incLanes`` order) and each lane's connections in file order; that junction index differs
    from the TLS link index for joined traffic lights, so both are mapped per connection. A foe
    pair is *permissive* when one link must yield to the other (``response`` bit) and the
    original program shows that link ``g`` (or ``o``/``O``) while the other is green; every
    other foe pair is a hard conflict.
phases
    One phase per green SUMO phase: a phase showing some modelled link green (``G``, ``g``,
    ``o``, ``O``) and none yellow. Protected = movements shown ``G``; permitted = ``g``, ``o``,
    ``O`` (signal off: the junction's right of way applies, so they yield); ``r``, ``s``
    (right-on-red after a stop) and ``u`` count as red. ``yellow_s`` is the length of the
    following phases that show a modelled link yellow, ``all_red_s`` of the other phases up to
    the next green one ("following" in SUMO's order: a phase's ``next`` target where it has one,
    the first of several) (a green phase running straight into one that keeps all its green links
    takes that one's clearance: its movements end there). ``min_green_s``/``max_green_s`` are
    ``minDur``/``maxDur`` where given, else 5 s and max(2 x duration, 60 s). Phases are numbered
    1..n in program order, one ring.
cycle limits
    ``cycle_max_s`` = max(180 s, the original cycle), at most 3,600 s
    (:data:`~signalbrain.network.validate.MAX_CYCLE_S`, with a note). ``cycle_min_s`` = 30 s
    (:data:`~signalbrain.io.sumo_tls.LONE_CYCLE_MIN_S`) for a signal that runs alone. For one
    with a signalised neighbour (an arc of the timing engine's platoon model,
    :func:`~signalbrain.timing._coord_pack.pack_arcs`) it is the sum of its two shortest phase
    minimum splits (minimum green plus clearance) where that is shorter: the shortest cycle in
    which it can serve two phases (phase selection may leave the others out), so that the
    network's cycle sweep may pick a short common cycle matching the platoons' travel time
    between signals, or half of one (SUMO: grid5 with 250 m blocks 28.2-29.0 s mean time loss
    at 18 s instead of 33.0-33.9 s at 30 s; see ``benchmarks/README.md``).

Decisions where the original program does not fit the model
------------------------------------------------------------
* Links whose state never changes (a right turn that is always ``G``, a right-on-red link always
  ``s``, a link always ``r``) are left out of the model: no movement stands for them and
  :func:`~signalbrain.io.sumo_state.signal_state` keeps their constant character, so SUMO runs
  them as before. Phases that only show such links green count as all-red.
* A movement that is green in no green phase is left out as well (noted).
* A traffic light left with nothing to model (all its links constant: one all-green phase, as at
  the corners of ``netgenerate --grid --default-junction-type traffic_light``, or all red), or
  whose model fails validation on its own, is left out of the network with a note saying why
  (``strict=True`` refuses the network instead): its junctions stay as uncontrolled nodes, SUMO
  runs its program, and a written plan leaves that program alone.
* A light switched off (SUMO's ``programID="off"``, no phases, loaded last, e.g. from an
  additional file) is left out the same way. ``strict=True`` refuses it.
* A ``NEMA`` program (``netconvert --tls.default-type NEMA``) is left out the same way: its
  phases run two at a time in two rings (``ring1``/``ring2`` params) with yellow and red from
  phase attributes, which the one-ring model of its phases in file order would misread
  (concurrent phases as conflicts, no clearance at all). ``strict=True`` refuses it.
* Green straight to red with no yellow (the Hangzhou and Atlanta programs), or a yellow shorter
  than 3 s: the model gets ``yellow_s`` = 3 s and ``all_red_s`` = the rest of the original
  clearance time, at least 1 s; the intersection gets a note ``unsafe original program: ...``.
* Two foes green together with neither yielding (e.g. the Atlanta all-``G`` phases): noted as
  unsafe; the model phase is made safe by demoting the yielding movement of a permissive pair to
  permitted, and by splitting hard conflicts into consecutive phases (same timing limits).
* Pedestrian links get no yellow in SUMO (their clearance is a phase in which vehicles keep
  green): they are not checked for yellow, and such a clearance phase becomes a model phase of
  its own (its vehicle movements without the crossings). A phase that serves a crossing gets
  ``all_red_s`` of at least the crossing's original clearance less its ``yellow_s``: the time
  from the end of the crossing's green to the first phase that turns green a link conflicting
  with it (turning links green with the crossing count once they have shown red), in SUMO's
  order. netconvert's crossings clear 8 s (5 s of the vehicle-only phase plus the vehicles'
  3 s yellow): the phase gets 3 s yellow and 5 s all-red, where it had 3 s and 1 s and plans
  that skipped the vehicle-only phase let conflicting vehicles go 4 s after the crossing's
  green. The all-red holds the phase's vehicle movements too (a phase has one clearance), and
  so every phase serving them (:meth:`~signalbrain.network.Intersection.phase_clearances`):
  safe, at a cost in capacity against the original program, whose vehicles keep green while
  the crossing clears.
* Limitation: a junction whose links belong to two different traffic lights fails validation
  (a node belongs to one intersection); none of the shared scenarios has one.
* The written-back original program (:func:`~signalbrain.io.sumo_programs.write_sumo_programs`)
  is always the verbatim one; only signalbrain's own plans use the model.
"""

from __future__ import annotations

import importlib.util
import xml.parsers.expat
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

from signalbrain.errors import InputError, Problem, format_path
from signalbrain.io._sumo_intersection import _DIR_TURN as _DIR_TURN
from signalbrain.io._sumo_intersection import _check_program as _check_program
from signalbrain.io._sumo_intersection import _intersection, internal_edge_junction
from signalbrain.io._sumo_intersection import _program as _program
from signalbrain.io._sumo_intersection import _successors as _successors
from signalbrain.io._sumo_intersection import _turn as _turn
from signalbrain.io._sumo_templates import IntersectionBuilder
from signalbrain.io._sumo_xml import (
    RawNet,
    RawProgram,
    bad_element_message,
    paused_gc,
    scan_net,
    scan_programs,
)
from signalbrain.io.sumo_programs import DEFAULT_PROGRAM_ID
from signalbrain.io.sumo_state import signal_state
from signalbrain.network.model import Intersection, Link, Network, Node
from signalbrain.network.validate import validate_network
from signalbrain.timing._coord_pack import pack_arcs

__all__ = [
    "PASSABLE_STATES",
    "SAT_FLOW_VPHPL",
    "constant_passages",
    "internal_edge_junction",
    "read_sumo_net",
    "signal_state",
]

SAT_FLOW_VPHPL = 1800.0
"""Saturation flow given to every imported lane [veh/h/lane] (HCM 7th ed. base 1900, adjusted)."""


def _check_controlled(raw: RawNet, source: str) -> None:
    """Refuse what SUMO refuses to load in controlled connections: a ``tl`` with no
    ``tlLogic`` (other than a ``rail_crossing`` or ``rail_signal`` junction's, whose logic SUMO
    builds itself) and a negative ``linkIndex`` (which would index states from their end)."""
    problems = []
    for tls_id, conns in raw.tl_conns.items():
        # the common case first, without a message per connection (tl_conns: indices set)
        if tls_id in raw.programs and not any((c.link_index or 0) < 0 for c in conns):
            continue
        if tls_id not in raw.programs and tls_id in raw.rail_junctions:
            continue  # a level crossing or rail signal: SUMO builds its logic, no tlLogic
        for c in conns:
            where = f"connection from={c.from_edge!r} to={c.to_edge!r} fromLane={c.from_lane}"
            if tls_id not in raw.programs:
                problems.append(Problem(where, f"tl={tls_id!r}: no tlLogic has this id", source))
            elif c.link_index is not None and c.link_index < 0:
                problems.append(Problem(where, f"linkIndex={c.link_index}: must be >= 0", source))
    if problems:
        raise InputError(problems)


def _need_sumo_extra(source: str) -> None:
    """The reader itself needs no sumolib, but SUMO import is the ``sumo`` extra's feature (its
    simulator and tools come with it): keep the documented error when sumolib is missing."""
    try:
        found = importlib.util.find_spec("sumolib") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise InputError(
            "reading SUMO networks needs sumolib: install signalbrain[sumo]", source=source
        )


def _vehicle_lanes(car_lanes: int, vehicle_lanes: int) -> int:
    return car_lanes if car_lanes else vehicle_lanes


@paused_gc()  # tens of thousands of objects and no cycles: see signalbrain.io._sumo_xml
def read_sumo_net(
    path: str | Path,
    *,
    program_id: str | None = None,
    skip_tls: Collection[str] = (),
    additional_files: Sequence[str | Path] = (),
    strict: bool = False,
) -> Network:
    """Import a SUMO network with its traffic lights.

    Parameters
    ----------
    path
        A SUMO ``.net.xml`` (or gzipped ``.net.xml.gz``) file.
    program_id
        Import this ``tlLogic`` program of every traffic light that has it (the others keep the
        default, with a note); by default the one SUMO runs (the last loaded).
    skip_tls
        Traffic lights to leave out of the model (their junctions stay, as uncontrolled nodes):
        those a closed-loop run leaves to SUMO because their import fails.
    additional_files
        SUMO additional files loaded with the network (a configuration's ``additional-files``),
        in order: their ``tlLogic`` programs come after the network's, so the last one loaded
        for a traffic light is the one imported by default, as it is the one SUMO runs.
        Programs with signalbrain's own ``programID`` (``"signalbrain"``: an earlier plan) are
        left out: they are not the design to model, and a new plan with that id replaces them.
    strict
        Refuse the network when a traffic light's program has nothing signalbrain can model
        (one phase that is all green, e.g. the corners of ``netgenerate --grid
        --default-junction-type traffic_light``; all red; ...). By default such a light is
        left out like those of ``skip_tls``, with a note on the network
        (:func:`unimported_notes`, :func:`unimported_lights`): SUMO runs it, and it keeps its
        own program when a plan is written.

    Returns
    -------
    Network
        Valid under ``validate_network(net, require_connected=False)``; SUMO-derived notes (e.g.
        ``unsafe original program: ...``) are in each ``Intersection.notes``. A network without
        traffic lights has zero intersections. The network's ``notes`` name the traffic lights
        left out and why.

    Raises
    ------
    InputError
        Missing or unreadable file, malformed XML, not a SUMO network (or one that references
        an undefined edge or junction), sumolib not installed, a ``program_id`` no traffic light
        has, or a network whose import fails validation.

    Notes
    -----
    The mapping rules are in the module docstring. Behaviour of the state characters follows the
    SUMO documentation, "Traffic Lights" (https://sumo.dlr.de/docs/Simulation/Traffic_Lights.html).
    """
    p = Path(path)
    source = str(path)
    if not p.is_file():
        raise InputError(f"file not found: {source}")
    _need_sumo_extra(source)
    try:
        raw = scan_net(p)
    except xml.parsers.expat.ExpatError as exc:
        raise InputError(f"malformed XML: {exc}", source=source) from None
    except (OSError, EOFError, KeyError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        where = bad_element_message(p, exc)
        if where is not None:
            raise InputError(where, source=source) from None
        raise InputError(f"cannot read SUMO network: {exc!r}", source=source) from None
    for extra in additional_files:
        extra_path = Path(extra)
        if not extra_path.is_file():
            raise InputError(f"additional file not found: {extra}", source=source)
        # signalbrain's own plans (an earlier optimize's output) are not the design to model
        scan_programs(extra_path, raw, skip_program_ids=(DEFAULT_PROGRAM_ID,))
    _check_controlled(raw, source)
    links: list[Link] = []
    for edge in raw.edges.values():
        lanes = _vehicle_lanes(edge.car_lanes, edge.vehicle_lanes)
        if lanes:
            links.append(
                Link(
                    edge.id,
                    edge.from_node,
                    edge.to_node,
                    lanes,
                    max(edge.length_m, 0.1),
                    edge.speed_mps,
                    SAT_FLOW_VPHPL,
                )
            )
    edge_ok = {k.id for k in links}
    if program_id is not None:
        known = sorted({p for programs in raw.programs.values() for p in programs})
        if program_id not in known:
            raise InputError(
                f"no traffic light has a program {program_id!r}; programs: "
                f"{', '.join(known) or 'none'}",
                source=source,
            )
    try:
        intersections = []
        builder = IntersectionBuilder()
        switched_off: dict[str, str] = {}
        for tls_id in sorted(raw.programs):
            if tls_id in skip_tls:
                continue
            if _switched_off(raw.programs[tls_id], program_id):
                switched_off[tls_id] = OFF_NOTE
                continue
            isec = _intersection(tls_id, raw, program_id, source, edge_ok, builder)
            if isec is not None:
                intersections.append(isec)
        used = {k.from_node for k in links} | {k.to_node for k in links}
        used |= {n for s in intersections for n in s.nodes}
        all_nodes = [Node(n, *raw.coords[n]) for n in raw.node_order if n in used]
    except KeyError as exc:
        raise InputError(
            f"cannot read SUMO network: {exc!r} is referenced but not defined", source=source
        ) from None
    name = p.name.removesuffix(".gz").removesuffix(".xml").removesuffix(".net")
    side: Literal["right", "left"] = "left" if raw.lefthand else "right"
    nema = _nema_lights(intersections)
    if strict and (nema or switched_off):
        raise InputError(
            [Problem(f"tlLogic id={tls!r} type='NEMA'", why, source) for tls, why in nema.items()]
            + [Problem(f"tlLogic id={tls!r}", why, source) for tls, why in switched_off.items()]
        )
    left: dict[str, str] = (
        {} if strict else {**_constant_lights(intersections), **nema, **switched_off}
    )
    while True:
        kept = tuple(s for s in intersections if s.id not in left)
        used = {k.from_node for k in links} | {k.to_node for k in links}
        used |= {n for s in kept for n in s.nodes}
        nodes = tuple(n for n in all_nodes if n.id in used)
        notes = tuple(unimported_notes(left))
        network = Network(name, nodes, tuple(links), kept, side, source, notes)
        try:
            # the layouts' own structure was checked once each (IntersectionBuilder.shaped)
            return validate_network(
                _coordinated_floors(network), require_connected=False, shaped=builder.shaped
            )
        except InputError as exc:
            if strict:
                raise
            bad = _lights_at_fault(exc, [s.id for s in kept])
            if not bad:
                raise
            left.update(bad)


def unimported_notes(left: Mapping[str, str]) -> list[str]:
    """The notes :func:`read_sumo_net` leaves on a network for the traffic lights it left out
    (``left``: why, by traffic light id), in id order."""
    return [f"{UNIMPORTED_NOTE.format(tls=tls)} ({why})" for tls, why in sorted(left.items())]


UNIMPORTED_NOTE = "traffic light {tls} left to SUMO's own program: signalbrain cannot import it"
"""How a network's notes name a traffic light :func:`read_sumo_net` left out."""


def unimported_lights(network: Network) -> dict[str, str]:
    """The traffic lights :func:`read_sumo_net` left out of ``network``: the note on each, by
    traffic light id."""
    head, tail = UNIMPORTED_NOTE.split("{tls}")
    return {
        n.removeprefix(head).split(tail, 1)[0]: n
        for n in network.notes
        if n.startswith(head) and tail in n
    }


PASSABLE_STATES = frozenset("GgsoO")
"""SUMO link characters a vehicle may drive on (green, yield, stop then go, off)."""


def constant_passages(network: Network) -> list[tuple[str, str, str]]:
    """The turns at a SUMO network's signals that no movement stands for but SUMO keeps
    passable: links the program shows in one passable state (:data:`PASSABLE_STATES`) in every
    phase, left out of the model (see the module docstring), e.g. the right turns of
    ``netgenerate``'s T junctions that are green in every phase.

    Parameters
    ----------
    network
        A network imported by :func:`read_sumo_net` (its ``source`` is the ``.net.xml`` read).

    Returns
    -------
    list
        ``(from_link, to_link, turn)``, ``turn`` one of ``L``, ``T``, ``R``, ``U`` or ``""``;
        empty for a network not read from a SUMO file.
    """
    from signalbrain.io.sumo_state import constant_link_states

    path = Path(network.source) if network.source else None
    programs = [(s, s.sumo) for s in network.intersections if s.sumo is not None]
    if path is None or not programs or not path.name.lower().endswith((".xml", ".xml.gz")):
        return []
    raw = scan_net(path)
    out: list[tuple[str, str, str]] = []
    for isec, program in programs:
        modelled = {i for m in isec.movements for i in m.sumo_link_indices}
        constant = constant_link_states(program)
        for conn in raw.tl_conns.get(program.tls_id, ()):
            i = conn.link_index
            if i is None or i in modelled or constant.get(i, "r") not in PASSABLE_STATES:
                continue
            out.append((conn.from_edge, conn.to_edge, _DIR_TURN.get(conn.direction, "")))
    return out


def _constant_lights(intersections: Sequence[Intersection]) -> dict[str, str]:
    """Why each traffic light whose program changes no link's state has no model (its
    intersection has no phases), by id: validation would say only that it has no phases."""
    constant: dict[str, str] = {}
    for s in intersections:
        if not s.phases and s.sumo is not None and s.sumo.phases:
            states = sorted({ph.state for ph in s.sumo.phases})
            shown = ", ".join(states[:3]) + (" ..." if len(states) > 3 else "")
            constant[s.id] = f"its program changes no link's state ({shown}): nothing to time"
    return constant


OFF_PROGRAM_ID = "off"
"""SUMO's ``programID`` of a traffic light switched off: a program without phases (SUMO refuses
phases in it); the junction's right of way applies, as at an unsignalised one."""
OFF_NOTE = "its program 'off' switches the light off: nothing to time"


def _switched_off(programs: Mapping[str, RawProgram], program_id: str | None) -> bool:
    """Whether the program imported from ``programs`` (``program_id`` where there is one, else
    the last loaded, as :func:`~signalbrain.io._sumo_intersection._program` chooses) is SUMO's
    ``off`` program, which has no phases."""
    chosen = program_id if program_id in programs else list(programs)[-1]
    return chosen == OFF_PROGRAM_ID and not programs[chosen].phases


def _nema_lights(intersections: Sequence[Intersection]) -> dict[str, str]:
    """Why each traffic light running a SUMO ``NEMA`` program has no model, by id: its phases
    run two at a time, one per ring (the ``ring1``/``ring2``/``barrierPhases`` params), and its
    yellow and red are phase attributes, so reading its phases one after another as a static
    program's would make concurrent phases conflicts and leave out its clearances."""
    return {
        s.id: (
            "a NEMA program: its phases run in two rings at once and its yellow and red are "
            "phase attributes, which signalbrain does not model"
        )
        for s in intersections
        if s.sumo is not None and s.sumo.type == "NEMA"
    }


def _lights_at_fault(exc: InputError, tls_ids: Sequence[str]) -> dict[str, str]:
    """Why each traffic light of ``tls_ids`` fails validation, for those ``exc`` names; empty
    when a problem is not any one light's (then nothing can be left out to mend it)."""
    bad: dict[str, str] = {}
    for problem in exc.problems:
        for tls in tls_ids:
            base = format_path("intersections", tls)
            if problem.path == base or problem.path.startswith((f"{base}.", f"{base}[")):
                where = problem.path.removeprefix(base).lstrip(".")
                bad.setdefault(tls, f"{where}: {problem.message}".lstrip(": "))
                break
        else:
            return {}
    return bad


def _coordinated_floors(network: Network) -> Network:
    """``network`` with ``cycle_min_s`` of each signal that has a signalised neighbour lowered
    to the sum of its two shortest phase minimum splits (see "cycle limits" in the module
    docstring)."""
    linked = pack_arcs(network).linked_signals()
    if not linked:
        return network
    isecs = list(network.intersections)
    for i in sorted(linked):
        s = isecs[i]
        floor = sum(sorted(p.min_split_s for p in s.phases)[:2])
        if 0.0 < floor < s.cycle_min_s:
            isecs[i] = replace(s, cycle_min_s=floor)
    return replace(network, intersections=tuple(isecs))
