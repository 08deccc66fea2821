"""SUMO's own controllers as baselines: a network's programs converted to another type.

SUMO ships gap-based actuated control (``actuated``, after the German RiLSA practice) and
time-loss based control (``delay_based``, Oertel and Wagner 2011). Both extend or end a green
phase between its ``minDur`` and ``maxDur`` from detector readings SUMO places itself. This
module converts each static program of a network to one of these types and writes the converted
programs as a ``tlLogic`` additional file; SUMO activates the program loaded last, and the
adapter also selects it by program id.

References
----------
Eclipse SUMO documentation, "Simulation/Traffic Lights": actuated and delay-based control.
Oertel, R., Wagner, P. (2011). Delay-time actuated traffic signal control for an isolated
intersection. Transportation Research Board 90th Annual Meeting.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from signalbrain.errors import InputError
from signalbrain.network import SumoPhase, SumoProgram

__all__ = [
    "BASELINE_TYPES",
    "DEFAULT_MAX_GREEN_S",
    "DEFAULT_MIN_GREEN_S",
    "NEMA_TYPE",
    "convert_program",
    "write_programs",
]

BASELINE_TYPES: tuple[str, ...] = ("actuated", "delay_based")
# netconvert's own defaults for actuated programs (--tls.min-dur 5, --tls.max-dur 50).
DEFAULT_MIN_GREEN_S = 5.0
DEFAULT_MAX_GREEN_S = 50.0
NEMA_TYPE = "NEMA"
"""SUMO's dual-ring actuated controller: already actuated, and its yellow and red are phase
attributes (``yellow``, ``red``) the other types ignore, so its programs are not converted."""


def _is_green(state: str) -> bool:
    """A phase that gives green to something and is not a transition (no yellow, no red-yellow)."""
    return any(c in "Gg" for c in state) and not any(c in "yYu" for c in state)


def convert_program(
    program: SumoProgram,
    kind: str,
    *,
    min_green_s: float = DEFAULT_MIN_GREEN_S,
    max_green_s: float = DEFAULT_MAX_GREEN_S,
) -> SumoProgram:
    """A copy of ``program`` of type ``kind`` with sensible ``minDur``/``maxDur``.

    Green phases get ``minDur = min(duration, min_green_s)`` and
    ``maxDur = max(duration, max_green_s)`` (so the program's own green always fits); transition
    phases (yellow, red-yellow, all red) keep a fixed duration. Phases that already carry
    ``minDur``/``maxDur`` keep them.

    Parameters
    ----------
    program
        The program as loaded (usually ``static``).
    kind
        ``"actuated"`` or ``"delay_based"``.
    min_green_s, max_green_s
        Bounds for green phases without their own [s].

    Raises
    ------
    InputError
        ``kind`` is not one of :data:`BASELINE_TYPES`.
    """
    if kind not in BASELINE_TYPES:
        raise InputError(
            f"program type {kind!r} is not a baseline; valid: {', '.join(BASELINE_TYPES)}"
        )
    phases = []
    for ph in program.phases:
        if _is_green(ph.state):
            lo = ph.min_dur_s if ph.min_dur_s is not None else min(ph.duration_s, min_green_s)
            hi = ph.max_dur_s if ph.max_dur_s is not None else max(ph.duration_s, max_green_s)
        else:
            lo = hi = ph.duration_s
        phases.append(SumoPhase(ph.duration_s, ph.state, lo, hi, ph.name))
    return SumoProgram(
        tls_id=program.tls_id,
        program_id=f"signalbrain_{kind}",
        type=kind,
        offset_s=program.offset_s,
        phases=tuple(phases),
        link_count=program.link_count,
        params=program.params,
    )


def write_programs(programs: Iterable[SumoProgram], path: str | Path) -> Path:
    """Write programs as a SUMO additional file of ``tlLogic`` elements; returns the path."""
    root = ET.Element("additional")
    for prog in programs:
        tl = ET.SubElement(
            root,
            "tlLogic",
            id=prog.tls_id,
            type=prog.type,
            programID=prog.program_id,
            offset=f"{prog.offset_s:g}",
        )
        for key, value in prog.params:
            ET.SubElement(tl, "param", key=key, value=value)
        for ph in prog.phases:
            attrs = {"duration": f"{ph.duration_s:g}", "state": ph.state}
            if ph.min_dur_s is not None:
                attrs["minDur"] = f"{ph.min_dur_s:g}"
            if ph.max_dur_s is not None:
                attrs["maxDur"] = f"{ph.max_dur_s:g}"
            if ph.name:
                attrs["name"] = ph.name
            ET.SubElement(tl, "phase", attrs)
    ET.indent(root)
    out = Path(path)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out
