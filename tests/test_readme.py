"""The README's Python examples run as written (slow: renders and counts a clip, runs SUMO).

Each ``python`` block runs in a fresh folder holding a link to the bundled ``networks/`` (and,
for the SUMO block, a generated ``city.sumocfg``), in order, sharing one namespace as a reader
pasting them one after the other would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _blocks(readme: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


def _city(folder: Path, sumo_home: Path) -> None:
    """``city.sumocfg``: a 3x3 netgenerate grid with ten minutes of random trips."""
    env = {**os.environ, "SUMO_HOME": str(sumo_home)}
    net, routes = folder / "city.net.xml", folder / "city.rou.xml"
    netgenerate = [str(sumo_home / "bin" / "netgenerate"), "--grid", "--grid.number", "3"]
    netgenerate += ["--grid.attach-length", "100", "--tls.guess", "true", "-o", str(net)]
    subprocess.run(netgenerate, check=True, env=env, capture_output=True)
    trips = [sys.executable, str(sumo_home / "tools" / "randomTrips.py"), "-n", str(net)]
    trips += ["-r", str(routes), "-e", "600", "-p", "2", "--seed", "1"]
    subprocess.run(trips, check=True, env=env, capture_output=True, cwd=folder)
    (folder / "city.sumocfg").write_text(
        '<configuration><input><net-file value="city.net.xml"/>'
        '<route-files value="city.rou.xml"/></input></configuration>\n',
        encoding="utf-8",
    )


def test_the_python_examples_run(
    repo_root: Path, sumo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _blocks(repo_root / "README.md")
    assert len(blocks) >= 4  # network, timing and escort, video, SUMO
    (tmp_path / "networks").symlink_to(repo_root / "networks")
    _city(tmp_path, sumo_home)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    for k, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {k + 1}", "exec"), namespace)
    # what the examples claim, checked
    assert (tmp_path / "arterial.plan.yaml").is_file()
    escort: Any = namespace["escort"]
    assert escort.route.links[0] == "W_S1"
    assert escort.route.links[-1] == "S6_E"
    counts: Any = namespace["counts"]
    clip: Any = namespace["clip"]
    assert counts.lines == clip.truth.lines
    result: Any = namespace["result"]
    assert result.safety.ok
    assert result.trips.departed > 0
