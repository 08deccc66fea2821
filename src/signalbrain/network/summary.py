"""One-screen summary of a network: what an engineer checks first after loading a file."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from signalbrain.network.graph import to_graph
from signalbrain.network.model import Network

__all__ = ["NetworkSummary", "summarize"]


@dataclass(frozen=True, slots=True)
class NetworkSummary:
    """Counts and totals of a network."""

    name: str
    source: str | None
    nodes: int
    signals: int
    links: int
    lane_km: float
    movements: int
    phases: int
    conflicts: int
    permissive: int
    components: int
    notes: tuple[str, ...]

    def format(self) -> str:
        """Human-readable lines."""
        lines = [
            f"network {self.name}" + (f" ({self.source})" if self.source else ""),
            f"  signals     {self.signals}",
            f"  nodes       {self.nodes}",
            f"  links       {self.links} ({self.lane_km:.1f} lane-km)",
            f"  movements   {self.movements}",
            f"  phases      {self.phases}",
            f"  conflicts   {self.conflicts} pairs ({self.permissive} permissive)",
            f"  components  {self.components}",
            "  problems    0",
        ]
        if self.notes:
            lines.append(f"  notes       {len(self.notes)}")
            lines += [f"    - {n}" for n in self.notes]
        return "\n".join(lines)


def summarize(net: Network) -> NetworkSummary:
    """Summarise a (valid) network."""
    notes = list(net.notes)
    for s in net.intersections:
        notes += [f"{s.id}: {n}" for n in s.notes]
    graph = to_graph(net)
    return NetworkSummary(
        name=net.name,
        source=net.source,
        nodes=len(net.nodes),
        signals=net.signal_count,
        links=len(net.links),
        lane_km=sum(k.lanes * k.length_m for k in net.links) / 1000.0,
        movements=net.movement_count,
        phases=net.phase_count,
        conflicts=sum(len(s.conflicts) for s in net.intersections),
        permissive=sum(len(s.permissive) for s in net.intersections),
        components=nx.number_weakly_connected_components(graph) if len(graph) else 0,
        notes=tuple(notes),
    )
