"""Signal display letters: signalbrain's own and SUMO's, and how each is read.

signalbrain's states (:class:`~signalbrain.control.base.SignalState`) show ``G`` (protected
green), ``g`` (permitted green), ``y`` and ``r``. SUMO's ``tlLogic`` states and TraCI's
``getRedYellowGreenState`` use more letters (SUMO documentation, "Traffic Lights"); the SUMO
import, the safety audit of SUMO's own programs and the escort's read-back of the lights all read
them through this one table, so they cannot disagree on what a letter means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

__all__ = ["DISPLAYS", "GREEN", "RED", "YELLOW", "YIELD_GREEN", "movement_display"]

GREEN = frozenset("GgoO")
"""SUMO letters that let vehicles enter (``o``/``O``: signal off, junction rules apply)."""
YIELD_GREEN = frozenset("goO")
"""Green letters under which a link yields to its foes as the junction's ``response`` says."""
YELLOW = frozenset("yY")
"""SUMO's yellow letters (``Y``: yellow of a major stream)."""
RED = frozenset("rsu")
"""``s`` (right on red after a full stop) and ``u`` (red-yellow, before a green) are a red."""

DISPLAYS: Mapping[str, str] = MappingProxyType(
    {
        # signalbrain's own displays (SignalState.movements)
        "G": "G",
        "g": "g",
        "y": "y",
        "r": "r",
        # SUMO's other letters, read as the sets above say
        "Y": "y",  # yellow, major stream
        "u": "r",  # red-yellow: still stop
        "s": "r",  # right turn on red after a full stop, yielding to every foe
        "o": "g",  # light off, blinking: the junction's rules, i.e. uncontrolled
        "O": "g",  # light off: uncontrolled
    }
)
"""How each known letter reads, as one of ``G``, ``g``, ``y``, ``r``.

A light that is off (``o``, ``O``) lets the movement enter under the junction's own rules, so
it counts as a permitted green: two conflicting movements uncontrolled at once are a conflict.
SUMO's ``s`` lets a right turn go only after a stop, yielding to every foe, and is a red in the
SUMO import's model, so it is one here too. Any other letter is unknown: read as red, it could
hide a conflict, so readers refuse it or keep it to be refused."""


def movement_display(state: str, indices: Sequence[int]) -> str:
    """The display of a movement whose SUMO links are ``indices`` of the state string ``state``.

    ``G`` when all its links show ``G``, ``g`` when any reads green (a yielding or switched-off
    link lets the movement enter), ``y`` when any reads yellow, else ``r``; an index past the
    string's end is ignored. The first letter :data:`DISPLAYS` does not know is returned as it
    is, so the caller can name it instead of reading it as red.
    """
    chars = [state[i] for i in indices if i < len(state)]
    unknown = [c for c in chars if c not in DISPLAYS]
    if unknown:
        return unknown[0]
    if chars and all(c == "G" for c in chars):
        return "G"
    read = {DISPLAYS[c] for c in chars}
    if read & {"G", "g"}:
        return "g"
    if "y" in read:
        return "y"
    return "r"
