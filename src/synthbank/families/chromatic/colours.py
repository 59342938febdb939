"""Region colours of the chromatic samples: the HSL draw and the HSL <-> RGB conversions.

Hue, saturation and lightness are each uniform on their ``[low, high]`` range. With
``sampling="latin_hypercube"`` the R colours of one sample form a Latin hypercube: per
coordinate, the R values fall one in each of R equal strata in a random order. Every
single colour is still exactly uniform on the box; the sample's colours are spread
evenly, so dataset colour means converge far faster than with ``"independent"`` draws.
"""

from __future__ import annotations

import numpy as np

from synthbank.families.chromatic.spec import ChromaticParams


def hsl_to_rgb(hsl: np.ndarray) -> np.ndarray:
    """HSL to RGB (the CSS Color 4 formula), float64, any leading shape.

    Parameters
    ----------
    hsl : ndarray, shape (..., 3)
        Hue (turns, [0, 1]), saturation and lightness ([0, 1]).

    Returns
    -------
    ndarray of float64, shape (..., 3)
        R, G, B in [0, 1]: ``f(n) = L - a * clip(min(k - 3, 9 - k), -1, 1)`` with
        ``k = (n + 12 H) mod 12``, ``a = S * min(L, 1 - L)``, n = 0, 8, 4 for R, G, B.
    """
    hsl = np.asarray(hsl, dtype=np.float64)
    h, s, lig = hsl[..., 0:1], hsl[..., 1:2], hsl[..., 2:3]
    a = s * np.minimum(lig, 1.0 - lig)
    k = np.mod(np.array([0.0, 8.0, 4.0]) + 12.0 * h, 12.0)
    return lig - a * np.clip(np.minimum(k - 3.0, 9.0 - k), -1.0, 1.0)


def rgb_to_hsl(rgb: np.ndarray) -> np.ndarray:
    """RGB to HSL, float64, any leading shape (inverse of :func:`hsl_to_rgb`).

    Returns
    -------
    ndarray of float64, shape (..., 3)
        Hue in [0, 1) turns (0 where max == min), saturation
        ``C / (1 - |2L - 1|)`` (0 where C = 0) and lightness ``(max + min) / 2``.
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    c = mx - mn
    lig = 0.5 * (mx + mn)
    denom = 1.0 - np.abs(2.0 * lig - 1.0)
    s = np.divide(c, denom, out=np.zeros_like(c), where=(c > 0) & (denom > 0))
    safe = np.where(c > 0, c, 1.0)
    h6 = np.where(mx == r, np.mod((g - b) / safe, 6.0), np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    h = np.where(c > 0, h6 / 6.0, 0.0)
    h = np.where(h >= 1.0, h - 1.0, h)
    return np.stack([h, np.minimum(s, 1.0), lig], axis=-1)


def draw_colours(rng: np.random.Generator, n: int, p: ChromaticParams) -> np.ndarray:
    """Region colours of ``n`` images in HSL, ``(n, R, 3)`` float64 (see module docstring)."""
    r = p.regions
    if p.sampling == "latin_hypercube":
        perm = rng.permuted(np.broadcast_to(np.arange(r, dtype=np.float64), (n, 3, r)), axis=-1)
        unit = (perm + rng.random((n, 3, r))) / r
    else:
        unit = rng.random((n, 3, r))
    box = p.hsl_box
    hsl = box[:, 0][None, :, None] + unit * (box[:, 1] - box[:, 0])[None, :, None]
    return np.ascontiguousarray(hsl.transpose(0, 2, 1))
