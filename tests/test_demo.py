"""`signalbrain demo` runs end to end and writes what it says (SUMO step kept short)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signalbrain.cli import main


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sumo")
    assert main(["demo", "--out", str(tmp_path), "--sim-s", "300"]) == 0
    out = capsys.readouterr().out
    for step in ("1. bundled networks", "2. timing", "3. one-key escort", "4. vision", "5. closed"):
        assert step in out
    for name in (
        "arterial.plan.yaml",
        "arterial.utdf.csv",
        "arterial.timespace.png",
        "escort.json",
        "escort.events.csv",
        "escort.png",
        "counts/counts.csv",
    ):
        assert (tmp_path / name).is_file(), name
    runs = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "sumo").glob("*.json")}
    assert set(runs) == {"sumo", "adaptive", "adaptive_escort"}
    for name in ("adaptive", "adaptive_escort"):
        assert all(v == 0 for v in runs[name]["safety"].values())
