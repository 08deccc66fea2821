"""One streaming pass over a SUMO ``.net.xml``: everything the network model needs, nothing else.

Used by :mod:`signalbrain.io.sumo_net`. The pass reads the ``lefthand`` flag, every edge's
function, normal edges with their end nodes and a summary of their lanes (vehicle lanes, length
of the first lane, speed of the last, as :mod:`sumolib` reports an edge's length and speed),
junction coordinates, ``incLanes`` and ``request`` rows, every connection in file order (per lane
and per traffic light), and ``tlLogic`` programs with their phases and params. Gzipped files are
read transparently.

Why not sumolib: building sumolib's full object graph (shapes, lanes, connections objects) and
then a second pass for what sumolib drops took 2.7 s of the 4.9 s ``signalbrain optimize`` spent
on a 1,296-signal netgenerate grid (15 MB); this single pass with :mod:`xml.parsers.expat` and a
start-element handler only (no element tree is built) takes about 0.4 s on the same file
(expat alone: 0.15 s; ``ElementTree.iterparse`` with no work per element: 0.7 s).

Why the cyclic garbage collector is paused during the pass (:func:`paused_gc`): the pass makes
about 200,000 containers (connections, tuples, lists, dicts) and no reference cycles, so every
collection it triggers finds nothing. Measured on the grid above in fresh processes (CPU seconds,
median of 8 interleaved runs on a 2-core machine shared with other jobs): ``scan_net`` 0.304 s
before, 0.287 s with the collector paused; whole ``signalbrain optimize`` 1.245 s before, 1.19 s
(median of 6) with this and the same pause in :func:`signalbrain.io.demand.read_sumo_routes`.

Why a compiled scanner beside this pass (:mod:`signalbrain.io._sumo_net_scan`, used when it is
built ahead of time): expat with a handler that does nothing already takes 0.24 s on the grid
above (0.12 s of it parsing, the rest building attribute dicts and calling the handler), and a
regular-expression reader that assumes SUMO's attribute order was no faster (0.272 against
0.273 s: each tag still cost a Python-level match and branch). The scanner tokenises the file
in compiled code and decodes only the attribute values the network needs, a column at a time:
0.18-0.20 s against 0.25-0.28 s for this pass (CPU, fresh processes, 2026-12-06). This pass
stays the reference and reads whatever the scanner declines.

The element handler relies on the structure SUMO writes: ``lane`` elements follow their
``edge``, ``request`` elements their ``junction``, ``phase`` elements their ``tlLogic``; a
``param`` belongs to a ``tlLogic`` when no other element started after the ``tlLogic`` and its
phases (``condition``, ``assignment`` and ``function`` children included).

The records the pass fills (:class:`RawNet` and its parts), the lane and connection bookkeeping
it shares with the compiled scanner, and the readings of a junction's request numbering are in
:mod:`signalbrain.io._sumo_raw`.
"""

from __future__ import annotations

import gc
import re
import xml.parsers.expat
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from signalbrain._files import open_maybe_gzip
from signalbrain.errors import InputError
from signalbrain.io._sumo_raw import (
    RAIL_JUNCTION_TYPES,
    Conn,
    RawEdge,
    RawNet,
    RawPhase,
    RawProgram,
    add_lane,
    file_conn,
    junction_indices,
    request_bits,
)
from signalbrain.io._sumo_raw import VEHICLE_CLASSES as VEHICLE_CLASSES
from signalbrain.io._sumo_raw import _car_lane as _car_lane

__all__ = [
    "Conn",
    "RawEdge",
    "RawNet",
    "RawPhase",
    "RawProgram",
    "add_lane",
    "bad_element_message",
    "file_conn",
    "junction_indices",
    "paused_gc",
    "request_bits",
    "scan_net",
    "scan_programs",
]

_CONTEXT_TAGS = frozenset(("phase", "param", "condition", "assignment", "function"))
"""Children of a ``tlLogic``: a ``param`` after them still belongs to the program."""


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a reader that makes many containers and no cycles
    (re-enabled on exit, errors included, when it was enabled on entry)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_SUMO_TRUE = frozenset(("1", "yes", "true", "on", "x"))
_SUMO_FALSE = frozenset(("0", "no", "false", "off", "-"))


def sumo_bool(text: str, where: str) -> bool:
    """A boolean attribute as SUMO reads it (``StringUtils::toBool``: ``true``/``1``/``yes``/
    ``on``/``x`` and ``false``/``0``/``no``/``off``/``-``, in any case); anything else is an
    :class:`InputError` naming ``where``, as SUMO refuses it. ``lefthand="1"`` had been read
    as right-hand traffic."""
    low = text.strip().lower()
    if low in _SUMO_TRUE:
        return True
    if low in _SUMO_FALSE:
        return False
    raise InputError(f"{where}={text!r}: SUMO reads true/false, 1/0, yes/no or on/off")


def _phase(a: dict[str, str]) -> RawPhase:
    """A ``<phase>``'s duration, state, minDur, maxDur, name and next."""
    return (
        float(a["duration"]),
        a["state"],
        _dur(a, "minDur"),
        _dur(a, "maxDur"),
        a.get("name", ""),
        a.get("next", ""),
    )


def _dur(a: dict[str, str], key: str) -> float | None:
    if key not in a:
        return None
    value = float(a[key])
    return value if value >= 0 else None


def scan_net(path: Path, *, method: str = "auto") -> RawNet:
    """Read a SUMO network file in one streaming pass.

    ``method``: ``"auto"`` reads with the compiled scanner when it is built ahead of time
    (:mod:`signalbrain.io._sumo_net_scan`, the same result in under half the time) and with
    expat where the scanner declines the file; ``"expat"`` always with expat.

    Raises
    ------
    InputError
        The root element is not ``<net>``.
    xml.parsers.expat.ExpatError
        Malformed XML (the caller words the message).
    KeyError, ValueError
        A required attribute is missing or not a number.

    Notes
    -----
    The element handler is a closure over local state (expat calls it 143,000 times for a
    1,296-signal grid: cell variables cost less than attributes of a handler object).
    """
    if method == "auto":
        from signalbrain.io._sumo_net_scan import read_raw_net

        scanned = read_raw_net(path)
        if scanned is not None:
            return scanned
    elif method != "expat":
        raise ValueError(f"method {method!r}: expected 'auto' or 'expat'")
    raw = RawNet()
    functions = raw.functions
    edges = raw.edges
    node_order = raw.node_order
    coords = raw.coords
    inc_lanes = raw.inc_lanes
    requests = raw.requests
    conns_by_lane = raw.conns_by_lane
    tl_conns = raw.tl_conns
    programs = raw.programs
    tls_params = raw.tls_params
    edge: RawEdge | None = None
    junction: dict[int, tuple[str, str]] | None = None
    program: RawProgram | None = None
    params: list[tuple[str, str]] | None = None
    context_tags = _CONTEXT_TAGS

    def start(tag: str, a: dict[str, str]) -> None:
        nonlocal edge, junction, program, params
        if tag == "connection":
            from_edge = a["from"]
            if functions.get(from_edge) == "internal":
                return  # via connections: not in any junction's request numbering
            link = a.get("linkIndex")
            conn = Conn(
                from_edge,
                a["to"],
                int(a["fromLane"]),
                a.get("dir", "s"),
                a.get("tl"),
                None if link is None else int(link),
            )
            file_conn(conns_by_lane, tl_conns, conn)
            params = None
        elif tag == "lane":
            if edge is None:
                return
            # the first lane's length and every lane's speed are required (KeyError)
            length = a["length"] if edge.lane_count == 0 else None
            add_lane(edge, a.get("allow"), a.get("disallow"), length, a["speed"])
        elif tag == "edge":
            edge_id = a["id"]
            function = a.get("function", "")
            functions[edge_id] = function
            if function == "":
                frm, to = a.get("from", ""), a.get("to", "")
                edge = edges[edge_id] = RawEdge(edge_id, frm, to)
                node_order[frm] = None
                node_order[to] = None
            else:
                edge = None
            params = None
        elif tag == "request":
            if junction is not None:
                junction[int(a["index"])] = (a["foes"], a["response"])
        elif tag == "junction":
            node = a["id"]
            edge = None
            params = None
            if node[:1] == ":":
                junction = None
                return
            node_order[node] = None
            coords.setdefault(node, (float(a["x"]), float(a["y"])))
            inc_lanes[node] = a.get("incLanes", "").split()
            junction = requests.setdefault(node, {})
            if a.get("type") in RAIL_JUNCTION_TYPES:
                raw.rail_junctions.add(node)
        elif tag == "phase":
            if program is not None:
                program.phases.append(_phase(a))
        elif tag == "param":
            if params is not None:
                params.append((a["key"], a.get("value", "")))
        elif tag == "tlLogic":
            tls_id, program_id = a["id"], a["programID"]
            program = RawProgram(a["type"], float(a["offset"]))
            programs.setdefault(tls_id, {})[program_id] = program
            params = tls_params.setdefault((tls_id, program_id), [])
            edge = None
        elif tag not in context_tags:
            params = None
            program = None

    def root(tag: str, a: dict[str, str]) -> None:
        if tag == "net":
            raw.lefthand = sumo_bool(a.get("lefthand", "false"), f"{path}: <net> lefthand")
        else:
            start(tag, a)
            raise InputError(
                f"not a SUMO network: the root element is <{tag}>, expected <net>",
                source=str(path),
            )
        parser.StartElementHandler = start

    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = root
    with paused_gc(), open_maybe_gzip(path) as fh:
        try:
            parser.ParseFile(fh)
        except (KeyError, ValueError, TypeError) as exc:
            if not isinstance(exc, InputError):  # the element being read when it failed
                exc.add_note(
                    f"{POSITION_NOTE}{parser.CurrentLineNumber}:{parser.CurrentColumnNumber}"
                )
            raise
    return raw


def scan_programs(path: Path, raw: RawNet, *, skip_program_ids: Collection[str] = ()) -> None:
    """Add the ``tlLogic`` programs of a SUMO additional file to ``raw.programs``, as SUMO loads
    them after the network: each new program goes last, so it is the one SUMO runs
    (``type`` and ``offset`` default to ``static`` and 0 there). Programs of traffic lights the
    network does not have are left out (they control none of its links), and so are those
    whose ``programID`` is in ``skip_program_ids``.

    Raises
    ------
    InputError
        Malformed XML, a missing or malformed attribute, or a program id the traffic light
        already has (SUMO refuses it: "Another logic with id ... and programID ... exists").
    """
    source = str(path)
    programs, tls_params = raw.programs, raw.tls_params
    program: RawProgram | None = None
    params: list[tuple[str, str]] | None = None
    context_tags = _CONTEXT_TAGS

    def start(tag: str, a: dict[str, str]) -> None:
        nonlocal program, params
        if tag == "phase":
            if program is not None:
                program.phases.append(_phase(a))
        elif tag == "param":
            if params is not None:
                params.append((a["key"], a.get("value", "")))
        elif tag == "tlLogic":
            tls_id, program_id = a["id"], a["programID"]
            known = programs.get(tls_id)
            if known is None or program_id in skip_program_ids:
                program = params = None
                return
            if program_id in known:
                raise InputError(
                    f"<tlLogic id={tls_id!r} programID={program_id!r}>: the traffic light "
                    "already has a program with this id (SUMO refuses a second one)",
                    source=source,
                )
            program = known[program_id] = RawProgram(
                a.get("type", "static"), float(a.get("offset", "0"))
            )
            params = tls_params.setdefault((tls_id, program_id), [])
        elif tag not in context_tags:
            program = params = None

    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    try:
        with open_maybe_gzip(path) as fh:
            try:
                parser.ParseFile(fh)
            except (KeyError, ValueError, TypeError) as exc:
                if isinstance(exc, InputError):
                    raise
                exc.add_note(
                    f"{POSITION_NOTE}{parser.CurrentLineNumber}:{parser.CurrentColumnNumber}"
                )
                where = bad_element_message(path, exc)
                raise InputError(where or f"cannot read: {exc!r}", source=source) from None
    except xml.parsers.expat.ExpatError as exc:
        raise InputError(f"malformed XML: {exc}", source=source) from None
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read: {exc!r}", source=source) from None


POSITION_NOTE = "sumo element at "
"""Prefix of the note :func:`scan_net` adds to a ``KeyError``/``ValueError`` raised while
reading an element: expat's ``line:column`` when it stopped (1-based line, 0-based column; the
column may be past the start tag, on the same line when the tag fits on one)."""

_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")
_ATTR = re.compile(r"""([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def bad_element_message(path: Path, exc: Exception) -> str | None:
    """What :func:`scan_net` failed on, in words: the element (its tag, ``id`` and line) and the
    attribute that is missing or not a number; None when ``exc`` carries no position."""
    where = next(
        (
            n[len(POSITION_NOTE) :]
            for n in getattr(exc, "__notes__", ())
            if n.startswith(POSITION_NOTE)
        ),
        None,
    )
    if where is None:
        return None
    line_no, col = (int(x) for x in where.split(":"))
    try:
        with open_maybe_gzip(path) as fh:
            for k, raw_line in enumerate(fh, 1):  # noqa: B007 (the line after the loop)
                if k == line_no:
                    break
            else:
                return None
        line = raw_line.decode("utf-8", "replace")
        text = line[line.rfind("<", 0, col + 1) :]  # expat may point past the start tag
    except (OSError, EOFError):
        return None
    tag = _TAG.match(text)
    if tag is None:
        return None
    head = text[: text.find(">") + 1 or len(text)]
    attrs = {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _ATTR.finditer(head)
    }
    ident = "".join(f" {k}={attrs[k]!r}" for k in ("id", "from", "to") if k in attrs)
    name = f"<{tag.group(1)}{ident}>"
    at = f"line {line_no}: {name}"
    if isinstance(exc, KeyError) and exc.args:
        return f"{at}: required attribute {exc.args[0]!r} is missing"
    bad = [k for k, v in attrs.items() if repr(v) in str(exc)]
    if bad:
        return f"{at}: {bad[0]}={attrs[bad[0]]!r} is not a valid number"
    return f"{at}: {exc}"
