"""The networks bundled with signalbrain (``networks/`` in the source tree, package data when
installed from a wheel)."""

from __future__ import annotations

from pathlib import Path

from signalbrain.errors import InputError

__all__ = ["bundled_dir", "bundled_names", "bundled_network"]


def bundled_dir() -> Path:
    """Folder holding the bundled network YAML files."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[3] / "networks", here.parents[1] / "_bundled_networks"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise InputError("the bundled networks are missing from this installation")


def bundled_names() -> list[str]:
    """Names of the bundled networks (file stems; ``NAME.demand.yaml`` files are their demand)."""
    return sorted(p.stem for p in bundled_dir().glob("*.yaml") if "." not in p.stem)


def bundled_network(name: str) -> Path:
    """Path of a bundled network by name (``single``, ``arterial``, ``grid3x3``)."""
    path = bundled_dir() / f"{name}.yaml"
    if not path.is_file():
        raise InputError(f"no bundled network {name!r}; bundled: {', '.join(bundled_names())}")
    return path


def bundled_demand(name: str) -> Path:
    """Path of a bundled network's demand file (``NAME.demand.yaml``)."""
    path = bundled_dir() / f"{name}.demand.yaml"
    if not path.is_file():
        raise InputError(f"no bundled demand for {name!r}; bundled: {', '.join(bundled_names())}")
    return path
