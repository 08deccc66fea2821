"""Dask distributed backend of the batch engine (``--scheduler ADDRESS``).

Each video is one task running :func:`~signalbrain.replay.engine.call_job` on a cluster worker;
results come back to this process, which writes the checkpoints (the cluster needs no access to
the output directory, but every worker must see the videos at the same absolute paths). A worker
that dies is handled by Dask first: the task is retried on another worker until the scheduler
gives up (``distributed.scheduler.allowed-failures``) with ``KilledWorker``; such videos are then
run again one at a time, and one that still kills its worker alone is skipped.
Workers report start and progress as Dask events (``Worker.log_event``) on a topic this run
subscribes to, so the progress lines look the same as with local processes.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from signalbrain.errors import InputError
from signalbrain.replay.checkpoint import VideoTask
from signalbrain.replay.engine import Finish, Job, JobResult, call_job
from signalbrain.replay.progress import ProgressReporter

__all__ = ["call_job_on_worker", "run_dask"]

PROGRESS_EVERY_S = 2.0
"""Least time between two progress events of one video sent through the scheduler [s]."""

CONNECT_TIMEOUT_S = 15.0
"""Time a scheduler has to answer the client, and the probe's handshake before it [s]: the
probe never refuses a busy scheduler the client would have reached."""


def _client(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for ``scheduler`` and whether this module owns (closes) it."""
    if not isinstance(scheduler, str):
        if not hasattr(scheduler, "submit"):
            raise InputError(
                f"scheduler = {scheduler!r}: expected an address such as "
                "tcp://host:8786 or a distributed.Client"
            )
        return scheduler, False
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--scheduler needs Dask distributed: pip install 'signalbrain[dask]'"
        ) from None
    _probe(scheduler)
    try:
        return Client(
            scheduler,
            timeout=f"{CONNECT_TIMEOUT_S:g}s",  # type: ignore[no-untyped-call]
            set_as_default=False,
        ), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"--scheduler {scheduler}: cannot connect to a Dask scheduler there "
            f"({type(exc).__name__}: {exc}); give an address such as "
            "tcp://host:8786"
        ) from None


def _probe(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on an address that is no Dask scheduler.

    A ``distributed.Client`` that cannot connect waits for its whole timeout and then again
    while it is garbage-collected (30 s more, printing a traceback); so does one given an
    unknown scheme, and one whose transport fails (``tls://`` without Dask's TLS
    configuration, ``ucx://`` without UCX) does it after an internal error. A plain socket
    says "refused" at once, and a handshake of Dask's protocol tells a scheduler from another
    server on that port (its dashboard, a web server).
    """
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
        host, port = parse_host_port(location) if scheme == "tcp" else ("", 0)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"--scheduler {address}: not a scheduler address ({exc}); give one "
            "such as tcp://host:8786"
        ) from None
    if scheme == "inproc":  # this process's own cluster: nothing to probe
        return
    if scheme == "tcp":
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
        except OSError as exc:
            raise InputError(
                f"--scheduler {address}: cannot connect to a Dask scheduler there "
                f"({exc.strerror or exc}); start one (dask scheduler) or give the "
                "address it prints, such as tcp://host:8786"
            ) from None
    problem = _handshake(address, CONNECT_TIMEOUT_S)
    if problem is not None:
        raise InputError(
            f"--scheduler {address}: no Dask scheduler answers there ({problem}); give the "
            "address the scheduler prints, such as tcp://host:8786 (its dashboard, by "
            "default port 8787, is not it; tls:// needs Dask's TLS configuration)"
        )


def _handshake(address: str, timeout_s: float) -> str | None:
    """Open and close one Dask connection to ``address`` with the client's security settings;
    None when the peer speaks Dask's protocol, else what went wrong. Runs its own event loop
    in a thread, so it works also when the caller's thread runs one (a notebook)."""
    from distributed.comm.core import connect
    from distributed.security import Security

    async def attempt() -> None:
        args = Security().get_connection_args("client")  # type: ignore[no-untyped-call]
        comm = await connect(address, timeout=timeout_s, **args)  # type: ignore[no-untyped-call]
        await comm.close()

    problems: list[str] = []

    def run() -> None:
        try:
            asyncio.run(asyncio.wait_for(attempt(), timeout_s))
        except TimeoutError:  # nothing answers, or a server waiting for its own protocol
            problems.append("no answer in time")
        except MemoryError:  # another protocol's bytes read as a frame length
            problems.append("the reply is not Dask's protocol")
        except Exception as exc:  # a closed stream, a transport that cannot work here
            problems.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=run, name="dask-probe", daemon=True)
    thread.start()
    thread.join(2 * timeout_s)  # a name lookup that hangs is not cancelled with the loop
    if thread.is_alive():
        return "no answer in time"
    return problems[0] if problems else None


def call_job_on_worker(
    job: Job, path: str, key: str, topic: str, every_s: float = PROGRESS_EVERY_S
) -> JobResult:
    """:func:`~signalbrain.replay.engine.call_job` on a Dask worker, reporting start and
    progress as events on ``topic`` (at most one progress event per ``every_s`` seconds)."""
    try:
        from distributed import get_worker

        worker: Any = get_worker()
    except (ImportError, ValueError):  # not on a worker (e.g. a synchronous scheduler)
        return call_job(job, path, key, None)
    last = [-1e9]
    worker.log_event(topic, ["start", key, 0, None])

    def progress(frames_done: int, frames_total: int | None, /) -> None:
        now = time.monotonic()
        if now - last[0] >= every_s:
            last[0] = now
            worker.log_event(topic, ["progress", key, int(frames_done), frames_total])

    return call_job(job, path, key, progress)


def _collect(
    client: Any,
    futures: dict[Any, VideoTask],
    reporter: ProgressReporter,
    on_result: Callable[[VideoTask, JobResult, BaseException | None], None],
    events: queue.SimpleQueue[Any],
) -> None:
    """Wait for ``futures``, calling ``on_result(task, result, cluster_error)`` as each ends
    and passing the workers' progress ``events`` to the reporter."""
    from distributed import as_completed

    by_key = {t.key: t for t in futures.values()}
    ended: set[str] = set()

    def drain() -> None:
        while not events.empty():
            _, (kind, key, done, total) = events.get()
            task = by_key.get(key)
            if task is None or key in ended:  # another batch's, or late news
                continue
            if kind == "start":
                reporter.started(key, task.label)
            else:
                reporter.progress(key, task.label, done, total)

    pending: Any = as_completed(
        list(futures),  # type: ignore[no-untyped-call]
        loop=client.loop,
    )
    while not pending.is_empty():
        batch = pending.next_batch(block=False)
        drain()
        if not batch:  # nothing finished: keep the overall line alive
            reporter.tick()
            time.sleep(0.2)
        for fut in batch:
            task = futures[fut]
            try:
                result, error = fut.result(), None
            except Exception as exc:  # KilledWorker, lost data, cancelled by someone else
                result = JobResult(
                    "error",
                    reason=f"Dask cluster failed on this video: {type(exc).__name__}: {exc}",
                )
                error = exc
            ended.add(task.key)
            on_result(task, result, error)
            fut.release()


def run_dask(
    todo: Sequence[VideoTask], job: Job, finish: Finish, reporter: ProgressReporter, scheduler: Any
) -> None:
    """Run the jobs of ``todo`` on a Dask cluster, calling ``finish`` as each completes.

    Dask blames every task queued on a worker that dies, so innocent videos can fail with
    ``KilledWorker`` next to the one that crashed. Those are run again one at a time; a video
    that still kills its worker alone is the culprit and is skipped.
    """
    client, owned = _client(scheduler)
    run_id = uuid.uuid4().hex[:8]
    topic = f"signalbrain-progress-{run_id}"
    events: queue.SimpleQueue[Any] = queue.SimpleQueue()  # filled by the client's event loop
    futures: dict[Any, VideoTask] = {}
    killed: list[VideoTask] = []

    def submit(task: VideoTask, attempt: str) -> None:
        fut = client.submit(
            call_job_on_worker,
            job,
            task.path,
            task.key,
            topic,
            pure=False,
            key=f"signalbrain-count-{task.key}-{run_id}{attempt}",
        )
        futures[fut] = task

    def first_pass(task: VideoTask, result: JobResult, error: BaseException | None) -> None:
        if error is not None and type(error).__name__ == "KilledWorker":
            killed.append(task)
        else:
            finish(task, result)

    client.subscribe_topic(topic, events.put)
    try:
        for task in todo:
            submit(task, "")
        _collect(client, futures, reporter, first_pass, events)
        for task in killed:
            futures.clear()
            submit(task, "-alone")
            _collect(client, futures, reporter, lambda t, r, _: finish(t, r), events)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.unsubscribe_topic(topic)
        if owned:
            client.close()
