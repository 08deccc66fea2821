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

When a worker process dies, :class:`~concurrent.futures.ProcessPoolExecutor` fails every video
in flight and cannot say which one killed it. The engine starts a new pool for the videos that
had not started, and runs each video that had started (or was in flight at two breakages) alone
in a pool of its own; a video that kills its private worker is the culprit and is skipped.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from multiprocessing.queues import SimpleQueue
from typing import Any, Literal, Protocol

from signalbrain.errors import InputError, SignalbrainError
from signalbrain.replay.checkpoint import CheckpointStore, VideoTask
from signalbrain.replay.progress import ProgressReporter

__all__ = ["Job", "JobResult", "ProgressFn", "TaskOutcome", "run_tasks"]

CRASH_REASON = ("the worker process died while processing this video (a crash in native code "
                "or killed, e.g. out of memory); it is retried on the next run")


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


def _init_worker(events: SimpleQueue[tuple[Any, ...]] | None, single_thread: bool) -> None:
    """Initialiser of local worker processes: progress channel, no SIGINT, one thread each."""
    global _EVENTS
    _EVENTS = events
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    if single_thread:  # N processes on N cores: keep native libraries from oversubscribing
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "NUMBA_NUM_THREADS"):
            os.environ[name] = "1"
        try:
            import cv2
        except ImportError:  # pragma: no cover - OpenCV is a core dependency
            return
        cv2.setNumThreads(1)


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
        return JobResult("error", reason=f"internal error: {type(exc).__name__}: {exc}",
                         elapsed_s=time.perf_counter() - start)
    return JobResult("done", record=record, elapsed_s=time.perf_counter() - start)


# -- coordinator side -------------------------------------------------------------------------
Finish = Callable[[VideoTask, JobResult], None]


def _job_module(job: Any) -> str | None:
    while isinstance(job, functools.partial):
        job = job.func
    module = getattr(job, "__module__", None)
    return module if isinstance(module, str) else None


def _mp_context(job: Job) -> BaseContext:
    """``forkserver`` where available (no fork of a threaded coordinator), else ``spawn``.

    The fork server imports the engine and the job's module once; every worker forked from it
    starts warm, so a new pool (after a crash, for an isolated video) costs milliseconds instead
    of seconds of importing OpenCV and NumPy.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    preload = [__name__] + [m for m in (_job_module(job),) if m]  # "__main__": a script's job
    ctx.set_forkserver_preload(preload)  # no effect once this process's fork server runs
    return ctx


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, killing jobs in progress (their videos have no checkpoint yet)."""
    procs = dict(getattr(pool, "_processes", None) or {})
    for proc in procs.values():
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _pool_round(ctx: BaseContext, pending: deque[VideoTask], job: Job, finish: Finish,
                reporter: ProgressReporter, workers: int, strikes: Counter[str],
                started: set[str] | None = None, timeout_s: float | None = None
                ) -> list[VideoTask]:
    """Run ``pending`` on one pool until done or broken; returns the suspects of a breakage.

    ``started`` collects the keys of the videos whose job began (the worker said so). A video
    running longer than ``timeout_s`` is skipped; the pool is then replaced and the other videos
    in flight go back to ``pending``.
    """
    events: SimpleQueue[tuple[Any, ...]] = ctx.SimpleQueue()
    by_key = {t.key: t for t in pending}
    started = set() if started is None else started
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(events, workers > 1))
    inflight: dict[Future[JobResult], VideoTask] = {}
    started_at: dict[str, float] = {}

    def drain() -> None:
        while not events.empty():
            kind, key, *rest = events.get()
            task = by_key.get(key)
            if task is None:
                continue
            started.add(key)
            if kind == "start":
                started_at[key] = time.monotonic()
                reporter.started(key, task.label)
            else:
                reporter.progress(key, task.label, rest[0], rest[1])

    broken = False
    late: list[VideoTask] = []
    try:
        while (pending or inflight) and not broken and not late:
            while pending and len(inflight) < 2 * workers:
                task = pending.popleft()
                inflight[pool.submit(call_job, job, task.path, task.key)] = task
            done, _ = wait(inflight, timeout=0.25, return_when=FIRST_COMPLETED)
            drain()
            for fut in done:
                if isinstance(fut.exception(), BrokenProcessPool):
                    broken = True
                    continue
                finish(inflight.pop(fut), fut.result())
            if timeout_s is not None and not broken:
                now = time.monotonic()
                late = [t for t in inflight.values()
                        if now - started_at.get(t.key, now) > timeout_s]
    except BaseException:
        _terminate(pool)
        raise
    if late:
        _terminate(pool)
        for task in inflight.values():
            if task in late:
                finish(task, JobResult("error", reason=f"still running after the "
                                       f"{timeout_s:g} s limit per video; stopped (it is "
                                       "retried on the next run)"))
            else:
                pending.appendleft(task)
        return []
    if not broken:
        pool.shutdown(wait=True)
        return []
    _terminate(pool)
    suspects: list[VideoTask] = []
    for task in inflight.values():
        strikes[task.key] += 1
        if task.key in started or strikes[task.key] >= 2:
            suspects.append(task)
        else:
            pending.appendleft(task)
    return suspects


def _run_pool(todo: Sequence[VideoTask], job: Job, finish: Finish, reporter: ProgressReporter,
              workers: int, timeout_s: float | None) -> None:
    ctx = _mp_context(job)
    pending: deque[VideoTask] = deque(todo)
    strikes: Counter[str] = Counter()
    while pending:
        for suspect in _pool_round(ctx, pending, job, finish, reporter, workers, strikes,
                                   timeout_s=timeout_s):
            alone: deque[VideoTask] = deque([suspect])
            started: set[str] = set()
            if _pool_round(ctx, alone, job, finish, reporter, 1, Counter({suspect.key: 1}),
                           started, timeout_s):
                if suspect.key not in started:  # died before the job began: not the video
                    raise SignalbrainError(
                        "worker processes die before they start a job: the job cannot be "
                        "unpickled or the main module cannot be imported in a new process "
                        "(run with workers=0 to see the error in this process)")
                finish(suspect, JobResult("error", reason=CRASH_REASON))


def _run_inline(todo: Sequence[VideoTask], job: Job, finish: Finish,
                reporter: ProgressReporter) -> None:
    for task in todo:
        reporter.started(task.key, task.label)

        def progress(frames_done: int, frames_total: int | None, /, task: VideoTask = task
                     ) -> None:
            reporter.progress(task.key, task.label, frames_done, frames_total)

        finish(task, call_job(job, task.path, task.key, progress))


def run_tasks(tasks: Sequence[VideoTask], job: Job, store: CheckpointStore, *, workers: int = 1,
              scheduler: Any = None, reporter: ProgressReporter | None = None,
              parse_record: Callable[[Mapping[str, Any]], object] | None = None,
              keep_records: bool = True, video_timeout_s: float | None = None
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
        value, problem = parse(cp.record) if cp is not None and cp.record is not None else (
            None, None)
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
                result = JobResult("error", reason=f"internal error: the job returned a "
                                   f"malformed result ({problem})")
        if result.status == "done" and result.record is not None:
            store.save_done(task, result.record)
            outcomes[task.key] = (TaskOutcome(task, "done", record=result.record, value=value)
                                  if keep_records else TaskOutcome(task, "done"))
            rec = result.record
            frames, video_s = rec.get("frames"), rec.get("seconds")
            reporter.finished(task.key, task.label,
                              frames=int(frames) if isinstance(frames, int | float) else None,
                              video_s=float(video_s) if isinstance(video_s, int | float) else None,
                              processing_s=result.elapsed_s)
            return
        reason = result.reason or "failed"
        if result.status == "bad_input":
            store.save_skipped(task, reason)
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
    reporter.begin(videos=len(tasks), resumed=resumed, skipped=len(outcomes) - resumed,
                   todo=len(todo), where=where)
    if todo:
        if scheduler is not None:
            from signalbrain.replay._dask import run_dask

            run_dask(todo, job, finish, reporter, scheduler)
        elif workers == 0:
            _run_inline(todo, job, finish, reporter)
        else:
            _run_pool(todo, job, finish, reporter, workers, video_timeout_s)
    return [outcomes[t.key] for t in tasks]
