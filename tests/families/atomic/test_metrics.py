"""Tests for synthbank.families.atomic.metrics: thresholds and the metrics bundle."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from families.atomic.helpers import toy_lattices

from synthbank.families.atomic import metrics as M


# --------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------
THRESHOLDS = {
    "label_chi2_p_min": 0.001,
    "duplicate_rate_max": 0.001,
    "pixel_mean_range": [40.0, 140.0],
    "pixel_std_min": 10.0,
    "baseline_accuracy_min": 0.5,
}


def _metrics(p=0.4, dup=0.0, mean=90.0, std=30.0, acc=0.8):
    return {
        "labels": {"chi2": 1.0, "chi2_p": p},
        "duplicate_rate": dup,
        "pixels": {"mean": mean, "std": std},
        "baseline": {"accuracy": acc, "chance": 0.2, "n_train": 10, "n_test": 10},
    }


def test_violations_none_when_all_pass():
    assert M.violations(_metrics(), THRESHOLDS) == []
    # boundaries are allowed
    assert M.violations(_metrics(p=0.001, dup=0.001, mean=140.0, std=10.0, acc=0.5), THRESHOLDS) == []


def test_violations_exactly_the_violated_ones_in_the_engine_format():
    assert M.violations(_metrics(p=0.0002, mean=141.5, acc=0.31), THRESHOLDS) == [
        "labels.chi2_p = 0.0002: allowed >= 0.001 (thresholds.label_chi2_p_min); uniform labels",
        "pixels.mean = 141.5: allowed from 40 to 140 (thresholds.pixel_mean_range)",
        "baseline.accuracy = 0.31: allowed >= 0.5 (thresholds.baseline_accuracy_min); chance is 0.2",
    ]
    assert M.violations(_metrics(dup=0.0125, mean=12.0, std=3.25), THRESHOLDS) == [
        "duplicate_rate = 0.0125: allowed <= 0.001 (thresholds.duplicate_rate_max)",
        "pixels.mean = 12: allowed from 40 to 140 (thresholds.pixel_mean_range)",
        "pixels.std = 3.25: allowed >= 10 (thresholds.pixel_std_min)",
    ]


def test_violations_missing_metric_and_partial_thresholds():
    m = _metrics(acc=0.1)
    del m["baseline"]
    assert M.violations(m, THRESHOLDS) == [
        "baseline.accuracy is missing: allowed >= 0.5 (thresholds.baseline_accuracy_min); chance is 0.2"]
    # only the thresholds given are checked
    assert M.violations(_metrics(acc=0.1), {"pixel_std_min": 10.0}) == []
    assert len(M.violations(_metrics(p=math.nan), THRESHOLDS)) == 1


# --------------------------------------------------------------------------
# compute_metrics
# --------------------------------------------------------------------------
def test_compute_metrics_end_to_end():
    x, y = toy_lattices(1500, seed=15)
    x[1400] = x[3]  # test image repeating a train image: a duplicate
    splits = {"train": (x[:1200], y[:1200]), "val": (x[1200:1350], y[1200:1350]), "test": (x[1350:], y[1350:])}
    m = M.compute_metrics(splits, n_classes=3, class_names=["square", "hexagonal", "stripes"])
    json.dumps(m)  # JSON-ready
    assert m["counts"] == {"train": 1200, "val": 150, "test": 150, "total": 1500}
    assert m["labels"]["per_class"] == {"square": 500, "hexagonal": 500, "stripes": 500}
    assert m["labels"]["chi2"] == 0.0 and m["labels"]["chi2_p"] == 1.0
    ref = x.astype(np.float64)
    assert m["pixels"]["mean"] == pytest.approx(ref.mean(), abs=1e-6)
    assert m["pixels"]["std"] == pytest.approx(ref.std(), abs=1e-6)
    assert m["duplicate_rate"] == pytest.approx(round(1 / 1500, 6), abs=0)
    assert m["baseline"]["n_train"] == 1200 and m["baseline"]["n_test"] == 150
    assert m["baseline"]["accuracy"] > 0.85
    for v in (m["pixels"]["mean"], m["pixels"]["std"], m["baseline"]["accuracy"]):
        assert v == round(v, 6)
    assert M.violations(m, {"duplicate_rate_max": 0.001, "baseline_accuracy_min": 0.5}) == []


def test_compute_metrics_default_class_names():
    rng = np.random.default_rng(16)
    x = rng.integers(0, 256, (50, 16, 16), dtype=np.uint8)
    y = (np.arange(50) % 5).astype(np.uint8)
    m = M.compute_metrics({"train": (x, y)}, n_classes=5)
    assert list(m["labels"]["per_class"]) == list(M.CLASS_NAMES)
    assert "baseline" not in m  # no test split to evaluate on
