"""SUMO networks as signalbrain models for :func:`signalbrain.sim.run.run_sumo`: the import
that leaves out the traffic lights signalbrain cannot model (:func:`import_network`, those run
SUMO's own programs) and the intersections whose SUMO displays can be audited
(:func:`sumo_model`)."""

from __future__ import annotations

import importlib
from collections.abc import Collection, Sequence
from pathlib import Path

from signalbrain.errors import InputError
from signalbrain.network import Intersection, Network

__all__ = ["audit_fallback", "import_network", "sumo_model", "unimported"]


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
    switched_off: Collection[str] = (),
) -> tuple[tuple[Intersection, ...], str]:
    """The intersections whose SUMO displays can be audited, or why some or all cannot: the
    imported model of the programs SUMO runs, and :func:`audit_fallback` for the lights whose
    program it cannot model (``switched_off``: lights SUMO runs switched off, not audited)."""
    try:
        if network is None:
            network = import_network(net_file, additional_files)
    except InputError as exc:
        return (), f"the network could not be imported ({exc})"
    own = tuple(s for s in network.intersections if s.sumo is not None)
    fallback, why = audit_fallback(net_file, unimported(network), switched_off, additional_files)
    return own + fallback, why


def audit_fallback(
    net_file: Path,
    left: Collection[str],
    switched_off: Collection[str] = (),
    additional_files: Sequence[Path] = (),
) -> tuple[tuple[Intersection, ...], str]:
    """Models to audit the displays of the traffic lights ``left`` to SUMO by: those of the
    network's own programs, where signalbrain can model them (a program of an additional file
    that it cannot model, e.g. one all-green phase, still shows SUMO's displays; the junction's
    conflicts do not depend on the program). Also why the others are not audited.

    An all-green program in ``-- --additional-files`` at a junction with conflicting links was
    counted safe: signalbrain had no model of it, so nothing audited its displays.
    ``additional_files``: those the lights' running programs came from (none: the network's own
    programs, which have just failed, so there is no other model to try). A light of
    ``switched_off`` (its running program shows only ``o``/``O``, or none) is not audited: its
    junction's right of way rules, no signal (it counted 300 s of conflicting green in 300 s).
    """
    off = sorted(set(left) & set(switched_off))
    left = set(left) - set(off)
    off_why = f"{', '.join(off)} (switched off)" if off else ""
    if not left:
        return (), off_why
    if not additional_files:
        # the programs already modelled are the network's own: those lights failed there, and
        # importing the network again would only fail them again
        why = f"{', '.join(sorted(left))} (signalbrain cannot import them)"
        return (), "; ".join(w for w in (why, off_why) if w)
    try:
        own = import_network(net_file)
    except InputError as exc:
        names = ", ".join(sorted(left))
        why = f"{names} (signalbrain cannot import them; the network: {exc})"
        return (), "; ".join(w for w in (why, off_why) if w)
    fallback = tuple(s for s in own.intersections if s.sumo is not None and s.sumo.tls_id in left)
    missing = sorted(set(left) - {s.sumo.tls_id for s in fallback if s.sumo is not None})
    why = f"{', '.join(missing)} (signalbrain cannot import them)" if missing else ""
    return fallback, "; ".join(w for w in (why, off_why) if w)
