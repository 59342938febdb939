"""The chromatic block generator: determinism, kept positions, statistics recovered from output."""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from synthbank.families.chromatic.colours import hsl_to_rgb, rgb_to_hsl
from synthbank.families.chromatic.generate import generate_block
from synthbank.families.chromatic.metrics import region_sums
from synthbank.families.chromatic.quantum import quantise
from synthbank.families.chromatic.spec import ChromaticParams, validate_params
from synthbank.families.chromatic.spectral import bridge_kernel, gaussian_kernel, to_spectral, wavelengths

P = ChromaticParams.default(height=96, width=96, cells_per_side=12)


@pytest.fixture(scope="module")
def block():
    return generate_block(np.random.default_rng(7), 24, P)


def test_block_is_a_pure_function_of_the_generator_state(block):
    again = generate_block(np.random.default_rng(7), 24, P)
    for name in ("chromatic", "mask", "region_hsl", "spectral"):
        assert np.array_equal(getattr(block, name), getattr(again, name)), name
    other = generate_block(np.random.default_rng(8), 24, P)
    assert not np.array_equal(block.chromatic, other.chromatic)


def test_kept_positions_have_the_bytes_of_the_full_block(block):
    part = generate_block(np.random.default_rng(7), 24, P, keep=(23, 5))
    for name in ("chromatic", "mask", "region_hsl", "spectral"):
        assert np.array_equal(getattr(part, name), getattr(block, name)[[23, 5]]), name
    with pytest.raises(ValueError, match="keep"):
        generate_block(np.random.default_rng(7), 24, P, keep=(24,))


def test_shapes_dtypes_ranges_and_quantisation(block):
    n, r, k = 24, P.regions, P.bands
    assert block.chromatic.shape == (n, 96, 96, 3) and block.chromatic.dtype == np.float32
    assert block.mask.shape == (n, 96, 96) and block.mask.dtype == np.uint8 and int(block.mask.max()) == r - 1
    assert block.region_hsl.shape == (n, r, 3) and block.spectral.shape == (n, 96, 96, k)
    assert 0.0 <= block.chromatic.min() and block.chromatic.max() <= 1.0
    for a in (block.chromatic, block.spectral, block.region_hsl):
        assert np.abs(a.astype(np.float64) * 1e6 - np.rint(a.astype(np.float64) * 1e6)).max() < 0.3


def test_region_colours_are_uniform_in_hsl(block):
    """Recover each region's colour from its pixels and check HSL means and variances."""
    count, total, _ = region_sums(block.chromatic, block.mask, P.regions)
    rgb = total / count[:, None]
    inner = (rgb.min(axis=1) > 0.2) & (rgb.max(axis=1) < 0.8)  # away from clipping: mean is unbiased
    truth = hsl_to_rgb(block.region_hsl.reshape(-1, 3).astype(np.float64))
    # noise averages out: ~0.05 / sqrt(pixels per region)
    assert np.abs(rgb[inner] - truth[inner]).max() < 6 * 0.05 / np.sqrt(count[inner].min())
    hsl = block.region_hsl.reshape(-1, 3).astype(np.float64)
    # Latin hypercube: per sample the mean is 1/2 within 1/(2R); variance 1/12
    assert np.abs(hsl.mean(axis=0) - 0.5).max() < 0.01
    assert np.abs(hsl.var(axis=0) - 1 / 12).max() < 0.004
    per_sample = block.region_hsl.astype(np.float64).mean(axis=1)
    assert np.abs(per_sample - 0.5).max() < 1 / P.regions
    # one value per stratum, per sample and coordinate
    strata = np.sort(np.floor(block.region_hsl.astype(np.float64) * P.regions).astype(int), axis=1)
    assert np.array_equal(strata, np.broadcast_to(np.arange(P.regions)[None, :, None], strata.shape))


def _ks_uniform(x, lo, hi):
    return stats.kstest(x, stats.uniform(loc=lo, scale=hi - lo).cdf).pvalue


def test_noise_free_pixels_are_the_region_colours_and_their_hsl_is_uniform():
    """From the output alone: each mask region is one colour; those colours, taken back to
    HSL, are uniform on the configured box (KS), while uniform RGB colours are not."""
    box = [(0.2, 0.6), (0.1, 0.9), (0.15, 0.85)]
    p = dataclasses.replace(P, noise_level=0.0, sampling="independent", hue=box[0], saturation=box[1], lightness=box[2])
    b = generate_block(np.random.default_rng(5), 24, p)
    n = np.arange(24)[:, None, None]
    # masks match regions: every pixel is exactly its region's colour
    expect = quantise(hsl_to_rgb(b.region_hsl.astype(np.float64)).astype(np.float32)[n, b.mask])
    assert np.array_equal(b.chromatic, expect)
    count, total, _ = region_sums(b.chromatic, b.mask, p.regions)
    assert count.min() > 0 and np.unique(b.chromatic.reshape(-1, 3), axis=0).shape[0] == 24 * p.regions
    hsl = rgb_to_hsl(total / count[:, None])  # recovered from the pixels
    for j, (lo, hi) in enumerate(box):
        assert lo - 1e-5 <= hsl[:, j].min() and hsl[:, j].max() <= hi + 1e-5
        assert _ks_uniform(hsl[:, j], lo, hi) > 0.01
    # the same test has the power to reject another distribution of this size: RGB uniform
    rgb_uniform = rgb_to_hsl(np.random.default_rng(6).random((hsl.shape[0], 3)))
    assert _ks_uniform(rgb_uniform[:, 2], 0.0, 1.0) < 1e-6 and _ks_uniform(rgb_uniform[:, 1], 0.0, 1.0) < 1e-6


def test_independent_sampling_is_uniform_but_not_stratified():
    p = dataclasses.replace(P, sampling="independent", hue=(0.2, 0.6), lightness=(0.1, 0.5))
    b = generate_block(np.random.default_rng(3), 24, p)
    hsl = b.region_hsl.reshape(-1, 3).astype(np.float64)
    n = hsl.shape[0]
    for j, (lo, hi) in enumerate([(0.2, 0.6), (0.0, 1.0), (0.1, 0.5)]):
        assert lo <= hsl[:, j].min() and hsl[:, j].max() <= hi
        assert abs(hsl[:, j].mean() - (lo + hi) / 2) < 4 * (hi - lo) / np.sqrt(12 * n)
        assert abs(hsl[:, j].var() - (hi - lo) ** 2 / 12) < 0.1 * (hi - lo) ** 2 / 12
    strata = np.sort(np.floor(b.region_hsl[..., 1].astype(np.float64) * p.regions).astype(int), axis=1)
    assert not np.array_equal(strata, np.broadcast_to(np.arange(p.regions), strata.shape))


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.1])
def test_noise_level_is_recovered_from_regions(sigma):
    p = dataclasses.replace(P, noise_level=sigma)
    b = generate_block(np.random.default_rng(4), 8, p)
    residual = b.chromatic.astype(np.float64) - hsl_to_rgb(b.region_hsl.astype(np.float64))[np.arange(8)[:, None, None], b.mask]
    clean = hsl_to_rgb(b.region_hsl.astype(np.float64))[np.arange(8)[:, None, None], b.mask]
    far = (clean > 4 * sigma) & (clean < 1 - 4 * sigma)  # clipping is 4 sigma away
    est = residual[far].std()
    assert far.sum() > 20_000
    assert abs(est - sigma) < 0.01 * sigma
    assert abs(residual[far].mean()) < 0.01 * sigma


def test_spectral_is_the_bridge_kernel_image(block):
    kernel = bridge_kernel(P)
    lam = wavelengths(P)
    assert lam[0] == 400 and lam[-1] == 700 and lam.size == 31
    assert np.abs(kernel - gaussian_kernel(lam, P.centres_nm, P.widths_nm, P.amplitudes)).max() <= 5e-7 + 1e-7
    expect = np.einsum("...c,ck->...k", block.chromatic.astype(np.float64), kernel.astype(np.float64))
    assert np.abs(block.spectral - expect).max() < 1e-6
    assert np.array_equal(to_spectral(block.chromatic, kernel), block.spectral)
    assert int(np.argmax(kernel[0])) == 21 and int(np.argmax(kernel[2])) == 6  # 610 nm and 465 nm bands


def test_amplitudes_are_bounded_by_their_sum():
    """The spectral peak is at most the amplitude sum; quantise() is exact below 16 (the largest
    amplitudes the schema allows, 5 each, sum to 15)."""
    validate_params(dataclasses.replace(P, amplitudes=(5.0, 5.0, 5.0)))
    b = generate_block(np.random.default_rng(9), 1, dataclasses.replace(P, height=16, width=16, cells_per_side=4,
                                                                       amplitudes=(5.0, 5.0, 5.0)))
    assert np.array_equal(quantise(b.spectral.copy()), b.spectral)


def test_bad_block_arguments_are_refused():
    with pytest.raises(ValueError, match="n=0"):
        generate_block(np.random.default_rng(0), 0, P)
    with pytest.raises(TypeError, match="Generator"):
        generate_block(np.random.RandomState(0), 2, P)
