"""Frame reading: open a video, decode frames, skip corrupt ones, report unusable files.

The only place where :mod:`signalbrain.vision` touches files. :class:`FrameReader` yields
``(index, frame)`` with the frame index in video time (corrupt frames keep their slot, so time
stays right after a skipped frame); a file that cannot be opened, is not a video or yields no frame
raises :class:`VideoError`, an :class:`~signalbrain.errors.InputError` the batch layer reports and
skips.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.errors import InputError

__all__ = ["DEFAULT_FPS", "FrameReader", "VideoError", "VideoInfo", "probe_video"]

DEFAULT_FPS = 25.0  # used when the container does not state a usable frame rate
MAX_GAP_FRAMES = 50  # failed reads always tried before the rest counts as truncated
MAX_GAP_S = 600.0  # damage up to this long [s] is looked past

Frame = npt.NDArray[np.uint8]

with contextlib.suppress(AttributeError):  # keep OpenCV's warnings about broken files quiet
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


class VideoError(InputError):
    """A video that cannot be used: missing, unreadable, not a video, or without any frame."""


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the container says about a video.

    ``frame_count`` is the header's count (``None`` when absent); several encoders overstate it,
    so it is only a progress hint.
    """

    path: str
    width: int
    height: int
    fps: float
    frame_count: int | None


def _decoder_name(p: Path, source: str) -> tuple[str, int | None]:
    """The name to give OpenCV for file ``p``, and a descriptor to close once it is open.

    OpenCV's Python binding crashes the process (a segmentation fault) on a name that is not
    valid UTF-8: a file name with undecodable bytes, which Python holds as surrogates. Such a
    file is handed over as ``/proc/self/fd/N`` where that exists (Linux).
    """
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return source, None
    if not os.path.isdir("/proc/self/fd"):
        raise VideoError(
            "the file name is not valid UTF-8, which OpenCV cannot open on this system; "
            "rename the file",
            source,
        )
    try:
        fd = os.open(p, os.O_RDONLY)
    except OSError as exc:
        raise VideoError(f"cannot read the file: {exc.strerror or exc}", source) from None
    return f"/proc/self/fd/{fd}", fd


def _open(path: str | Path, threads: int | None = None) -> tuple[cv2.VideoCapture, VideoInfo]:
    source = str(path)
    p = Path(path)
    if not p.exists():
        raise VideoError(f"video file not found: {source}")
    if not p.is_file():
        raise VideoError(f"not a file: {source}")
    name, fd = _decoder_name(p, source)
    try:
        if threads is None:
            cap = cv2.VideoCapture(name)
        else:
            cap = cv2.VideoCapture(name, cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, threads])
            if not cap.isOpened():  # a backend without the option: its own threading
                cap.release()
                cap = cv2.VideoCapture(name)
    finally:
        if fd is not None:  # the decoder opened the file itself
            os.close(fd)
    if not cap.isOpened():
        cap.release()
        raise VideoError(
            "cannot open as a video (unreadable, unsupported codec or not a video file)", source
        )
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    if not (0.5 <= fps <= 1000.0):
        fps = DEFAULT_FPS
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    return cap, VideoInfo(source, width, height, fps, count if count > 0 else None)


def probe_video(path: str | Path) -> VideoInfo:
    """Open ``path`` and read its header and first frame.

    Raises
    ------
    VideoError
        When the file is missing, not a video, or has no decodable frame.
    """
    cap, info = _open(path)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise VideoError(
                "the video has no decodable frame (empty or truncated file)", info.path
            )
        h, w = frame.shape[:2]
        return VideoInfo(info.path, w, h, info.fps, info.frame_count)
    finally:
        cap.release()


class FrameReader:
    """Iterate over the decodable frames of a video.

    Iterating yields ``(index, frame)`` (BGR ``uint8``); ``index`` counts corrupt frames too, so
    ``index / info.fps`` is the video time. A failed decode followed by a good frame is counted in
    :attr:`corrupt_frames`; failures that never end mark the end of the file: past the header's
    frame count, or after ``MAX_GAP_S`` of video (damage inside a file can be long; at least
    ``MAX_GAP_FRAMES`` tries).

    ``threads`` is the number of decoding threads (FFmpeg's choice when ``None``; it decodes
    with two on this project's machines, which costs CPU time when videos are decoded side
    by side, one per core).
    """

    def __init__(self, path: str | Path, *, threads: int | None = None) -> None:
        self._cap, info = _open(path, threads)
        self.info = info
        self.corrupt_frames = 0
        self.frames = 0
        self.slots = 0  # frames plus corrupt frames: the video time in frames

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the decoder."""
        self._cap.release()

    def __iter__(self) -> Iterator[tuple[int, Frame]]:
        cap = self._cap
        shape: tuple[int, ...] | None = None
        index = 0
        while True:
            ok, frame = cap.read()
            if ok and frame is not None and (shape is None or frame.shape == shape):
                if shape is None:
                    shape = frame.shape
                    self.info = VideoInfo(
                        self.info.path,
                        frame.shape[1],
                        frame.shape[0],
                        self.info.fps,
                        self.info.frame_count,
                    )
                self.frames += 1
                self.slots = index + 1
                yield index, np.asarray(frame, dtype=np.uint8)
                index += 1
                continue
            if ok and frame is not None:  # a frame of the wrong size: corrupt, skip it
                index += 1
                self.corrupt_frames += 1
                continue
            # a failed read: look ahead for a good frame before calling it the end, up to
            # MAX_GAP_S of damage, and no further than the header's frame count when it gives
            # one. A failed read at the true end of a file costs microseconds (10-15 us on
            # MJPG/AVI, MP4 and MKV files), so looking 600 s past the end of a 25 fps file
            # without a count costs about 0.2 s once per video.
            gap = 1
            total = self.info.frame_count
            limit = max(MAX_GAP_FRAMES, round(MAX_GAP_S * self.info.fps))
            if total is not None:
                limit = min(total - index - 1, limit)
            while gap <= limit:
                ok, frame = cap.read()
                if ok and frame is not None and (shape is None or frame.shape == shape):
                    break
                gap += 1
            else:
                break
            self.corrupt_frames += gap
            index += gap
            if shape is None:
                shape = frame.shape
            self.frames += 1
            self.slots = index + 1
            yield index, np.asarray(frame, dtype=np.uint8)
            index += 1
        if self.frames == 0:
            raise VideoError(
                "the video has no decodable frame (empty or truncated file)", self.info.path
            )
