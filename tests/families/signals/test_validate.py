"""Validation reads real files; every check fails on data built to violate it."""

import json
from pathlib import Path

import numpy as np
import pytest
from families.signals.helpers import spec, write_dataset

from synthbank import params
from synthbank.families.signals import layout
from synthbank.families.signals.generate import channel_block
from synthbank.families.signals.validate import METRICS_NAME, PSD_NAME, validate, violations

# The repository's own thresholds: the stage's pass/fail rules are what is tested.
THRESHOLDS = params.load(Path(__file__).resolve().parents[3] / "params.yaml").family("signals")["thresholds"]

PINK = dict(name="pink", version="v2", channels=48, rate=160, duration_s=60, amplitude_uv_rms=100.0)
WHITE = dict(name="white", version="v2", channels=32, rate=500, signal_type="white_noise", duration_s=8, amplitude_uv_rms=20.0)
SINE = dict(name="sine", version="v1", channels=16, rate=500, signal_type="sine_wave", duration_s=10, frequency_hz=10.0, amplitude_uv_peak=50.0)
CHIRP = dict(name="chirp", version="v2", channels=16, rate=500, signal_type="chirp", duration_s=10,
             chirp_start_hz=1.0, chirp_end_hz=40.0, amplitude_uv_peak=80.0, dc_offset_uv=25.0, nan_rate=0.01)


def run(tmp_path, s, data=None):
    data = channel_block(s, 0, s.channels) if data is None else data
    write_dataset(tmp_path / "data", s, data)
    failures = validate(tmp_path / "data", s, tmp_path / "report" / METRICS_NAME, tmp_path / "report", THRESHOLDS)
    return failures, json.loads((tmp_path / "report" / METRICS_NAME).read_text())


@pytest.mark.parametrize("kind", [PINK, WHITE, SINE, CHIRP], ids=["pink", "white", "sine", "chirp"])
def test_generated_data_passes(tmp_path, kind):
    s = spec(**kind)
    failures, m = run(tmp_path, s)
    assert failures == [] and m["thresholds_met"] is True and m["float32_matches_hdf5"] is True
    assert m["rms_rel_error"] < 0.02
    rows = (tmp_path / "report" / PSD_NAME).read_text().splitlines()
    assert rows[0] == "frequency_hz,psd_uv2_per_hz" and len(rows) > 10
    assert all(isinstance(v, (int, float, bool)) for v in m.values())


def _fails(tmp_path, s, data, key):
    failures, m = run(tmp_path, s, data)
    assert m["thresholds_met"] is False
    assert any(f"signals: {s.name}: {key} = " in f for f in failures), failures
    return m


def test_psd_slope_fails_on_white_data_called_pink(tmp_path):
    white = channel_block(spec(**(WHITE | {"rate": 160, "duration_s": 60, "channels": 48, "amplitude_uv_rms": 100.0})), 0, 48)
    m = _fails(tmp_path, spec(**PINK), white, "psd_slope_error")
    assert abs(m["psd_slope"]) < 0.1


def test_rms_fails_when_the_amplitude_is_off(tmp_path):
    s = spec(**PINK)
    _fails(tmp_path, s, channel_block(s, 0, s.channels) * np.float32(1.05), "rms_rel_error")


def test_correlation_fails_when_channels_share_a_signal(tmp_path):
    s = spec(**PINK)
    x = channel_block(s, 0, s.channels)
    mixed = (0.8 * x + 0.6 * x[:1]).astype(np.float32)  # RMS stays 100, slope stays -1
    _fails(tmp_path, s, mixed, "corr_z_max")


def test_flatness_fails_on_coloured_data_called_white(tmp_path):
    s = spec(**WHITE)
    coloured = channel_block(spec(**(PINK | {"rate": 500, "duration_s": 8, "channels": 32, "amplitude_uv_rms": 20.0})), 0, 32)
    _fails(tmp_path, s, coloured, "spectral_flatness")


def test_sine_frequency_fails_when_off(tmp_path):
    off = channel_block(spec(**(SINE | {"frequency_hz": 10.5})), 0, 16)
    _fails(tmp_path, spec(**SINE), off, "peak_freq_error_hz")


@pytest.mark.parametrize("frequency_hz", [3.33, 10.07])
def test_sine_frequency_between_bins_is_measured_exactly(tmp_path, frequency_hz):
    # 2 s records have 0.5 Hz bins: a peak-bin estimate would be off by up to ~0.1 Hz.
    s = spec(**(SINE | {"duration_s": 2, "frequency_hz": frequency_hz}))
    failures, m = run(tmp_path, s)
    assert failures == [] and m["peak_freq_error_hz"] < 1e-3


def test_chirp_if_fails_when_the_sweep_is_wrong(tmp_path):
    wrong = channel_block(spec(**(CHIRP | {"chirp_end_hz": 30.0})), 0, 16)
    _fails(tmp_path, spec(**CHIRP), wrong, "chirp_if_error_hz")


def test_nan_rate_fails_when_missing_or_unrequested(tmp_path):
    s = spec(**CHIRP)
    clean = channel_block(spec(**(CHIRP | {"nan_rate": 0.0})), 0, 16)
    _fails(tmp_path / "a", s, clean, "nan_rate_z")
    doubled = channel_block(spec(**(CHIRP | {"nan_rate": 0.02})), 0, 16)
    _fails(tmp_path / "b", s, doubled, "nan_rate_z")
    white = spec(**WHITE)
    x = channel_block(white, 0, 32)
    x[3, 100] = np.nan
    _fails(tmp_path / "c", white, x, "nan_rate_z")


def test_dc_offset_fails_when_absent(tmp_path):
    s = spec(**CHIRP)
    _fails(tmp_path, s, channel_block(spec(**(CHIRP | {"dc_offset_uv": 0.0})), 0, 16), "dc_offset_rel_error")


def test_a_float32_copy_that_differs_fails(tmp_path):
    s = spec(**SINE)
    write_dataset(tmp_path / "data", s, channel_block(s, 0, 16))
    path = tmp_path / "data" / layout.FLOAT32_NAME
    raw = bytearray(path.read_bytes())
    raw[1000] ^= 0x01
    path.write_bytes(bytes(raw))
    failures = validate(tmp_path / "data", s, tmp_path / "report" / METRICS_NAME, tmp_path / "report", THRESHOLDS)
    assert failures == ["signals: sine: float32_matches_hdf5 = false: allowed true; signal.float32 must hold the samples of signal.h5"]
    assert json.loads((tmp_path / "report" / METRICS_NAME).read_text())["float32_matches_hdf5"] is False


# Each rule on its own: a metrics mapping violating it gives exactly one line naming the metric,
# the value and the bound (the rules of one signal type are skipped on the others).
GOOD = {"channels": 64, "samples": 5000, "nan_rate": 0.0, "rms_rel_error": 0.001, "dc_offset_rel_error": 0.0,
        "nan_rate_z": 0.0, "float32_matches_hdf5": True, "cortex_spec_valid": True, "psd_slope_error": 0.01, "corr_z_max": 2.0, "corr_abs_max": 0.01}
RULE_CASES = [
    (PINK, {"rms_rel_error": 0.5}, "rms_rel_error = 0.5: allowed <= 0.02 (thresholds.rms_rel_error_max)"),
    (PINK, {"dc_offset_rel_error": 0.5}, "dc_offset_rel_error = 0.5: allowed <= 0.02 (thresholds.dc_offset_rel_error_max)"),
    (PINK, {"nan_rate_z": 9.0}, "nan_rate_z = 9: allowed <= 5 (thresholds.nan_rate_z_max)"),
    (PINK, {"float32_matches_hdf5": False}, "float32_matches_hdf5 = false: allowed true"),
    (SINE, {"cortex_spec_valid": False}, "cortex_spec_valid = false: allowed true"),
    (PINK, {"psd_slope_error": 0.2}, "psd_slope_error = 0.2: allowed <= 0.05 (thresholds.psd_slope_tolerance)"),
    (PINK, {"psd_slope_error": None}, "psd_slope_error is missing: allowed <= 0.05 (thresholds.psd_slope_tolerance)"),
    (PINK, {"corr_z_max": 7.0}, "corr_z_max = 7: allowed <= 6 (thresholds.corr_z_max)"),
    (WHITE, {"spectral_flatness": 0.5}, "spectral_flatness = 0.5: allowed >= 0.9 (thresholds.spectral_flatness_min)"),
    (SINE, {"peak_freq_error_hz": 0.5}, "peak_freq_error_hz = 0.5: allowed <= 0.05 (thresholds.peak_freq_error_hz_max)"),
    (CHIRP, {"chirp_if_error_hz": 2.0}, "chirp_if_error_hz = 2: allowed <= 0.5 (thresholds.chirp_if_error_hz_max)"),
]


@pytest.mark.parametrize("kind, change, words", RULE_CASES, ids=[next(iter(c[1])) for c in RULE_CASES])
def test_each_rule_gives_one_line_naming_metric_value_and_bound(kind, change, words):
    s = spec(**kind)
    metrics = {k: v for k, v in (GOOD | change).items() if v is not None}
    lines = violations(metrics, s, THRESHOLDS)
    assert len(lines) == 1 and lines[0].startswith(f"signals: {s.name}: {words}"), lines
    assert violations(GOOD | {"spectral_flatness": 1.0}, s, THRESHOLDS) == []


def test_sines_and_chirps_skip_the_noise_rules_and_the_dc_bound_grows_on_small_data():
    correlated = GOOD | {"corr_z_max": 50.0}
    del correlated["psd_slope_error"]
    assert violations(correlated, spec(**SINE), THRESHOLDS) == []
    # 64 x 5000 finite samples: 5 standard errors are 0.0088, below the threshold 0.02
    assert violations(GOOD | {"dc_offset_rel_error": 0.019}, spec(**PINK), THRESHOLDS) == []
    tiny = GOOD | {"channels": 1, "samples": 100, "dc_offset_rel_error": 0.4}  # 5 standard errors: 0.5
    assert violations(tiny, spec(**PINK), THRESHOLDS) == []
    assert "allowed <= 0.5" in violations(tiny | {"dc_offset_rel_error": 0.6}, spec(**PINK), THRESHOLDS)[0]
