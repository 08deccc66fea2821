"""Fixtures of the replay tests: tiny videos and a camera file.

The folder goes on ``sys.path`` so that worker processes can import ``replay_jobs`` by name
when they unpickle a job (pytest's importlib mode gives test modules names they cannot import).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import replay_jobs  # noqa: E402
from replay_jobs import PATTERNS  # noqa: E402

CAMERA_YAML = """\
camera: cam-test
interval_s: 1
lines:
  - id: L
    points: [[2, 12], [30, 12]]
zones:
  - {id: in, kind: entry, polygon: [[0, 0], [15, 0], [15, 11], [0, 11]]}
  - {id: out, kind: exit, polygon: [[16, 12], [31, 12], [31, 23], [16, 23]]}
"""


@pytest.fixture
def camera_file(tmp_path: Path) -> Path:
    """A valid camera file for the 32x24 test videos."""
    path = tmp_path / "camera.yaml"
    path.write_text(CAMERA_YAML)
    return path


@pytest.fixture
def make_videos(tmp_path: Path) -> Callable[..., list[Path]]:
    """Factory: write the named test videos (default a, b, c) into ``tmp_path/videos``."""

    def make(*names: str, folder: str = "videos") -> list[Path]:
        out = []
        for name in names or tuple(PATTERNS):
            pattern = PATTERNS.get(name, PATTERNS["a.avi"])
            out.append(replay_jobs.write_video(tmp_path / folder / name, pattern))
        return out

    return make
