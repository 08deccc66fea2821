"""Choosing the SUMO API: libsumo first, traci when libsumo is missing."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from signalbrain.errors import SignalbrainError
from signalbrain.sim import backend


def _without(monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> ModuleType:
        if name in missing:
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(backend.importlib, "import_module", fake)


def test_libsumo_is_preferred(sumo_home: Path) -> None:
    assert backend.load_backend().__name__ == "libsumo"
    assert backend.load_backend("traci").__name__ == "traci"


def test_falls_back_to_traci(monkeypatch: pytest.MonkeyPatch, sumo_home: Path) -> None:
    _without(monkeypatch, "libsumo")
    assert backend.load_backend().__name__ == "traci"


def test_neither_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "libsumo", "traci")
    with pytest.raises(SignalbrainError, match="pip install 'signalbrain\\[sumo\\]'"):
        backend.load_backend()


def test_unknown_backend_name() -> None:
    with pytest.raises(ValueError, match="valid: libsumo, traci"):
        backend.load_backend("sumo-gui")


def test_sumo_binary_is_found(sumo_home: Path) -> None:
    assert Path(backend.sumo_binary()).name == "sumo"


def test_a_second_libsumo_run_in_one_process_is_flagged(monkeypatch, caplog):
    """libsumo keeps SUMO's state between simulations of one process, so the second start
    warns once that results may differ from a fresh process."""
    from signalbrain.sim import run

    monkeypatch.setattr(run, "_libsumo_runs", 0)
    with caplog.at_level("WARNING", logger="signalbrain.sim.run"):
        run._note_libsumo_start()
        assert not caplog.records
        run._note_libsumo_start()
        run._note_libsumo_start()
    assert len(caplog.records) == 1
    assert "fresh process" in caplog.records[0].getMessage()
