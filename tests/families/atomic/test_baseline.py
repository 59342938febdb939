"""Tests for synthbank.families.atomic.baseline: the ridge classifier and the baseline accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from families.atomic.helpers import toy_lattices

from synthbank.families.atomic.baseline import baseline_accuracy, fit_linear_classifier, predict


def test_linear_classifier_separates_gaussian_blobs():
    rng = np.random.default_rng(9)
    centres = np.array([[0, 0, 0], [3, 0, 0], [0, 3, 0]], dtype=float)
    y = np.arange(600) % 3
    x = centres[y] + rng.normal(0, 0.5, (600, 3))
    for quadratic in (False, True):
        model = fit_linear_classifier(x[:450], y[:450], 3, quadratic=quadratic)
        assert np.mean(predict(model, x[450:]) == y[450:]) > 0.95


def test_baseline_accuracy_learnable_vs_shuffled():
    tr_x, tr_y = toy_lattices(3000, seed=10)
    te_x, te_y = toy_lattices(900, seed=11)
    res = baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3)
    assert res["n_train"] == 3000 and res["n_test"] == 900
    assert res["chance"] == pytest.approx(1 / 3)
    assert res["accuracy"] > 0.9  # chance is 1/3
    # deterministic
    assert baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3) == res

    # shuffled training labels: nothing to learn, accuracy near chance
    perm = np.random.default_rng(12).permutation(tr_y.size)
    res_s = baseline_accuracy(tr_x, tr_y[perm], te_x, te_y, n_classes=3)
    assert abs(res_s["accuracy"] - 1 / 3) < 0.08

    # deterministic stride subsample
    res_sub = baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3, max_train=1000)
    assert res_sub["n_train"] == 1000
    assert res_sub["accuracy"] > 0.8


def test_baseline_chance_is_majority_frequency():
    tr_x, tr_y = toy_lattices(300, seed=13)
    te_x, _ = toy_lattices(10, seed=14)
    te_y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2], dtype=np.uint8)
    res = baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3)
    assert res["chance"] == pytest.approx(0.6)
