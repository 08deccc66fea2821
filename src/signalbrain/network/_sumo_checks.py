"""Checks of an intersection's imported SUMO program (``sumo:`` in the network YAML).

The program is kept verbatim so that it can be written back to SUMO
(:mod:`signalbrain.io.sumo_programs`); these checks refuse, when the network is read, what SUMO
would refuse when it is loaded there, with the YAML path of each problem.
"""

from __future__ import annotations

from signalbrain.errors import Problem, format_path
from signalbrain.network.model import Intersection, SumoProgram

__all__ = ["SUMO_STATE_CHARS", "check_sumo"]

SUMO_STATE_CHARS = "rRyYgGuOos"
"""Characters of a SUMO phase state, one per controlled link: ``r``/``R`` red, ``y``/``Y``
yellow, ``g`` green that yields, ``G`` priority green, ``u`` red-yellow, ``O`` off (no signal),
``o`` off and blinking, ``s`` green right-turn arrow (SUMO user documentation, "Traffic Lights:
Signal state definitions")."""
_SUMO_STATES = frozenset(SUMO_STATE_CHARS)


def _sumo_ok(isec: Intersection, prog: SumoProgram) -> bool:
    """The common case of :func:`check_sumo` in one expression: nothing to report."""
    n = prog.link_count
    return (
        bool(prog.phases)
        and n > 0
        and all(
            len(ph.state) == n
            and _SUMO_STATES.issuperset(ph.state)
            and ph.duration_s > 0
            and (ph.min_dur_s is None or ph.min_dur_s >= 0)
            and (ph.max_dur_s is None or ph.max_dur_s >= 0)
            and (ph.min_dur_s is None or ph.max_dur_s is None or ph.min_dur_s <= ph.max_dur_s)
            for ph in prog.phases
        )
        and all(i < n for m in isec.movements for i in m.sumo_link_indices)
    )


def check_sumo(isec: Intersection, base: str, out: list[Problem]) -> None:
    """The imported SUMO program (``sumo:``) as SUMO would load it: a state character per
    controlled link from SUMO's alphabet in every phase, phases that last, and movements whose
    link indices lie within the program's links. Without these a program written back to SUMO
    fails there, or a movement shows on another movement's signal.

    Parameters
    ----------
    isec
        The intersection; nothing is checked when it has no SUMO program.
    base
        Its YAML path, ``intersections.ID``.
    out
        Problems found are appended here.
    """
    prog = isec.sumo
    if prog is None or _sumo_ok(isec, prog):
        return
    p = format_path(base, "sumo")
    n = prog.link_count
    if not prog.phases:
        out.append(
            Problem(format_path(p, "phases"), "no phases; a SUMO program needs at least one phase")
        )
    if n < 1:
        out.append(
            Problem(
                format_path(p, "link_count"),
                f"= {n}: must be >= 1 (the number of links the traffic light controls)",
            )
        )
    valid = " ".join(SUMO_STATE_CHARS)
    for k, ph in enumerate(prog.phases):
        q = format_path(p, "phases", k)
        bad = "".join(dict.fromkeys(c for c in ph.state if c not in _SUMO_STATES))
        if bad:
            out.append(
                Problem(
                    format_path(q, "state"),
                    f"= {ph.state!r}: invalid characters {bad!r}; valid: {valid} (one per link)",
                )
            )
        if len(ph.state) != n and n >= 1:
            out.append(
                Problem(
                    format_path(q, "state"),
                    f"= {ph.state!r}: {len(ph.state)} characters; expected {n}, one per "
                    f"controlled link (link_count = {n})",
                )
            )
        if not ph.duration_s > 0:
            out.append(Problem(format_path(q, "duration_s"), f"= {ph.duration_s:g}: must be > 0"))
        for name in ("min_dur_s", "max_dur_s"):
            value = getattr(ph, name)
            if value is not None and not value >= 0:
                out.append(Problem(format_path(q, name), f"= {value:g}: must be >= 0"))
        if ph.min_dur_s is not None and ph.max_dur_s is not None and ph.min_dur_s > ph.max_dur_s:
            out.append(
                Problem(
                    format_path(q, "min_dur_s"),
                    f"= {ph.min_dur_s:g}: greater than max_dur_s = {ph.max_dur_s:g}",
                )
            )
    if n >= 1:
        for i, mv in enumerate(isec.movements):
            for j, index in enumerate(mv.sumo_link_indices):
                if index >= n:
                    out.append(
                        Problem(
                            format_path(base, "movements", i, "sumo_link_indices", j),
                            f"= {index}: beyond the {n} links of the SUMO program "
                            f"(sumo.link_count); must be 0 to {n - 1}",
                        )
                    )
