"""The metric functions on their own: known values, and the cases each must catch."""

import dataclasses

import numpy as np
import pytest

from synthbank.families.chromatic import metrics as m
from synthbank.families.chromatic.colours import hsl_to_rgb, rgb_to_hsl
from synthbank.families.chromatic.generate import generate_block
from synthbank.families.chromatic.spec import ChromaticParams
from synthbank.families.chromatic.spectral import bridge_kernel, wavelengths

P = ChromaticParams.default()
FULL = np.array([[0.0, 1.0]] * 3)


def _energy(p):
    return m.kernel_energy_db(wavelengths(p), bridge_kernel(p), p.centres_nm, p.widths_nm, p.amplitudes)


def test_expected_means_are_one_half_without_noise_and_converge_with_the_grid():
    assert all(abs(v - 0.5) < 1e-9 for v in m.expected_colour_means(FULL, 0.0).values())
    coarse, fine = m.expected_colour_means(FULL, 0.05), m.expected_colour_means(FULL, 0.05, grid=128)
    assert max(abs(coarse[k] - fine[k]) for k in m.COLOUR_KEYS) < 5e-4
    assert 0.44 < coarse["s"] < 0.47  # clipped noise lowers the saturation of dark and light colours
    box = np.array([[0.2, 0.6], [0.0, 1.0], [0.1, 0.5]])
    e = m.expected_colour_means(box, 0.0)
    assert abs(e["h"] - 0.4) < 1e-6 and abs(e["l"] - 0.3) < 1e-6 and abs(e["s"] - 0.5) < 1e-6


def test_expected_means_agree_with_monte_carlo_pixels():
    """A high-precision check of the model: average many noisy region means."""
    rng = np.random.default_rng(0)
    hsl = rng.random((20_000, 3))
    rgb = hsl_to_rgb(hsl)
    noisy = np.concatenate([  # 400 noisy pixels per region, in chunks to bound memory
        np.clip(part[:, None, :] + 0.05 * rng.standard_normal((len(part), 400, 3)), 0, 1).mean(axis=1)
        for part in np.split(rgb, 10)
    ])
    observed = np.concatenate([noisy.mean(axis=0), rgb_to_hsl(noisy).mean(axis=0)])
    expected = m.expected_colour_means(FULL, 0.05)
    assert np.abs(observed - [expected[k] for k in m.COLOUR_KEYS]).max() < 0.006  # MC error ~0.002


def test_clipped_noise_mean_matches_sampling():
    c = np.array([-0.1, 0.0, 0.03, 0.5, 0.97, 1.0])
    z = np.random.default_rng(1).standard_normal((400_000, 1))
    assert np.abs(m.clipped_noise_mean(c, 0.05) - np.clip(c + 0.05 * z, 0, 1).mean(axis=0)).max() < 3e-4
    assert m.clipped_noise_mean(c, 0.0).tolist() == np.clip(c, 0, 1).tolist()


def test_colour_balance_catches_a_shifted_distribution():
    p = dataclasses.replace(P, height=64, width=64, cells_per_side=10)
    b = generate_block(np.random.default_rng(2), 8, p)
    count, total, total_sq = m.region_sums(b.chromatic, b.mask, p.regions)
    observed, regions = m.observed_colour_means(count, total)
    assert regions == 800
    assert m.colour_balance(observed, m.expected_colour_means(FULL, 0.05)) < 0.01
    darker = dataclasses.replace(p, lightness=(0.0, 0.9))
    b = generate_block(np.random.default_rng(2), 8, darker)
    observed, _ = m.observed_colour_means(*m.region_sums(b.chromatic, b.mask, p.regions)[:2])
    assert m.colour_balance(observed, m.expected_colour_means(FULL, 0.05)) > 0.04


def test_noise_estimate_from_region_scatter():
    p = dataclasses.replace(P, height=64, width=64, cells_per_side=8, noise_level=0.03)
    b = generate_block(np.random.default_rng(3), 8, p)
    estimate = m.noise_std_estimate(*m.region_sums(b.chromatic, b.mask, p.regions))
    assert abs(estimate - 0.03) < 0.0005
    assert np.isnan(m.noise_std_estimate(np.array([1.0]), np.zeros((1, 3)), np.zeros((1, 3))))


def test_kernel_energy_of_the_default_profile_is_balanced():
    e = _energy(P)
    assert e["max_abs"] < 0.01 and set(e) == {"r", "g", "b", "sum", "max_abs"}


@pytest.mark.parametrize(
    "change",
    [
        {"centres_nm": (700.0, 545.0, 465.0)},  # red kernel cut in half at the band edge: -3 dB
        {"widths_nm": (35.0, 250.0, 30.0)},  # green kernel far wider than 400-700 nm
        {"bands": 5, "widths_nm": (20.0, 20.0, 20.0)},  # 75 nm bands for 20 nm Gaussians
    ],
)
def test_kernel_energy_fails_for_truncated_or_undersampled_kernels(change):
    assert _energy(dataclasses.replace(P, **change))["max_abs"] > 0.5


def test_energy_is_computed_through_the_fft_by_parseval(monkeypatch):
    x = bridge_kernel(P).astype(np.float64)
    d = 10.0
    analytic = np.array(P.amplitudes) ** 2 * np.array(P.widths_nm) * np.sqrt(np.pi)
    calls = []
    fft = np.fft.fft
    monkeypatch.setattr(np.fft, "fft", lambda a, *args, **kw: calls.append(np.shape(a)) or fft(a, *args, **kw))
    db = _energy(P)
    assert calls == [(4, 31)]  # the three kernels and their sum, through the FFT
    assert np.allclose([db[k] for k in "rgb"], 10 * np.log10(d * np.sum(x**2, axis=1) / analytic))


def test_roundtrip_error_small_for_distinct_kernels_large_for_identical_ones():
    b = generate_block(np.random.default_rng(4), 4, dataclasses.replace(P, height=32, width=32, cells_per_side=4))
    assert m.roundtrip_error(b.chromatic, b.spectral, bridge_kernel(P)) < 5e-6
    twin = dataclasses.replace(
        P, height=32, width=32, cells_per_side=4, centres_nm=(550.0, 550.0, 465.0), widths_nm=(35.0, 35.0, 30.0)
    )
    b = generate_block(np.random.default_rng(4), 4, twin)
    assert m.roundtrip_error(b.chromatic, b.spectral, bridge_kernel(twin)) > 0.01
    bad = b.spectral.copy()
    bad[..., 3] += 0.01
    assert m.roundtrip_error(b.chromatic, bad, bridge_kernel(P)) > 1e-3


THRESHOLDS = {"roundtrip_error_max": 1e-3, "color_balance_drift_max": 0.02, "fft_energy_balance_db_max": 0.5, "phi_findings_max": 0}
GOOD = {"roundtrip_error": 1e-6, "color_balance_drift": 0.003, "fft_energy_balance_db": 0.01, "phi_findings": 0,
        "manifest_valid": True, "reseed_stability": True}


@pytest.mark.parametrize(("metric", "value", "bound"), [
    ("roundtrip_error", 0.002, "<= 0.001 (thresholds.roundtrip_error_max)"),
    ("color_balance_drift", 0.05, "<= 0.02 (thresholds.color_balance_drift_max)"),
    ("fft_energy_balance_db", 0.7, "<= 0.5 (thresholds.fft_energy_balance_db_max)"),
    ("phi_findings", 2, "<= 0 (thresholds.phi_findings_max)"),
    ("manifest_valid", False, "true"),
    ("reseed_stability", False, "true"),
])
def test_each_rule_gives_one_message_naming_metric_value_and_bound(metric, value, bound):
    from synthbank.families.chromatic import FAMILY
    from synthbank.thresholds import check

    assert check(GOOD, FAMILY.rules, THRESHOLDS) == []
    lines = check(GOOD | {metric: value}, FAMILY.rules, THRESHOLDS)
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    assert len(lines) == 1 and lines[0].startswith(f"{metric} = {shown}: allowed {bound}"), lines


def test_a_missing_metric_violates_its_rule():
    from synthbank.families.chromatic import FAMILY
    from synthbank.thresholds import check

    lines = check({k: v for k, v in GOOD.items() if k != "roundtrip_error"}, FAMILY.rules, THRESHOLDS)
    assert lines == ["roundtrip_error is missing: allowed <= 0.001 (thresholds.roundtrip_error_max); chromatic -> spectral -> chromatic"]
