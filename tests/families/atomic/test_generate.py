"""Tests of the atomic block generator: shapes, determinism, noise, labels, classes, refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from families.atomic.helpers import rng
from synthbank import numerics
from synthbank.families.atomic.generate import AtomicBlock, generate_block
from synthbank.families.atomic.geometry import sample_geometry
from synthbank.families.atomic.lattice import GRID_SIZE, LATTICE_NAMES, LatticeParams
from synthbank.families.atomic.render import render_clean

TRUTH_KEYS = {"spacing_px", "orientation_rad", "sigma_px", "contrast", "background", "vacancy_fraction"}
QUANT_STD = 1.0 / 255.0 / math.sqrt(12.0)  # std of rounding to 1/255 steps


# --- shapes, determinism, ranges ------------------------------------------------------


def test_shapes_dtypes_and_truth_ranges():
    lat = LatticeParams.default()
    block = generate_block(rng(0), 500, lat)
    assert isinstance(block, AtomicBlock)
    assert block.images.shape == (500, GRID_SIZE, GRID_SIZE) and block.images.dtype == np.uint8
    assert block.labels.shape == (500,) and block.labels.dtype == np.uint8
    assert block.labels.max() < len(LATTICE_NAMES)
    assert set(block.truth) == TRUTH_KEYS
    for key, value in block.truth.items():
        assert value.shape == (500,) and value.dtype == np.float32, key
    t = block.truth
    assert np.all((t["spacing_px"] >= 3.5) & (t["spacing_px"] <= 6.0))
    frac = t["sigma_px"] / t["spacing_px"]
    assert np.all((frac >= 0.16 - 1e-6) & (frac <= 0.24 + 1e-6))
    assert np.all((t["contrast"] >= 0.5) & (t["contrast"] <= 1.0))
    assert np.all((t["background"] >= 0.0) & (t["background"] <= 0.2))
    assert np.all((t["orientation_rad"] >= 0) & (t["orientation_rad"] <= np.float32(2 * np.pi)))
    assert np.all((t["vacancy_fraction"] >= 0) & (t["vacancy_fraction"] <= 1))
    # Pixel statistics the dataset thresholds expect (params.yaml: mean 40..140, std >= 10).
    assert 40 < block.images.mean() < 140 and block.images.std() > 10


def test_same_seed_same_bytes_different_seed_differs():
    lat = LatticeParams.default()
    a = generate_block(rng(123), 1000, lat)
    b = generate_block(rng(123), 1000, lat)
    c = generate_block(rng(124), 1000, lat)
    assert a.images.tobytes() == b.images.tobytes()
    assert a.labels.tobytes() == b.labels.tobytes()
    for key in TRUTH_KEYS:
        assert a.truth[key].tobytes() == b.truth[key].tobytes()
    assert a.images.tobytes() != c.images.tobytes()
    assert np.mean(a.labels == c.labels) < 0.5


def test_draw_count_depends_only_on_n_and_params():
    # generate_block = sample_geometry + one (n, 16, 16) float32 normal array (its tail
    # draws replaced portably), whatever the labels and vacancies turned out to be: the
    # generator ends in the same state.
    for seed, lat in [(1, LatticeParams.default()), (2, LatticeParams.default(vacancy_rate=0.5, noise_std=0.0))]:
        used = rng(seed)
        generate_block(used, 300, lat)
        replay = rng(seed)
        sample_geometry(replay, 300, lat)
        numerics.standard_normal(replay, (300, GRID_SIZE, GRID_SIZE), np.float32)
        assert used.bit_generator.state == replay.bit_generator.state


def test_zero_images():
    block = generate_block(rng(0), 0, LatticeParams.default())
    assert block.images.shape == (0, GRID_SIZE, GRID_SIZE) and block.labels.shape == (0,)
    assert all(v.shape == (0,) for v in block.truth.values())


# --- distributions ---------------------------------------------------------------------


def test_labels_uniform():
    block = generate_block(rng(11), 20000, LatticeParams.default())
    counts = np.bincount(block.labels, minlength=len(LATTICE_NAMES))
    assert stats.chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize(
    "noise_std,levels",
    [
        (0.0, {}),
        (0.03, {}),
        # strong noise: keep the clean image mid-scale so most pixels are never clipped
        (0.1, {"background": (0.45, 0.5), "contrast": (0.0, 0.05)}),
    ],
)
def test_noise_std_recovered(noise_std, levels):
    lat = LatticeParams.default(noise_std=noise_std, **levels)
    n = 2000
    block = generate_block(rng(21), n, lat)
    g = sample_geometry(rng(21), n, lat)  # the same draws, minus the noise
    assert np.array_equal(block.labels, g.labels)
    clean = render_clean(g)
    resid = block.images / 255.0 - clean
    margin = 4.5 * noise_std + 2 / 255  # clipping odds < 1e-5
    unclipped = (clean > margin) & (clean < 1 - margin)
    assert unclipped.sum() > 100_000
    res = resid[unclipped]
    expected = math.sqrt(noise_std**2 + QUANT_STD**2)
    assert abs(res.std() / expected - 1) < 0.005
    assert abs(res.mean()) < 0.05 * expected
    if noise_std > 0:
        # Gaussian: kurtosis of the residual is near 0 (quantisation is negligible at 0.03).
        assert abs(stats.kurtosis(res)) < 0.05


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_vacancy_fraction_matches_rate(rate):
    block = generate_block(rng(31), 4000, LatticeParams.default(vacancy_rate=rate))
    frac = block.truth["vacancy_fraction"].astype(np.float64)
    se = frac.std() / math.sqrt(frac.size)
    assert abs(frac.mean() - rate) < 5 * se
    assert generate_block(rng(31), 500, LatticeParams.default(vacancy_rate=0.0)).truth["vacancy_fraction"].max() == 0


# --- classes -------------------------------------------------------------------------


def _spectral_features(g, size: int = 32) -> np.ndarray:
    """Translation- and rotation-invariant, scale-normalised power-spectrum features."""
    img = render_clean(g, size=size, vacancies=False)
    img = img - img.mean(axis=(1, 2), keepdims=True)
    w = np.hanning(size)
    power = np.abs(np.fft.fft2(img * w[:, None] * w[None, :])) ** 2  # |F|^2: no translation
    f = np.fft.fftfreq(size)
    fx, fy = np.meshgrid(f, f)
    radius, phi = np.hypot(fx, fy), np.arctan2(fy, fx)
    power *= radius > 1.5 / size
    r0 = radius.ravel()[np.argmax(power.reshape(len(power), -1), axis=1)]  # strongest peak
    rn = radius[None] / r0[:, None, None]  # radial axis in units of the peak: no scale
    edges = np.linspace(0.6, 2.2, 17)
    total = power.sum(axis=(1, 2))
    radial = [(power * ((rn >= lo) & (rn < hi))).sum(axis=(1, 2)) / total for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    ring = power * ((rn > 0.8) & (rn < 1.25))
    # |angular Fourier coefficients| of the ring's power: rotation only changes their phase.
    angular = [np.abs((ring * np.exp(1j * m * phi)).sum(axis=(1, 2))) / ring.sum(axis=(1, 2)) for m in (2, 4, 6)]
    return np.stack(radial + angular, axis=1)


def test_classes_distinguishable():
    lat = LatticeParams.default()
    train, test = sample_geometry(rng(51), 1500, lat), sample_geometry(rng(52), 1000, lat)
    x_train, x_test = _spectral_features(train), _spectral_features(test)
    mu, sd = x_train.mean(axis=0), x_train.std(axis=0) + 1e-12
    z_train, z_test = (x_train - mu) / sd, (x_test - mu) / sd
    centroids = np.stack([z_train[train.labels == c].mean(axis=0) for c in range(len(LATTICE_NAMES))])
    pred = np.argmin(((z_test[:, None, :] - centroids[None]) ** 2).sum(axis=-1), axis=1)
    accuracy = np.mean(pred == test.labels)
    assert accuracy > 0.8  # chance is 0.2
    per_class = [np.mean(pred[test.labels == c] == c) for c in range(len(LATTICE_NAMES))]
    assert min(per_class) > 0.6


# --- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,value,fragment",
    [
        ("spacing_px", (1.0, 6.0), "(1.0, 6.0)"),
        ("spacing_px", (6.0, 3.5), "(6.0, 3.5)"),
        ("spacing_px", (3.5, 9.0), "(3.5, 9.0)"),
        ("width_fraction", (0.0, 0.2), "(0.0, 0.2)"),
        ("width_fraction", (0.1, 0.6), "(0.1, 0.6)"),
        ("contrast", (-0.1, 1.0), "(-0.1, 1.0)"),
        ("contrast", (0.5, 1.5), "(0.5, 1.5)"),
        ("background", (0.3, 0.2), "(0.3, 0.2)"),
        ("background", (float("nan"), 0.2), "nan"),
        ("vacancy_rate", 1.5, "1.5"),
        ("vacancy_rate", 1.0, "1.0"),
        ("vacancy_rate", -0.1, "-0.1"),
        ("noise_std", -0.01, "-0.01"),
        ("noise_std", float("inf"), "inf"),
    ],
)
def test_bad_parameters_raise(name, value, fragment):
    lat = LatticeParams.default(**{name: value})
    with pytest.raises(ValueError) as err:
        generate_block(rng(0), 10, lat)
    message = str(err.value)
    # the schema's wording, as for params.yaml: atomic.lattice.<key>[.<index>]=<value> is invalid: allowed ...
    assert message.startswith(f"atomic.lattice.{name}") and " is invalid: allowed " in message, message
    assert "\n" not in message


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_bad_n_raises(n):
    with pytest.raises(ValueError, match=r"n=.*allowed"):
        generate_block(rng(0), n, LatticeParams.default())


def test_vacancy_rate_message_example():
    expected = r"^atomic\.lattice\.vacancy_rate=1\.5 is invalid: allowed < 1$"
    with pytest.raises(ValueError, match=expected):
        generate_block(rng(0), 1, LatticeParams.default(vacancy_rate=1.5))
