"""Perturbations: conservation per kind, exact translation and scaling, no negatives, entropy."""

import numpy as np
import pytest
from scipy import ndimage

from synthbank.families.energy import perturb, thermo
from synthbank.families.energy.sequence import PatternParams, base_maps

N = 4


@pytest.fixture(scope="module", params=["turbulent", "vortex", "laminar", "random"])
def maps(request):
    return base_maps(request.param, (128, 128), 1000.0, PatternParams(), [np.random.default_rng([3, i]) for i in range(N)])


def apply(kind, maps, rng):
    if kind == "rotation":
        return perturb.rotate(maps, rng.uniform(-90, 90, N))
    if kind == "noise":
        return perturb.add_noise(maps, np.full(N, 0.2), rng.standard_normal(maps.shape))
    if kind == "blur":
        return perturb.blur(maps, np.full(N, 3.0))
    if kind == "translation":
        return perturb.translate(maps, rng.integers(-40, 40, N), rng.integers(-40, 40, N))
    return perturb.scale(maps, np.full(N, 1.3))


@pytest.mark.parametrize("kind", perturb.KINDS)
def test_each_kind_conserves_energy_never_goes_negative_and_is_deterministic(maps, kind):
    out = apply(kind, maps, np.random.default_rng(1))
    again = apply(kind, maps, np.random.default_rng(1))
    assert np.array_equal(out, again)
    assert out.shape == maps.shape and np.isfinite(out).all() and (out >= 0).all()
    expected = 1.3 if kind == "scaling" else 1.0
    err = thermo.conservation_error(maps.sum(axis=(1, 2)), out.sum(axis=(1, 2)), expected)
    assert err.max() < 1e-12, (kind, err)


def test_translation_is_an_exact_periodic_shift_and_scaling_exactly_its_factor(maps):
    out = perturb.translate(maps, np.array([3, -5, 0, 127]), np.array([0, 7, -1, 1]))
    for i, (dy, dx) in enumerate([(3, 0), (-5, 7), (0, -1), (127, 1)]):
        assert np.array_equal(out[i], np.roll(maps[i], (dy, dx), axis=(0, 1)))
    assert np.array_equal(np.sort(out.ravel()), np.sort(maps.ravel()))  # a permutation: energy exactly kept
    np.testing.assert_array_equal(perturb.scale(maps, np.full(N, 0.5)), maps * 0.5)


def test_rotation_is_a_rotation_that_never_lowers_entropy(maps):
    # Quarter turns are exact cell permutations, as np.rot90 (counter-clockwise as displayed).
    np.testing.assert_array_equal(perturb.rotate(maps, np.array([90.0, -90.0, 180.0, 0.0])),
                                  np.stack([np.rot90(maps[0], 1), np.rot90(maps[1], -1), np.rot90(maps[2], 2), maps[3]]))
    # Other angles: scipy's cubic rotation of a smooth map, inside the inscribed disc.
    smooth = perturb.blur(maps, np.full(N, 3.0))
    angles = np.array([12.5, -33.0, 45.0, 150.0])
    out = perturb.rotate(smooth, angles)
    yy, xx = np.mgrid[:128, :128] - 63.5
    disc = np.hypot(yy, xx) < 50
    for i, a in enumerate(angles):
        ref = ndimage.rotate(smooth[i], a, reshape=False, order=3, mode="grid-wrap")
        assert np.abs(out[i] - ref)[disc].max() < 0.03 * ref[disc].max(), a
    # Shears are doubly stochastic: the entropy cannot fall (resampling along rotated axes can).
    assert (thermo.entropy(perturb.rotate(maps, angles)) >= thermo.entropy(maps) - 1e-12).all()


def test_rotation_of_two_to_three_maps_half_turns_exactly():
    m = base_maps("vortex", (64, 96), 1.0, PatternParams(), [np.random.default_rng([4, i]) for i in range(2)])
    out = perturb.rotate(m, np.array([180.0, 100.0]))
    np.testing.assert_array_equal(out[0], np.rot90(m[0], 2))
    assert abs(out[1].sum() - 1.0) < 1e-12 and (out[1] >= 0).all()


def test_blur_is_a_heat_kernel_and_raises_entropy(maps):
    out = perturb.blur(maps, np.full(N, 2.0))
    assert (thermo.entropy(out) >= thermo.entropy(maps) - 1e-12).all()
    # The variance of a point source grows by sigma^2 per axis (diffusion).
    delta = np.zeros((1, 64, 64))
    delta[0, 32, 32] = 1.0
    spread = perturb.blur(delta, np.array([2.0]))[0]
    y = np.arange(64) - 32
    assert abs((spread.sum(axis=1) * y**2).sum() - 4.0) < 1e-6


def test_noise_magnitude_scales_with_sigma(maps):
    z = np.random.default_rng(5).standard_normal(maps.shape)
    d1 = np.abs(perturb.add_noise(maps, np.full(N, 0.01), z) - maps).mean()
    d2 = np.abs(perturb.add_noise(maps, np.full(N, 0.04), z) - maps).mean()
    assert 3.0 < d2 / d1 < 4.5


def test_validate_energy_conservation_accepts_within_and_raises_beyond_tolerance():
    m = np.ones((64, 64))
    assert thermo.validate_energy_conservation(m, m * 1.04) == pytest.approx(0.04)
    with pytest.raises(thermo.ThermodynamicViolation, match="relative error 0.06") as info:
        thermo.validate_energy_conservation(m, m * 1.06)
    assert info.value.error == pytest.approx(0.06) and info.value.tolerance == 0.05
    assert thermo.validate_energy_conservation(m, m * 2.0, expected_ratio=2.0) == 0.0


def test_entropy_is_shannon_of_the_normalised_map():
    assert thermo.entropy(np.ones((64, 64))) == pytest.approx(np.log(64 * 64))
    point = np.zeros((64, 64))
    point[1, 2] = 7.0
    assert thermo.entropy(point) == 0.0
    assert thermo.validate_entropy_increase(point, np.ones((64, 64)))
    assert not thermo.validate_entropy_increase(np.ones((64, 64)), point)


@pytest.mark.parametrize("kind", perturb.KINDS)
def test_out_takes_the_same_bits_and_the_input_stays(maps, kind):
    """Every kind's ``out=`` gives the bits of the fresh result (noise may write over its normals)."""
    before = maps.copy()
    ref = apply(kind, maps, np.random.default_rng(2))
    out = np.full_like(maps, np.nan)
    rng = np.random.default_rng(2)
    if kind == "noise":
        np.copyto(out, rng.standard_normal(maps.shape))
        got = perturb.add_noise(maps, np.full(N, 0.2), out, out=out)
    elif kind == "rotation":
        got = perturb.rotate(maps, rng.uniform(-90, 90, N), out=out)
    elif kind == "blur":
        got = perturb.blur(maps, np.full(N, 3.0), out=out)
    elif kind == "translation":
        got = perturb.translate(maps, rng.integers(-40, 40, N), rng.integers(-40, 40, N), out=out)
    else:
        got = perturb.scale(maps, np.full(N, 1.3), out=out)
    assert got is out and np.array_equal(got, ref)
    assert np.array_equal(maps, before)


@pytest.mark.parametrize("shape", [(2, 64, 96), (3, 128, 128)])
def test_column_shear_is_the_row_shear_of_the_transposed_maps_bit_for_bit(shape):
    rng = np.random.default_rng(4)
    maps = rng.random(shape)
    shifts = rng.uniform(-3 * shape[1], 3 * shape[1], (shape[0], shape[2]))
    for m, s in zip(maps, shifts, strict=True):
        ref = perturb._shift_rows(np.ascontiguousarray(m.T), s).T
        assert np.array_equal(perturb._shift_cols(m, s, np.empty(m.shape)), ref)


def test_translate_is_np_roll_for_any_shift():
    m = np.random.default_rng(6).random((5, 8, 12))
    dy, dx = np.array([0, 3, -3, 17, -25]), np.array([0, -5, 12, 30, -1])
    got = perturb.translate(m, dy, dx)
    for i in range(5):
        assert np.array_equal(got[i], np.roll(m[i], (dy[i], dx[i]), axis=(0, 1)))
