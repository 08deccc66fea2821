"""SUMO networks as signalbrain models for :func:`signalbrain.sim.run.run_sumo`: the import
that leaves out the traffic lights signalbrain cannot model (:func:`import_network`, those run
SUMO's own programs) and the intersections whose SUMO displays can be audited
(:func:`sumo_model`)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from signalbrain.errors import InputError, format_path
from signalbrain.network import Intersection, Network

__all__ = ["import_network", "sumo_model", "unimported_notes"]


def import_network(
    net_file: Path, tls_ids: Sequence[str], additional_files: Sequence[Path] = ()
) -> tuple[Network, dict[str, str]]:
    """signalbrain's model of the network without the traffic lights whose import fails (SUMO
    accepts programs signalbrain has no phases for: all red, off, one all-green phase...): the
    model, and why each light was left out. Those lights run SUMO's own programs.
    ``additional_files``: the configuration's, whose ``tlLogic`` programs SUMO runs in place of
    the network's.

    Raises
    ------
    InputError
        The import fails for a reason that no single traffic light explains.
    """
    read_sumo_net = importlib.import_module("signalbrain.io.sumo_net").read_sumo_net
    left: dict[str, str] = {}
    while True:
        try:
            network: Network = read_sumo_net(
                net_file, skip_tls=frozenset(left), additional_files=additional_files
            )
        except InputError as exc:
            bad: dict[str, str] = {}
            for problem in exc.problems:
                for tls in tls_ids:
                    base = format_path("intersections", tls)
                    if problem.path == base or problem.path.startswith((f"{base}.", f"{base}[")):
                        where = problem.path.removeprefix(base).lstrip(".")
                        bad.setdefault(tls, f"{where}: {problem.message}".lstrip(": "))
            if not bad or bad.keys() <= left.keys():
                raise
            left.update(bad)
        else:
            return network, left


def unimported_notes(left: Mapping[str, str]) -> list[str]:
    return [
        f"traffic light {tls} left to SUMO's own program: signalbrain cannot import it ({why})"
        for tls, why in sorted(left.items())
    ]


def sumo_model(
    net_file: Path,
    network: Network | None,
    tls_ids: Sequence[str],
    additional_files: Sequence[Path] = (),
) -> tuple[tuple[Intersection, ...], str]:
    """The imported intersections whose SUMO displays can be audited, or why none can."""
    why = ""
    try:
        if network is None:
            network, left = import_network(net_file, tls_ids, additional_files)
            if left:
                why = f"{', '.join(sorted(left))} (signalbrain cannot import them)"
    except InputError as exc:
        return (), f"the network could not be imported ({exc})"
    return tuple(s for s in network.intersections if s.sumo is not None), why
