"""The road-network model: nodes, links, movements, phases, conflicts and their views.

See :mod:`signalbrain.network.model` for the vocabulary.
"""

from typing import TYPE_CHECKING

from signalbrain.network.arrays import NetworkArrays, to_arrays
from signalbrain.network.model import (
    CONFLICT,
    NONE,
    PERMISSIVE,
    Intersection,
    Link,
    Movement,
    Network,
    Node,
    Phase,
    SumoPhase,
    SumoProgram,
    pair,
)
from signalbrain.network.validate import MIN_YELLOW_S, check_network, validate_network

if TYPE_CHECKING:
    from signalbrain.network.graph import to_graph, to_link_graph

__all__ = [
    "CONFLICT",
    "MIN_YELLOW_S",
    "NONE",
    "PERMISSIVE",
    "Intersection",
    "Link",
    "Movement",
    "Network",
    "NetworkArrays",
    "Node",
    "Phase",
    "SumoPhase",
    "SumoProgram",
    "check_network",
    "pair",
    "to_arrays",
    "to_graph",
    "to_link_graph",
    "validate_network",
]


def __getattr__(name: str) -> object:
    # the networkx views load on first use: networkx costs 0.2-0.3 s of start-up that commands
    # without routing (signalbrain optimize) do not need
    if name in ("to_graph", "to_link_graph"):
        from signalbrain.network import graph

        return getattr(graph, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
