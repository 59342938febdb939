"""The validator passes the real chain's output, and every check fails on data built to violate it."""

import copy
import json

import numpy as np
import pytest
from families.ptycho.helpers import THRESHOLDS

from synthbank import thresholds
from synthbank.families.ptycho import FAMILY
from synthbank.families.ptycho.validate import aggregate, check_contract, compute, photon_statistics, read_dose, validate_dose

SPACINGS = {"dense": 12.0, "sparse": 30.0}


@pytest.fixture(scope="module")
def data(tiny_root):
    return read_dose(tiny_root / "dose_1000")


def _failures(data, dose=1000, group_size=4, spacings=SPACINGS, bounds=THRESHOLDS):
    metrics, problems = compute(data, dose, group_size, spacings)
    return metrics, problems + thresholds.check(metrics, FAMILY.rules, bounds)


def test_real_output_passes_and_metrics_are_written(tiny_root, tmp_path):
    metrics, failures = validate_dose(tiny_root / "dose_100000", tmp_path / "v" / "metrics.json", 100000, 4, SPACINGS,
                                      THRESHOLDS)
    assert failures == [] and metrics["thresholds_met"] and metrics["structure_ok"]
    written = json.loads((tmp_path / "v" / "metrics.json").read_text())
    assert written["photons"]["mean_total"] == pytest.approx(metrics["photons"]["mean_total"], abs=1e-6)
    assert written["split"]["separated"] is True and written["patterns"]["train"] + written["patterns"]["test"] == 196
    agg = aggregate({100000: written, 1000: dict(written, thresholds_met=False)})
    assert list(agg) == ["dose_1000", "dose_100000", "thresholds_met"] and agg["thresholds_met"] is False


def _mutate(data, split, key, fn, where="npz"):
    d = copy.deepcopy(data)
    d["splits"][split][where][key] = fn(d["splits"][split][where][key])
    return d


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda a: a.pop("Y") is None or a, "missing key"),
        (lambda a: a.update(diffraction=a["diffraction"].astype(np.float64)) or a, "dtype float64"),
        (lambda a: a.update(objectGuess=a["objectGuess"].astype(np.complex128)) or a, "objectGuess has dtype"),
        (lambda a: a.update(xcoords=a["xcoords"].astype(np.float32)) or a, "xcoords has dtype"),
        (lambda a: a.update(diffraction=np.ascontiguousarray(np.moveaxis(a["diffraction"], 0, 2))) or a, "is not NHW"),
        (lambda a: a.update(Y=a["Y"][:, :, :8]) or a, "Y shape"),
        (lambda a: a.update(ycoords=a["ycoords"][:-1]) or a, "must be equal 1-D"),
        (lambda a: a.update(diffraction=np.where(a["diffraction"] > 1, -1.0, 0).astype(np.float32)) or a, "finite and >= 0"),
        (lambda a: a.update(diffraction=np.full_like(a["diffraction"], np.nan)) or a, "finite and >= 0"),
    ],
)
def test_contract_checks_fail_on_violating_arrays(data, mutation, message):
    arrays = mutation(dict(data["splits"]["train"]["npz"]))
    problems = check_contract(arrays, "train.npz")
    assert any(message in p for p in problems), problems


def test_contract_passes_the_real_split(data):
    assert check_contract(data["splits"]["test"]["npz"], "test.npz") == []


def test_overlapping_halves_fail_separation(data):
    d = _mutate(data, "train", "ycoords", lambda y: y + 1000.0, where="h5")
    _, failures = _failures(d)
    assert any("is not below test y min" in f for f in failures)


def test_amplitudes_that_are_not_sqrt_counts_fail(data):
    # Intensities stored instead of amplitudes: squares are integral but not the counts.
    d = _mutate(data, "train", "diffraction", lambda a: (a.astype(np.float64) ** 2).astype(np.float32), where="h5")
    d["splits"]["train"]["npz"]["diffraction"] = d["splits"]["train"]["h5"]["diffraction"]
    assert any("differs from the simulated counts" in f for f in _failures(d)[1])
    d = _mutate(data, "test", "diffraction", lambda a: a + np.float32(0.3), where="h5")
    failures = _failures(d)[1]
    assert any("not integral" in f for f in failures) and any("HDF5 and NPZ diffraction differ" in f for f in failures)


def test_wrong_dose_fails_the_mean_count_check(data):
    _, failures = _failures(data, dose=1100)
    assert any(f.startswith("photons.mean_total_z = ") and "(thresholds.count_z_max)" in f for f in failures)
    assert any(f.startswith("photons.expected_total_rel_error = ") for f in failures)


def test_photon_statistics_reject_non_poisson_noise():
    rng = np.random.default_rng(0)
    lam = rng.uniform(0.1, 50, size=(400, 8, 8))
    lam *= 1000 / lam.sum(axis=(1, 2), keepdims=True)
    poisson = photon_statistics(rng.poisson(lam), lam, 1000)
    assert abs(poisson["dispersion_z"]) < 4 and abs(poisson["mean_total_z"]) < 4
    assert abs(poisson["dispersion_index"] - 1) < 0.02
    none = photon_statistics(np.rint(lam), lam, 1000)  # no noise: under-dispersed
    over = photon_statistics(np.maximum(0, np.rint(lam + rng.normal(0, np.sqrt(2 * lam)))), lam, 1000)
    for stats in (none, over):
        m = {"dose": 1000, "photons": stats, "views": {}}
        assert any(f.startswith("photons.dispersion_z = ") for f in thresholds.check(m, FAMILY.rules, THRESHOLDS)), stats
    assert none["dispersion_index"] < 0.2 and 1.8 < over["dispersion_index"] < 2.2


def test_poisson_noise_on_the_wrong_intensity_fails_dispersion(data):
    d = copy.deepcopy(data)
    lam = d["raw"]["intensity_expected"]
    d["raw"]["intensity_expected"] = np.roll(lam, 1, axis=0)  # noise-free pattern of a neighbouring pixel row
    assert any(f.startswith("photons.dispersion_z = ") for f in _failures(d)[1])


def test_views_closer_than_the_spacing_fail(data):
    d = copy.deepcopy(data)
    c = d["views"]["dense"]["train"]["centres"]
    c[1] = c[0] + 1.0
    assert any("view dense/train: centres 1.414 px apart" in f for f in _failures(d)[1])


def test_empty_views_and_malformed_groups_fail(data):
    failures = _failures(data, bounds=dict(THRESHOLDS, view_groups_min=1000))[1]
    assert any(": allowed >= 1000 (thresholds.view_groups_min)" in f for f in failures)
    assert any("is not (g, C=9)" in f for f in _failures(data, group_size=9)[1])
    d = copy.deepcopy(data)
    d["splits"]["train"]["h5"]["groups"][0, 0] = 10_000
    assert any("group indices outside" in f for f in _failures(d)[1])


def test_patterns_missing_from_the_splits_fail(data):
    d = copy.deepcopy(data)
    for key in ("scan_index", "diffraction"):
        d["splits"]["train"]["h5"][key] = d["splits"]["train"]["h5"][key][1:]
    assert any("splits cover" in f for f in _failures(d)[1])


@pytest.mark.parametrize(
    ("metric", "value", "message"),
    [
        (("photons", "mean_total_z"), -5.5, "photons.mean_total_z = -5.5: allowed |value| <= 5 (thresholds.count_z_max)"),
        (("photons", "dispersion_z"), 7.25, "photons.dispersion_z = 7.25: allowed |value| <= 5 (thresholds.dispersion_z_max)"),
        (("photons", "expected_total_rel_error"), 0.001,
         "photons.expected_total_rel_error = 0.001: allowed <= 1e-05 (thresholds.expected_total_rel_error_max)"),
        (("views", "sparse_test", "groups"), 0, "views.sparse_test.groups = 0: allowed >= 1 (thresholds.view_groups_min)"),
    ],
)
def test_each_rule_violated_gives_one_message_naming_metric_value_and_bound(data, metric, value, message):
    metrics, _ = compute(data, 1000, 4, SPACINGS)
    assert thresholds.check(metrics, FAMILY.rules, THRESHOLDS) == []
    node = metrics
    for key in metric[:-1]:
        node = node[key]
    node[metric[-1]] = value
    lines = thresholds.check(metrics, FAMILY.rules, THRESHOLDS)
    assert len(lines) == 1 and lines[0].startswith(message), lines
