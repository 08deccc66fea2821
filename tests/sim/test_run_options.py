"""``sumo run`` with SUMO options and inputs that a traffic engineer passes (slow: runs SUMO)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signalbrain.cli import main

pytestmark = pytest.mark.slow


def test_output_prefix_after_dashes_still_finds_the_trips(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SUMO prepends --output-prefix to every output, signalbrain's trip-info file included."""
    out = tmp_path / "o.json"
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "120", "-q"]
    assert main([*argv, "--json", str(out), "--", "--output-prefix", "run1_"]) == 0, (
        capsys.readouterr().err
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["vehicles"]["departed"] > 50


def test_cli_refuses_to_drop_unfinished_trips(
    make_scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It counted 31 vehicles departed of 100 (only the arrived ones): exit 2 instead."""
    out = tmp_path / "o.json"
    argv = ["sumo", "run", str(make_scenario()), "--controller", "fixed", "--end", "100", "-q"]
    code = main([*argv, "--json", str(out), "--", "--tripinfo-output.write-unfinished", "false"])
    assert code == 2
    assert "signalbrain needs the trips" in capsys.readouterr().err
    assert not out.exists()
