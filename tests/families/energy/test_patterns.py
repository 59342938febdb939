"""Base patterns: shapes, non-negativity, normalisation, and the turbulent spectrum's slope."""

import numpy as np
import pytest

from synthbank.families.energy import patterns
from synthbank.families.energy.sequence import PatternParams, base_maps


def rngs(n, seed=0):
    return [np.random.default_rng([seed, i]) for i in range(n)]


@pytest.mark.parametrize("pattern", patterns.PATTERNS)
@pytest.mark.parametrize("shape", [(64, 64), (128, 192), (256, 256)])
def test_every_pattern_is_nonnegative_finite_and_normalised(pattern, shape):
    maps = base_maps(pattern, shape, 1000.0, PatternParams(), rngs(3))
    assert maps.shape == (3, *shape) and maps.dtype == np.float64
    assert np.isfinite(maps).all() and (maps >= 0).all()
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1000.0, rtol=1e-12)
    assert (maps.std(axis=(1, 2)) > 0).all()  # not flat


def test_patterns_are_deterministic_given_their_rngs_and_differ_between_rngs():
    a = base_maps("vortex", (64, 64), 1.0, PatternParams(), rngs(2))
    b = base_maps("vortex", (64, 64), 1.0, PatternParams(), rngs(2))
    assert np.array_equal(a, b) and not np.array_equal(a[0], a[1])


def shell_spectrum_slope(maps, kmin=4, kmax=40):
    """Fit log E(k) = a + slope log k on the radially summed power of the fluctuations."""
    n, h, w = maps.shape
    power = np.abs(np.fft.fft2(maps - maps.mean(axis=(1, 2), keepdims=True))) ** 2
    ky, kx = np.meshgrid(np.fft.fftfreq(h, 1 / h), np.fft.fftfreq(w, 1 / h), indexing="ij")
    k = np.rint(np.hypot(ky, kx)).astype(int)
    shells = np.array([np.bincount(k.ravel(), p.ravel(), minlength=h) for p in power]).mean(axis=0)
    ks = np.arange(kmin, kmax + 1)
    return np.polyfit(np.log(ks), np.log(shells[ks]), 1)[0]


@pytest.mark.parametrize("index", [-5 / 3, -3.0, -1.0])
def test_turbulent_shell_spectrum_slope_is_recovered_from_the_maps(index):
    maps = base_maps("turbulent", (256, 256), 1000.0, PatternParams(spectral_index=index), rngs(6, seed=7))
    slope = shell_spectrum_slope(maps)
    assert abs(slope - index) < 0.12, (slope, index)


@pytest.mark.parametrize("shape, ok", [((64, 64), True), ((128, 192), True), ((256, 384), True), ((100, 100), False),
                                        ((64, 65), False), ((192, 128), False), ((64,), False)])
def test_validate_shape_allows_square_or_two_to_three(shape, ok):
    assert patterns.validate_shape(shape) is ok
    if not ok:
        with pytest.raises(ValueError, match="allowed"):
            patterns.check_shape(shape)


def test_unknown_pattern_is_refused_with_the_allowed_names():
    with pytest.raises(ValueError, match="pattern='spiral' is invalid: allowed"):
        base_maps("spiral", (64, 64), 1.0, PatternParams(), rngs(1))


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_laminar_layer_count_is_recovered_from_the_row_profile(layers):
    pp = PatternParams(shear_layers=(layers, layers), shear_thickness=(0.3, 0.3))  # dips a few rows wide
    maps = base_maps("laminar", (128, 192), 1000.0, pp, rngs(2))
    profile = maps.mean(axis=2)  # (n, h): u^2 vanishes where sin(2 pi m y) crosses zero
    low = profile < 0.5 * profile.max(axis=1, keepdims=True)
    dips = (low & ~np.roll(low, 1, axis=1)).sum(axis=1)  # periodic runs of low rows
    assert (dips == 2 * layers).all(), dips


def test_random_cells_are_uniform_so_their_spread_is_one_over_root_three():
    maps = base_maps("random", (256, 256), 1000.0, PatternParams(), rngs(2))
    cv = maps.std(axis=(1, 2)) / maps.mean(axis=(1, 2))
    np.testing.assert_allclose(cv, 1 / np.sqrt(3), rtol=0.01)


def test_vortex_equals_the_direct_taylor_vortex_formula():
    """The separable evaluation equals u_theta = G r / (2 pi r_c^2) exp((1 - r^2/r_c^2)/2) summed directly."""
    from synthbank.families.energy.patterns import vortex

    rng = np.random.default_rng(5)
    h, w, k = 24, 36, 3
    centres, circ, core = rng.random((2, k, 2)), rng.normal(0, 1, (2, k)), rng.uniform(0.05, 0.2, (2, k))
    got = vortex(h, w, centres, circ, core)
    yy, xx = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / h, indexing="ij")
    for n in range(2):
        u = np.zeros((h, w))
        v = np.zeros((h, w))
        for j in range(k):
            dy = yy - centres[n, j, 0]
            dx = xx - centres[n, j, 1] * (w / h)
            dy -= np.round(dy)
            dx -= (w / h) * np.round(dx / (w / h))
            r = np.hypot(dy, dx)
            speed = circ[n, j] * r / (2 * np.pi * core[n, j] ** 2) * np.exp((1 - r**2 / core[n, j] ** 2) / 2)
            u -= speed * dy / np.where(r > 0, r, 1)
            v += speed * dx / np.where(r > 0, r, 1)
        np.testing.assert_allclose(got[n], 0.5 * (u**2 + v**2) + 1e-6, rtol=1e-12, atol=1e-15)
