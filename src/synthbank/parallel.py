"""Run independent shards in-process or on a local process pool; results come back in order.

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
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

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
) -> Iterator[R]:
    """Yield ``fn(task)`` for every task, in task order.

    Parameters
    ----------
    fn : a picklable, module-level pure function.
    tasks : the shard descriptions.
    workers : 1 runs in this process; N > 1 uses N worker processes.
    window : maximum tasks in flight (default ``2 * workers``).
    scheduler : address of a Dask scheduler (reserved; refused for now).
    """
    check_workers(workers, scheduler)
    if workers == 1:
        for task in tasks:
            yield fn(task)
        return
    window = window or 2 * workers
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: deque[Future[R]] = deque()
        for task in tasks:
            pending.append(pool.submit(fn, task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
