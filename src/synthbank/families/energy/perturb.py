"""Perturbations of (n, h, w) stacks of energy maps, each vectorised over the stack.

Each conserves the total energy of every map (translation exactly; rotation and blur by
construction, to float rounding; noise by renormalising after clipping at 0),
except :func:`scale`, which multiplies it by exactly its factor. None produces negative or
non-finite values from non-negative finite input. All randomness comes in as arguments.
"""

from __future__ import annotations

import functools

import numpy as np

from synthbank import numerics, scratch
from synthbank.families.energy import spectral

KINDS = ("rotation", "noise", "blur", "translation", "scaling")


def _renormalise(new: np.ndarray, old_totals: np.ndarray) -> np.ndarray:
    """``new`` scaled in place so that each map sums to ``old_totals`` again; returns it."""
    new *= (old_totals / new.sum(axis=(1, 2)))[:, None, None]
    return new


def _shift_rows(m: np.ndarray, shifts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``out[i, j] = m[i, j + shifts[i]]`` for one (h, w) map, periodic, linear interpolation.

    Each row is multiplied by a circulant matrix with weights (1 - f, f): doubly stochastic,
    so every row keeps its sum (to rounding), values stay non-negative and the Shannon
    entropy of the map cannot fall. ``out`` ((h, w), C-contiguous, not overlapping ``m``)
    takes the result if given.
    """
    h, w = m.shape
    k = np.floor(shifts)
    f = (shifts - k)[:, None]
    # Each row's w + 1 cells from its start, gathered from the row twice over into reused
    # buffers (a fresh array per shear costs more in page faults than the gather).
    start = k.astype(np.int64) % w
    doubled = np.concatenate([m, m], axis=1, out=scratch.buffer("energy.shift.doubled", (h, 2 * w)))
    index = np.add((np.arange(h, dtype=np.int64) * (2 * w) + start)[:, None], np.arange(w + 1),
                   out=scratch.buffer("energy.shift.index", (h, w + 1), np.int64))
    rows = np.take(doubled.reshape(-1), index, out=scratch.buffer("energy.shift.cells", (h, w + 1)), mode="clip")
    # (1 - f) x_j + f x_{j+1}, each product rounded once; the doubled rows are spent, so
    # they hold the second product (no further temporaries).
    out = np.multiply(rows[:, :w], 1.0 - f, out=out)
    out += np.multiply(rows[:, 1:], f, out=doubled[:, :w])
    return out


def _shift_cols(m: np.ndarray, shifts: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[i, j] = m[i + shifts[j], j]`` for one (h, w) map, periodic, linear interpolation.

    :func:`_shift_rows` of the transposed map, transposed back, bit for bit (the same
    products and sums per cell), without reading the map column by column: the map is
    stacked twice over in rows and the h + 1 cells of every column gathered from its
    start, so that consecutive cells of a row of the gather are neighbours in memory.
    """
    h, w = m.shape
    k = np.floor(shifts)
    f = (shifts - k)[None, :]
    doubled = scratch.buffer("energy.shift_cols.doubled", (2 * h, w))
    doubled[:h], doubled[h:] = m, m
    index = np.add(np.arange(h + 1, dtype=np.int64)[:, None] * w, (k.astype(np.int64) % h) * w + np.arange(w),
                   out=scratch.buffer("energy.shift_cols.index", (h + 1, w), np.int64))
    cells = np.take(doubled.reshape(-1), index, out=scratch.buffer("energy.shift_cols.cells", (h + 1, w)),
                    mode="clip")  # valid indices; "raise" copies out first
    np.multiply(cells[:h], 1.0 - f, out=out)
    out += np.multiply(cells[1:], f, out=doubled[:h])
    return out


def rotate(maps: np.ndarray, angles_deg: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
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
    out : ndarray, shape (n, h, w), float64, optional
        C-contiguous, not overlapping ``maps``: takes the result.

    Returns
    -------
    ndarray, shape (n, h, w), float64 (``out`` if given).
    """
    n, h, w = maps.shape
    t = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    quarters = 1 if h == w else 2  # quarter turns per exact step: a 2:3 map only half-turns
    k = np.round(t / (quarters * np.pi / 2)).astype(np.int64)
    r = t - k * quarters * np.pi / 2
    turns = (k * quarters) % 4
    src = np.asarray(maps, dtype=np.float64)
    if (turns > 0).any():
        src = src.copy()  # the caller's maps stay as they are
    for q in np.unique(turns[turns > 0]):  # at most 3 groups, each vectorised
        sel = turns == q
        src[sel] = np.rot90(src[sel], int(q), axes=(1, 2))
    s_half, c_half = numerics.sincos(r / 2.0)
    a, b = -s_half / c_half, numerics.sin(r)
    yc = np.arange(h) - (h - 1) / 2.0
    xc = np.arange(w) - (w - 1) / 2.0
    row_shifts, col_shifts = a[:, None] * yc[None, :], b[:, None] * xc[None, :]
    result = np.empty((n, h, w)) if out is None else out
    # Map by map, through two reused buffers: the shears' arrays stay in the cache
    # (rows are independent) and no fresh memory is faulted in.
    first, second = scratch.buffer("energy.rotate.first", (h, w)), scratch.buffer("energy.rotate.second", (h, w))
    for i in range(n):
        one = _shift_rows(src[i], row_shifts[i], out=first)
        two = _shift_cols(one, col_shifts[i], out=second)
        _shift_rows(two, row_shifts[i], out=result[i])
    return result


def add_noise(maps: np.ndarray, sigma: np.ndarray, normals: np.ndarray, out: np.ndarray | None = None,
              totals: np.ndarray | None = None) -> np.ndarray:
    """Additive Gaussian noise of std ``sigma`` x the map's mean, clipped at 0, renormalised.

    Parameters
    ----------
    sigma : ndarray, shape (n,)
        Noise level relative to each map's mean energy per cell.
    normals : ndarray, shape (n, h, w)
        Standard normal draws.
    out : ndarray, shape (n, h, w), float64, optional
        Takes the result; it may be ``normals`` itself (then overwritten), not ``maps``.
    totals : ndarray, shape (n,), optional
        ``maps.sum(axis=(1, 2))``, when the caller has it already.
    """
    totals = maps.sum(axis=(1, 2)) if totals is None else totals
    mean = totals / (maps.shape[1] * maps.shape[2])
    # maps + (sigma mean) normals, clipped at 0, in one buffer (IEEE sums and products
    # do not depend on the order of their operands).
    noisy = np.multiply(normals, (np.asarray(sigma) * mean)[:, None, None], out=out)
    noisy += maps
    return _renormalise(np.maximum(noisy, 0.0, out=noisy), totals)


def blur(maps: np.ndarray, sigma: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Thermal diffusion: periodic Gaussian blur of std ``sigma`` cells (heat kernel).

    Applied as the exact Fourier multiplier exp(-2 pi^2 sigma^2 |f|^2), whose zero-frequency
    gain is 1, so the total energy is kept to rounding. Rounding residues below 0 are set to 0.
    ``out`` (shape (n, h, w), float64, C-contiguous, not overlapping ``maps``) takes the result if given.
    """
    n, h, w = maps.shape
    sigma = np.asarray(sigma, dtype=np.float64)
    if sigma.size and (sigma == sigma[0]).all():  # one domain's blurs share one sigma: one cached kernel
        transfer = _heat_kernel(h, w, float(sigma[0]))
    else:
        transfer = np.stack([_heat_kernel(h, w, float(s)) for s in sigma]) if sigma.size else np.ones((0, h, w // 2 + 1))
    out = spectral.filter_maps(maps, transfer, out)
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


def translate(maps: np.ndarray, dy: np.ndarray, dx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Periodic shift of each map by integer cells (dy down, dx right): a permutation of cells.

    ``out`` (shape of ``maps``, not overlapping it) takes the result if given.
    """
    _, h, w = maps.shape
    out = np.empty_like(maps) if out is None else out
    for i, (y, x) in enumerate(zip(np.asarray(dy, dtype=np.int64), np.asarray(dx, dtype=np.int64), strict=True)):
        y, x = int(y) % h, int(x) % w  # as np.roll: cell (r, c) goes to ((r + y) mod h, (c + x) mod w)
        src, dst = maps[i], out[i]
        dst[y:, x:] = src[: h - y, : w - x]  # four block copies, not a cell-by-cell gather
        dst[y:, :x] = src[: h - y, w - x :]
        dst[:y, x:] = src[h - y :, : w - x]
        dst[:y, :x] = src[h - y :, w - x :]
    return out


def scale(maps: np.ndarray, factor: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Multiply each map's energy by ``factor`` (shape (n,), > 0): the one non-conserving kind (into ``out`` if given)."""
    return np.multiply(maps, np.asarray(factor, dtype=np.float64)[:, None, None], out=out)
