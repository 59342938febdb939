"""Fourier multipliers map by map: the bits of irfft2(rfft2(maps) * transfer), in place or not."""

import numpy as np
import pytest

from synthbank.families.energy import spectral


@pytest.mark.parametrize("shape", [(3, 64, 96), (2, 128, 128)])
def test_filter_maps_is_rfft2_times_transfer_then_irfft2_bit_for_bit(shape):
    rng = np.random.default_rng(5)
    n, h, w = shape
    maps = rng.random(shape) * 10.0 ** rng.uniform(-3, 3, (n, 1, 1))
    for transfer in (rng.random((h, w // 2 + 1)), rng.random((n, h, w // 2 + 1))):
        ref = np.fft.irfft2(np.fft.rfft2(maps) * transfer, s=(h, w))
        got = spectral.filter_maps(maps, transfer)
        assert got.shape == shape and np.array_equal(got, ref)
        inplace = maps.copy()
        assert spectral.filter_maps(inplace, transfer, out=inplace) is inplace
        assert np.array_equal(inplace, ref)
