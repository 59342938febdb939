"""Tests of :mod:`synthbank.numerics.discrete`: exact, vectorised, portable Poisson draws.

What the tests show
-------------------
Law
    For lam on both sides of every switch (the table's 2**-54 floor, its faint rows,
    PTRS's 16) and a mixed pattern-like array, the sample mean and variance are within 5
    standard errors of lam (the variance's from Poisson's fourth moment), and a chi-square
    goodness of fit against scipy.stats.poisson's pmf (bins pooled until each expects 20)
    has p > 1e-4 with a fixed seed.
Tables
    Every table entry the table decides is the exact inversion at both corners of its
    cell (so for the whole cell); the faint rows' closed form equals the general rule.
Determinism
    The same generator state gives the same bytes; float32 and float64 inputs holding the
    same values give the same counts; a block's counts do not depend on the batch.
Bad input
    Negative, NaN, infinite and too-large lam are refused with one line naming the value.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from synthbank.numerics import discrete as ps
from synthbank.numerics.explog import log

#: Draws per lam for the moment and chi-square checks.
N = 200_000
Z_ALLOWED = 5.0
P_MIN = 1e-4

LAMS = [0.0, 1e-4, 0.05, 0.5, 3.0, 9.9, 10.0, 10.1, 15.99, 16.0, 40.0, 1e3, 1e5]


def check_moments(k: np.ndarray, lam: np.ndarray) -> None:
    """Mean and variance of k - lam within Z_ALLOWED standard errors of Poisson's."""
    d = k.astype(np.float64) - lam
    n = d.size
    var = float(lam.mean())  # E[(k - lam)^2]
    assert abs(d.mean()) <= Z_ALLOWED * math.sqrt(var / n) + 1e-12, (d.mean(), var)
    # Var[(k - lam)^2] = mu4 - var^2 with Poisson's central mu4 = lam (1 + 3 lam).
    mu4 = float((lam * (1.0 + 3.0 * lam)).mean())
    se = math.sqrt(max(mu4 - var * var, 0.0) / n)
    assert abs((d * d).mean() - var) <= Z_ALLOWED * se + 1e-12, ((d * d).mean(), var, se)


def chi_square_p(k: np.ndarray, lam: float) -> float:
    """p-value of the chi-square fit of ``k`` to Poisson(lam), bins pooled to expect >= 20."""
    lo, hi = int(k.min()), int(k.max())
    support = np.arange(lo, hi + 1)
    expected = scipy.stats.poisson.pmf(support, lam) * k.size
    expected[0] += scipy.stats.poisson.cdf(lo - 1, lam) * k.size
    expected[-1] += scipy.stats.poisson.sf(hi, lam) * k.size
    observed = np.bincount(k - lo, minlength=support.size).astype(np.float64)
    bins_o, bins_e, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(observed, expected, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 20:
            bins_o.append(acc_o)
            bins_e.append(acc_e)
            acc_o = acc_e = 0.0
    if bins_e:
        bins_o[-1] += acc_o
        bins_e[-1] += acc_e
    if len(bins_e) < 2:
        return 1.0
    stat = sum((o - e) ** 2 / e for o, e in zip(bins_o, bins_e, strict=True))
    return float(scipy.stats.chi2.sf(stat, len(bins_e) - 1))


@pytest.mark.parametrize("lam", LAMS)
def test_draws_follow_the_poisson_law(lam):
    k = ps.poisson(np.random.default_rng(17), np.full(N, lam, dtype=np.float32 if lam < 1e3 else np.float64))
    assert k.dtype == np.uint32 and k.shape == (N,)
    check_moments(k, np.full(N, float(np.float32(lam)) if lam < 1e3 else lam))
    if lam == 0:
        assert not k.any()
    else:
        assert chi_square_p(k.astype(np.int64), float(np.float32(lam)) if lam < 1e3 else lam) > P_MIN


def test_a_mixed_pattern_like_array_follows_the_law():
    # Log-uniform intensities over 1e-6 .. 1e4 with exact zeros, like a far-field pattern.
    rng = np.random.default_rng(3)
    lam = np.exp(rng.uniform(np.log(1e-6), np.log(1e4), (64, 64, 64))).astype(np.float32)
    lam[:, :4] = 0
    k = ps.poisson(np.random.default_rng(4), lam)
    assert k.shape == lam.shape and not k[:, :4].any()
    check_moments(k.reshape(-1), lam.reshape(-1).astype(np.float64))
    # Totals per pattern: sums of independent Poissons are Poisson(sum lam).
    totals = k.reshape(64, -1).sum(axis=1).astype(np.float64)
    expect = lam.reshape(64, -1).astype(np.float64).sum(axis=1)
    z = (totals - expect) / np.sqrt(expect)
    assert abs(z.mean()) < Z_ALLOWED / 8 and abs(z.var() - 1) < Z_ALLOWED * math.sqrt(2 / 63)


def test_table_entries_are_the_inversion_at_both_corners():
    decided, lower, lam_lo, cdf, pmf = ps._tables()
    table = decided.reshape(-1, ps.BINS)
    rows = np.arange(ps._FIRST, ps._LAST)
    edges = np.arange(ps.BINS) / ps.BINS
    for lo_lam, hi_lam, row in zip(ps._row_lo(rows), ps._row_lo(rows + 1), rows, strict=True):
        if row % 97:
            continue  # every 97th row: the check is exact float arithmetic per row
        k = table[row]
        sure = k != ps.OPEN
        for lam in (lo_lam, hi_lam):
            f = scipy.stats.poisson.cdf(np.arange(ps.K_COLUMNS), lam)
            # The inversion of the bin's bottom and (just below) its top at this lam.
            bottom = np.searchsorted(f, edges, side="right")
            top = np.searchsorted(f, edges + 1.0 / ps.BINS - 1e-9, side="right")
            assert (bottom[sure] == k[sure]).all() and (top[sure] == k[sure]).all(), row
            assert (lower[row - ps._FIRST] <= bottom).all()
    # Rows below 2**-54 always give 0; PTRS's rows are all open.
    assert not table[: ps._FIRST].any() and (table[ps._LAST : ps._row_of(ps.LAM_MAX) + 1] == ps.OPEN).all()


def test_faint_rows_closed_form_is_the_general_rule():
    decided, lower, *_ = ps._tables()
    table = decided.reshape(-1, ps.BINS)
    rows = np.arange(ps._FIRST, ps._FAINT, 50)
    cdf_lo, _ = ps._cdf_pmf(ps._row_lo(rows))
    cdf_hi, _ = ps._cdf_pmf(ps._row_lo(rows + 1))
    k_lo = ps._bin_counts(np.ceil((cdf_lo + ps.MARGIN) * ps.BINS).astype(np.int32))
    k_hi = ps._bin_counts(np.floor((cdf_hi - ps.MARGIN) * ps.BINS).astype(np.int32))
    general = np.where((k_lo == k_hi) & (k_lo < ps.OPEN), k_lo, ps.OPEN)
    assert (table[rows] == general).all() and (lower[rows - ps._FIRST] == k_lo).all()


def test_log_factorial_matches_lgamma():
    k = np.array([0, 1, 2, 10, 100, 255, 256, 257, 1000, 123456, 10**8], dtype=np.float64)
    want = np.array([math.lgamma(x + 1) for x in k])
    assert np.allclose(ps.log_factorial(k), want, rtol=1e-14, atol=1e-13)


def test_log_factorial_lookup_has_the_bits_of_stirlings_series():
    # The lookup table (k < 2**15) replaces the series PTRS's exact test evaluated per draw:
    # its values must be the series' own bits, or the accept decisions (and counts) change.
    # The series written out here, operation by operation (IEEE +, -, *, / and the
    # portable log give the same bits in any arrangement of the array).
    k = np.arange(250, ps._LOG_FACT_LOOKUP + 300, dtype=np.float64)
    got = ps.log_factorial(k)
    x = k[k >= 256]
    r = 1.0 / x
    series = ((1.0 / 1260.0) * (r * r) - 1.0 / 360.0) * (r * r) + 1.0 / 12.0
    want = (x + 0.5) * log(x) - x + 0.91893853320467274178 + series * r
    np.testing.assert_array_equal(got[k >= 256].view(np.uint64), want.view(np.uint64))
    want_small = np.cumsum(log(np.arange(1, 256, dtype=np.float64)))[249:]  # log(k!) = sum of log(1..k), k = 250..255
    np.testing.assert_array_equal(got[k < 256], want_small)


def test_same_state_same_bytes_and_float32_equals_float64():
    lam = np.exp(np.random.default_rng(5).uniform(-12, 8, 50_000)).astype(np.float32)
    a = ps.poisson(np.random.default_rng(6), lam)
    b = ps.poisson(np.random.default_rng(6), lam)
    c = ps.poisson(np.random.default_rng(6), lam.astype(np.float64))
    assert a.tobytes() == b.tobytes() == c.tobytes()
    out = np.empty(lam.shape, dtype=np.uint32)
    assert ps.poisson(np.random.default_rng(6), lam, out=out) is out and out.tobytes() == a.tobytes()
    strided = np.empty((lam.size, 2), dtype=np.uint32)[:, 0]  # not contiguous: filled through a copy
    ps.poisson(np.random.default_rng(6), lam, out=strided)
    assert strided.tobytes() == a.tobytes()


@pytest.mark.parametrize(("value", "shown"), [(-1.0, "-1"), (np.nan, "NaN"), (np.inf, "inf"), (2e9, "2e+09")])
def test_bad_lam_is_refused_with_one_line(value, shown):
    lam = np.array([1.0, value, 3.0])
    with pytest.raises(ValueError, match=r"^lam holds .*: allowed finite expected counts 0 <= lam <= 1e\+09$") as err:
        ps.poisson(np.random.default_rng(0), lam)
    assert shown in str(err.value) and "\n" not in str(err.value)


def test_empty_input():
    assert ps.poisson(np.random.default_rng(0), np.zeros((0, 3))).shape == (0, 3)


class _TopOfUnitInterval:
    """A generator whose every uniform is the largest ``_invert`` can see (``u = 1 - 2**-53``)."""

    def random(self, n: int) -> np.ndarray:
        return np.full(n, 1.0 - 2.0**-45)


def test_inversion_ends_where_the_summed_cdf_levels_off_below_u():
    # F(k; lam) summed in float64 can stop short of 1 by a few ulp while u = 1 - 2**-53: the
    # step-up must stop where F stops growing (this call never returned before).
    _, lower, lam_lo, cdf, pmf = ps._tables()
    lam = np.array([2.3395, 0.731, 7.77, 15.5], dtype=np.float32)
    row = ps._rows(lam, np.empty(lam.size, dtype=np.int32)) - ps._FIRST
    k = ps._invert(_TopOfUnitInterval(), lam.astype(np.float64), row, np.full(lam.size, ps.BINS - 1), lower, lam_lo, cdf, pmf)
    # the far tail: beyond every value a real draw reaches, below where F's rounding stops
    assert np.all(scipy.stats.poisson.sf(k - 1, lam.astype(np.float64)) < 1e-12), k
    assert np.all(k < 60), k
