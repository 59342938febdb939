"""Run independent shards in-process, on local threads or processes, or on a Dask cluster.

Output bytes never depend on the backend: a shard's result is a pure function of its
task, and the caller consumes results in task order. At most ``window`` tasks are in
flight, so memory stays bounded however many shards there are: on this machine the driver
holds at most ``window`` finished results; with a cluster (:mod:`synthbank.cluster`) one.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Literal, TypeVar

from synthbank.errors import UsageError

if TYPE_CHECKING:  # loaded by run_ordered when it starts a pool: the command line imports this module for pin_blas_threads
    from concurrent.futures import Executor, Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

#: BLAS threads inside workers: one, so N workers use N cores and results do not depend
#: on a thread count.
_SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def pin_blas_threads() -> None:
    """Ask BLAS libraries for one thread (effective before numpy is imported)."""
    for key, value in _SINGLE_THREAD_ENV.items():
        os.environ.setdefault(key, value)


#: prctl(2) option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Worker initializer: be killed with the parent, and leave Ctrl-C to the parent.

    A ``kill -9`` of the parent runs no cleanup, so without this the workers would live on
    (re-parented to PID 1) and compute for nothing. If the parent died before ``prctl``
    took effect, exit now.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent tears the pool down
    # The parent's SIGTERM handler (unwind as Terminated) was inherited by the fork; in a
    # worker, terminate() must end the process, not be caught as a task's exception.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        pass
    if os.getppid() != parent:
        os._exit(1)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now (on an error, SIGTERM or Ctrl-C in the parent).

    A worker killed while it sends a result leaves half a message in the result pipe, and
    the pool's manager thread would wait for the rest for ever (and with it the interpreter's
    exit, which joins that thread). Once every worker is gone, closing our own copy of the
    pipe's write end turns that wait into end-of-file, which the pool handles as broken.
    """
    import multiprocessing.connection

    processes = list(getattr(pool, "_processes", {}).values())
    result_queue = getattr(pool, "_result_queue", None)
    for process in processes:
        process.terminate()
    alive = {p.sentinel for p in processes}
    deadline = time.monotonic() + 10
    while alive and time.monotonic() < deadline:  # wait() returns when any one has exited
        alive -= set(multiprocessing.connection.wait(list(alive), timeout=max(0.0, deadline - time.monotonic())))
    pool.shutdown(wait=False, cancel_futures=True)
    writer = getattr(result_queue, "_writer", None)
    if writer is not None:
        writer.close()


def check_workers(workers: int) -> None:
    """Validate the worker count before any work starts."""
    if workers < 1:
        raise UsageError(f"--workers={workers} is invalid: allowed an integer >= 1")


def runs_here(workers: int = 1, scheduler: str | None = None, **_: object) -> bool:
    """Whether :func:`run_ordered` with these settings runs the tasks in this process, one
    after another (so a caller may let each write straight into its result)."""
    return scheduler is None and workers == 1


def run_ordered(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    workers: int = 1,
    window: int | None = None,
    scheduler: str | None = None,
    backend: Literal["processes", "threads"] = "processes",
) -> Iterator[R]:
    """Yield ``fn(task)`` for every task, in task order.

    Parameters
    ----------
    fn : a pure function; module-level (picklable) for the process backend.
    tasks : the shard descriptions.
    workers : 1 runs in this process; N > 1 uses N workers.
    window : maximum tasks in flight (default ``2 * workers``).
    scheduler : address of a Dask scheduler: the tasks run there (``workers`` is then
        unused); ``fn`` and the tasks are pickled with cloudpickle.
    backend : ``"processes"`` (a fork pool) or ``"threads"``, for work that releases the
        GIL (numpy random fills, FFTs) and returns arrays too large to pipe back cheaply.
    """
    if scheduler is not None:
        from synthbank import cluster

        yield from cluster.run_ordered(fn, tasks, address=scheduler, window=window)
        return
    check_workers(workers)
    if runs_here(workers, scheduler):
        for task in tasks:
            yield fn(task)
        return
    if backend not in ("processes", "threads"):
        raise ValueError(f"backend={backend!r} is invalid: allowed 'processes' or 'threads'")
    window = window or 2 * workers
    pool: Executor
    if backend == "threads":  # concurrent.futures.process and multiprocessing stay unloaded (~8 ms)
        from concurrent.futures.thread import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=workers)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork"),
            initializer=_die_with_parent, initargs=(os.getpid(),),
        )
    try:
        pending: deque[Future[R]] = deque()
        for task in tasks:
            pending.append(pool.submit(fn, task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BaseException:  # also GeneratorExit: the consumer stopped (error, SIGTERM, Ctrl-C)
        if backend == "processes":
            _terminate(pool)  # type: ignore[arg-type]
        else:
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
