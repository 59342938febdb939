"""Run independent shards in-process, on local threads or processes; results come back in order.

Output bytes never depend on the backend: a shard's result is a pure function of its
task, and the caller consumes results in task order. At most ``window`` tasks are in
flight, so memory stays bounded however many shards there are.

A Dask backend (``--scheduler tcp://host:8786``) plugs in behind :func:`run_ordered`;
it is not implemented yet and is refused with a clear message.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Literal, TypeVar

from synthbank.errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

#: BLAS threads inside workers: one, so N workers use N cores and results do not depend
#: on a thread count.
_SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def pin_blas_threads() -> None:
    """Ask BLAS libraries for one thread (effective before numpy is imported)."""
    for key, value in _SINGLE_THREAD_ENV.items():
        os.environ.setdefault(key, value)


def check_workers(workers: int, scheduler: str | None = None) -> None:
    """Validate backend options before any work starts."""
    if workers < 1:
        raise UsageError(f"--workers={workers} is invalid: allowed an integer >= 1")
    if scheduler is not None:
        raise UsageError(
            f"--scheduler={scheduler} is not available yet: allowed none (run with --workers N on this machine)"
        )


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
    scheduler : address of a Dask scheduler (reserved; refused for now).
    backend : ``"processes"`` (a fork pool) or ``"threads"``, for work that releases the
        GIL (numpy random fills, FFTs) and returns arrays too large to pipe back cheaply.
    """
    check_workers(workers, scheduler)
    if workers == 1:
        for task in tasks:
            yield fn(task)
        return
    if backend not in ("processes", "threads"):
        raise ValueError(f"backend={backend!r} is invalid: allowed 'processes' or 'threads'")
    window = window or 2 * workers
    pool: Executor
    if backend == "threads":
        pool = ThreadPoolExecutor(max_workers=workers)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    with pool:
        pending: deque[Future[R]] = deque()
        for task in tasks:
            pending.append(pool.submit(fn, task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
