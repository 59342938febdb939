"""Tests for synthbank.families.atomic.metrics and .report (numpy-only inputs)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from synthbank.families.atomic import metrics as M
from synthbank.families.atomic import report as R


# --------------------------------------------------------------------------
# A tiny vectorised toy lattice renderer (independent of the real generator)
# --------------------------------------------------------------------------
def toy_lattices(n: int, seed: int, size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Images of three classes: 0 square, 1 hexagonal, 2 stripes.

    Each image is a sum of plane waves (the Fourier picture of a lattice)
    with random orientation, period 3.5-6 px, random phase (translation),
    random contrast/background and Gaussian noise.  Vectorised over n.
    """
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 3).astype(np.uint8)
    rng.shuffle(labels)
    period = rng.uniform(3.5, 6.0, n)
    theta = rng.uniform(0, 2 * np.pi, n)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    # wave directions relative to theta: square 0,90; hex 0,60,120; stripes 0
    angles = np.where(
        labels[:, None] == 0,
        np.array([0.0, 90.0, 0.0]),
        np.where(labels[:, None] == 1, np.array([0.0, 60.0, 120.0]), np.array([0.0, 0.0, 0.0])),
    )
    active = np.where(
        labels[:, None] == 0,
        np.array([1.0, 1.0, 0.0]),
        np.where(labels[:, None] == 1, np.array([1.0, 1.0, 1.0]), np.array([1.0, 0.0, 0.0])),
    )
    ang = theta[:, None] + np.deg2rad(angles)  # (n, 3)
    k = 2 * np.pi / period[:, None]
    kx, ky = k * np.cos(ang), k * np.sin(ang)
    phase = rng.uniform(0, 2 * np.pi, (n, 3))
    arg = kx[:, :, None, None] * xx + ky[:, :, None, None] * yy + phase[:, :, None, None]
    img = (active[:, :, None, None] * np.cos(arg)).sum(axis=1)
    img = img / active.sum(axis=1)[:, None, None]
    img = img + rng.normal(0.0, 0.15, img.shape)
    contrast = rng.uniform(40, 80, n)[:, None, None]
    background = rng.uniform(90, 130, n)[:, None, None]
    out = np.clip(np.round(background + contrast * img), 0, 255).astype(np.uint8)
    return out, labels


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------
def test_label_counts_exact():
    labels = np.array([0, 1, 1, 4, 4, 4, 2], dtype=np.uint8)
    counts = M.label_counts(labels, 5)
    assert counts.dtype == np.int64
    assert counts.tolist() == [1, 2, 1, 0, 3]
    assert M.label_counts(np.array([], dtype=np.uint8), 3).tolist() == [0, 0, 0]
    with pytest.raises(ValueError):
        M.label_counts(np.array([0, 5]), 5)


def test_chi2_uniform_large_p_for_uniform_tiny_for_skewed():
    stat, p = M.chi2_uniform(np.array([1000, 1000, 1000, 1000, 1000]))
    assert stat == pytest.approx(0.0)
    assert p == pytest.approx(1.0)
    stat, p = M.chi2_uniform(np.array([1300, 1000, 1000, 1000, 700]))
    assert stat == pytest.approx(180.0)  # (300^2 + 300^2) / 1000
    assert p < 1e-30
    # mildly non-uniform but plausible counts stay well above 0.001
    _, p = M.chi2_uniform(np.array([1010, 990, 1005, 995, 1000]))
    assert p > 0.5
    assert M.chi2_uniform(np.zeros(5, dtype=np.int64)) == (0.0, 1.0)


# --------------------------------------------------------------------------
# Pixels
# --------------------------------------------------------------------------
@pytest.mark.parametrize("chunk", [1, 7, 65536])
def test_pixel_stats_matches_numpy(chunk):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(53, 16, 16), dtype=np.uint8)
    mean, std = M.pixel_stats(x, chunk=chunk)
    ref = x.astype(np.float64)
    assert mean == pytest.approx(ref.mean(), rel=1e-12)
    assert std == pytest.approx(ref.std(), rel=1e-12)


def test_pixel_stats_float_and_extreme_values():
    rng = np.random.default_rng(2)
    xf = rng.normal(1e3, 2.0, size=(40, 16, 16)).astype(np.float32)
    mean, std = M.pixel_stats(xf, chunk=3)
    ref = xf.astype(np.float64)
    assert mean == pytest.approx(ref.mean(), rel=1e-12)
    assert std == pytest.approx(ref.std(), rel=1e-9)
    # all-255 images: exact integer arithmetic gives exactly 255 and 0
    assert M.pixel_stats(np.full((9, 16, 16), 255, np.uint8), chunk=2) == (255.0, 0.0)


# --------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------
def test_duplicate_rate_planted_duplicates():
    rng = np.random.default_rng(3)
    n = 2000
    x = rng.integers(0, 256, size=(n, 16, 16), dtype=np.uint8)
    assert M.duplicate_rate(x) == 0.0
    # plant 7 duplicates: adjacent, far apart, and a triple (counts twice)
    x[1] = x[0]
    x[1999] = x[5]  # far apart
    x[1500] = x[10]
    x[1600] = x[10]  # third copy of image 10
    x[800] = x[400]
    x[1998] = x[2]
    x[1200] = x[3]
    # near-duplicates differing in a single byte (or a single bit) do NOT count
    x[50] = x[20]
    x[50, 15, 15] ^= 1
    x[60] = x[21]
    x[60, 0, 0] = (int(x[60, 0, 0]) + 128) % 256
    assert M.duplicate_rate(x) == pytest.approx(7 / n, abs=0)
    assert M.duplicate_rate(x[:1]) == 0.0
    assert M.duplicate_rate(np.zeros((5, 16, 16), np.uint8)) == pytest.approx(4 / 5)


def test_duplicate_rate_confirms_hash_collisions(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 256, size=(100, 16, 16), dtype=np.uint8)
    x[99] = x[0]
    # every image gets the same hash: exact byte comparison must still decide
    monkeypatch.setattr(M, "_row_hashes", lambda images, chunk=65536: np.zeros(len(images), np.uint64))
    assert M.duplicate_rate(x) == pytest.approx(1 / 100, abs=0)


def test_duplicate_rate_odd_byte_sizes():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(30, 5, 3), dtype=np.uint8)  # 15 bytes per image
    x[29] = x[3]
    y = x.copy()
    y[28] = x[4]
    y[28, 4, 2] ^= 0x80  # differs only in the last (padded-word) byte
    assert M.duplicate_rate(y) == pytest.approx(1 / 30, abs=0)


# --------------------------------------------------------------------------
# Invariant features
# --------------------------------------------------------------------------
def test_features_shape_dtype_names_and_constant_images():
    x, _ = toy_lattices(20, seed=6)
    x[3] = 77  # constant image
    f = M.invariant_features(x)
    assert f.dtype == np.float32
    assert f.shape == (20, len(M.feature_names((16, 16))))
    assert np.isfinite(f).all()
    assert np.all(f[3] == 0.0)
    # chunking does not change the result
    np.testing.assert_allclose(M.invariant_features(x, chunk=3), f, rtol=1e-5, atol=1e-6)


def test_features_invariant_to_rot90_and_circular_shift():
    x, labels = toy_lattices(300, seed=7)
    f = M.invariant_features(x)
    for k, shift in [(1, (3, 5)), (2, (0, 11)), (3, (-7, 2))]:
        moved = np.roll(np.rot90(x, k, axes=(1, 2)), shift, axis=(1, 2))
        g = M.invariant_features(np.ascontiguousarray(moved))
        assert np.max(np.abs(f - g)) < 1e-4
    # ... but the features are not trivially constant: class means differ by
    # far more than the invariance error
    z = (f - f.mean(0)) / (f.std(0) + 1e-9)
    centroid = np.stack([z[labels == c].mean(0) for c in range(3)])
    assert np.min([np.abs(centroid[a] - centroid[b]).max() for a, b in [(0, 1), (0, 2), (1, 2)]]) > 0.5


def test_features_nearly_invariant_to_flip_and_transpose():
    x, _ = toy_lattices(100, seed=8)
    f = M.invariant_features(x)
    for moved in (x[:, ::-1, :], np.transpose(x, (0, 2, 1))):
        g = M.invariant_features(np.ascontiguousarray(moved))
        assert np.max(np.abs(f - g)) < 1e-4


# --------------------------------------------------------------------------
# Classifier and baseline
# --------------------------------------------------------------------------
def test_linear_classifier_separates_gaussian_blobs():
    rng = np.random.default_rng(9)
    centres = np.array([[0, 0, 0], [3, 0, 0], [0, 3, 0]], dtype=float)
    y = np.arange(600) % 3
    x = centres[y] + rng.normal(0, 0.5, (600, 3))
    for quadratic in (False, True):
        model = M.fit_linear_classifier(x[:450], y[:450], 3, quadratic=quadratic)
        assert np.mean(M.predict(model, x[450:]) == y[450:]) > 0.95


def test_baseline_accuracy_learnable_vs_shuffled():
    tr_x, tr_y = toy_lattices(3000, seed=10)
    te_x, te_y = toy_lattices(900, seed=11)
    res = M.baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3)
    assert res["n_train"] == 3000 and res["n_test"] == 900
    assert res["chance"] == pytest.approx(1 / 3)
    assert res["accuracy"] > 0.9  # chance is 1/3
    # deterministic
    assert M.baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3) == res

    # shuffled training labels: nothing to learn, accuracy near chance
    perm = np.random.default_rng(12).permutation(tr_y.size)
    res_s = M.baseline_accuracy(tr_x, tr_y[perm], te_x, te_y, n_classes=3)
    assert abs(res_s["accuracy"] - 1 / 3) < 0.08

    # deterministic stride subsample
    res_sub = M.baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3, max_train=1000)
    assert res_sub["n_train"] == 1000
    assert res_sub["accuracy"] > 0.8


def test_baseline_chance_is_majority_frequency():
    tr_x, tr_y = toy_lattices(300, seed=13)
    te_x, _ = toy_lattices(10, seed=14)
    te_y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2], dtype=np.uint8)
    res = M.baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes=3)
    assert res["chance"] == pytest.approx(0.6)


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


def test_threshold_failures_none_when_all_pass():
    assert M.threshold_failures(_metrics(), THRESHOLDS) == []
    # boundaries are allowed
    assert M.threshold_failures(_metrics(p=0.001, dup=0.001, mean=140.0, std=10.0, acc=0.5), THRESHOLDS) == []


def test_threshold_failures_exactly_the_violated_ones():
    lines = M.threshold_failures(_metrics(p=0.0002, mean=141.5, acc=0.31), THRESHOLDS)
    assert len(lines) == 3
    assert "chi2_p" in lines[0] and "0.0002" in lines[0] and "0.001" in lines[0]
    assert "pixels.mean" in lines[1] and "141.5" in lines[1] and "[40, 140]" in lines[1]
    assert "baseline.accuracy" in lines[2] and "0.31" in lines[2] and "0.5" in lines[2]

    lines = M.threshold_failures(_metrics(dup=0.0125, mean=12.0, std=3.25), THRESHOLDS)
    assert len(lines) == 3
    assert "duplicate_rate" in lines[0] and "0.0125" in lines[0]
    assert "pixels.mean" in lines[1] and "12" in lines[1]
    assert "pixels.std" in lines[2] and "3.25" in lines[2] and "10" in lines[2]


def test_threshold_failures_missing_metric_and_partial_thresholds():
    m = _metrics(acc=0.1)
    del m["baseline"]
    lines = M.threshold_failures(m, THRESHOLDS)
    assert len(lines) == 1 and "baseline.accuracy" in lines[0] and "missing" in lines[0]
    # only the thresholds given are checked
    assert M.threshold_failures(_metrics(acc=0.1), {"pixel_std_min": 10.0}) == []
    assert len(M.threshold_failures(_metrics(p=math.nan), THRESHOLDS)) == 1


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
    assert M.threshold_failures(m, {"duplicate_rate_max": 0.001, "baseline_accuracy_min": 0.5}) == []


def test_compute_metrics_default_class_names():
    rng = np.random.default_rng(16)
    x = rng.integers(0, 256, (50, 16, 16), dtype=np.uint8)
    y = (np.arange(50) % 5).astype(np.uint8)
    m = M.compute_metrics({"train": (x, y)}, n_classes=5)
    assert list(m["labels"]["per_class"]) == list(M.CLASS_NAMES)
    assert "baseline" not in m  # no test split to evaluate on


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def test_sample_indices_and_csv_rows():
    idx = R.sample_indices(1000, 100)
    assert idx.tolist() == list(range(0, 1000, 10))
    assert R.sample_indices(7, 100).tolist() == list(range(7))
    idx = R.sample_indices(12345, 100)
    assert idx.size == 100 and idx[0] == 0 and idx[-1] < 12345 and np.all(np.diff(idx) > 0)
    rows = R.histogram_csv_rows(np.array([3, 0, 5]), ["a", "b", "c"])
    assert rows == [{"class": "a", "count": 3}, {"class": "b", "count": 0}, {"class": "c", "count": 5}]


def _bar_heights(img: np.ndarray, y_from: int) -> list[int]:
    """Heights of BAR_COLOR runs (left to right) below row y_from."""
    panel = img[y_from:]
    is_bar = np.all(panel == np.array(R.BAR_COLOR, np.uint8), axis=2)
    col_h = is_bar.sum(axis=0)
    cols = np.flatnonzero(col_h)
    runs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1) if cols.size else []
    return [int(col_h[r].max()) for r in runs]


def test_render_report_size_determinism_and_histogram():
    x, y = toy_lattices(250, seed=17)
    idx = R.sample_indices(250)
    hist = np.array([300, 500, 100, 400, 200])
    a = R.render_report(x[idx], y[idx], hist, M.CLASS_NAMES)
    b = R.render_report(x[idx], y[idx], hist, M.CLASS_NAMES)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
    grid_h = 10 * (16 * R.SCALE + 14) + 2
    assert a.shape == (grid_h + 160, 10 * (16 * R.SCALE + 2) + 2, 3)
    assert a.tobytes() == b.tobytes()

    # first tile shows the first image upscaled (nearest neighbour, grey)
    tile = a[2 : 2 + 16 * R.SCALE, 2 : 2 + 16 * R.SCALE]
    np.testing.assert_array_equal(tile[:: R.SCALE, :: R.SCALE, 0], x[idx][0])
    assert np.all(tile[..., 0] == tile[..., 1])

    heights = _bar_heights(a, grid_h)
    assert len(heights) == 5
    assert np.argsort(heights).tolist() == np.argsort(hist).tolist()
    assert heights[1] == max(heights)
    np.testing.assert_allclose(np.array(heights) / heights[1], hist / 500, atol=0.02)
    # the bar colour appears only in the histogram panel
    assert _bar_heights(a[:grid_h], 0) == []

    # a different label histogram changes only the histogram panel
    c = R.render_report(x[idx], y[idx], hist[::-1], M.CLASS_NAMES)
    assert np.array_equal(c[:grid_h], a[:grid_h]) and not np.array_equal(c, a)
    assert np.argsort(_bar_heights(c, grid_h)).tolist() == np.argsort(hist[::-1]).tolist()


def test_render_report_captions_depend_on_labels():
    x, y = toy_lattices(10, seed=18)
    a = R.render_report(x, y, np.array([4, 3, 3]), ["square", "hexagonal", "stripes"])
    y2 = y.copy()
    y2[0] = (y2[0] + 1) % 3
    b = R.render_report(x, y2, np.array([4, 3, 3]), ["square", "hexagonal", "stripes"])
    diff = np.argwhere(np.any(a != b, axis=2))
    assert diff.size  # caption of tile 0 changed ...
    cell = 16 * R.SCALE
    assert diff[:, 0].min() >= 2 + cell and diff[:, 0].max() < 2 + cell + 12
    assert diff[:, 1].max() < 2 + cell  # ... and nothing else
