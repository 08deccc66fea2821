"""Dask distributed backend of the batch engine (``--scheduler ADDRESS``).

Each video is one task running :func:`~signalbrain.replay.engine.call_job` on a cluster worker;
results come back to this process, which writes the checkpoints (the cluster needs no access to
the output directory, but every worker must see the videos at the same absolute paths). A worker
that dies is handled by Dask: the task is retried on another worker until the scheduler gives up
(``distributed.scheduler.allowed-failures``) and raises ``KilledWorker``, which skips the video.
Frame-level progress stays on the workers; the coordinator reports each finished video.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from signalbrain.errors import InputError
from signalbrain.replay.checkpoint import VideoTask
from signalbrain.replay.engine import Finish, Job, JobResult, call_job
from signalbrain.replay.progress import ProgressReporter

__all__ = ["run_dask"]


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
            timeout="15s",  # type: ignore[no-untyped-call]
            set_as_default=False,
        ), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"--scheduler {scheduler}: cannot connect to a Dask scheduler there "
            f"({type(exc).__name__}: {exc}); give an address such as "
            "tcp://host:8786"
        ) from None


def _probe(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a TCP address nobody listens on.

    A ``distributed.Client`` that cannot connect waits for its whole timeout and then again
    while it is garbage-collected; a plain socket says "refused" at once.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme != "tcp":
            return
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"--scheduler {address}: not a scheduler address ({exc}); give one "
            "such as tcp://host:8786"
        ) from None
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise InputError(
            f"--scheduler {address}: cannot connect to a Dask scheduler there "
            f"({exc.strerror or exc}); start one (dask scheduler) or give the "
            "address it prints, such as tcp://host:8786"
        ) from None


def _collect(
    client: Any,
    futures: dict[Any, VideoTask],
    reporter: ProgressReporter,
    on_result: Callable[[VideoTask, JobResult, BaseException | None], None],
) -> None:
    """Wait for ``futures``, calling ``on_result(task, result, cluster_error)`` as each ends."""
    from distributed import as_completed

    pending: Any = as_completed(
        list(futures),  # type: ignore[no-untyped-call]
        loop=client.loop,
    )
    while not pending.is_empty():
        batch = pending.next_batch(block=False)
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
    futures: dict[Any, VideoTask] = {}
    killed: list[VideoTask] = []

    def submit(task: VideoTask, attempt: str) -> None:
        fut = client.submit(
            call_job,
            job,
            task.path,
            task.key,
            pure=False,
            key=f"signalbrain-count-{task.key}-{run_id}{attempt}",
        )
        futures[fut] = task

    def first_pass(task: VideoTask, result: JobResult, error: BaseException | None) -> None:
        if error is not None and type(error).__name__ == "KilledWorker":
            killed.append(task)
        else:
            finish(task, result)

    try:
        for task in todo:
            submit(task, "")
        _collect(client, futures, reporter, first_pass)
        for task in killed:
            futures.clear()
            submit(task, "-alone")
            _collect(client, futures, reporter, lambda t, r, _: finish(t, r))
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        if owned:
            client.close()
