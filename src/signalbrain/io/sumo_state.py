"""SUMO signal-state strings for an intersection: the bridge from plans to SUMO link indices.

A SUMO traffic light shows one character per controlled link (``tlLogic`` link index): ``G``
protected green, ``g`` permitted green (yield), ``y`` yellow, ``r`` red, and a few more (``s``
right-on-red stop, ``u`` red-yellow, ``o``/``O`` off). An imported
:class:`~signalbrain.network.Intersection` knows, for each movement, the link indices it stands for
(:attr:`~signalbrain.network.Movement.sumo_link_indices`), so any green/yellow assignment of
movements turns into a state string with :func:`signal_state`.

Links that no movement stands for are the ones the importer left out of the model because the
original program never changes them (a slip-lane right turn that is always ``G``, a right-on-red
link that is always ``s``, a link that is always ``r``): they keep that constant character, so
writing a signalbrain state back to SUMO does not change how they behave. A link that is not
constant but still not modelled (rare, see :mod:`signalbrain.io.sumo_net`) shows ``r``.

This module is pure (no SUMO import) so controllers can use it without the ``sumo`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable

from signalbrain.errors import InputError
from signalbrain.network.model import Intersection, SumoProgram

__all__ = ["StateWriter", "constant_link_states", "link_count", "red_state", "signal_state"]


def constant_link_states(program: SumoProgram) -> dict[int, str]:
    """Link indices whose character is the same in every phase of ``program``, with that character.

    Parameters
    ----------
    program
        A SUMO program as imported.

    Returns
    -------
    dict
        ``{link_index: state_char}`` for every link index that never changes.
    """
    if not program.phases:
        return {}
    # zip stops at the shortest state: an index some phase lacks is not constant
    columns = zip(*(ph.state for ph in program.phases), strict=False)
    return {i: col[0] for i, col in enumerate(columns) if col.count(col[0]) == len(col)}


def link_count(intersection: Intersection) -> int:
    """Length of the intersection's SUMO state string (number of controlled link indices).

    Taken from the imported SUMO program when there is one, otherwise one more than the largest
    link index any movement uses (0 when no movement has link indices).
    """
    if intersection.sumo is not None:
        return intersection.sumo.link_count
    indices = [i for m in intersection.movements for i in m.sumo_link_indices]
    return max(indices) + 1 if indices else 0


def _base_state(intersection: Intersection, n: int) -> list[str]:
    modelled = {i for m in intersection.movements for i in m.sumo_link_indices}
    fixed = constant_link_states(intersection.sumo) if intersection.sumo is not None else {}
    return [("r" if i in modelled else fixed.get(i, "r")) for i in range(n)]


def red_state(intersection: Intersection) -> str:
    """The state string with every modelled movement red and the links outside the model at
    their constant original character (:func:`signal_state` with no movement named)."""
    return "".join(_base_state(intersection, link_count(intersection)))


def signal_state(
    intersection: Intersection,
    protected: Iterable[str] = (),
    permitted: Iterable[str] = (),
    yellow: Iterable[str] = (),
) -> str:
    """The SUMO state string that shows the given movements green or yellow and all others red.

    Parameters
    ----------
    intersection
        An intersection whose movements carry SUMO link indices (imported from SUMO).
    protected
        Movement ids with protected green (``G``).
    permitted
        Movement ids with permitted green (``g``: go, but yield to conflicting traffic).
    yellow
        Movement ids showing yellow (``y``).

    Returns
    -------
    str
        One character per SUMO link index (length :func:`link_count`). Modelled links not named
        show ``r``; links outside the model keep their constant original character.

    Raises
    ------
    InputError
        An unknown movement id, a movement named in two of the lists, or a movement without SUMO
        link indices.

    Notes
    -----
    This only encodes a state; whether the state is safe is the conflict monitor's decision.
    """
    return StateWriter(intersection)(protected, permitted, yellow)


class StateWriter:
    """:func:`signal_state` for many states of one intersection: the constant links and the
    base state are worked out once (what writing a whole program needs).

    Parameters
    ----------
    intersection
        As for :func:`signal_state`.
    """

    __slots__ = ("_base", "_beyond", "_intersection", "_links", "_n")

    def __init__(self, intersection: Intersection) -> None:
        self._intersection = intersection
        self._n = n = link_count(intersection)
        self._base = _base_state(intersection, n)
        self._links = {m.id: m.sumo_link_indices for m in intersection.movements}
        self._beyond = {mid for mid, idx in self._links.items() if any(i >= n for i in idx)}

    def __call__(
        self,
        protected: Iterable[str] = (),
        permitted: Iterable[str] = (),
        yellow: Iterable[str] = (),
    ) -> str:
        """The state string; same arguments, result and errors as :func:`signal_state`."""
        intersection = self._intersection
        links = self._links
        groups = {
            "G": list(dict.fromkeys(protected)),
            "g": list(dict.fromkeys(permitted)),
            "y": list(dict.fromkeys(yellow)),
        }
        problems: list[str] = []
        seen: dict[str, str] = {}
        for char, ids in groups.items():
            for mid in ids:
                if mid in seen:
                    problems.append(f"movement {mid!r} is both {seen[mid]!r} and {char!r}")
                seen[mid] = char
                indices = links.get(mid)
                if indices is None:
                    known = ", ".join(m.id for m in intersection.movements[:20])
                    problems.append(
                        f"{mid!r}: unknown movement of intersection "
                        f"{intersection.id!r}; known: {known}"
                    )
                elif not indices:
                    problems.append(f"movement {mid!r} has no SUMO link indices")
        if self._beyond:
            problems += [
                f"movement {mid!r} has a link index beyond the {self._n} links of the SUMO program"
                for mid in seen
                if mid in self._beyond
            ]
        if problems:
            raise InputError("; ".join(problems), source=f"intersection {intersection.id}")
        state = list(self._base)
        for char, ids in groups.items():
            for mid in ids:
                for i in links[mid]:
                    state[i] = char
        return "".join(state)
