"""The checks of an intersection's own structure, whatever network it stands in.

Its conflicts, permissive pairs and shared lanes; its phases (movements, the safety of each
green, change intervals) and every movement served; its rings and barriers, and the safety of
phases that run together. :func:`shape_problems` gathers them;
:func:`signalbrain.network.validate.check_network` adds the checks against the network (links,
nodes, cycle limits, connectivity).
"""

from __future__ import annotations

from signalbrain.errors import Problem, format_path
from signalbrain.network.model import Intersection, Phase

__all__ = ["MAX_ALL_RED_S", "MAX_GREEN_S", "MAX_YELLOW_S", "MIN_YELLOW_S", "shape_problems"]

MIN_YELLOW_S = 3.0
"""Shortest yellow change interval accepted [s] (MUTCD 4D.26: 3 to 6 s)."""
MAX_YELLOW_S = 30.0  # field yellows are 3-6 s; beyond this a value is a typo
MAX_ALL_RED_S = 60.0
MAX_GREEN_S = 3600.0  # any green, minimum, maximum or pedestrian [s]


def _fmt(ids: object, limit: int = 12) -> str:
    items = sorted(str(i) for i in ids)  # type: ignore[attr-defined]
    text = ", ".join(items[:limit])
    return text + (f", ... ({len(items)} in all)" if len(items) > limit else "")


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
