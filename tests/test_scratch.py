"""Per-thread scratch arrays: reused per name, grown on demand, never shared across names or threads."""

from __future__ import annotations

import threading

import numpy as np

from synthbank import scratch


def _in_a_new_thread(body):
    """Run ``body`` on a thread of its own: its scratch starts empty, whatever earlier tests kept
    on pytest's thread (near the per-thread limit, buffer would hand out fresh arrays)."""
    failure = []

    def run():
        try:
            body()
        except BaseException as exc:  # re-raised on the test's thread
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def test_a_name_reuses_its_storage_and_grows_only_when_asked_for_more():
    _in_a_new_thread(_reuses_and_grows)


def _reuses_and_grows():
    a = scratch.buffer("test.a", (4, 8))
    assert a.shape == (4, 8) and a.dtype == np.float64 and a.flags.c_contiguous
    a[...] = 7.0
    b = scratch.buffer("test.a", (2, 3))  # smaller: a view of the same storage
    assert np.shares_memory(a, b) and b.shape == (2, 3)
    c = scratch.buffer("test.a", (100,))  # larger: new storage
    assert c.shape == (100,) and not np.shares_memory(a, c)
    assert np.shares_memory(c, scratch.buffer("test.a", (10, 10)))


def test_names_dtypes_and_threads_never_share_memory():
    a = scratch.buffer("test.b", (64,))
    assert not np.shares_memory(a, scratch.buffer("test.c", (64,)))
    ints = scratch.buffer("test.b", (64,), np.int64)
    assert ints.dtype == np.int64 and not np.shares_memory(a, ints)
    other = []
    worker = threading.Thread(target=lambda: other.append(scratch.buffer("test.b", (64,))))
    worker.start()
    worker.join()
    assert not np.shares_memory(a, other[0])


def test_arrays_above_the_kept_size_are_fresh_each_time():
    n = scratch.MAX_KEPT_BYTES // 8 + 1
    first, second = scratch.buffer("test.big", (n,)), scratch.buffer("test.big", (n,))
    assert first.shape == (n,) and not np.shares_memory(first, second)


def test_a_thread_keeps_at_most_the_kept_size_in_all():
    # Per thread, not per name: many names of large arrays would otherwise each keep theirs.
    def run() -> None:
        n = int(scratch.MAX_KEPT_BYTES * 0.6) // 8
        a1, a2 = scratch.buffer("test.total.a", (n,)), scratch.buffer("test.total.a", (n,))
        b1, b2 = scratch.buffer("test.total.b", (n,)), scratch.buffer("test.total.b", (n,))
        small1, small2 = scratch.buffer("test.total.c", (1000,)), scratch.buffer("test.total.c", (1000,))
        # a kept; b would pass the total, so fresh; small still fits
        assert [np.shares_memory(a1, a2), np.shares_memory(b1, b2), np.shares_memory(small1, small2)] == [True, False, True]

    _in_a_new_thread(run)
