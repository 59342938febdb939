"""The pure simulation: object, probe, positions, intensities at one photon scale per dose, Poisson noise."""

import math

import numpy as np
import pytest
import scipy.fft
from families.ptycho.helpers import PARAMS, tiny_section

from synthbank import numerics as nm
from synthbank.families.ptycho.config import ObjectParams, ProbeParams, ScanParams, SimulationConfig
from synthbank.families.ptycho.layout import NOISE_BLOCK
from synthbank.families.ptycho.simulate import (
    design, expected_intensity, make_object, make_probe, object_patches, poisson_counts, scan_positions, simulate,
    smooth_field,
)
from synthbank.families.ptycho.validate import photon_statistics


def _cfg(dose=1000, **overrides):
    return SimulationConfig.from_params(PARAMS.seed, dose, tiny_section(**overrides))


def test_smooth_field_is_standardised_and_correlated():
    f = smooth_field(np.random.default_rng(0), 128, 4.0)
    assert abs(f.mean()) < 1e-12 and abs(f.std() - 1) < 1e-12
    lag1 = np.corrcoef(f[:, :-1].ravel(), f[:, 1:].ravel())[0, 1]
    lag20 = np.corrcoef(f[:, :-20].ravel(), f[:, 20:].ravel())[0, 1]
    # Gaussian filter of sigma 4: correlation exp(-d^2 / (4 sigma^2)) -> 0.98 at 1 px, ~0 at 20 px.
    assert lag1 > 0.95 and abs(lag20) < 0.1


def test_object_amplitude_and_phase_are_uniform_in_their_ranges():
    p = ObjectParams(size_px=256, amplitude=(0.5, 1.0), phase_rad=(-1.0, 1.0), correlation_px=2.0)
    obj = make_object(np.random.default_rng(1), p)
    assert obj.dtype == np.complex64 and obj.shape == (256, 256)
    amp, phase = np.abs(obj), np.angle(obj)
    assert amp.min() >= 0.5 - 1e-6 and amp.max() <= 1.0 + 1e-6
    assert phase.min() >= -1.0 - 1e-6 and phase.max() <= 1.0 + 1e-6
    # Uniform marginals: mean at the centre of the range, variance (width^2)/12 (loosely:
    # the field is correlated, so the effective sample is smaller).
    assert abs(amp.mean() - 0.75) < 0.03 and abs(amp.var() - 0.5**2 / 12) < 0.2 * 0.5**2 / 12
    assert abs(phase.mean()) < 0.1


def test_probe_is_an_apodised_disc_with_defocus():
    p = ProbeParams(size_px=64, radius_px=14.0, edge_px=2.0, defocus_rad=4.0)
    probe = make_probe(p)
    assert probe.dtype == np.complex64 and probe.shape == (64, 64)
    amp = np.abs(probe)
    assert amp[32, 32] == pytest.approx(1.0) and amp[32, 32 + 13] == pytest.approx(1.0)
    assert amp[32, 32 + 15] == 0 and 0 < amp[32, 32 + 14] < 1
    assert np.angle(probe[32, 32 + 10]) == pytest.approx(4.0 * (10 / 14) ** 2, abs=1e-5)
    # Area of the disc ~ pi r^2 (the raised cosine is symmetric around r).
    assert abs((amp**2).sum() - math.pi * 14**2) / (math.pi * 14**2) < 0.05


def test_raster_positions_are_whole_pixels_inside_the_object_with_jitter():
    s = ScanParams(pattern="raster", step_px=10, jitter_px=2.0, n_positions=0)
    pos = scan_positions(np.random.default_rng(2), s, 384, 64)
    assert pos.shape == (33 * 33, 2) and pos.dtype == np.float64
    assert np.array_equal(pos, np.rint(pos)) and pos.min() >= 32 and pos.max() <= 352
    grid = np.arange(32, 353, 10)
    jitter = pos - np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
    inner = (pos > 32).all(1) & (pos < 352).all(1)  # clipping shrinks the spread at the border
    assert abs(jitter[inner].std() - 2.0) < 0.15  # rounded N(0, 2): sd sqrt(4 + 1/12)
    still = scan_positions(np.random.default_rng(2), ScanParams("raster", 10, 0.0, 0), 384, 64)
    assert np.array_equal(still[:, 0].reshape(33, 33)[:, 0], grid)


def test_random_positions():
    pos = scan_positions(np.random.default_rng(3), ScanParams("random", 1, 0.0, 500), 96, 16)
    assert pos.shape == (500, 2) and pos.min() >= 8 and pos.max() <= 88


def test_expected_intensity_is_the_far_field_at_one_photon_scale_per_dose():
    cfg = _cfg()
    d = design(cfg)
    obj, probe, pos = d.object, d.probe, d.positions
    scale = d.scale(1234.0)
    lam = expected_intensity(obj, probe, pos[:5], scale)
    assert lam.shape == (5, 16, 16)
    assert lam.dtype == np.float32
    y0, x0 = (pos[3] - 8).astype(int)
    far = np.fft.fftshift(np.fft.fft2(obj[y0 : y0 + 16, x0 : x0 + 16].astype(np.complex128) * probe))
    ref = np.abs(far) ** 2
    np.testing.assert_allclose(lam[3], ref * scale, rtol=1e-4, atol=1e-6 * lam[3].max())
    np.testing.assert_array_equal(object_patches(obj, pos[3:4], 16)[0], obj[y0 : y0 + 16, x0 : x0 + 16])
    # One scale for the scan: the mean total is the dose, and totals follow the transmission under the probe.
    totals = expected_intensity(obj, probe, pos, scale).sum(axis=(1, 2), dtype=np.float64)
    assert totals.mean() == pytest.approx(1234.0, rel=1e-6)
    transmitted = (np.abs(object_patches(obj.astype(np.complex128), pos, 16)) ** 2 * np.abs(probe) ** 2).sum(axis=(1, 2))
    np.testing.assert_allclose(totals, 1234.0 * transmitted / transmitted.mean(), rtol=1e-5)
    assert totals.std() / totals.mean() > 0.1  # amplitude in [0.5, 1]: totals differ pattern to pattern
    assert d.probe_photons(1234.0) == pytest.approx(scale * 256 * (np.abs(probe.astype(np.complex128)) ** 2).sum(), rel=1e-12)
    assert d.probe_photons(1234.0) > totals.max()  # a transmission <= 1 never passes more than the probe's photons


def _plain_intensity(obj, probe, pos, scale):
    """The forward model the direct way: whole exit waves, fft2, fftshift, |.|^2 in float32, scale."""
    n = probe.shape[0]
    wave = nm.multiply_complex(object_patches(obj, pos, n), probe)
    parts = np.fft.fftshift(scipy.fft.fft2(wave), axes=(1, 2)).view(np.float32)
    return (parts[..., 0::2] * parts[..., 0::2] + parts[..., 1::2] * parts[..., 1::2]) * np.float32(scale)


@pytest.mark.parametrize("probe_kind", ["family", "full support", "off-centre box"])
def test_expected_intensity_has_the_bits_of_the_direct_forward_model(probe_kind):
    # expected_intensity works in cache-sized parts on the probe's support box only, with
    # fft2's two passes split: the bits must be those of fft2 over the whole exit waves.
    d = design(_cfg())
    rng = np.random.default_rng(5)
    probe = {"family": d.probe,
             "full support": (rng.normal(size=(16, 16)) + 1j * rng.normal(size=(16, 16))).astype(np.complex64),
             "off-centre box": np.pad(d.probe[3:10, 5:14], ((1, 8), (0, 7)))}[probe_kind]
    pos = d.positions[:37]  # two whole parts of 16 and a short one
    got = expected_intensity(d.object, probe, pos, 3.7)
    np.testing.assert_array_equal(got.view(np.uint32), _plain_intensity(d.object, probe, pos, 3.7).view(np.uint32))
    out = np.empty_like(got)
    assert expected_intensity(d.object, probe, pos, 3.7, out=out) is out
    np.testing.assert_array_equal(out.view(np.uint32), got.view(np.uint32))


def test_expected_intensity_has_the_direct_models_bits_at_the_pipelines_probe_size():
    """params.yaml's own design (64 x 64 probe, 384 x 384 object): its support box and FFT lengths."""
    d = design(SimulationConfig.from_params(PARAMS.seed, 1000, PARAMS.family("ptycho")))
    assert d.probe.shape == (64, 64)
    pos = d.positions[:: len(d.positions) // 40][:40]  # across the scan, two whole parts and a short one
    got = expected_intensity(d.object, d.probe, pos, 2.5)
    np.testing.assert_array_equal(got.view(np.uint32), _plain_intensity(d.object, d.probe, pos, 2.5).view(np.uint32))


def test_non_finite_inputs_take_the_whole_window_and_keep_the_values():
    # With inf in the object, inf * 0 outside the probe's support is NaN: the support box
    # would drop those NaNs, so the whole window is computed (NaN sign bits may differ).
    d = design(_cfg())
    obj = d.object.copy()
    obj[int(d.positions[0][0]), :] = np.inf  # a row under the first window
    pos = d.positions[:20]
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN on purpose
        got = expected_intensity(obj, d.probe, pos, 3.7)
        want = _plain_intensity(obj, d.probe, pos, 3.7)
    assert np.isnan(got).sum() == np.isnan(want).sum() > 0
    np.testing.assert_array_equal(got, want)  # NaN == NaN here, whatever the sign bit


@pytest.mark.parametrize("shift", [(0, 1), (1, 0), (0, -1), (-1, 0)])
def test_a_window_outside_the_object_is_refused(shift):
    # The support-box gather indexes the object flat: a window over an edge would wrap
    # into the next row instead of failing, so positions are checked first.
    d = design(_cfg())
    n, (h, w) = d.probe.shape[0], d.object.shape
    edge = np.array([[h - n // 2, w - n // 2]]) if max(shift) > 0 else np.array([[n // 2, n // 2]])
    expected_intensity(d.object, d.probe, edge, 1.0)  # the last window inside is fine
    with pytest.raises(ValueError, match=r"outside the .* object: allowed centres in"):
        expected_intensity(d.object, d.probe, edge + np.array([shift]), 1.0)


@pytest.mark.parametrize("dose", [100, 1000, 100000])
def test_counts_recover_the_dose_and_poisson_dispersion(dose):
    cfg = _cfg(dose)
    sim = simulate(cfg)
    assert sim.counts.dtype == np.uint32 and sim.intensity.dtype == np.float32
    stats = photon_statistics(sim.counts, sim.intensity, dose)
    n = len(sim.counts)
    # The mean total is within 4 standard errors sqrt(dose / n) of the dose.
    assert abs(stats["mean_total"] - dose) < 4 * math.sqrt(dose / n)
    lam64 = sim.intensity.astype(np.float64)
    se = math.sqrt((lam64 + 2 * lam64**2).sum()) / lam64.sum()  # Poisson: Var (k - lam)^2 = lam + 2 lam^2
    assert abs(stats["dispersion_index"] - 1) < 4 * se and se < 0.05
    # Per-pixel: variance over repeats equals the mean (another seed per repeat).
    pix = np.unravel_index(np.argmax(sim.intensity[0]), sim.intensity.shape[1:])
    lam = float(sim.intensity[0][pix])
    reps = np.array([poisson_counts(s, dose, sim.intensity[:1].astype(np.float64))[0][pix] for s in range(400)])
    assert abs(reps.mean() - lam) < 5 * math.sqrt(lam / 400)
    assert 0.75 < reps.var() / lam < 1.3


def test_design_is_shared_across_doses_and_noise_is_not():
    a, b = simulate(_cfg(1000)), simulate(_cfg(2000))
    assert np.array_equal(a.object, b.object) and np.array_equal(a.positions, b.positions)
    np.testing.assert_allclose(2 * a.intensity, b.intensity, rtol=1e-6)
    again = simulate(_cfg(1000))
    assert np.array_equal(a.counts, again.counts)
    assert not np.array_equal(a.counts, simulate(SimulationConfig.from_params(7, 1000, tiny_section())).counts)


def test_noise_of_a_pattern_does_not_depend_on_how_many_follow():
    # Faint (table), open (exact inversion) and bright (PTRS) pixels in every pattern.
    lam = np.exp(np.random.default_rng(8).uniform(-10, 9, (NOISE_BLOCK + 10, 4, 4))).astype(np.float32)
    whole = poisson_counts(42, 1000, lam)
    first_block = poisson_counts(42, 1000, lam[:NOISE_BLOCK])
    second = poisson_counts(42, 1000, lam[NOISE_BLOCK:], first_block=1)
    assert np.array_equal(whole, np.concatenate([first_block, second]))
    assert np.array_equal(whole, poisson_counts(42, 1000, lam))  # and again: the same bytes
    # Each block is its own stream: the second block does not repeat the first's draws.
    assert not np.array_equal(second, poisson_counts(42, 1000, lam[NOISE_BLOCK:], first_block=0))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"probe": {"size_px": 16, "radius_px": 9.0, "edge_px": 1.0, "defocus_rad": 0.0}}, "radius_px=9.0"),
        ({"object": {"size_px": 16, "amplitude": [0.5, 1], "phase_rad": [0, 1], "correlation_px": 1.0}}, "object.size_px=16"),
        ({"scan": {"pattern": "spiral", "step_px": 6, "jitter_px": 1.0, "n_positions": 9}},
         r"""^scan\.pattern="spiral" is invalid: allowed one of \['raster', 'random'\]$"""),
    ],
)
def test_inconsistent_parameters_are_refused_with_the_key_and_value(section, message):
    with pytest.raises(ValueError, match=message):
        SimulationConfig.from_params(42, 1000, tiny_section(**section))


@pytest.mark.parametrize(
    ("dose", "key", "value", "message"),
    [
        (0, None, None, "dose=0 is invalid: allowed >= 1"),
        (1000, "probe", {"size_px": 15}, "probe.size_px=15 is invalid: allowed a multiple of 2"),
        (1000, "probe", {"size_px": 2}, "probe.size_px=2 is invalid: allowed >= 4"),
        (1000, "scan", {"step_px": 0}, "scan.step_px=0 is invalid: allowed >= 1"),
        (1000, "scan", {"n_positions": 1}, "scan.n_positions=1 is invalid: allowed >= 2"),
        (1000, "object", {"size_px": 96.5}, "object.size_px=96.5 is invalid: allowed an integer from 8 to 8192"),
    ],
)
def test_each_key_is_checked_against_the_params_schema(dose, key, value, message):
    """A section built in Python meets the schema's bounds (the only place they are written)."""
    section = tiny_section()
    if key is not None:
        section[key].update(value)
    with pytest.raises(ValueError) as info:
        SimulationConfig.from_params(42, dose, section)
    assert str(info.value) == message


def test_configs_have_no_defaults_of_their_own():
    """params.yaml is where the values are: no dataclass repeats them as defaults."""
    import dataclasses

    from synthbank.families.ptycho import config

    for cls in (ObjectParams, ProbeParams, ScanParams, SimulationConfig, config.PatchConfig, config.ViewsConfig):
        assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(cls)), cls.__name__


def test_disk_estimate_counts_the_positions_and_bounds_the_bytes(tiny_root):
    from synthbank.families.ptycho.layout import dose_bytes

    for scan in ({"pattern": "raster", "step_px": 6, "jitter_px": 1.0, "n_positions": 5},
                 {"pattern": "random", "step_px": 6, "jitter_px": 1.0, "n_positions": 57}):
        cfg = SimulationConfig.from_params(42, 1000, tiny_section(scan=scan))
        assert cfg.n_positions == len(design(cfg).positions)
    cfg = _cfg()
    for dose in ("dose_1000", "dose_100000"):
        written = sum(p.stat().st_size for p in (tiny_root / dose).rglob("*") if p.is_file())
        assert written <= dose_bytes(cfg.n_positions, cfg.probe_px, cfg.object_shape) < 20 * written
