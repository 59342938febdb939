"""Tests of :mod:`synthbank.numerics.normal`: portable normal draws.

What the tests show
-------------------
Normal draws
    :func:`~synthbank.numerics.standard_normal` has the right shape and dtype, moments and
    tail frequency (checked within 5 standard errors of the exact normal law); its
    replaced tail draws follow the conditional tail law (Kolmogorov-Smirnov test at the 1%
    level on :func:`~synthbank.numerics.normal_tail`); every non-tail value is numpy's
    own draw, bit for bit; a seed gives the same bytes twice.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthbank.numerics import normal as nm

#: Draws for the moment and tail-frequency checks of standard_normal.
N_NORMAL = 2_000_000
#: Draws of normal_tail for the Kolmogorov-Smirnov test.
N_TAIL = 200_000
#: Standard errors allowed for the statistical checks.
Z_ALLOWED = 5.0
#: Kolmogorov's asymptotic 1% critical value: P(sqrt(n) D > 1.628) = 0.01.
KS_1PCT = 1.628


# --- standard_normal and normal_tail ----------------------------------------------------------


def tail_probability(r: float) -> float:
    """``P(|Z| >= r)`` for a standard normal ``Z``: ``2 (1 - Phi(r)) = erfc(r / sqrt 2)``."""
    return math.erfc(r / math.sqrt(2.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_standard_normal_shape_and_dtype(dtype):
    rng = np.random.default_rng(1)
    for size, shape in ((7, (7,)), ((3, 4), (3, 4)), ((2, 0, 3), (2, 0, 3)), ((), ())):
        z = nm.standard_normal(rng, size, dtype=dtype)
        assert z.shape == shape and z.dtype == dtype


@pytest.mark.parametrize(("dtype", "r"), [(np.float64, nm.ZIGGURAT_R), (np.float32, nm.ZIGGURAT_R_F32)])
def test_standard_normal_moments_and_tail_frequency(dtype, r):
    z = nm.standard_normal(np.random.default_rng(2), N_NORMAL, dtype=dtype).astype(np.float64)
    n = z.size
    assert abs(z.mean()) < Z_ALLOWED / math.sqrt(n)
    assert abs(z.std() - 1.0) < Z_ALLOWED / math.sqrt(2.0 * n)
    p = tail_probability(r)
    frac = np.count_nonzero(np.abs(z) >= r) / n
    assert abs(frac - p) < Z_ALLOWED * math.sqrt(p * (1.0 - p) / n), (frac, p)


def test_normal_tail_follows_conditional_tail_law():
    r = nm.ZIGGURAT_R
    t = np.sort(nm.normal_tail(np.random.default_rng(3), N_TAIL))
    n = t.size
    # F(x) = P(|Z| <= x | |Z| >= r) = 1 - erfc(x / sqrt 2) / erfc(r / sqrt 2)
    erfc = np.frompyfunc(math.erfc, 1, 1)
    cdf = 1.0 - erfc(t / math.sqrt(2.0)).astype(np.float64) / math.erfc(r / math.sqrt(2.0))
    i = np.arange(1, n + 1)
    d = max(np.max(i / n - cdf), np.max(cdf - (i - 1) / n))
    assert d < KS_1PCT / math.sqrt(n), f"KS statistic {d:.5f} >= {KS_1PCT / math.sqrt(n):.5f}"


@pytest.mark.parametrize(("dtype", "r"), [(np.float64, nm.ZIGGURAT_R), (np.float32, nm.ZIGGURAT_R_F32)])
def test_standard_normal_only_replaces_the_tail(dtype, r):
    size = (400, 500)
    ours = nm.standard_normal(np.random.default_rng(4), size, dtype=dtype)
    rng = np.random.default_rng(4)
    theirs = rng.standard_normal(size, dtype=dtype)
    tail = np.abs(theirs) >= r
    assert 10 < np.count_nonzero(tail) < 200  # about 1 in 3,700 of 200,000
    # outside the tail: numpy's draws, bit for bit
    assert ours[~tail].tobytes() == theirs[~tail].tobytes()
    # in the tail: same places and signs, values from normal_tail on the same stream
    assert np.all(np.abs(ours[tail]) >= r)
    assert np.array_equal(np.signbit(ours[tail]), np.signbit(theirs[tail]))
    expected = np.copysign(nm.normal_tail(rng, np.count_nonzero(tail), r), theirs[tail]).astype(dtype)
    assert ours[tail].tobytes() == expected.tobytes()
    assert not np.array_equal(ours[tail], theirs[tail])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_standard_normal_same_seed_same_bytes(dtype):
    a = nm.standard_normal(np.random.default_rng(5), 100_000, dtype=dtype)
    b = nm.standard_normal(np.random.default_rng(5), 100_000, dtype=dtype)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != nm.standard_normal(np.random.default_rng(6), 100_000, dtype=dtype).tobytes()


def test_normal_tail_values_at_least_r_and_empty():
    rng = np.random.default_rng(7)
    t = nm.normal_tail(rng, 50_000)
    assert t.shape == (50_000,) and t.dtype == np.float64 and np.all(t >= nm.ZIGGURAT_R)
    assert np.all(nm.normal_tail(rng, 1_000, r=2.0) >= 2.0)
    empty = nm.normal_tail(rng, 0)
    assert empty.shape == (0,) and empty.dtype == np.float64


# --- standard_normal_rows: one Generator per row, the tails batched ----------------------------


@pytest.mark.parametrize("dtype, width", [(np.float32, 19_202), (np.float64, 4_000)])
def test_standard_normal_rows_is_each_rows_standard_normal_bit_for_bit(dtype, width):
    # 96 rows of 19,202 float32 draws hold about 500 tail draws (1 in 3,700), each row's
    # batched with the others'; every row must equal the same Generator's standard_normal.
    def streams():
        return [np.random.Generator(np.random.PCG64(np.random.SeedSequence(7, spawn_key=(c,)))) for c in range(96)]

    rows = nm.standard_normal_rows(streams(), width, dtype)
    expected = np.stack([nm.standard_normal(rng, width, dtype) for rng in streams()])
    assert rows.dtype == dtype and rows.shape == (96, width)
    r = nm.ZIGGURAT_R_F32 if dtype == np.float32 else nm.ZIGGURAT_R
    assert np.count_nonzero(np.abs(rows) >= r) > 20  # the batched tail path ran
    assert rows.tobytes() == expected.tobytes()
    # and each Generator is left where standard_normal leaves it (the next draw agrees)
    after, reference = streams(), streams()
    nm.standard_normal_rows(after, width, dtype)
    for rng in reference:
        nm.standard_normal(rng, width, dtype)
    assert [g.random() for g in after] == [g.random() for g in reference]


def test_standard_normal_rows_fills_out_and_refuses_a_wrong_one():
    rngs = [np.random.default_rng(c) for c in range(3)]
    out = np.empty((3, 10), dtype=np.float32)
    assert nm.standard_normal_rows(rngs, 10, np.float32, out=out) is out
    with pytest.raises(ValueError, match=r"out of shape \(3, 9\) is invalid: allowed a C-contiguous float32 array of shape \(3, 10\)"):
        nm.standard_normal_rows(rngs, 10, np.float32, out=np.empty((3, 9), dtype=np.float32))
