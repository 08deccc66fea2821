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


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    """The replace swapped a link (plan.yaml -> plans/current.yaml) for a regular file and left
    the file it pointed to unchanged; an ordinary write goes through the link."""
    (tmp_path / "plans").mkdir()
    real = tmp_path / "plans" / "current.yaml"
    real.write_text("old")
    link = tmp_path / "plan.yaml"
    link.symlink_to(Path("plans") / "current.yaml")
    atomic_write_text(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"
    assert sorted(os.listdir(tmp_path / "plans")) == ["current.yaml"]


def test_a_named_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    """'sumo run --json PIPE' (or /dev/stdout, /dev/null) replaced the target by a regular file:
    the reader at the pipe got nothing, and run as root /dev/null became a JSON file."""
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        atomic_write_text(fifo, '{"ok": 1}\n')
        assert os.read(reader, 100) == b'{"ok": 1}\n'
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
