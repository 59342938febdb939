"""The HSL <-> RGB conversions of the chromatic colours."""

import colorsys

import numpy as np

from synthbank.families.chromatic.colours import hsl_to_rgb, rgb_to_hsl


def test_hsl_rgb_conversions_match_colorsys_and_invert():
    hsl = np.random.default_rng(0).random((2000, 3))
    rgb = hsl_to_rgb(hsl)
    ref = np.array([colorsys.hls_to_rgb(h, lig, s) for h, s, lig in hsl])
    assert np.abs(rgb - ref).max() < 1e-12
    back = rgb_to_hsl(rgb)
    ref_hsl = np.array([colorsys.rgb_to_hls(*c) for c in rgb])[:, [0, 2, 1]]
    assert np.abs(back - ref_hsl).max() < 1e-12
    assert np.abs(back - hsl).max() < 1e-9  # saturation > 0 and 0 < lightness < 1 almost surely
    assert rgb_to_hsl(np.array([0.3, 0.3, 0.3])).tolist() == [0.0, 0.0, 0.3]  # grey: hue and saturation 0
