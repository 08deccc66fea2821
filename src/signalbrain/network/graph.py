"""networkx views of a :class:`~signalbrain.network.model.Network` for routing.

``to_graph`` gives a ``MultiDiGraph`` over nodes with one edge per link (key = link id). Node
attributes: ``x_m``, ``y_m``, ``intersection`` (controller id or ``None``). Edge attributes:
``lanes``, ``length_m``, ``free_speed_mps``, ``sat_flow_vphpl``, ``travel_time_s`` (free flow).

``to_link_graph`` gives a ``DiGraph`` whose nodes are links and whose edges are the movements that
join them, so that routes respect the turns an intersection allows (edge attribute
``movement``; ``travel_time_s`` on a link-node is its free-flow time).
"""

from __future__ import annotations

import networkx as nx

from signalbrain.network.model import Network

__all__ = ["to_graph", "to_link_graph"]


def to_graph(net: Network) -> nx.MultiDiGraph:
    """A node-link ``MultiDiGraph`` with the documented attribute set."""
    graph = nx.MultiDiGraph(name=net.name)
    for node in net.nodes:
        isec = net.intersection_at(node.id)
        graph.add_node(
            node.id, x_m=node.x_m, y_m=node.y_m, intersection=None if isec is None else isec.id
        )
    for link in net.links:
        graph.add_edge(
            link.from_node,
            link.to_node,
            key=link.id,
            lanes=link.lanes,
            length_m=link.length_m,
            free_speed_mps=link.free_speed_mps,
            sat_flow_vphpl=link.sat_flow_vphpl,
            travel_time_s=link.free_flow_time_s,
        )
    return graph


def to_link_graph(net: Network) -> nx.DiGraph:
    """A ``DiGraph`` of links joined by movements (turn-aware routing).

    Links that end at an unsignalized node are joined to every link leaving it except the reverse
    one (no U turns where the network says nothing).
    """
    graph = nx.DiGraph(name=net.name)
    for link in net.links:
        graph.add_node(link.id, travel_time_s=link.free_flow_time_s, length_m=link.length_m)
    outgoing: dict[str, list[str]] = {}
    for link in net.links:
        outgoing.setdefault(link.from_node, []).append(link.id)
    for isec in net.intersections:
        for mv in isec.movements:
            if mv.turn != "P":
                graph.add_edge(mv.from_link, mv.to_link, movement=mv.id, intersection=isec.id)
    for link in net.links:
        if net.intersection_at(link.to_node) is not None:
            continue
        for nxt in outgoing.get(link.to_node, ()):
            other = net.link(nxt)
            if other.to_node != link.from_node:
                graph.add_edge(link.id, nxt, movement=None, intersection=None)
    return graph
