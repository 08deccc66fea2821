"""SUMO networks as signalbrain models for :func:`signalbrain.sim.run.run_sumo`: the import
that leaves out the traffic lights signalbrain cannot model (:func:`import_network`, those run
SUMO's own programs) and the intersections whose SUMO displays can be audited
(:func:`sumo_model`)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

from signalbrain.errors import InputError
from signalbrain.network import Intersection, Network

__all__ = ["import_network", "sumo_model", "unimported"]


def import_network(net_file: Path, additional_files: Sequence[Path] = ()) -> Network:
    """signalbrain's model of the network without the traffic lights it cannot model (SUMO
    accepts programs signalbrain has no phases for: all red, one all-green phase...; see
    :func:`unimported`). Those lights run SUMO's own programs.
    ``additional_files``: the configuration's, whose ``tlLogic`` programs SUMO runs in place of
    the network's.

    Raises
    ------
    InputError
        The import fails for a reason that no single traffic light explains.
    """
    read_sumo_net = importlib.import_module("signalbrain.io.sumo_net").read_sumo_net
    network: Network = read_sumo_net(net_file, additional_files=additional_files)
    return network


def unimported(network: Network) -> dict[str, str]:
    """The traffic lights the SUMO import left out of ``network`` (also one read from network
    YAML that ``import-sumo`` wrote): the note on each, by id."""
    found: dict[str, str] = importlib.import_module("signalbrain.io.sumo_net").unimported_lights(
        network
    )
    return found


def sumo_model(
    net_file: Path,
    network: Network | None,
    additional_files: Sequence[Path] = (),
) -> tuple[tuple[Intersection, ...], str]:
    """The imported intersections whose SUMO displays can be audited, or why none can."""
    why = ""
    try:
        if network is None:
            network = import_network(net_file, additional_files)
            left = unimported(network)
            if left:
                why = f"{', '.join(sorted(left))} (signalbrain cannot import them)"
    except InputError as exc:
        return (), f"the network could not be imported ({exc})"
    return tuple(s for s in network.intersections if s.sumo is not None), why
