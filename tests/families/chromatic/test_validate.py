"""The validation stage on real files: the generated data passes, each check fails on data
or params made to violate it."""

import json
import shutil

import h5py
import numpy as np
import pytest

from families.chromatic.helpers import THRESHOLDS, config, make_dataset, rewrite_manifest
from synthbank.errors import UsageError
from synthbank.families.chromatic.layout import chromatic_file, spectral_file
from synthbank.families.chromatic.validate import PROFILE_CSV, reseed_indices, validate


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    out, _ = make_dataset(tmp_path_factory.mktemp("pristine"), config())
    return out


@pytest.fixture
def dataset(pristine, tmp_path):
    """A private copy of the pristine dataset, to change."""
    out = tmp_path / "data"
    shutil.copytree(pristine, out)
    return out


def _run(out, tmp_path, **kw):
    failures = validate(out, out / "manifest.json", tmp_path / "metrics.json", tmp_path / "reports", THRESHOLDS, **kw)
    return failures, json.loads((tmp_path / "metrics.json").read_text())


def _failed(failures, metric):
    return [f for f in failures if f.startswith(metric)]


def test_generated_data_passes_every_check(pristine, tmp_path):
    failures, metrics = _run(pristine, tmp_path, reseed_samples=6, workers=2)
    assert failures == [] and metrics["thresholds_met"] is True
    assert metrics["samples"] == 6 and metrics["reseed_samples_checked"] == 6
    assert metrics["roundtrip_error"] <= 2e-6 and metrics["color_balance_drift"] < 0.02
    assert metrics["fft_energy_balance_db"] < 0.01 and metrics["phi_findings"] == 0
    assert metrics["manifest_valid"] is True and metrics["reseed_stability"] is True
    assert abs(metrics["noise_std_estimate"] - 0.05) < 0.001
    assert metrics["color_balance"]["regions"] == 6 * 64
    rows = (tmp_path / "reports" / PROFILE_CSV).read_text().splitlines()
    assert rows[0] == "wavelength_nm,mean_spectrum,kernel_r,kernel_g,kernel_b" and len(rows) == 32
    assert rows[1].startswith("400.000000,") and rows[-1].startswith("700.000000,")
    # the metrics file (a DVC output) does not depend on the worker count
    serial = tmp_path / "serial"
    validate(pristine, pristine / "manifest.json", serial / "metrics.json", serial, THRESHOLDS, reseed_samples=6)
    assert (serial / "metrics.json").read_bytes() == (tmp_path / "metrics.json").read_bytes()


def test_roundtrip_fails_on_spectral_data_that_is_not_the_mapping(dataset, tmp_path):
    with h5py.File(dataset / spectral_file(42, 2), "r+") as f:
        f["spectral"][:, :, 5] += 0.01
    rewrite_manifest(dataset, config())
    failures, metrics = _run(dataset, tmp_path)
    assert _failed(failures, "roundtrip_error") and metrics["roundtrip_error"] > 1e-3
    assert not _failed(failures, "fft_energy_balance_db") and not _failed(failures, "color_balance_drift")


@pytest.mark.parametrize(
    "attr, value",
    [("kernel_centres_nm", [620.0, 545.0, 465.0]), ("kernel_matrix", None), ("wavelengths_nm", None)],
)
def test_roundtrip_fails_when_the_file_attributes_do_not_describe_its_mapping(dataset, tmp_path, attr, value):
    """Sample 3: not file 0 (whose attributes feed the energy metric) nor a reseeded sample."""
    with h5py.File(dataset / spectral_file(42, 3), "r+") as f:
        attrs = f["spectral"].attrs
        if value is None:  # shift by one band: still a plausible-looking kernel or grid
            old = attrs[attr][...]
            value = np.roll(old, 1, axis=-1) if attr == "kernel_matrix" else old + (old[1] - old[0])
        attrs[attr] = value
    rewrite_manifest(dataset, config())
    failures, metrics = _run(dataset, tmp_path)
    assert [f.split(" ")[0] for f in failures] == ["roundtrip_error"] and metrics["roundtrip_error"] > 1e-3


def test_roundtrip_fails_for_kernels_that_cannot_be_inverted(tmp_path):
    cfg = config(**{"spectral_profile.centres_nm": [550, 550, 465], "spectral_profile.widths_nm": [35, 35, 30]})
    out, _ = make_dataset(tmp_path / "twin", cfg)
    failures, metrics = _run(out, tmp_path)
    assert _failed(failures, "roundtrip_error") and metrics["roundtrip_error"] > 0.01
    assert metrics["manifest_valid"] and metrics["reseed_stability"]


def test_colour_balance_fails_when_data_do_not_follow_the_claimed_distribution(tmp_path):
    out, _ = make_dataset(tmp_path / "dark", config(**{"color_distribution.lightness": [0.0, 0.85]}))
    rewrite_manifest(out, config())  # the manifest claims lightness [0, 1]
    failures, metrics = _run(out, tmp_path)
    assert _failed(failures, "color_balance_drift") and metrics["color_balance_drift"] > 0.05
    assert metrics["color_balance"]["observed"]["l"] < 0.45


def test_fft_energy_fails_for_a_kernel_truncated_by_the_band_range(tmp_path):
    out, _ = make_dataset(tmp_path / "cut", config(**{"spectral_profile.centres_nm": [700, 545, 465]}))
    failures, metrics = _run(out, tmp_path)
    assert [f.split(" ")[0] for f in failures] == ["fft_energy_balance_db"]
    assert metrics["fft_energy_db"]["r"] < -2  # half the Gaussian (-3 dB), plus the half band at 700 nm


def test_manifest_invalid_when_a_file_is_missing_or_changed(dataset, tmp_path):
    (dataset / "previews/synthetic_mask_42_00001.png").unlink()
    failures, metrics = _run(dataset, tmp_path)
    assert metrics["manifest_valid"] is False and metrics["manifest_problems"] >= 1
    assert any("manifest_valid" in f for f in failures) and any("missing" in f for f in failures)


def test_a_missing_spectral_file_fails_the_checks_and_still_writes_metrics(dataset, tmp_path):
    (dataset / spectral_file(42, 3)).unlink()
    failures, metrics = _run(dataset, tmp_path)
    assert metrics["manifest_valid"] is False and metrics["roundtrip_error"] == 1e9 and metrics["samples"] == 6
    assert any(f.startswith("data: synthetic_chromatic_42_00003.h5: sample unreadable") for f in failures)
    assert metrics["thresholds_met"] is False


def test_manifest_invalid_when_it_breaks_the_schema(dataset, tmp_path):
    manifest = json.loads((dataset / "manifest.json").read_text())
    manifest["entries"][0]["crc64"] = "not-a-crc"
    (dataset / "manifest.json").write_text(json.dumps(manifest))
    failures, metrics = _run(dataset, tmp_path)
    assert metrics["manifest_valid"] is False and any("schema" in f for f in failures)


def test_manifest_invalid_when_a_pair_link_is_broken(dataset, tmp_path):
    manifest = json.loads((dataset / "manifest.json").read_text())
    for entry in manifest["entries"]:
        if entry["path"] == chromatic_file(42, 3):
            entry["paired_with"] = spectral_file(42, 4)
    (dataset / "manifest.json").write_text(json.dumps(manifest))
    failures, metrics = _run(dataset, tmp_path)
    assert metrics["manifest_valid"] is False and any("paired_with" in f for f in failures)


def test_reseed_fails_when_a_sample_differs_from_its_regeneration(dataset, tmp_path):
    with h5py.File(dataset / chromatic_file(42, 5), "r+") as f:
        f["chromatic"][0, 0, 0] += 1e-6  # invisible to every other metric
    rewrite_manifest(dataset, config())
    failures, metrics = _run(dataset, tmp_path, reseed_samples=2)  # samples 0 and 5
    assert metrics["reseed_stability"] is False and metrics["manifest_valid"] is True
    assert {f.split(" ")[0] for f in failures} == {"reseed_stability", "reseed:"}


def test_phi_findings_fail_on_a_planted_identifier(dataset, tmp_path):
    (dataset / "previews" / "notes.json").write_text(json.dumps({"patient_name": "Jane Doe", "dob": "1950-01-02"}))
    rewrite_manifest(dataset, config())
    failures, metrics = _run(dataset, tmp_path)
    assert metrics["phi_findings"] >= 1 and [f.split(" ")[0] for f in failures] == ["phi_findings"]


def test_phi_findings_in_hdf5_attributes(dataset, tmp_path):
    with h5py.File(dataset / chromatic_file(42, 0), "r+") as f:
        f["mask"].attrs["PatientName"] = "DOE^JANE"
    rewrite_manifest(dataset, config())
    _, metrics = _run(dataset, tmp_path)
    assert metrics["phi_findings"] >= 1


def test_missing_inputs_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        validate(tmp_path, tmp_path / "manifest.json", tmp_path / "m.json", tmp_path / "r", THRESHOLDS)
    assert not (tmp_path / "m.json").exists()


def test_reseed_indices_spread_over_the_dataset():
    assert reseed_indices(6, 2) == [0, 5] and reseed_indices(9, 3) == [0, 4, 8] and reseed_indices(3, 5) == [0, 1, 2]
