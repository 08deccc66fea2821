"""Batch counting of recorded video: :func:`count_videos`, the API behind ``signalbrain count``.

It ties the pieces together: the camera file is read once and shipped to the workers, the
videos are expanded and keyed (:mod:`~signalbrain.replay.inputs`), the engine counts what has no
checkpoint yet (:mod:`~signalbrain.replay.engine`) with :func:`signalbrain.vision.count_video`,
and ``counts.csv`` and ``summary.json`` are rebuilt from all per-video results
(:mod:`~signalbrain.replay.outputs`).

Checkpoint keys mix each video's resolved path, size and modification time with the SHA-256 of
the camera file (its bytes: any edit recounts) and of the detector model, so a rerun reuses
exactly the results that the same inputs would reproduce.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from signalbrain.errors import InputError
from signalbrain.io.camera import CameraSpec, read_camera
from signalbrain.replay.checkpoint import CheckpointStore, file_digest
from signalbrain.replay.engine import Job, ProgressFn, run_tasks
from signalbrain.replay.inputs import collect_videos
from signalbrain.replay.outputs import (
    COUNTS_CSV,
    SUMMARY_JSON,
    CountsWriter,
    ReplaySummary,
    SkippedVideo,
    parse_counts,
)
from signalbrain.replay.progress import ProgressReporter, format_duration
from signalbrain.vision.counts import VideoCounts

__all__ = ["count_job", "count_videos", "default_workers", "summary_exit_code"]


def default_workers() -> int:
    """Worker processes when none are asked for: the CPUs this process may run on.

    Videos are independent and the counter uses about one core each, so one process per core
    is the fastest way through a batch; the engine never starts more processes than videos.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def count_job(
    path: str, progress: ProgressFn | None, *, camera: CameraSpec, model: str | None = None
) -> dict[str, Any]:
    """The per-video job of a counting batch: :func:`signalbrain.vision.count_video`, as JSON."""
    from signalbrain.vision import count_video

    return count_video(path, camera, progress=progress, model=model).to_dict()


def _camera(camera: str | Path | CameraSpec) -> tuple[CameraSpec, str]:
    """The camera spec and its fingerprint for checkpoint keys."""
    if isinstance(camera, CameraSpec):
        return camera, hashlib.sha256(repr(camera).encode("utf-8")).hexdigest()
    return read_camera(camera), file_digest(camera)


def _job_name(job: Any) -> str:
    while isinstance(job, functools.partial):
        job = job.func
    return f"{getattr(job, '__module__', '?')}.{getattr(job, '__qualname__', type(job).__name__)}"


def _reporter(progress: bool | TextIO) -> ProgressReporter:
    if progress is True:
        return ProgressReporter(stream=sys.stderr)
    if progress is False:
        return ProgressReporter(stream=None)
    return ProgressReporter(stream=progress)


def count_videos(
    videos: Iterable[str | Path],
    camera: str | Path | CameraSpec,
    out_dir: str | Path,
    *,
    workers: int | None = 1,
    scheduler: Any = None,
    progress: bool | TextIO = True,
    model: str | Path | None = None,
    video_timeout_s: float | None = None,
    job: Job | None = None,
) -> ReplaySummary:
    """Count vehicles in many videos with one camera file; resumable, in parallel.

    Parameters
    ----------
    videos
        Video files, or directories searched recursively for video files (one path alone is
        accepted too). The same file given twice is counted once; a missing file is reported
        as skipped.
    camera
        Camera YAML file (or a parsed :class:`~signalbrain.io.camera.CameraSpec`) used for
        every video.
    out_dir
        Output directory: ``counts.csv``, ``summary.json`` and ``.checkpoints/``. Running again
        with the same directory resumes: finished videos are not redone.
    workers
        Local worker processes; None for one per CPU; 0 counts in this process (no crash
        isolation: for debugging and profiling).
    scheduler
        Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``: count on that
        cluster instead (every worker must see the videos at the same absolute paths).
    progress
        Report progress on stderr (True), not at all (False), or on the given text stream.
    model
        ONNX detector model for :func:`~signalbrain.vision.count_video` (default: background
        subtraction).
    video_timeout_s
        Stop a video still being counted after this long [s] and report it as skipped (it is
        retried on the next run): a guard against decoders that hang on damaged files. Local
        worker processes only; None (default): no limit.
    job
        Replace the counter (``job(path, progress) -> VideoCounts.to_dict()``); checkpoints of
        different jobs never mix.

    Returns
    -------
    ReplaySummary
        Totals over the videos; ``skipped`` lists the videos that could not be counted.

    Raises
    ------
    InputError
        Bad camera file or model, no videos at all, an unusable output directory, an
        unreachable scheduler.
    KeyboardInterrupt
        After stopping the workers; every finished video keeps its checkpoint.

    Examples
    --------
    >>> summary = count_videos(["day1/"], "cam-A.yaml", "out/", workers=4)  # doctest: +SKIP
    >>> summary.lines["northbound"]["total"]  # doctest: +SKIP
    """
    start = time.perf_counter()
    spec, camera_salt = _camera(camera)
    model_path = None if model is None else str(Path(model).resolve())
    if model_path is not None:  # a bad model is the batch's error, not each video's
        from signalbrain.vision.dnn import OnnxDetector

        OnnxDetector(model_path)
    model_salt = "none" if model_path is None else file_digest(model_path)
    the_job: Job = job or functools.partial(count_job, camera=spec, model=model_path)
    salt = f"job={_job_name(the_job)};camera={camera_salt};model={model_salt}"
    if workers is not None and workers < 0:
        raise InputError(f"workers = {workers}: must be >= 0 (0 counts in this process)")
    if video_timeout_s is not None and not video_timeout_s > 0:
        raise InputError(f"video_timeout_s = {video_timeout_s}: must be > 0 (or None: no limit)")
    if isinstance(videos, str | os.PathLike):  # one path, not its characters
        videos = [videos]
    inputs = collect_videos(videos, salt)
    if not inputs.tasks:
        why = "; ".join(f"{label}: {reason}" for label, reason in inputs.missing)
        raise InputError(f"no videos to count{': ' + why if why else ' were given'}")
    store = CheckpointStore(out_dir)
    for name in (COUNTS_CSV, SUMMARY_JSON):  # found only once every video is counted
        if (store.out_dir / name).is_dir():
            raise InputError(
                f"--out {store.out_dir}: {store.out_dir / name} is a folder; the batch writes "
                "a file of that name there: move the folder or give another --out"
            )
    reporter = _reporter(progress)
    for label, first in inputs.duplicates:
        same = "given twice" if label == first else f"the same file as {first}"
        reporter.end(f"count: {label} is {same}; counted once")
    if not spec.lines and not spec.movement_ids:  # a camera with queue zones only
        reporter.end(
            f"count: camera {spec.camera!r} has queue zones only: counts.csv and summary.json "
            "hold lines and turning movements, so they stay empty; queue occupancy is in "
            "signalbrain.vision.count_video(...).queues"
        )
    n_workers = default_workers() if workers is None else workers
    if scheduler is not None and workers not in (None, 1):
        reporter.end("count: workers are ignored with a scheduler; the cluster decides")
    if video_timeout_s is not None and (scheduler is not None or n_workers == 0):
        reporter.end("count: the time limit per video applies to local worker processes only")
    with store.lock():
        try:
            outcomes = run_tasks(
                inputs.tasks,
                the_job,
                store,
                workers=n_workers,
                scheduler=scheduler,
                reporter=reporter,
                parse_record=parse_counts,
                keep_records=False,
                video_timeout_s=video_timeout_s,
            )
        except KeyboardInterrupt:
            done = sum(store.status(t.key) is not None for t in inputs.tasks)
            reporter.end(
                f"count: interrupted; {done} of {len(inputs.tasks)} videos have a "
                f"checkpoint in {store.folder}; run the same command to resume"
            )
            raise
        skipped: list[SkippedVideo] = []
        with CountsWriter(store.out_dir) as writer:
            for o in outcomes:
                if o.status == "skipped":
                    skipped.append(SkippedVideo(o.task.label, o.reason or "failed"))
                    continue
                vc = _read_back(store, o.task.key)
                if vc is None:
                    skipped.append(SkippedVideo(o.task.label, DAMAGED))
                    continue
                writer.add(o.task.label, vc, resumed=o.status == "resumed")
            skipped += [SkippedVideo(label, reason) for label, reason in inputs.missing]
            summary = writer.commit(skipped=skipped, wall_s=time.perf_counter() - start)
    reporter.end(_closing_line(summary))
    return summary


DAMAGED = "its checkpoint could not be read back and was removed; run again to count it"


def _read_back(store: CheckpointStore, key: str) -> VideoCounts | None:
    """The counts of a finished video from its checkpoint; a damaged one is discarded."""
    cp = store.load(key)
    if cp is not None and cp.record is not None:
        try:
            return parse_counts(cp.record)
        except (KeyError, TypeError, ValueError):
            pass
    store.discard(key)
    return None


def _closing_line(s: ReplaySummary) -> str:
    now = s.videos - s.resumed
    parts = [
        f"count: {s.videos} video{'s' * (s.videos != 1)} counted"
        + (f" ({now} now, {s.resumed} resumed)" if s.resumed else "")
    ]
    if s.skipped:
        parts.append(f"{len(s.skipped)} skipped (see {s.summary_json})")
    parts.append(
        f"{s.frames} frames, {format_duration(s.seconds)} of video, {s.fps:.0f} fps per worker"
    )
    if s.corrupt_frames:
        parts.append(f"{s.corrupt_frames} corrupt frames skipped inside the videos")
    if s.counted_frames:
        parts.append(f"{s.wall_fps:.0f} fps overall in {format_duration(s.wall_s)}")
    return "; ".join(parts) + f" -> {s.out_dir / COUNTS_CSV}"


def summary_exit_code(summary: ReplaySummary) -> int:
    """0 when every video was counted, 3 when some were skipped (the CLI contract)."""
    return 3 if summary.skipped else 0
