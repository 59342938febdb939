"""Perturbations of (n, h, w) stacks of energy maps, each vectorised over the stack.

Each conserves the total energy of every map (translation exactly; rotation and blur by
construction, to float rounding; noise by renormalising after clipping at 0),
except :func:`scale`, which multiplies it by exactly its factor. None produces negative or
non-finite values from non-negative finite input. All randomness comes in as arguments.
"""

from __future__ import annotations

import functools

import numpy as np

from synthbank import numerics

KINDS = ("rotation", "noise", "blur", "translation", "scaling")


def _renormalise(new: np.ndarray, old_totals: np.ndarray) -> np.ndarray:
    """``new`` scaled in place so that each map sums to ``old_totals`` again; returns it."""
    new *= (old_totals / new.sum(axis=(1, 2)))[:, None, None]
    return new


def _shift_rows(maps: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """``out[n, i, j] = maps[n, i, j + shifts[n, i]]``, periodic, linear interpolation.

    Each row is multiplied by a circulant matrix with weights (1 - f, f): doubly stochastic,
    so every row keeps its sum (to rounding), values stay non-negative and the Shannon
    entropy of the map cannot fall.
    """
    n, h, w = maps.shape
    k = np.floor(shifts)
    f = (shifts - k)[..., None]
    # Each row's w + 1 cells from its start, as one contiguous copy per row (a window of the
    # row twice over): much cheaper than gathering cell by cell.
    start = k.astype(np.int64) % w
    doubled = np.concatenate([maps, maps], axis=2)
    windows = np.lib.stride_tricks.sliding_window_view(doubled, w + 1, axis=2)
    rows = windows[np.arange(n)[:, None], np.arange(h)[None, :], start]
    # (1 - f) x_j + f x_{j+1}, each product rounded once as before; the doubled rows are
    # spent, so they hold the second product (no further temporaries).
    out = np.multiply(rows[..., :w], 1.0 - f)
    out += np.multiply(rows[..., 1:], f, out=doubled[..., :w])
    return out


def rotate(maps: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
    """Rotate each map about its centre on the periodic grid, conserving energy exactly.

    Exact quarter turns (half turns for 2:3 maps) are cell permutations; the remainder
    (|r| <= 45 degrees, or 90 for 2:3 maps) is three periodic shears (Paeth/Unser:
    x += -tan(r/2) y, y += sin(r) x, x += -tan(r/2) y), each a linear-interpolation shift
    of whole rows or columns. A shear is a bijection of the torus, so unlike resampling
    along rotated coordinates (which, wrapped, reads some cells twice and others not at
    all: up to +/-40 % of a vortex map's energy before any renormalisation) it keeps the
    total to rounding with no renormalisation, never goes negative and never lowers the
    entropy (a product of doubly stochastic matrices and permutations).

    Parameters
    ----------
    maps : ndarray, shape (n, h, w), float64, non-negative.
    angles_deg : ndarray, shape (n,)
        Angles in degrees, counter-clockwise as displayed (row 0 at the top), the same
        convention as ``scipy.ndimage.rotate``.

    Returns
    -------
    ndarray, shape (n, h, w), float64.
    """
    n, h, w = maps.shape
    t = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    quarters = 1 if h == w else 2  # quarter turns per exact step: a 2:3 map only half-turns
    k = np.round(t / (quarters * np.pi / 2)).astype(np.int64)
    r = t - k * quarters * np.pi / 2
    turns = (k * quarters) % 4
    out = np.asarray(maps, dtype=np.float64)
    if (turns > 0).any():
        out = out.copy()  # the caller's maps stay as they are
    for q in np.unique(turns[turns > 0]):  # at most 3 groups, each vectorised
        sel = turns == q
        out[sel] = np.rot90(out[sel], int(q), axes=(1, 2))
    s_half, c_half = numerics.sincos(r / 2.0)
    a, b = -s_half / c_half, numerics.sin(r)
    yc = np.arange(h) - (h - 1) / 2.0
    xc = np.arange(w) - (w - 1) / 2.0
    row_shifts, col_shifts = a[:, None] * yc[None, :], b[:, None] * xc[None, :]
    result = np.empty((n, h, w))
    for i in range(n):  # map by map: the shears' buffers stay in the cache (rows are independent)
        one = _shift_rows(out[i : i + 1], row_shifts[i : i + 1])
        one = _shift_rows(one.transpose(0, 2, 1), col_shifts[i : i + 1]).transpose(0, 2, 1)
        result[i] = _shift_rows(one, row_shifts[i : i + 1])[0]
    return result


def add_noise(maps: np.ndarray, sigma: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Additive Gaussian noise of std ``sigma`` x the map's mean, clipped at 0, renormalised.

    Parameters
    ----------
    sigma : ndarray, shape (n,)
        Noise level relative to each map's mean energy per cell.
    normals : ndarray, shape (n, h, w)
        Standard normal draws.
    """
    totals = maps.sum(axis=(1, 2))
    mean = totals / (maps.shape[1] * maps.shape[2])
    # maps + (sigma mean) normals, clipped at 0, in one buffer (IEEE sums and products
    # do not depend on the order of their operands).
    noisy = np.multiply(normals, (np.asarray(sigma) * mean)[:, None, None])
    noisy += maps
    return _renormalise(np.maximum(noisy, 0.0, out=noisy), totals)


def blur(maps: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Thermal diffusion: periodic Gaussian blur of std ``sigma`` cells (heat kernel).

    Applied as the exact Fourier multiplier exp(-2 pi^2 sigma^2 |f|^2), whose zero-frequency
    gain is 1, so the total energy is kept to rounding. Rounding residues below 0 are set to 0.
    """
    n, h, w = maps.shape
    sigma = np.asarray(sigma, dtype=np.float64)
    if sigma.size and (sigma == sigma[0]).all():  # one domain's blurs share one sigma: one cached kernel
        transfer = _heat_kernel(h, w, float(sigma[0]))
    else:
        transfer = np.stack([_heat_kernel(h, w, float(s)) for s in sigma]) if sigma.size else np.ones((0, h, w // 2 + 1))
    out = None
    for i in range(n):  # map by map: the spectrum stays in the cache (each map's FFT is its own)
        one = np.fft.irfft2(np.fft.rfft2(maps[i : i + 1]) * (transfer if transfer.ndim == 2 else transfer[i]), s=(h, w))
        if out is None:
            out = np.empty((n, h, w), dtype=one.dtype)
        out[i] = one[0]
    if out is None:  # no maps
        return np.maximum(np.fft.irfft2(np.fft.rfft2(maps) * transfer, s=(h, w)), 0.0)
    return np.maximum(out, 0.0, out=out)


@functools.lru_cache(maxsize=16)
def _heat_kernel(h: int, w: int, sigma: float) -> np.ndarray:
    """exp(-2 pi^2 sigma^2 |f|^2) on the rfft2 grid (h, w // 2 + 1), read-only (cached)."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    s2 = np.float64(sigma) * np.float64(sigma)  # as sigma ** 2 on an array (numpy squares)
    kernel = numerics.exp(-2.0 * np.pi**2 * s2 * (fy**2 + fx**2))
    kernel.flags.writeable = False
    return kernel


def translate(maps: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Periodic shift of each map by integer cells (dy down, dx right): a permutation of cells."""
    out = np.empty_like(maps)
    for i, (y, x) in enumerate(zip(np.asarray(dy, dtype=np.int64), np.asarray(dx, dtype=np.int64), strict=True)):
        out[i] = np.roll(maps[i], (int(y), int(x)), axis=(0, 1))  # block copies, not a cell-by-cell gather
    return out


def scale(maps: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiply each map's energy by ``factor`` (shape (n,), > 0): the one non-conserving kind."""
    return maps * np.asarray(factor, dtype=np.float64)[:, None, None]
