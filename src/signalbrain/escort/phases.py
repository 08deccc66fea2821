"""Escort phases: an approach's own green, for preemption only.

Standard preemption practice is to serve the emergency vehicle's whole approach, every movement
from it protected and every other movement red (the "preempt phase" or "track clearance"
interval of a controller's preemption plan [1]_ [2]_). Timing plans rarely have such a phase: a
single-ring program with permitted lefts serves a left turn either together with the opposing
through (the escort must yield) or in a short protected-left stage that leaves the through
traffic in a shared lane standing at red, and the escort behind it.

:func:`with_escort_phases` adds, for each approach that no phase serves whole and protected, a
phase giving protected green to all of the approach's movements, when the conflict model allows
them together (movements of one approach never cross, but a merge conflict keeps the phase out).
Its minimum green, maximum green, yellow and all-red are the largest of the phases that serve
those movements, so no rule of the original model is relaxed. The added phases are in no ring:
the controllers never see them (they run the original intersections); only the escort asks for
them, and only the conflict monitor built on the extended intersection serves them, with the
same conflicts, minimum greens, yellows and all-reds as any other request.

References
----------
.. [1] NTCIP 1202 v03, section 5.7 (preemption: entry, track clearance, dwell and exit phases).
.. [2] Nelson, E. and Bullock, D. (2000). Impact of emergency vehicle preemption on signalized
   corridor operation. TRR 1727, 1-11.
"""

from __future__ import annotations

from dataclasses import replace

from signalbrain.network import Intersection, Network, Phase

__all__ = ["ESCORT_PHASE_NAME", "escort_network", "is_escort_phase", "with_escort_phases"]

ESCORT_PHASE_NAME = "escort: approach {link}"
"""Name of an added phase (``link`` is the approach link id)."""

_FIRST_NUMBER = 100


def is_escort_phase(phase: Phase) -> bool:
    """Whether ``phase`` was added by :func:`with_escort_phases`."""
    return phase.name.startswith("escort: approach ")


def with_escort_phases(isec: Intersection) -> Intersection:
    """``isec`` with an escort phase for every approach no phase serves whole and protected.

    Phase numbers start at 100 (or after the largest existing number). Returns ``isec`` itself
    when nothing is added.
    """
    approaches: dict[str, list[str]] = {}
    for m in isec.movements:
        if m.turn != "P":
            approaches.setdefault(m.from_link, []).append(m.id)
    added: list[Phase] = []
    number = max([_FIRST_NUMBER - 1, *(p.number for p in isec.phases)]) + 1
    for link, ids in approaches.items():
        wanted = set(ids)
        if any(wanted <= set(p.protected) for p in isec.phases):
            continue
        if isec.unsafe_pairs(ids):
            continue
        serving = [p for p in isec.phases if wanted & set(p.movements)]
        if not serving:
            continue
        added.append(
            Phase(
                number,
                tuple(ids),
                (),
                min_green_s=max(p.min_green_s for p in serving),
                max_green_s=max(p.max_green_s for p in serving),
                yellow_s=max(p.yellow_s for p in serving),
                all_red_s=max(p.all_red_s for p in serving),
                ped_min_s=0.0,
                name=ESCORT_PHASE_NAME.format(link=link),
            )
        )
        number += 1
    if not added:
        return isec
    return replace(isec, phases=isec.phases + tuple(added))  # rings and barriers unchanged


def escort_network(network: Network) -> Network:
    """``network`` with :func:`with_escort_phases` applied to every intersection."""
    isecs = tuple(with_escort_phases(s) for s in network.intersections)
    if all(a is b for a, b in zip(isecs, network.intersections, strict=True)):
        return network
    return replace(network, intersections=isecs)
