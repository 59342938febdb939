"""Pyramids conserve energy at every scale; gradients are correct and stored, not recomputed."""

import h5py
import numpy as np
import pytest

from synthbank.families.energy import pyramid
from synthbank.families.energy.sequence import PatternParams, base_maps


@pytest.mark.parametrize("pattern", ["turbulent", "vortex", "random"])
def test_every_scale_keeps_the_total_energy_and_stays_nonnegative(pattern):
    maps = base_maps(pattern, (256, 384), 1000.0, PatternParams(), [np.random.default_rng([1, i]) for i in range(3)])
    levels = pyramid.precompute_pyramids(maps, (256, 128, 64))
    assert [levels[s].shape for s in (256, 128, 64)] == [(3, 256, 384), (3, 128, 192), (3, 64, 96)]
    for m in levels.values():
        assert (m >= 0).all() and np.isfinite(m).all()
        np.testing.assert_allclose(m.sum(axis=(1, 2)), 1000.0, rtol=1e-12)


def test_downsampling_is_bicubic_of_a_smooth_field():
    y, x = np.meshgrid(np.arange(128), np.arange(128), indexing="ij")
    m = 2.0 + np.sin(2 * np.pi * x / 128) * np.cos(2 * np.pi * y / 128)
    coarse = pyramid.downsample(m[None])[0]
    yc, xc = np.meshgrid((np.arange(64) + 0.5) * 2 - 0.5, (np.arange(64) + 0.5) * 2 - 0.5, indexing="ij")
    expected = 2.0 + np.sin(2 * np.pi * xc / 128) * np.cos(2 * np.pi * yc / 128)
    expected *= m.sum() / expected.sum()
    assert np.abs(coarse - expected).max() < 1e-3 * expected.max()


def test_gradients_of_a_sine_are_its_derivative():
    x = np.arange(256) / 256
    m = np.tile(1 + 0.5 * np.sin(2 * np.pi * 3 * x), (256, 1))
    gx, gy = pyramid.compute_gradients(m, spacing=1 / 256)
    expected = 0.5 * 2 * np.pi * 3 * np.cos(2 * np.pi * 3 * x)
    assert np.abs(gx[0] - expected).max() < 0.01 * np.abs(expected).max()
    assert np.abs(gy).max() < 1e-12


def test_scales_are_validated():
    with pytest.raises(ValueError, match="scales=\\[256, 64\\] is invalid"):
        pyramid.check_scales(256, [256, 64])
    with pytest.raises(ValueError, match="allowed a list starting at the map height 128"):
        pyramid.check_scales(128, [256, 128])


def test_stored_pyramid_conserves_energy_and_stored_gradients_match(atlas):
    from synthbank.families.energy.loader import EnergyAtlasLoader

    from synthbank.families.energy import layout

    files = {h: layout.split_files(layout.dataset_dir(atlas / "plasma_physics", "plasma_physics", h)) for h in (128, 64)}
    e128 = layout.read_rows(files[128], "t0_fields/energy").astype(np.float64)
    e64 = layout.read_rows(files[64], "t0_fields/energy").astype(np.float64)
    g64 = layout.read_rows(files[64], "t1_fields/energy_gradient")
    np.testing.assert_allclose(e64.sum(axis=(2, 3)), e128.sum(axis=(2, 3)), rtol=1e-5)
    gx, gy = EnergyAtlasLoader.compute_gradients(e64)
    np.testing.assert_allclose(g64[..., 1], gx, rtol=1e-4, atol=1e-3 * np.abs(gx).max())
    np.testing.assert_allclose(g64[..., 0], gy, rtol=1e-4, atol=1e-3 * np.abs(gy).max())
