"""Batch replay of recorded video: many files, progress, checkpoints and resume.

:func:`count_videos` counts vehicles in many videos with one camera file and writes
``counts.csv`` and ``summary.json`` (the ``signalbrain count`` contract in ``DESIGN.md``). Work
runs in local worker processes by default or on a Dask distributed cluster; every finished video
is checkpointed at once, so a rerun of the same command resumes where the last one stopped, and
a video that cannot be read - or that crashes its worker - is skipped and reported without
stopping the batch. :func:`run_tasks` is the engine underneath, for any per-video job.
"""

from __future__ import annotations

from signalbrain.replay.checkpoint import CheckpointStore, VideoTask, checkpoint_key
from signalbrain.replay.counting import (
    count_job,
    count_videos,
    default_workers,
    summary_exit_code,
)
from signalbrain.replay.engine import Job, JobResult, ProgressFn, TaskOutcome, run_tasks
from signalbrain.replay.inputs import VIDEO_SUFFIXES, BatchInputs, collect_videos
from signalbrain.replay.outputs import ReplaySummary, SkippedVideo
from signalbrain.replay.progress import ProgressReporter

__all__ = [
    "VIDEO_SUFFIXES",
    "BatchInputs",
    "CheckpointStore",
    "Job",
    "JobResult",
    "ProgressFn",
    "ProgressReporter",
    "ReplaySummary",
    "SkippedVideo",
    "TaskOutcome",
    "VideoTask",
    "checkpoint_key",
    "collect_videos",
    "count_job",
    "count_videos",
    "default_workers",
    "run_tasks",
    "summary_exit_code",
]
