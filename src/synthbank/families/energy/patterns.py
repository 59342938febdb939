"""Base patterns: non-negative energy density maps, vectorised over a batch.

Every function takes stacked random draws (one row per map) and returns a float64 array
of shape (n, h, w): energy per cell, in energy units, normalised by :func:`normalise`.
Grids are periodic (the unit cell spans [0, w/h) x [0, 1) in x, y; one cell is 1/h wide).
"""

from __future__ import annotations

import functools

import numpy as np

from synthbank import numerics
from synthbank.families.energy import spectral

PATTERNS = ("turbulent", "laminar", "vortex", "random")
#: Allowed short sides and aspect ratios (h, w): square or 2:3 (w = 3h/2).
SCALES = (64, 128, 256)
#: Rows per band of the vortex sum (three float64 bands of a 384-wide map: under 1 MB).
_VORTEX_BAND = 128


def validate_shape(shape: tuple[int, ...]) -> bool:
    """True if ``shape`` is (h, w) with h in :data:`SCALES` and w = h or w = 3h/2."""
    if len(shape) != 2:
        return False
    h, w = (int(s) for s in shape)
    return h in SCALES and (w == h or 2 * w == 3 * h)


def check_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """``shape`` as (h, w), or ValueError naming the value and what is allowed."""
    if not validate_shape(tuple(shape)):
        raise ValueError(
            f"shape={tuple(shape)} is invalid: allowed (h, w) with h in {SCALES} and w = h or w = 3h/2"
        )
    return int(shape[0]), int(shape[1])


def normalise(maps: np.ndarray, total_energy: float, out: np.ndarray | None = None) -> np.ndarray:
    """Scale each map of a (n, h, w) stack so that it sums to ``total_energy`` (into ``out``, which may be ``maps``)."""
    sums = maps.sum(axis=(-2, -1), keepdims=True)
    return np.multiply(maps, float(total_energy) / sums, out=out)


def wavenumbers(h: int, w: int) -> np.ndarray:
    """|k| in cycles per unit length (unit = h cells) on the rfft2 grid, shape (h, w//2+1)."""
    ky = np.fft.fftfreq(h, d=1.0 / h)
    kx = np.fft.rfftfreq(w, d=1.0 / h)
    # squares, their sum and sqrt are IEEE-exact operations (np.hypot is libm's)
    return np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)


def turbulent(noise: np.ndarray, spectral_index: float, floor: float = 0.05, out: np.ndarray | None = None) -> np.ndarray:
    """Gaussian random fields with a power-law shell spectrum, shifted to be non-negative.

    Parameters
    ----------
    noise : ndarray, shape (n, h, w), float64
        Independent standard normal draws (white noise), one map per row.
    spectral_index : float
        Exponent of the shell (1-D) energy spectrum E(k) ~ k**spectral_index of the map's
        fluctuations (Kolmogorov: -5/3). The 2-D power spectral density goes as
        k**(spectral_index - 1).
    floor : float
        After shifting the minimum to zero, add ``floor`` times the standard deviation,
        so no cell is exactly empty. Only the k = 0 mode changes, so the slope is kept.
    out : ndarray, shape (n, h, w), float64, optional
        C-contiguous; it may be ``noise`` itself (then overwritten).

    Returns
    -------
    ndarray, shape (n, h, w), float64
        Non-negative maps (not yet normalised; ``out`` if given).
    """
    n, h, w = noise.shape
    field = spectral.filter_maps(noise, _amplitude(h, w, float(spectral_index)), out)
    for i in range(n):  # map by map: numpy's std makes a temporary of its input's size
        one = field[i : i + 1]
        one -= one.min(axis=(1, 2), keepdims=True)
        one += floor * one.std(axis=(1, 2), keepdims=True)
    return field


@functools.lru_cache(maxsize=8)
def _amplitude(h: int, w: int, spectral_index: float) -> np.ndarray:
    """|k|^((index - 1) / 2) on the rfft2 grid, 0 at k = 0 (cached, read-only)."""
    k = wavenumbers(h, w)
    amplitude = np.zeros_like(k)
    amplitude[k > 0] = numerics.power(k[k > 0], (spectral_index - 1.0) / 2.0)
    amplitude.flags.writeable = False
    return amplitude


def laminar(h: int, w: int, layers: np.ndarray, delta: np.ndarray, eps: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Periodic double shear layers: kinetic energy density 0.5 (u^2 + v^2).

    u = tanh(sin(2 pi m y) / delta) (smooth shear layers where sin crosses zero),
    v = eps sin(2 pi (x + phase)), the classic double-shear-layer initial state.

    Parameters
    ----------
    h, w : map height and width in cells.
    layers, delta, eps, phase : ndarray, shape (n,)
        Layer pairs m (integer >= 1), layer thickness (unit lengths), transverse
        perturbation amplitude and its phase (fraction of the period).
    """
    y = (np.arange(h) + 0.5) / h
    x = (np.arange(w) + 0.5) / h
    u = numerics.tanh(numerics.sin(2 * np.pi * layers[:, None, None] * y[None, :, None]) / delta[:, None, None])
    v = eps[:, None, None] * numerics.sin(2 * np.pi * (x[None, None, :] + phase[:, None, None]))
    return 0.5 * (u**2 + v**2) + 1e-3


def vortex(h: int, w: int, centres: np.ndarray, circulation: np.ndarray, core: np.ndarray) -> np.ndarray:
    """Kinetic energy density of superposed Gaussian (Taylor) vortices on a periodic cell.

    Parameters
    ----------
    h, w : map height and width in cells.
    centres : ndarray, shape (n, k, 2)
        Vortex centres (y, x) as fractions of the cell size.
    circulation : ndarray, shape (n, k)
        Circulation of each vortex (signed; 0 switches a vortex off).
    core : ndarray, shape (n, k)
        Core radius r_c (unit lengths): u_theta = G r / (2 pi r_c^2) exp((1 - r^2 / r_c^2) / 2),
        peak speed at r = r_c and a Gaussian tail, so the nearest periodic image is enough
        (no seams, unlike the 1/r tail of a Lamb-Oseen vortex).

    Returns
    -------
    ndarray, shape (n, h, w), float64
        0.5 |u|^2 of the summed velocity, nearest periodic image of each vortex.
    """
    ly, lx = 1.0, w / h
    y = (np.arange(h) + 0.5) / h
    x = (np.arange(w) + 0.5) / h
    dy = y[None, None, :] - centres[:, :, 0, None] * ly  # (n, k, h)
    dx = x[None, None, :] - centres[:, :, 1, None] * lx  # (n, k, w)
    dy -= ly * np.round(dy / ly)
    dx -= lx * np.round(dx / lx)
    rc2 = core[:, :, None] ** 2
    # exp((1 - r^2/r_c^2) / 2) = e^(1/2) exp(-dy^2 / 2r_c^2) exp(-dx^2 / 2r_c^2): separable,
    # so the exponentials cost k (h + w) per map instead of k h w.
    peak = circulation[:, :, None] / (2 * np.pi * rc2) * numerics.exp(0.5)
    gy = peak * numerics.exp(-0.5 * dy**2 / rc2)  # (n, k, h)
    gx = numerics.exp(-0.5 * dx**2 / rc2)  # (n, k, w)
    # u = -sum_j (gy dy)_j gx_j, v = sum_j gy_j (gx dx)_j, added vortex after vortex in
    # their order (as numpy sums that axis of the (n, k, h, w) products, without that
    # array), map by map and in bands of rows whose buffers stay in the cache.
    a, c = gy * dy, gx * dx
    n, k = a.shape[:2]
    out = np.empty((n, h, w))
    band = min(h, _VORTEX_BAND)
    u, v, term = np.empty((band, w)), np.empty((band, w)), np.empty((band, w))
    for i in range(n):
        for r0 in range(0, h, band):
            rows = slice(r0, min(r0 + band, h))
            m = rows.stop - r0
            uu, vv, tt = u[:m], v[:m], term[:m]
            np.multiply(a[i, 0, rows, None], gx[i, 0, None, :], out=uu)
            np.multiply(gy[i, 0, rows, None], c[i, 0, None, :], out=vv)
            for j in range(1, k):
                uu += np.multiply(a[i, j, rows, None], gx[i, j, None, :], out=tt)
                vv += np.multiply(gy[i, j, rows, None], c[i, j, None, :], out=tt)
            np.negative(uu, out=uu)
            np.square(uu, out=uu)  # 0.5 (u^2 + v^2) + 1e-6
            uu += np.square(vv, out=vv)
            np.multiply(uu, 0.5, out=uu)
            np.add(uu, 1e-6, out=out[i, rows])
    return out


def random(uniform: np.ndarray) -> np.ndarray:
    """White-noise maps: independent uniform cells in (0, 1], shape as ``uniform``."""
    return 1.0 - uniform
