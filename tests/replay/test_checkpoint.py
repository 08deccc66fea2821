"""Checkpoint keys, atomic writes and the output-directory store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from signalbrain.errors import InputError
from signalbrain.replay.checkpoint import (
    CheckpointStore,
    VideoTask,
    atomic_write_text,
    checkpoint_key,
    file_digest,
)

BASE = ("/v/a.mp4", 1000, 1_700_000_000_000_000_000, "camera=abc")


@pytest.mark.parametrize(
    "changed",
    [
        ("/v/b.mp4", *BASE[1:]),
        (BASE[0], 1001, *BASE[2:]),
        (*BASE[:2], BASE[2] + 1, BASE[3]),
        (*BASE[:3], "camera=abd"),
    ],
    ids=["path", "size", "mtime", "salt"],
)
def test_key_changes_with_every_identity_part(changed: tuple[str, int, int, str]) -> None:
    assert checkpoint_key(*changed) != checkpoint_key(*BASE)


def test_key_is_stable_and_short() -> None:
    key = checkpoint_key(*BASE)
    assert key == checkpoint_key(*BASE)
    assert len(key) == 32
    assert all(c in "0123456789abcdef" for c in key)


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_atomic_write_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.json"
    target.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_store_round_trip_done_and_skipped(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "out")
    done, bad = VideoTask("a.mp4", "/v/a.mp4", "k1"), VideoTask("b.mp4", "/v/b.mp4", "k2")
    store.save_done(done, {"frames": 3, "lines": {}})
    store.save_skipped(bad, "not a video")
    cp = store.load("k1")
    assert cp is not None
    assert cp.status == "done"
    assert cp.record == {"frames": 3, "lines": {}}
    assert (store.status("k1"), store.status("k2"), store.status("k3")) == ("done", "skipped", None)
    assert store.skip_path("k2").is_file()
    cp = store.load("k2")
    assert cp is not None
    assert cp.status == "skipped"
    assert cp.reason == "not a video"
    assert store.load("k3") is None


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"format": 99, "status": "done"}',
        '{"format": 1, "status": "done", "record": 3}',
    ],
)
def test_unreadable_checkpoint_counts_as_absent(tmp_path: Path, content: str) -> None:
    store = CheckpointStore(tmp_path)
    store.path("k").write_text(content)
    assert store.load("k") is None


def test_out_dir_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        CheckpointStore(target)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_out_dir_is_bad_input(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write"):
            CheckpointStore(locked / "out")
    finally:
        locked.chmod(0o700)


def test_out_dir_under_a_file_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        CheckpointStore(tmp_path / "file" / "out")


def test_lock_excludes_a_second_run(tmp_path: Path) -> None:
    first, second = CheckpointStore(tmp_path), CheckpointStore(tmp_path)
    with first.lock(), pytest.raises(InputError, match="another run"), second.lock():
        pass
    with second.lock():  # released
        pass


def test_file_digest(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"camera: x\n")
    b.write_bytes(b"camera: y\n")
    assert file_digest(a) != file_digest(b)
    assert len(file_digest(a)) == 64
    with pytest.raises(InputError, match="not found"):
        file_digest(tmp_path / "missing")


def test_done_replaces_an_earlier_skip_and_discard_forgets(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    task = VideoTask("a.mp4", "/v/a.mp4", "k")
    store.save_skipped(task, "not a video")
    store.save_done(task, {"frames": 1})
    assert store.status("k") == "done"
    assert not store.skip_path("k").exists()
    store.discard("k")
    assert store.status("k") is None
