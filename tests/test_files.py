"""Atomic writes (signalbrain._files): whole files only, with the mode an ordinary write gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from signalbrain._files import atomic_write_bytes, atomic_write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_mode_of_an_ordinary_write(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic_write_text(tmp_path / "a.json", "{}\n")
    assert (tmp_path / "a.json").read_text() == "{}\n"
    assert _mode(tmp_path / "a.json") == _mode(plain)  # not the temporary file's 0o600
    assert sorted(os.listdir(tmp_path)) == ["a.json", "plain.txt"]  # no temporary file left


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "ck"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o640
