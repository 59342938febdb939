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


@pytest.mark.parametrize("workers, scheduler, fragment", [(0, None, "--workers=0"), (1, "tcp://h:8786", "--scheduler")])
def test_bad_backend_options(workers, scheduler, fragment):
    with pytest.raises(UsageError, match=fragment):
        list(parallel.run_ordered(_square_with_pid, [1], workers=workers, scheduler=scheduler))
