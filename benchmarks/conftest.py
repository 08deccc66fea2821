"""Benchmarks share the test suite's fixtures (``shared_data``, ``sumo_home``, ``repo_root``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_signalbrain_test_conftest", Path(__file__).resolve().parents[1] / "tests" / "conftest.py"
)
if _spec is None or _spec.loader is None:  # pragma: no cover
    raise ImportError("tests/conftest.py not found")
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)

shared_data = _mod.shared_data
sumo_home = _mod.sumo_home
repo_root = _mod.repo_root
