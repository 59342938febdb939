"""Tests for synthbank.families.atomic.statistics: label balance and pixel moments."""

from __future__ import annotations

import numpy as np
import pytest

from synthbank.families.atomic.statistics import chi2_uniform, label_counts, pixel_stats


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------
def test_label_counts_exact():
    labels = np.array([0, 1, 1, 4, 4, 4, 2], dtype=np.uint8)
    counts = label_counts(labels, 5)
    assert counts.dtype == np.int64
    assert counts.tolist() == [1, 2, 1, 0, 3]
    assert label_counts(np.array([], dtype=np.uint8), 3).tolist() == [0, 0, 0]
    with pytest.raises(ValueError):
        label_counts(np.array([0, 5]), 5)


def test_chi2_uniform_large_p_for_uniform_tiny_for_skewed():
    stat, p = chi2_uniform(np.array([1000, 1000, 1000, 1000, 1000]))
    assert stat == pytest.approx(0.0)
    assert p == pytest.approx(1.0)
    stat, p = chi2_uniform(np.array([1300, 1000, 1000, 1000, 700]))
    assert stat == pytest.approx(180.0)  # (300^2 + 300^2) / 1000
    assert p < 1e-30
    # mildly non-uniform but plausible counts stay well above 0.001
    _, p = chi2_uniform(np.array([1010, 990, 1005, 995, 1000]))
    assert p > 0.5
    assert chi2_uniform(np.zeros(5, dtype=np.int64)) == (0.0, 1.0)


# --------------------------------------------------------------------------
# Pixels
# --------------------------------------------------------------------------
@pytest.mark.parametrize("chunk", [1, 7, 65536])
def test_pixel_stats_matches_numpy(chunk):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(53, 16, 16), dtype=np.uint8)
    mean, std = pixel_stats(x, chunk=chunk)
    ref = x.astype(np.float64)
    assert mean == pytest.approx(ref.mean(), rel=1e-12)
    assert std == pytest.approx(ref.std(), rel=1e-12)


def test_pixel_stats_float_and_extreme_values():
    rng = np.random.default_rng(2)
    xf = rng.normal(1e3, 2.0, size=(40, 16, 16)).astype(np.float32)
    mean, std = pixel_stats(xf, chunk=3)
    ref = xf.astype(np.float64)
    assert mean == pytest.approx(ref.mean(), rel=1e-12)
    assert std == pytest.approx(ref.std(), rel=1e-9)
    # all-255 images: exact integer arithmetic gives exactly 255 and 0
    assert pixel_stats(np.full((9, 16, 16), 255, np.uint8), chunk=2) == (255.0, 0.0)


def test_chi2_uniform_is_scipy_stats_chisquare_bit_for_bit():
    from scipy import stats

    rng = np.random.default_rng(7)
    for _ in range(2000):
        counts = rng.integers(0, int(rng.choice([5, 1000, 10**7])), int(rng.integers(2, 12)))
        if counts.sum():
            ref = stats.chisquare(counts.astype(np.float64))
            assert chi2_uniform(counts) == (float(ref.statistic), float(ref.pvalue)), counts
