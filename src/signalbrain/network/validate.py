"""Network validation: gather every problem, then raise one error.

Paths in the messages follow the network YAML layout (``links.W_A.lanes``,
``intersections.A.phases[2].protected[0]``), so a message points at the line to fix whether the
network was read from YAML, imported from SUMO or built in code.
"""

from __future__ import annotations

from collections.abc import Collection
from numbers import Integral, Real

from signalbrain.errors import InputError, Problem, format_path
from signalbrain.network._sumo_checks import SUMO_STATE_CHARS, check_sumo
from signalbrain.network.model import Intersection, Link, Movement, Network, Phase

__all__ = [
    "MAX_CYCLE_S",
    "MAX_LENGTH_M",
    "MAX_SAT_FLOW_VPHPL",
    "MAX_SPEED_MPS",
    "MIN_YELLOW_S",
    "SUMO_STATE_CHARS",
    "check_network",
    "shape_problems",
    "validate_network",
]

MIN_YELLOW_S = 3.0
MAX_YELLOW_S = 30.0  # field yellows are 3-6 s; beyond this a value is a typo
MAX_ALL_RED_S = 60.0
MAX_GREEN_S = 3600.0  # any green, minimum, maximum or pedestrian [s]
MAX_LANES = 64  # lanes of one link (the widest roads have about 20)
"""Shortest yellow change interval accepted [s] (MUTCD 4D.26: 3 to 6 s)."""
# Upper bounds of link and cycle values, generous to any real road: beyond them a value is a typo
# or a unit slip (1e300 saturation flow silently reshaped every plan)
MAX_SAT_FLOW_VPHPL = 4000.0  # HCM: 1,900 veh/h/ln at signals, 2,400 pc/h/ln on freeways
MAX_SPEED_MPS = 100.0  # 360 km/h
MAX_LENGTH_M = 100_000.0  # 100 km, as for generated spacings
MAX_CYCLE_S = 3600.0  # field cycles are 40-240 s; as timing.optimize accepts


def _fmt(ids: object, limit: int = 12) -> str:
    items = sorted(str(i) for i in ids)  # type: ignore[attr-defined]
    text = ", ".join(items[:limit])
    return text + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def _link_ok(net: Network, link: Link, seen: set[str]) -> bool:
    """The common case of :func:`_check_links` in one expression: nothing to report."""
    return (
        link.id not in seen
        and net.has_node(link.from_node)
        and net.has_node(link.to_node)
        and link.from_node != link.to_node
        and 1 <= link.lanes <= MAX_LANES
        and 0 < link.length_m <= MAX_LENGTH_M
        and 0 < link.free_speed_mps <= MAX_SPEED_MPS
        and 0 < link.sat_flow_vphpl <= MAX_SAT_FLOW_VPHPL
    )


def _check_links(net: Network, out: list[Problem]) -> None:
    seen: set[str] = set()
    for link in net.links:
        if _link_ok(net, link, seen):
            seen.add(link.id)
            continue
        p = format_path("links", link.id)
        if link.id in seen:
            out.append(Problem(p, "duplicate link id"))
        seen.add(link.id)
        for name, node in (("from", link.from_node), ("to", link.to_node)):
            if not net.has_node(node):
                out.append(
                    Problem(
                        format_path(p, name),
                        f"{node!r}: unknown node; known: {_fmt(n.id for n in net.nodes)}",
                    )
                )
        if link.from_node == link.to_node:
            out.append(Problem(p, f"starts and ends at the same node {link.from_node!r}"))
        if not 1 <= link.lanes <= MAX_LANES:
            out.append(
                Problem(format_path(p, "lanes"), f"= {link.lanes}: must be 1 to {MAX_LANES}")
            )
        for name, most, unit in (
            ("length_m", MAX_LENGTH_M, "m"),
            ("free_speed_mps", MAX_SPEED_MPS, "m/s"),
            ("sat_flow_vphpl", MAX_SAT_FLOW_VPHPL, "veh/h/lane"),
        ):
            value = getattr(link, name)
            if not value > 0:
                out.append(Problem(format_path(p, name), f"= {value}: must be > 0"))
            elif not value <= most:
                out.append(
                    Problem(format_path(p, name), f"= {value:g}: must be <= {most:g} {unit}")
                )


def _movement_ok(net: Network, mv: Movement, nodes: set[str], seen: set[str]) -> bool:
    """The common case of :func:`_check_movements` in one expression: nothing to report."""
    if mv.id in seen or not 1 <= mv.lanes <= MAX_LANES:
        return False
    if mv.turn == "P":
        return True
    if not (net.has_link(mv.from_link) and net.has_link(mv.to_link)):
        return False
    return net.link(mv.from_link).to_node in nodes and net.link(mv.to_link).from_node in nodes


def _check_movements(net: Network, isec: Intersection, base: str, out: list[Problem]) -> None:
    nodes = set(isec.nodes)
    seen: set[str] = set()
    for i, mv in enumerate(isec.movements):
        if _movement_ok(net, mv, nodes, seen):
            seen.add(mv.id)
            continue
        p = format_path(base, "movements", i)
        if mv.id in seen:
            out.append(Problem(format_path(p, "id"), f"{mv.id!r}: duplicate movement id"))
        seen.add(mv.id)
        if not 1 <= mv.lanes <= MAX_LANES:
            out.append(Problem(format_path(p, "lanes"), f"= {mv.lanes}: must be 1 to {MAX_LANES}"))
        if mv.turn == "P":
            continue
        for name, link_id, end in (("from", mv.from_link, "to"), ("to", mv.to_link, "from")):
            if not net.has_link(link_id):
                out.append(Problem(format_path(p, name), f"{link_id!r}: unknown link"))
                continue
            link = net.link(link_id)
            node = link.to_node if end == "to" else link.from_node
            if node not in nodes:
                out.append(
                    Problem(
                        format_path(p, name),
                        f"{link_id!r} does not {'end' if end == 'to' else 'start'} at "
                        f"this intersection (nodes: {_fmt(nodes)})",
                    )
                )


def _green_safe(isec: Intersection, protected: tuple[str, ...], permitted: tuple[str, ...]) -> bool:
    """Whether :meth:`Intersection.unsafe_pairs` of this green is empty, by the same rule (a
    pair of green movements is unsafe when it conflicts and does not merely yield, or when
    both are protected), without building the list."""
    conflicts = isec.conflicts
    if not conflicts:
        return True
    permissive = isec.permissive
    prot = list(dict.fromkeys(protected))
    in_prot = set(prot)
    green = prot + [m for m in dict.fromkeys(permitted) if m not in in_prot]
    n_prot = len(prot)
    for i in range(len(green) - 1):
        a = green[i]
        for j in range(i + 1, len(green)):
            b = green[j]
            key = (a, b) if a <= b else (b, a)
            if key in conflicts and (j < n_prot or key not in permissive):
                return False
    return True


def _phase_ok(isec: Intersection, ph: Phase, known: set[str], numbers: set[int]) -> bool:
    """The common case of one phase in :func:`_check_phases`: nothing to report."""
    prot, perm = ph.protected, ph.permitted
    return (
        ph.number not in numbers
        and bool(prot or perm)
        and all(m in known for m in prot)
        and all(m in known for m in perm)
        and (not perm or set(prot).isdisjoint(perm))
        and ph.min_green_s >= 0
        and ph.max_green_s >= 0
        and ph.all_red_s >= 0
        and ph.ped_min_s >= 0
        and ph.min_green_s <= ph.max_green_s
        and ph.ped_min_s <= ph.max_green_s
        and ph.max_green_s <= MAX_GREEN_S
        and MIN_YELLOW_S <= ph.yellow_s <= MAX_YELLOW_S
        and ph.all_red_s <= MAX_ALL_RED_S
        and _green_safe(isec, prot, perm)
    )


def _check_phases(isec: Intersection, base: str, out: list[Problem]) -> None:
    if not isec.phases:  # a signal with nothing to time: no plan can be made for it
        out.append(
            Problem(
                format_path(base, "phases"),
                "no phases; a signal needs at least one phase serving its movements "
                "(leave an uncontrolled junction out of intersections)",
            )
        )
        return
    known = {m.id for m in isec.movements}
    served: set[str] = set()
    numbers: set[int] = set()
    for i, ph in enumerate(isec.phases):
        if _phase_ok(isec, ph, known, numbers):
            numbers.add(ph.number)
            served.update(ph.movements)
            continue
        p = format_path(base, "phases", i)
        if ph.number in numbers:
            out.append(Problem(format_path(p, "number"), f"= {ph.number}: duplicate phase number"))
        numbers.add(ph.number)
        for kind in ("protected", "permitted"):
            for j, mid in enumerate(getattr(ph, kind)):
                if mid not in known:
                    out.append(
                        Problem(
                            format_path(p, kind, j),
                            f"{mid!r}: unknown movement; known: {_fmt(known)}",
                        )
                    )
        both = set(ph.protected) & set(ph.permitted)
        if both:
            out.append(Problem(p, f"movements both protected and permitted: {_fmt(both)}"))
        if not ph.movements:
            out.append(Problem(p, "gives green to no movement"))
        served.update(ph.movements)
        for a, b in isec.unsafe_pairs(
            [m for m in ph.protected if m in known], [m for m in ph.permitted if m in known]
        ):
            out.append(Problem(p, f"gives green to conflicting movements {a!r} and {b!r}"))
        for name, most in (
            ("min_green_s", MAX_GREEN_S),
            ("max_green_s", MAX_GREEN_S),
            ("all_red_s", MAX_ALL_RED_S),
            ("ped_min_s", MAX_GREEN_S),
        ):
            value = getattr(ph, name)
            if not 0 <= value <= most:
                out.append(Problem(format_path(p, name), f"= {value:g}: must be 0 to {most:g} s"))
        if ph.min_green_s > ph.max_green_s:
            out.append(
                Problem(
                    format_path(p, "min_green_s"),
                    f"= {ph.min_green_s}: greater than max_green_s = {ph.max_green_s}",
                )
            )
        if ph.ped_min_s > ph.max_green_s:
            out.append(
                Problem(
                    format_path(p, "ped_min_s"),
                    f"= {ph.ped_min_s}: greater than max_green_s = {ph.max_green_s}",
                )
            )
        if not ph.yellow_s >= MIN_YELLOW_S:
            out.append(
                Problem(
                    format_path(p, "yellow_s"),
                    f"= {ph.yellow_s}: missing or short yellow; must be >= {MIN_YELLOW_S} s",
                )
            )
        elif not ph.yellow_s <= MAX_YELLOW_S:
            out.append(
                Problem(
                    format_path(p, "yellow_s"), f"= {ph.yellow_s:g}: must be <= {MAX_YELLOW_S:g} s"
                )
            )
    unserved = known - served
    if unserved:
        out.append(
            Problem(format_path(base, "phases"), f"movements no phase serves: {_fmt(unserved)}")
        )


def _check_rings(isec: Intersection, base: str, out: list[Problem]) -> None:
    numbers = {ph.number for ph in isec.phases}
    out.extend(
        Problem(format_path(base, "rings", i), "is empty; a ring lists the phases it runs in turn")
        for i, ring in enumerate(isec.rings)
        if not ring
    )
    in_rings = [n for ring in isec.rings for n in ring]
    out.extend(
        Problem(format_path(base, "rings"), f"phase {n} is not defined")
        for n in sorted(set(in_rings) - numbers)
    )
    dup = {n for n in in_rings if in_rings.count(n) > 1}
    if dup:
        out.append(
            Problem(format_path(base, "rings"), f"phases in more than one ring: {_fmt(dup)}")
        )
    missing = numbers - set(in_rings)
    if missing:
        out.append(Problem(format_path(base, "rings"), f"phases in no ring: {_fmt(missing)}"))
    in_barriers = [n for group in isec.barriers for n in group]
    if sorted(in_barriers) != sorted(set(in_rings)):
        out.append(
            Problem(
                format_path(base, "barriers"),
                "barrier groups must hold every ring phase exactly once",
            )
        )
    for a, b in isec.concurrent_phase_pairs():
        if a not in numbers or b not in numbers:
            continue
        pa, pb = isec.phase(a), isec.phase(b)
        for x, y in isec.unsafe_pairs(pa.protected + pb.protected, pa.permitted + pb.permitted):
            out.append(
                Problem(
                    format_path(base, "rings"),
                    f"phases {a} and {b} run together but give green to conflicting "
                    f"movements {x!r} and {y!r}",
                )
            )


def _check_cycle_limits(isec: Intersection, base: str, out: list[Problem]) -> None:
    if not isec.cycle_max_s <= MAX_CYCLE_S:
        out.append(
            Problem(
                format_path(base, "cycle_max_s"),
                f"= {isec.cycle_max_s:g}: must be <= {MAX_CYCLE_S:g} s",
            )
        )
    if not 0 < isec.cycle_min_s <= isec.cycle_max_s:
        out.append(
            Problem(
                format_path(base, "cycle_min_s"),
                f"= {isec.cycle_min_s}: must be > 0 and <= cycle_max_s = {isec.cycle_max_s}",
            )
        )


def shape_problems(isec: Intersection) -> list[Problem]:
    """The problems of an intersection's own structure: its conflicts, permissive pairs and shared
    lanes, its phases (movements, safety of each green, change intervals) and its rings and
    barriers; not its links, nodes or cycle limits, which :func:`check_network` checks against
    the network.

    Renaming movements (distinct ids to distinct ids) changes none of these verdicts: they only
    compare movement ids for equality. That is what ``shaped`` of :func:`check_network` relies
    on."""
    out: list[Problem] = []
    base = format_path("intersections", isec.id)
    _check_conflicts(isec, base, out)
    _check_phases(isec, base, out)
    _check_rings(isec, base, out)
    return out


def _check_conflicts(isec: Intersection, base: str, out: list[Problem]) -> None:
    known = {m.id for m in isec.movements}
    selfish = sorted({a for a, b in isec.conflicts | isec.shared_lanes if a == b})
    out.extend(
        Problem(
            format_path(base, "conflicts" if (mid, mid) in isec.conflicts else "shared_lanes"),
            f"[{mid}, {mid}]: pairs a movement with itself; expected two different movements",
        )
        for mid in selfish
    )
    if not all(a in known and b in known for a, b in isec.conflicts):
        for a, b in sorted(isec.conflicts):
            out.extend(
                Problem(format_path(base, "conflicts"), f"{mid!r}: unknown movement")
                for mid in (a, b)
                if mid not in known
            )
    extra = isec.permissive - isec.conflicts
    if extra:
        out.append(
            Problem(
                format_path(base, "conflicts"),
                f"permissive pairs that are not conflicts: {_fmt(extra)}",
            )
        )
    by_id = {m.id: m for m in isec.movements}
    for a, b in sorted(isec.shared_lanes):
        ma, mb = by_id.get(a), by_id.get(b)
        if ma is None or mb is None:
            out.extend(
                Problem(format_path(base, "shared_lanes"), f"{mid!r}: unknown movement")
                for mid in (a, b)
                if mid not in by_id
            )
        elif ma.from_link != mb.from_link:
            out.append(
                Problem(
                    format_path(base, "shared_lanes"),
                    f"[{a}, {b}]: movements from different approaches "
                    f"({ma.from_link!r}, {mb.from_link!r}) cannot share a lane",
                )
            )


_NUMBERS: dict[str, tuple[str, ...]] = {
    "nodes": ("x_m", "y_m"),
    "links": ("length_m", "free_speed_mps", "sat_flow_vphpl"),
    "phases": ("min_green_s", "max_green_s", "yellow_s", "all_red_s", "ped_min_s"),
    "intersections": ("cycle_min_s", "cycle_max_s"),
}
_INTEGERS: dict[str, tuple[str, ...]] = {
    "links": ("lanes",),
    "movements": ("lanes",),
    "phases": ("number",),
}


def _type_problems(net: Network) -> list[Problem]:
    """Fields of a network built in code that hold something other than a number (the YAML
    reader checks its own); only looked for when the checks proper meet a TypeError."""
    out: list[Problem] = []

    def check(kind: str, path: str, obj: object) -> None:
        for name in _NUMBERS.get(kind, ()):
            v = getattr(obj, name)
            if isinstance(v, bool) or not isinstance(v, Real):
                out.append(Problem(format_path(path, name), f"= {v!r}: expected a number"))
        for name in _INTEGERS.get(kind, ()):
            v = getattr(obj, name)
            if isinstance(v, bool) or not isinstance(v, Integral):
                out.append(Problem(format_path(path, name), f"= {v!r}: expected an integer"))

    for node in net.nodes:
        check("nodes", format_path("nodes", node.id), node)
    for link in net.links:
        check("links", format_path("links", link.id), link)
    for isec in net.intersections:
        base = format_path("intersections", isec.id)
        check("intersections", base, isec)
        for mv in isec.movements:
            check("movements", format_path(base, "movements", mv.id), mv)
        for ph in isec.phases:
            check("phases", format_path(base, "phases", ph.number), ph)
    return out


def check_network(
    net: Network, *, require_connected: bool = True, shaped: Collection[str] = ()
) -> list[Problem]:
    """Every problem found in a network (empty when it is valid).

    ``shaped``: ids of intersections whose own structure is known to have no
    :func:`shape_problems`, e.g. copies of one checked junction layout under other names (the
    SUMO import, :class:`signalbrain.io._sumo_templates.IntersectionBuilder`). Only that part of
    their checks is skipped: their movements against the network's links and nodes (which also
    finds duplicate movement ids, so the renaming was one to one) and their cycle limits are
    checked as every other intersection's. With a problem found, call again without ``shaped``
    for the whole list (:func:`validate_network` does)."""
    try:
        return _check_network(net, require_connected=require_connected, shaped=shaped)
    except TypeError:  # a field of a network built in code that is not a number
        problems = _type_problems(net)
        if not problems:
            raise
        return problems


def _check_network(
    net: Network, *, require_connected: bool, shaped: Collection[str]
) -> list[Problem]:
    out: list[Problem] = []
    seen_nodes: set[str] = set()
    for node in net.nodes:
        if node.id in seen_nodes:
            out.append(Problem(format_path("nodes", node.id), "duplicate node id"))
        seen_nodes.add(node.id)
    _check_links(net, out)
    owner: dict[str, str] = {}
    for isec in net.intersections:
        base = format_path("intersections", isec.id)
        if not isec.nodes:
            out.append(
                Problem(
                    format_path(base, "nodes"),
                    "is empty; expected the ids of the junction nodes it controls",
                )
            )
        for n in isec.nodes:
            if not net.has_node(n):
                out.append(Problem(format_path(base, "nodes"), f"{n!r}: unknown node"))
            elif n in owner and owner[n] != isec.id:
                out.append(
                    Problem(
                        format_path(base, "nodes"),
                        f"{n!r} is already controlled by intersection {owner[n]!r}",
                    )
                )
            owner[n] = isec.id
        _check_movements(net, isec, base, out)
        if isec.id not in shaped:
            _check_conflicts(isec, base, out)
            _check_phases(isec, base, out)
            _check_rings(isec, base, out)
        _check_cycle_limits(isec, base, out)
        check_sumo(isec, base, out)
    if require_connected and net.nodes and not out:
        import networkx as nx  # slow import: only for this check

        from signalbrain.network.graph import to_graph

        graph = to_graph(net)
        parts = list(nx.weakly_connected_components(graph))
        if len(parts) > 1:
            parts.sort(key=len, reverse=True)
            small = [_fmt(p, 5) for p in parts[1:4]]
            out.append(
                Problem(
                    "nodes",
                    f"the network falls apart into {len(parts)} disconnected "
                    f"parts; besides the largest: {'; '.join(small)}",
                )
            )
    return [p if p.source else Problem(p.path, p.message, net.source) for p in out]


def validate_network(
    net: Network, *, require_connected: bool = True, shaped: Collection[str] = ()
) -> Network:
    """Return ``net`` if valid, else raise one :class:`InputError` listing every problem
    (``shaped``: as in :func:`check_network`; the list is always the whole one)."""
    problems = check_network(net, require_connected=require_connected, shaped=shaped)
    if problems and shaped:
        problems = check_network(net, require_connected=require_connected)
    if problems:
        raise InputError(problems)
    return net
