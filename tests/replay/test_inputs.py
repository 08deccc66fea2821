"""Expanding, de-duplicating and keying the videos of a batch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from signalbrain.replay.inputs import collect_videos


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_directory_expands_recursively_to_video_files_only(tmp_path: Path) -> None:
    _touch(tmp_path / "day" / "b.mp4")
    _touch(tmp_path / "day" / "sub" / "a.AVI")
    _touch(tmp_path / "day" / "notes.txt")
    _touch(tmp_path / "day" / ".hidden" / "c.mp4")
    got = collect_videos([tmp_path / "day"], "s")
    assert [Path(t.label).name for t in got.tasks] == ["b.mp4", "a.AVI"]
    assert not got.missing


def test_missing_and_empty_inputs_are_reported(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    got = collect_videos([tmp_path / "nope.mp4", tmp_path / "empty"], "s")
    assert not got.tasks
    reasons = dict(got.missing)
    assert reasons[str(tmp_path / "nope.mp4")] == "file not found"
    assert "no video files" in reasons[str(tmp_path / "empty")]


def test_same_file_twice_through_links_is_counted_once(tmp_path: Path) -> None:
    video = _touch(tmp_path / "a.mp4")
    os.symlink(video, tmp_path / "link.mp4")
    os.link(video, tmp_path / "hard.mp4")
    got = collect_videos([video, str(video), tmp_path / "link.mp4", tmp_path / "hard.mp4"], "s")
    assert len(got.tasks) == 1
    assert len(got.duplicates) == 3
    assert got.tasks[0].label == str(video)


def test_key_follows_content_identity_and_salt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = _touch(tmp_path / "a.mp4", b"one")
    key = collect_videos([video], "s").tasks[0].key
    assert collect_videos([video], "s").tasks[0].key == key
    assert collect_videos([video], "t").tasks[0].key != key
    monkeypatch.chdir(tmp_path)  # the same file by a relative path: same key
    assert collect_videos(["a.mp4"], "s").tasks[0].key == key
    st = video.stat()
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert collect_videos([video], "s").tasks[0].key != key


def test_broken_link_in_a_directory_is_reported(tmp_path: Path) -> None:
    # it was passed over in silence: the recording it stood for was lost without a word
    _touch(tmp_path / "day" / "a.mp4")
    os.symlink(tmp_path / "moved" / "b.mp4", tmp_path / "day" / "b.mp4")
    _touch(tmp_path / "only" / "notes.txt")  # a folder whose only video is a broken link
    os.symlink(tmp_path / "gone.mp4", tmp_path / "only" / "c.mp4")
    got = collect_videos([tmp_path / "day", tmp_path / "only"], "s")
    assert [Path(t.label).name for t in got.tasks] == ["a.mp4"]
    assert dict(got.missing) == {
        str(tmp_path / "day" / "b.mp4"): "broken symbolic link: its target does not exist",
        str(tmp_path / "only" / "c.mp4"): "broken symbolic link: its target does not exist",
    }
