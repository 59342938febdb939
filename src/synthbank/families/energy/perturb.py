"""Perturbations of (n, h, w) stacks of energy maps, each vectorised over the stack.

Each conserves the total energy of every map (translation exactly; rotation and noise by
renormalising their resampling/clipping; blur by construction, within float rounding),
except :func:`scale`, which multiplies it by exactly its factor. None produces negative or
non-finite values from non-negative finite input. All randomness comes in as arguments.
"""

from __future__ import annotations

import numpy as np

KINDS = ("rotation", "noise", "blur", "translation", "scaling")


def _renormalise(new: np.ndarray, old_totals: np.ndarray) -> np.ndarray:
    return new * (old_totals / new.sum(axis=(1, 2)))[:, None, None]


def rotate(maps: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
    """Rotate each map about its centre (bilinear, periodic wrap), energy renormalised.

    Parameters
    ----------
    maps : ndarray, shape (n, h, w), float64, non-negative.
    angles_deg : ndarray, shape (n,)
        Angles in degrees, counter-clockwise as displayed (row 0 at the top), the same
        convention as ``scipy.ndimage.rotate``.

    Returns
    -------
    ndarray, shape (n, h, w), float64: each map resampled and rescaled to its input total.
    """
    n, h, w = maps.shape
    t = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))[:, None, None]
    yy = (np.arange(h) - (h - 1) / 2)[None, :, None]
    xx = (np.arange(w) - (w - 1) / 2)[None, None, :]
    src_y = np.cos(t) * yy + np.sin(t) * xx + (h - 1) / 2
    src_x = np.cos(t) * xx - np.sin(t) * yy + (w - 1) / 2
    y0, x0 = np.floor(src_y), np.floor(src_x)
    fy, fx = src_y - y0, src_x - x0
    # One periodic row and column of padding: the +1 neighbours need no modulo.
    padded = np.concatenate([maps, maps[:, :1]], axis=1)
    padded = np.concatenate([padded, padded[:, :, :1]], axis=2).ravel()
    stride = w + 1
    i00 = ((np.arange(n) * (h + 1) * stride)[:, None, None] + (y0.astype(np.int64) % h) * stride + x0.astype(np.int64) % w).ravel()
    v00, v01 = padded.take(i00), padded.take(i00 + 1)
    v10, v11 = padded.take(i00 + stride), padded.take(i00 + stride + 1)
    fy, fx = fy.ravel(), fx.ravel()
    out = ((1 - fy) * (v00 + fx * (v01 - v00)) + fy * (v10 + fx * (v11 - v10))).reshape(n, h, w)
    return _renormalise(np.maximum(out, 0.0), maps.sum(axis=(1, 2)))


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
    noisy = np.maximum(maps + (np.asarray(sigma) * mean)[:, None, None] * normals, 0.0)
    return _renormalise(noisy, totals)


def blur(maps: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Thermal diffusion: periodic Gaussian blur of std ``sigma`` cells (heat kernel).

    Applied as the exact Fourier multiplier exp(-2 pi^2 sigma^2 |f|^2), whose zero-frequency
    gain is 1, so the total energy is kept to rounding. Rounding residues below 0 are set to 0.
    """
    n, h, w = maps.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    s2 = (np.asarray(sigma, dtype=np.float64) ** 2)[:, None, None]
    transfer = np.exp(-2.0 * np.pi**2 * s2 * (fy**2 + fx**2)[None])
    return np.maximum(np.fft.irfft2(np.fft.rfft2(maps) * transfer, s=(h, w)), 0.0)


def translate(maps: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Periodic shift of each map by integer cells (dy down, dx right): a permutation of cells."""
    n, h, w = maps.shape
    rows = (np.arange(h)[None, :] - np.asarray(dy, dtype=np.int64)[:, None]) % h
    cols = (np.arange(w)[None, :] - np.asarray(dx, dtype=np.int64)[:, None]) % w
    return maps[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def scale(maps: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiply each map's energy by ``factor`` (shape (n,), > 0): the one non-conserving kind."""
    return maps * np.asarray(factor, dtype=np.float64)[:, None, None]
