"""Frame reading: unusable files raise VideoError, corrupt frames are skipped and counted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from signalbrain.errors import InputError
from signalbrain.vision import FrameReader, VideoError, probe_video


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="video file not found"):
        probe_video(tmp_path / "none.avi")


def test_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "notes.avi"
    path.write_text("this is not a video\n" * 50, encoding="utf-8")
    with pytest.raises(VideoError) as info:
        probe_video(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, InputError)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(VideoError):
        list(FrameReader(path))


def test_reads_every_frame(moving_boxes: Callable[..., Path]) -> None:
    path = moving_boxes(frames=30)
    info = probe_video(path)
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(15.0)
    with FrameReader(path) as reader:
        indices = [i for i, _ in reader]
    assert indices == list(range(30))
    assert reader.corrupt_frames == 0


def test_truncated_file_keeps_decodable_frames(
    moving_boxes: Callable[..., Path], tmp_path: Path
) -> None:
    path = moving_boxes(frames=60)
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    with FrameReader(cut) as reader:
        n = sum(1 for _ in reader)
    assert 0 < n < 60


@pytest.mark.parametrize("threads", [None, 1])
def test_corrupt_frames_inside_a_file_are_skipped_and_counted(
    moving_boxes: Callable[..., Path], tmp_path: Path, threads: int | None
) -> None:
    data = bytearray(moving_boxes(frames=60).read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    assert len(starts) == 60  # one JPEG per frame
    for k in (20, 21, 40):
        data[starts[k] : starts[k] + 400] = b"\x00" * 400
    path = tmp_path / "corrupt.avi"
    path.write_bytes(bytes(data))
    with FrameReader(path, threads=threads) as reader:
        indices = [i for i, _ in reader]
    assert reader.corrupt_frames == 3
    assert len(indices) == 57
    assert not {20, 21, 40} & set(indices)
    assert indices[-1] == 59  # video time is kept across the gaps


def test_one_decoding_thread_gives_the_same_frames(moving_boxes: Callable[..., Path]) -> None:
    path = moving_boxes(frames=30)
    with FrameReader(path) as default, FrameReader(path, threads=1) as single:
        pairs = list(zip(default, single, strict=True))
    assert len(pairs) == 30
    for (i, a), (j, b) in pairs:
        assert i == j
        assert np.array_equal(a, b)


def test_not_a_video_with_one_thread(tmp_path: Path) -> None:
    path = tmp_path / "notes.avi"
    path.write_text("this is not a video\n" * 50, encoding="utf-8")
    with pytest.raises(VideoError):
        list(FrameReader(path, threads=1))


def _without_frame_count(data: bytearray) -> bytearray:
    """The AVI with its frame counts (``avih`` total frames, ``strh`` length) and its index
    removed, as a stream cut from a recorder has none: OpenCV then reports no count."""
    import struct

    avih = data.find(b"avih")
    strh = data.find(b"strh")
    struct.pack_into("<I", data, avih + 8 + 16, 0)
    struct.pack_into("<I", data, strh + 8 + 32, 0)
    idx1 = data.find(b"idx1")
    if idx1 >= 0:
        data[idx1 : idx1 + 4] = b"JUNK"
    return data


@pytest.mark.parametrize("counted", [True, False])
def test_a_long_damaged_stretch_does_not_end_the_video(
    moving_boxes: Callable[..., Path], tmp_path: Path, counted: bool
) -> None:
    # 60 undecodable frames in a row (more than MAX_GAP_FRAMES): the frames after the damage
    # are read, and the damage is reported. Without a frame count in the header the reader
    # cannot know more frames follow and looks past up to MAX_GAP_S of failed reads (cheap at a
    # true end); it used to stop after 50.
    data = bytearray(moving_boxes(frames=120).read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    assert len(starts) == 120
    for k in range(30, 90):
        data[starts[k] : starts[k] + 400] = b"\x00" * 400
    if not counted:
        data = _without_frame_count(data)
    path = tmp_path / "damaged.avi"
    path.write_bytes(bytes(data))
    with FrameReader(path) as reader:
        assert (reader.info.frame_count is not None) == counted
        indices = [i for i, _ in reader]
    assert indices == list(range(30)) + list(range(90, 120))
    assert reader.corrupt_frames == 60
    assert reader.slots == 120
