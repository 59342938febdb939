"""One photon scale per dose: the scale and the object's absorption come back out of the written data,
and a dataset scaled pattern by pattern (the 2.x physics) fails the new check."""

import copy
import math

import h5py
import numpy as np
import pytest
from families.ptycho.helpers import THRESHOLDS

from synthbank import thresholds
from synthbank.families.ptycho import FAMILY
from synthbank.families.ptycho.photons import photon_statistics, spread
from synthbank.families.ptycho.validate import compute, read_dose

SPACINGS = {"dense": 12.0, "sparse": 30.0}


def _read_export(split_dir):
    """Counts and geometry of both splits, from the NPZ exports only (what a user has)."""
    parts = [np.load(split_dir / f"{s}.npz") for s in ("train", "test")]
    counts = np.concatenate([np.rint(p["diff3d"].astype(np.float64) ** 2) for p in parts])
    ys = np.concatenate([p["ycoords"] for p in parts])
    xs = np.concatenate([p["xcoords"] for p in parts])
    return counts, parts[0]["objectGuess"], parts[0]["probeGuess"], ys, xs


def _far_totals(obj, probe, ys, xs):
    """Sum of |FFT(probe x patch)|^2 per position, numpy's complex128 FFT (an independent forward model)."""
    n = probe.shape[0]
    p = probe.astype(np.complex128)
    return np.array([
        (np.abs(np.fft.fft2(obj[int(y) - n // 2 : int(y) + n // 2, int(x) - n // 2 : int(x) + n // 2] * p)) ** 2).sum()
        for y, x in zip(ys, xs, strict=True)
    ])


@pytest.mark.parametrize("dose", [1000, 100000])
def test_scale_and_absorption_are_recovered_from_the_export(tiny_root, dose):
    d = tiny_root / f"dose_{dose}"
    counts, obj, probe, ys, xs = _read_export(d / "split")
    with h5py.File(d / "simulate" / "raw.h5", "r") as f:
        scale, probe_photons = float(f.attrs["photon_scale"]), float(f.attrs["probe_photons"])
    far = _far_totals(obj, probe, ys, xs)
    free = (np.abs(np.fft.fft2(probe.astype(np.complex128))) ** 2).sum()
    totals = counts.sum(axis=(1, 2))
    n = len(totals)
    # The scale: photons per unit of |FFT|^2, one for the dose; relative s.e. 1 / sqrt(photons counted).
    estimate = totals.sum() / far.sum()
    assert abs(estimate / scale - 1) < 5 / math.sqrt(totals.sum())
    assert scale == pytest.approx(dose / far.mean(), rel=1e-9)  # the definition: mean expected total = dose
    assert probe_photons == pytest.approx(scale * free, rel=1e-9)
    # Absorption: each pattern's transmitted fraction of the probe's photons, within Poisson errors.
    transmitted = totals / (estimate * free)
    truth = far / free
    z = (transmitted - truth) / np.sqrt(truth / (estimate * free))
    assert np.abs(z).max() < 5 and abs(z.mean()) < 5 / math.sqrt(n)
    assert truth.min() < 0.6 * truth.max()  # the object really absorbs: totals differ by pattern
    assert np.corrcoef(transmitted, truth)[0, 1] > (0.99 if dose == 100000 else 0.9)
    assert totals.max() < probe_photons + 5 * math.sqrt(probe_photons)  # nothing passes more than the probe brings


def _normalise_per_pattern(data, dose, seed=0):
    """The 2.x physics on the same design: every pattern's expectation scaled to the dose, counts redrawn."""
    d = copy.deepcopy(data)
    lam = d["raw"]["intensity_expected"].astype(np.float64)  # H, W, n
    lam *= dose / lam.sum(axis=(0, 1))
    counts = np.random.default_rng(seed).poisson(lam)
    d["raw"]["intensity_expected"], d["raw"]["counts"] = lam.astype(np.float32), counts.astype(np.uint32)
    for split in d["splits"].values():
        amp = np.sqrt(np.moveaxis(counts[:, :, split["h5"]["scan_index"]], 2, 0)).astype(np.float32)
        split["h5"]["diffraction"] = split["npz"]["diffraction"] = split["npz"]["diff3d"] = amp
    return d


@pytest.mark.parametrize("dose", [1000, 100000])
def test_a_per_pattern_normalised_dataset_fails_the_spread_check(tiny_root, dose):
    data = read_dose(tiny_root / f"dose_{dose}")
    metrics, problems = compute(data, dose, 4, SPACINGS)
    assert problems + thresholds.check(metrics, FAMILY.rules, THRESHOLDS) == []
    flat = _normalise_per_pattern(data, dose)
    metrics, problems = compute(flat, dose, 4, SPACINGS)
    failures = problems + thresholds.check(metrics, FAMILY.rules, THRESHOLDS)
    photons = metrics["photons"]
    # What the 2.x validator checked still passes: the mean total and the Poisson dispersion.
    assert abs(photons["mean_total_z"]) < THRESHOLDS["count_z_max"] and abs(photons["dispersion_z"]) < THRESHOLDS["dispersion_z_max"]
    assert any(f.startswith("photons.spread_z = -") for f in failures), failures
    assert any(f.startswith("photons.expected_total_rel_error = ") for f in failures), failures
    assert photons["spread_ratio"] < 0.2 and photons["spread_z"] < -20


def test_a_wrong_recorded_scale_fails(tiny_root):
    data = read_dose(tiny_root / "dose_1000")
    data["raw"]["photon_scale"] *= 1.001
    metrics, _ = compute(data, 1000, 4, SPACINGS)
    lines = thresholds.check(metrics, FAMILY.rules, THRESHOLDS)
    assert len(lines) == 1 and lines[0].startswith("photons.photon_scale_rel_error = 0.001: allowed <= 1e-05"), lines


def test_the_spread_z_score_is_calibrated_and_sees_a_flat_prediction():
    rng = np.random.default_rng(5)
    lam = 1000 * rng.uniform(0.5, 1.5, size=300)
    zs = np.array([spread(rng.poisson(lam), lam)["spread_z"] for _ in range(400)])
    assert abs(zs.mean()) < 0.2 and 0.85 < zs.std() < 1.15  # ~N(0, 1) when the prediction is right
    flat = spread(rng.poisson(lam), np.full_like(lam, lam.mean()))
    assert flat["spread_z"] > 20 and flat["spread_ratio"] > 10  # totals vary more than a flat object allows
    stats = photon_statistics(rng.poisson(np.ones((300, 4, 4)) * lam[:, None, None] / 16), np.ones((300, 4, 4)) * lam[:, None, None] / 16,
                              float(lam.mean()), lam)
    assert abs(stats["spread_z"]) < 5 and stats["expected_total_rel_error"] < 1e-12
