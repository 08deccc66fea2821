"""The road-network model: nodes, links, movements, phases, conflicts and their views.

See :mod:`signalbrain.network.model` for the vocabulary.
"""

from signalbrain.network.arrays import NetworkArrays, to_arrays
from signalbrain.network.graph import to_graph, to_link_graph
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
