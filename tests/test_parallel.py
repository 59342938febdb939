import os

import pytest

from synthbank import parallel
from synthbank.errors import UsageError


def _square_with_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_in_process_and_pool_give_the_same_ordered_results():
    tasks = list(range(25))
    serial = [r for r, _ in parallel.run_ordered(_square_with_pid, tasks, workers=1)]
    pooled = list(parallel.run_ordered(_square_with_pid, tasks, workers=2, window=3))
    assert serial == [r for r, _ in pooled] == [t * t for t in tasks]
    assert any(pid != os.getpid() for _, pid in pooled)  # really ran in workers


@pytest.mark.parametrize("workers, scheduler, fragment", [(0, None, "--workers=0"), (1, "nonsense://h:8786", "--scheduler=nonsense://h:8786 is invalid")])
def test_bad_backend_options(workers, scheduler, fragment):
    with pytest.raises(UsageError, match=fragment):
        list(parallel.run_ordered(_square_with_pid, [1], workers=workers, scheduler=scheduler))


def test_thread_backend_keeps_order_and_bounds_the_window():
    import threading
    import time

    in_flight, peak, lock = 0, 0, threading.Lock()

    def slow_square(x: int) -> tuple[int, str]:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.002 * (5 - x % 5))  # later tasks often finish first
        with lock:
            in_flight -= 1
        return x * x, threading.current_thread().name

    tasks = list(range(20))
    results = list(parallel.run_ordered(slow_square, tasks, workers=2, window=3, backend="threads"))
    assert [r for r, _ in results] == [t * t for t in tasks]
    assert {name for _, name in results} != {threading.current_thread().name}  # really ran on workers
    assert peak <= 2  # at most `workers` compute at once


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend='dask'"):
        list(parallel.run_ordered(_square_with_pid, [1, 2], workers=2, backend="dask"))
