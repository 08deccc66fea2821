"""Local worker processes for the batch engine: a process pool with crash isolation.

When a worker process dies, :class:`~concurrent.futures.ProcessPoolExecutor` fails every video
in flight and cannot say which one killed it. :func:`run_pool` starts a new pool for the videos
that had not started, and runs each video that had started (or was in flight at two breakages)
alone in a pool of its own; a video that kills its private worker is the culprit and is skipped.
A video running past the time limit is stopped the same way. Workers report start and progress
to the coordinator through a pipe (:class:`multiprocessing.SimpleQueue`), one per pool.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from multiprocessing.queues import SimpleQueue
from typing import Any

from signalbrain.errors import SignalbrainError
from signalbrain.replay.checkpoint import VideoTask
from signalbrain.replay.engine import Finish, Job, JobResult, call_job, init_worker
from signalbrain.replay.progress import ProgressReporter

__all__ = ["CRASH_REASON", "run_pool"]

CRASH_REASON = (
    "the worker process died while processing this video (a crash in native code "
    "or killed, e.g. out of memory); it is retried on the next run"
)


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
    job_module = _job_module(job)  # "__main__" for a script's own job: import it too
    preload = ["signalbrain.replay.engine"] + ([job_module] if job_module else [])
    ctx.set_forkserver_preload(preload)  # no effect once this process's fork server runs
    return ctx


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while worker processes start; they are raised right after.

    ``Process.start`` sends the worker its start-up data, then waits for its pid while the fork
    server imports the job's module (seconds, the first time). An interrupt in that wait left a
    worker that was forked anyway but never registered, so the clean-up could not stop it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    previous = {sig: h for sig, h in previous.items() if h is not None}  # None: set outside Python
    for sig in previous:
        signal.signal(sig, hold)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, killing jobs in progress (their videos have no checkpoint yet)."""
    procs = dict(getattr(pool, "_processes", None) or {})
    for proc in procs.values():
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _pool_round(
    ctx: BaseContext,
    pending: deque[VideoTask],
    job: Job,
    finish: Finish,
    reporter: ProgressReporter,
    workers: int,
    strikes: Counter[str],
    started: set[str] | None = None,
    timeout_s: float | None = None,
) -> list[VideoTask]:
    """Run ``pending`` on one pool until done or broken; returns the suspects of a breakage.

    ``started`` collects the keys of the videos whose job began (the worker said so). A video
    running longer than ``timeout_s`` is skipped; the pool is then replaced and the other videos
    in flight go back to ``pending``.
    """
    events: SimpleQueue[tuple[Any, ...]] = ctx.SimpleQueue()
    by_key = {t.key: t for t in pending}
    started = set() if started is None else started
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=init_worker,
        initargs=(events, workers > 1, os.getpid()),
    )
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
            with _interrupts_held():  # a submit may start a worker process
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
                late = [
                    t for t in inflight.values() if now - started_at.get(t.key, now) > timeout_s
                ]
    except BaseException:
        _terminate(pool)
        raise
    if late:
        _terminate(pool)
        for task in inflight.values():
            if task in late:
                finish(
                    task,
                    JobResult(
                        "error",
                        reason=f"still running after the "
                        f"{timeout_s:g} s limit per video; stopped (it is "
                        "retried on the next run)",
                    ),
                )
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


def run_pool(
    todo: Sequence[VideoTask],
    job: Job,
    finish: Finish,
    reporter: ProgressReporter,
    workers: int,
    timeout_s: float | None,
) -> None:
    ctx = _mp_context(job)
    pending: deque[VideoTask] = deque(todo)
    strikes: Counter[str] = Counter()
    while pending:
        for suspect in _pool_round(
            ctx, pending, job, finish, reporter, workers, strikes, timeout_s=timeout_s
        ):
            alone: deque[VideoTask] = deque([suspect])
            started: set[str] = set()
            if _pool_round(
                ctx, alone, job, finish, reporter, 1, Counter({suspect.key: 1}), started, timeout_s
            ):
                if suspect.key not in started:  # died before the job began: not the video
                    raise SignalbrainError(
                        "worker processes die before they start a job: the job cannot be "
                        "unpickled or the main module cannot be imported in a new process "
                        "(a script must start the batch under "
                        'if __name__ == "__main__":, as each worker imports it; '
                        "run with workers=0 to see the error in this process)"
                    )
                finish(suspect, JobResult("error", reason=CRASH_REASON))
