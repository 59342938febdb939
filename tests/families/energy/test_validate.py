"""Validation reads real files; each check fails on data built to violate it."""

import json
import shutil

import h5py
import numpy as np
import pytest
from PIL import Image

from synthbank.families.energy.validate import validate


def _thresholds():
    from synthbank import params
    from pathlib import Path

    return params.load(Path(__file__).resolve().parents[3] / "params.yaml").family("energy")["thresholds"]


DOMAIN_NAMES = ["active_matter", "astrophysics", "fluid_dynamics", "plasma_physics", "turbulent_radiative_layer"]


def run(data, tmp_path):
    failures = validate(data, DOMAIN_NAMES, tmp_path / "metrics.json", tmp_path / "reports", _thresholds())
    return failures, json.loads((tmp_path / "metrics.json").read_text())


def test_generated_atlas_passes_with_exact_bookkeeping(atlas, tmp_path):
    failures, metrics = run(atlas, tmp_path)
    assert failures == [] and metrics["thresholds_met"] is True
    assert metrics["maps_total"] == 5 * 18
    for m in metrics["domains"].values():
        assert m["negative_cells"] == 0 and m["nonfinite_cells"] == 0 and m["format_problems"] == 0
        assert max(m["conservation_error_max"].values()) < 1e-5
        assert m["pyramid_conservation_error_max"] < 1e-5
        assert m["entropy_rise_fraction"]["blur"] == 1.0
    png = np.asarray(Image.open(tmp_path / "reports" / "plasma_physics.png"))
    assert png.dtype == np.uint8 and png.shape == (3 * 64 + 2 * 2, 6 * 64 + 5 * 2)


def _edit(data, domain, scale, fn):
    """Apply ``fn`` to every split file (train, valid, test) of the domain's dataset at ``scale``."""
    from synthbank.families.energy import layout

    paths = layout.split_files(layout.dataset_dir(data / domain, domain, scale))
    assert len(paths) == 3
    for path in paths:
        with h5py.File(path, "r+") as f:
            fn(f)


def _first_applied(f, kind):
    """(row, step) of the file's first application of ``kind``, or None."""
    found = np.argwhere(f[f"scalars/{kind}_applied"][...] > 0)
    return (int(found[0][0]), int(found[0][1])) if len(found) else None


def negative(f):
    f["t0_fields/energy"][0, 1, 5, 5] = -1.0


def nonfinite(f):
    f["t0_fields/energy"][0, 1, 5, 5] = np.nan


def noise_ratio(f):
    if (at := _first_applied(f, "noise")) is not None:
        f["scalars/noise_energy_ratio"][at] = 1.2


def scaling_ratio(f):
    if (at := _first_applied(f, "scaling")) is not None:
        f["scalars/scaling_energy_ratio"][at] = f["scalars/scaling_factor"][at] * 0.9


def step_energy(f):
    e = f["t0_fields/energy"]
    e[0, 3] = e[0, 3] * 1.1


def blur_entropy(f):
    ds = f["scalars/blur_entropy_change"]
    applied = f["scalars/blur_applied"][...] > 0
    ds[...] = np.where(applied, -0.01, ds[...])


def blur_steps_sharpen(f):
    e = f["t0_fields/energy"]
    data = e[...].astype(np.float64)
    applied = f["scalars/blur_applied"][...] > 0
    sharp = data**4
    sharp *= (data.sum(axis=(2, 3)) / sharp.sum(axis=(2, 3)))[..., None, None]
    e[...] = np.where(applied[..., None, None], sharp, data).astype(np.float32)


def pyramid(f):
    e = f["t0_fields/energy"]
    e[...] = e[...] * 1.1


def format_problem(f):
    del f["t0_fields/energy"].attrs["dim_varying"]


CASES = [
    (negative, 128, "negative_cells"),
    (nonfinite, 128, "nonfinite_cells"),
    (noise_ratio, 128, "conservation_error_max.noise"),
    (scaling_ratio, 128, "conservation_error_max.scaling"),
    (step_energy, 128, "conservation_error_max.step_from_maps"),
    (blur_entropy, 128, "entropy_rise_fraction.blur ="),
    (blur_steps_sharpen, 128, "entropy_rise_fraction.blur_steps"),
    (pyramid, 64, "pyramid_conservation_error_max"),
    (format_problem, 64, "format_problems"),
]


@pytest.mark.parametrize("edit, scale, metric", CASES, ids=[c[2] for c in CASES])
def test_each_check_fails_on_data_built_to_violate_it(atlas, tmp_path, edit, scale, metric):
    data = tmp_path / "energy"
    shutil.copytree(atlas, data)
    _edit(data, "plasma_physics", scale, edit)
    failures, metrics = run(data, tmp_path)
    assert any(f.startswith("energy: domains.plasma_physics.") and metric in f for f in failures), failures
    assert not any(f.startswith(("energy: domains.astrophysics.", "energy: domains.fluid_dynamics.")) for f in failures)
    assert metrics["thresholds_met"] is False


def test_missing_domain_is_a_usage_error_naming_the_command(atlas, tmp_path):
    from synthbank.errors import UsageError

    data = tmp_path / "energy"
    shutil.copytree(atlas, data)
    shutil.rmtree(data / "active_matter")
    with pytest.raises(UsageError, match="run 'synthbank generate energy --domain active_matter' first"):
        run(data, tmp_path)


def test_every_conserving_kind_is_checked_on_its_own_ratio(atlas, tmp_path):
    data = tmp_path / "energy"
    shutil.copytree(atlas, data)

    def break_all(f):
        for kind in ("rotation", "noise", "blur", "translation"):
            if (at := _first_applied(f, kind)) is not None:
                f[f"scalars/{kind}_energy_ratio"][at] = 0.93

    _edit(data, "fluid_dynamics", 128, break_all)
    failures, metrics = run(data, tmp_path)
    for kind in ("rotation", "noise", "blur", "translation"):
        assert (f"energy: domains.fluid_dynamics.conservation_error_max.{kind} = 0.07: allowed < 0.05 "
                "(thresholds.conservation_tolerance)") in failures, failures
    assert metrics["domains"]["fluid_dynamics"]["conservation_error_max"]["scaling"] < 1e-6


RULE_CASES = [
    ("format_problems", 2, "format_problems = 2: allowed 0"),
    ("negative_cells", 7, "negative_cells = 7: allowed 0"),
    ("nonfinite_cells", 1, "nonfinite_cells = 1: allowed 0"),
    ("conservation_error_max", {"blur": 0.05}, "conservation_error_max.blur = 0.05: allowed < 0.05 (thresholds.conservation_tolerance)"),
    ("pyramid_conservation_error_max", 0.2, "pyramid_conservation_error_max = 0.2: allowed < 0.05 (thresholds.pyramid_tolerance)"),
    ("entropy_rise_fraction", {"blur": 0.5, "blur_steps": 1.0},
     "entropy_rise_fraction.blur = 0.5: allowed >= 0.99 (thresholds.blur_entropy_rise_fraction_min)"),
    ("entropy_rise_fraction", {"blur": 1.0, "blur_steps": 0.9},
     "entropy_rise_fraction.blur_steps = 0.9: allowed >= 0.96 (thresholds.step_entropy_rise_fraction_min)"),
]


@pytest.mark.parametrize("key, value, words", RULE_CASES, ids=[c[2].split(" ")[0] for c in RULE_CASES])
def test_each_rule_gives_one_line_naming_metric_value_and_bound(key, value, words):
    from synthbank import thresholds
    from synthbank.families.energy import FAMILY

    good = {"format_problems": 0, "negative_cells": 0, "nonfinite_cells": 0, "conservation_error_max": {"blur": 0.0, "noise": 0.01},
            "pyramid_conservation_error_max": 0.001, "entropy_rise_fraction": {"blur": 1.0, "blur_steps": 1.0}}
    metrics = {"domains": {"active_matter": good, "plasma_physics": good | {key: value}}, "maps_total": 100}
    assert thresholds.check({"domains": {"active_matter": good}}, FAMILY.rules, _thresholds(), where="energy: ") == []
    lines = thresholds.check(metrics, FAMILY.rules, _thresholds(), where="energy: ")
    assert lines == [f"energy: domains.plasma_physics.{words}" + ("; The Well's HDF5 format" if key == "format_problems" else "")
                     + ("; blur is doubly stochastic: the entropy cannot fall" if words.startswith("entropy_rise_fraction.blur =") else "")]
