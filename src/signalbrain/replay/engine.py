"""The batch engine: run a per-video job over many videos with checkpoints, resume and isolation.

The engine knows nothing about counting: a *job* is any picklable callable
``job(path, progress) -> record`` that processes one video file and returns a JSON-serialisable
mapping (for counting, ``VideoCounts.to_dict()``). The engine

1. skips videos whose checkpoint exists (``done`` or ``skipped``: see
   :mod:`signalbrain.replay.checkpoint`),
2. runs the rest on a backend - in this process (``workers=0``), in local worker processes
   (:class:`concurrent.futures.ProcessPoolExecutor`), or on a Dask distributed cluster,
3. writes a checkpoint as soon as each video finishes, so an interrupted batch loses only the
   videos in progress,
4. turns failures into skipped videos without stopping the batch: an
   :class:`~signalbrain.errors.InputError` from the job (not a readable video) is remembered;
   any other exception, and a worker process that dies (a crash in a native decoder, the
   out-of-memory killer), is reported and retried on the next run.

How a crashed worker is told from the innocent videos next to it is the backends' business:
:mod:`signalbrain.replay._pool` (local processes) and :mod:`signalbrain.replay._dask`.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.queues import SimpleQueue
from typing import Any, Literal, Protocol

from signalbrain.errors import InputError
from signalbrain.replay.checkpoint import CheckpointStore, VideoTask
from signalbrain.replay.progress import ProgressReporter

__all__ = ["Job", "JobResult", "ProgressFn", "TaskOutcome", "run_tasks"]


class ProgressFn(Protocol):
    """Called by a job every so many frames."""

    def __call__(self, frames_done: int, frames_total: int | None, /) -> None: ...


Job = Callable[[str, ProgressFn | None], Mapping[str, Any]]
"""``job(path, progress) -> record``: process one video; raise ``InputError`` for a file that is
not a readable video. Must be picklable (a module-level function or a ``functools.partial`` of
one) to run in worker processes or on a cluster."""


@dataclass(frozen=True, slots=True)
class JobResult:
    """What a worker sends back: ``status`` ``"done"`` with the ``record``, ``"bad_input"`` or
    ``"error"`` with a ``reason``; ``elapsed_s`` is the job's wall time."""

    status: Literal["done", "bad_input", "error"]
    record: Mapping[str, Any] | None = None
    reason: str | None = None
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """Outcome of one video: ``"done"`` (counted now), ``"resumed"`` (from its checkpoint) or
    ``"skipped"`` with a ``reason``; ``value`` is the record as parsed by ``parse_record``."""

    task: VideoTask
    status: Literal["done", "resumed", "skipped"]
    record: Mapping[str, Any] | None = None
    reason: str | None = None
    value: Any = None


# -- worker side ------------------------------------------------------------------------------
_EVENTS: SimpleQueue[tuple[Any, ...]] | None = None


def init_worker(
    events: SimpleQueue[tuple[Any, ...]] | None,
    single_thread: bool,
    coordinator_pid: int | None = None,
) -> None:
    """Initialiser of local worker processes: progress channel, no SIGINT, one thread each, and
    an exit of their own when the coordinator is gone."""
    global _EVENTS
    _EVENTS = events
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    if coordinator_pid is not None:
        threading.Thread(
            target=_exit_without, args=(coordinator_pid,), name="coordinator-watch", daemon=True
        ).start()
    if single_thread:  # N processes on N cores: keep native libraries from oversubscribing
        for name in (
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMBA_NUM_THREADS",
        ):
            os.environ[name] = "1"
        try:
            import cv2
        except ImportError:  # pragma: no cover - OpenCV is a core dependency
            return
        cv2.setNumThreads(1)


COORDINATOR_CHECK_S = 1.0
"""How often a worker looks for its coordinator [s]."""


def _exit_without(pid: int) -> None:
    """End this worker once process ``pid`` (the coordinator) no longer exists: killed with
    SIGKILL it cannot shut its pool down, and its workers (children of the fork server, not of
    the coordinator) would otherwise go on for good, holding the caller's output pipes open."""
    while True:
        time.sleep(COORDINATOR_CHECK_S)
        if not _running(pid):
            os._exit(1)


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a killed coordinator stays one until
    its parent reaps it, and ``kill(pid, 0)`` still succeeds on a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid was reused by someone else's process
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc (not Linux): existing is all we can tell
        return True
    return state not in ("Z", "X")


def call_job(job: Job, path: str, key: str, progress: ProgressFn | None = None) -> JobResult:
    """Run ``job`` on one video and capture its outcome (runs on the worker).

    Exceptions never escape: an :class:`InputError` becomes ``bad_input``, anything else
    ``error``, so one bad video cannot fail the batch.
    """
    events = _EVENTS
    if progress is None and events is not None:
        events.put(("start", key))

        def progress(frames_done: int, frames_total: int | None, /) -> None:
            events.put(("progress", key, int(frames_done), frames_total))

    start = time.perf_counter()
    try:
        record = dict(job(path, progress))
        json.dumps(record)
    except InputError as exc:
        reason = str(exc).removeprefix(f"{path}: ")  # the summary names the video already
        return JobResult("bad_input", reason=reason, elapsed_s=time.perf_counter() - start)
    except Exception as exc:
        return JobResult(
            "error",
            reason=f"internal error: {type(exc).__name__}: {exc}",
            elapsed_s=time.perf_counter() - start,
        )
    return JobResult("done", record=record, elapsed_s=time.perf_counter() - start)


# -- coordinator side -------------------------------------------------------------------------
Finish = Callable[[VideoTask, JobResult], None]


def _run_inline(
    todo: Sequence[VideoTask], job: Job, finish: Finish, reporter: ProgressReporter
) -> None:
    for task in todo:
        reporter.started(task.key, task.label)

        def progress(frames_done: int, frames_total: int | None, /, task: VideoTask = task) -> None:
            reporter.progress(task.key, task.label, frames_done, frames_total)

        finish(task, call_job(job, task.path, task.key, progress))


def run_tasks(
    tasks: Sequence[VideoTask],
    job: Job,
    store: CheckpointStore,
    *,
    workers: int = 1,
    scheduler: Any = None,
    reporter: ProgressReporter | None = None,
    parse_record: Callable[[Mapping[str, Any]], object] | None = None,
    keep_records: bool = True,
    video_timeout_s: float | None = None,
) -> list[TaskOutcome]:
    """Run ``job`` on every task without a checkpoint; checkpoint each as it finishes.

    Parameters
    ----------
    tasks
        The videos, keyed (see :func:`~signalbrain.replay.inputs.collect_videos`).
    job
        The per-video job, see :data:`Job`.
    store
        Checkpoints of the output directory.
    workers
        Local worker processes; 0 runs the jobs in this process (no crash isolation, for
        debugging and profiling).
    scheduler
        A Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``; when given,
        ``workers`` is ignored and the cluster runs the jobs.
    reporter
        Progress on stderr; None reports nothing.
    parse_record
        Parses and validates a job's record (raises ``KeyError``, ``TypeError`` or
        ``ValueError`` when it is malformed); the result is :attr:`TaskOutcome.value`. A
        checkpoint whose record fails is redone; a job whose record fails is reported as
        skipped and not checkpointed.
    keep_records
        Keep each record (and parsed value) in the outcomes. False keeps memory flat for big
        batches: finished checkpoints are then recognised by name without being read or
        parsed, and the caller reads them back one at a time.
    video_timeout_s
        Stop a video still running after this long [s] and report it as skipped (retried on
        the next run), e.g. a decoder hung on a damaged file. Local worker processes only;
        None: no limit.

    Returns
    -------
    list of TaskOutcome
        One per task, in the order of ``tasks``.

    Raises
    ------
    KeyboardInterrupt
        Re-raised after stopping the workers; checkpoints written so far are kept.
    """
    reporter = reporter or ProgressReporter(stream=None)
    outcomes: dict[str, TaskOutcome] = {}
    todo: list[VideoTask] = []

    def parse(record: Mapping[str, Any]) -> tuple[object, str | None]:
        """The parsed record and None, or None and what is wrong with it."""
        if parse_record is None:
            return None, None
        try:
            return parse_record(record), None
        except (KeyError, TypeError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"

    for task in tasks:
        if not keep_records and store.status(task.key) == "done":
            outcomes[task.key] = TaskOutcome(task, "resumed")
            continue
        cp = store.load(task.key)
        value, problem = (
            parse(cp.record) if cp is not None and cp.record is not None else (None, None)
        )
        if cp is None or problem:
            todo.append(task)
        elif cp.status == "done":
            outcomes[task.key] = TaskOutcome(task, "resumed", record=cp.record, value=value)
        else:
            outcomes[task.key] = TaskOutcome(task, "skipped", reason=cp.reason)

    def finish(task: VideoTask, result: JobResult) -> None:
        value: object = None
        if result.status == "done" and result.record is not None:
            value, problem = parse(result.record)
            if problem:
                result = JobResult(
                    "error",
                    reason=f"internal error: the job returned a malformed result ({problem})",
                )
        if result.status == "done" and result.record is not None:
            store.save_done(task, result.record)
            outcomes[task.key] = (
                TaskOutcome(task, "done", record=result.record, value=value)
                if keep_records
                else TaskOutcome(task, "done")
            )
            rec = result.record
            frames, video_s = rec.get("frames"), rec.get("seconds")
            corrupt = rec.get("corrupt_frames")
            reporter.finished(
                task.key,
                task.label,
                frames=int(frames) if isinstance(frames, int | float) else None,
                video_s=float(video_s) if isinstance(video_s, int | float) else None,
                processing_s=result.elapsed_s,
                corrupt_frames=int(corrupt) if isinstance(corrupt, int | float) else 0,
            )
            return
        reason = result.reason or "failed"
        if result.status == "bad_input":
            if os.access(task.path, os.R_OK):
                store.save_skipped(task, reason)
            else:
                # a permission the operator can mend (chmod changes neither size nor mtime,
                # so a remembered skip would outlive the fix): not remembered, tried again
                reason += " (not readable by this user: tried again on the next run)"
        outcomes[task.key] = TaskOutcome(task, "skipped", reason=reason)
        reporter.finished(task.key, task.label, reason=reason)

    resumed = sum(o.status == "resumed" for o in outcomes.values())
    workers = min(workers, len(todo))
    if scheduler is not None:
        where = f"Dask cluster {scheduler if isinstance(scheduler, str) else 'client'}"
    elif workers == 0:
        where = "this process"
    else:
        where = f"{workers} local worker process{'es' * (workers != 1)}"
    reporter.begin(
        videos=len(tasks),
        resumed=resumed,
        skipped=len(outcomes) - resumed,
        todo=len(todo),
        where=where,
    )
    if todo:
        if scheduler is not None:
            from signalbrain.replay._dask import run_dask

            run_dask(todo, job, finish, reporter, scheduler)
        elif workers == 0:
            _run_inline(todo, job, finish, reporter)
        else:
            from signalbrain.replay._pool import run_pool

            run_pool(todo, job, finish, reporter, workers, video_timeout_s)
    return [outcomes[t.key] for t in tasks]
