"""Quality metrics of the chromatic family (those of its source document, docs/families/chromatic.md).
Pure functions, no I/O.

* :func:`roundtrip_error`: chromatic -> spectral -> chromatic, the way back by least
  squares through the kernel matrix; the largest absolute difference.
* :func:`colour_balance`: the dataset's mean region colour (RGB and HSL) against the
  value the specified distribution predicts (:func:`expected_colour_means`).
* :func:`kernel_energy_db`: energy of the discretised bridge kernels through the FFT
  (Parseval) against the analytic energy of the continuous Gaussians, in dB.
* :func:`noise_std_estimate`: the noise level recovered from within-region scatter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.special import ndtr

from synthbank.families.chromatic.colours import hsl_to_rgb, rgb_to_hsl

COLOUR_KEYS = ("r", "g", "b", "h", "s", "l")
#: Midpoints per axis of the HSL grid of :func:`expected_colour_means` (64**3 points; the
#: result changes by < 2e-4 going to 128**3, see the tests).
EXPECTED_GRID = 64


# ---------------------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------------------
def roundtrip_error(chromatic: np.ndarray, spectral: np.ndarray, kernel: np.ndarray) -> float:
    """Largest ``|lstsq(kernel.T, spectral) - chromatic|`` over all pixels and channels.

    Parameters
    ----------
    chromatic : ndarray, shape (..., 3)
    spectral : ndarray, shape (..., K)
    kernel : ndarray, shape (3, K)
        The bridge kernel matrix: ``spectral ~ chromatic @ kernel``.

    Returns
    -------
    float
        ``inf`` if the result is not finite. A rank-deficient kernel (two identical
        channel kernels) gives the minimum-norm solution, far from ``chromatic``.
    """
    k = np.asarray(kernel, dtype=np.float64)
    back = np.asarray(spectral, dtype=np.float64).reshape(-1, k.shape[1]) @ np.linalg.pinv(k)
    err = float(np.max(np.abs(back - np.asarray(chromatic, dtype=np.float64).reshape(-1, 3)), initial=0.0))
    return err if math.isfinite(err) else math.inf


# ---------------------------------------------------------------------------------------
# Colour balance
# ---------------------------------------------------------------------------------------
def region_sums(chromatic: np.ndarray, mask: np.ndarray, regions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-region pixel counts, channel sums and channel sums of squares.

    Parameters
    ----------
    chromatic : ndarray, shape (n, H, W, 3)
    mask : ndarray of int, shape (n, H, W), labels in [0, regions)
    regions : int

    Returns
    -------
    count : ndarray of float64, shape (n * regions,)
    total, total_sq : ndarray of float64, shape (n * regions, 3)
        Region ``r`` of image ``i`` is row ``i * regions + r``.
    """
    n = mask.shape[0]
    keys = (mask.astype(np.int64) + (np.arange(n, dtype=np.int64) * regions)[:, None, None]).ravel()
    size = n * regions
    count = np.bincount(keys, minlength=size).astype(np.float64)
    x = np.asarray(chromatic, dtype=np.float64).reshape(-1, 3)
    total = np.stack([np.bincount(keys, weights=x[:, c], minlength=size) for c in range(3)], axis=1)
    total_sq = np.stack([np.bincount(keys, weights=x[:, c] * x[:, c], minlength=size) for c in range(3)], axis=1)
    return count, total, total_sq


def clipped_noise_mean(c: np.ndarray, sigma: float) -> np.ndarray:
    """``E[clip(c + sigma Z, 0, 1)]``, Z standard normal, elementwise (closed form).

    ``= (1 - Phi(b)) + c (Phi(b) - Phi(a)) + sigma (phi(a) - phi(b))`` with
    ``a = -c / sigma``, ``b = (1 - c) / sigma``; ``clip(c, 0, 1)`` when sigma = 0.
    """
    c = np.asarray(c, dtype=np.float64)
    if sigma == 0:
        return np.clip(c, 0.0, 1.0)
    a, b = -c / sigma, (1.0 - c) / sigma
    pdf = lambda z: np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)  # noqa: E731
    return (1.0 - ndtr(b)) + c * (ndtr(b) - ndtr(a)) + sigma * (pdf(a) - pdf(b))


@lru_cache(maxsize=32)
def _expected(box: tuple[tuple[float, float], ...], sigma: float, grid: int) -> tuple[float, ...]:
    mids = (np.arange(grid) + 0.5) / grid
    axes = [lo + mids * (hi - lo) for lo, hi in box]
    hsl = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    rgb = clipped_noise_mean(hsl_to_rgb(hsl), sigma)
    return tuple(float(v) for v in np.concatenate([rgb.mean(axis=0), rgb_to_hsl(rgb).mean(axis=0)]))


def expected_colour_means(box: np.ndarray, noise_level: float, grid: int = EXPECTED_GRID) -> dict[str, float]:
    """Mean region colour the specified distribution predicts, RGB and HSL.

    A region's measured colour is the mean of its pixels, ``clip(rgb + noise)``; over many
    pixels that is ``m = E[clip(rgb + sigma Z)]`` per channel (:func:`clipped_noise_mean`).
    The expected values are the means of ``m`` and of ``rgb_to_hsl(m)`` with (h, s, l)
    uniform on ``box``, computed by the midpoint rule on a ``grid**3`` lattice (exact in
    the limit; the residual noise of a region's mean, ~sigma / sqrt(pixels), is ignored).
    Without noise and on the full [0, 1]^3 box every value is 1/2 by symmetry.

    Parameters
    ----------
    box : ndarray, shape (3, 2)
        ``[[h_lo, h_hi], [s_lo, s_hi], [l_lo, l_hi]]``.
    noise_level : float
        Noise standard deviation, full scale = 1.
    """
    key = tuple((float(lo), float(hi)) for lo, hi in np.asarray(box, dtype=np.float64))
    return dict(zip(COLOUR_KEYS, _expected(key, float(noise_level), int(grid)), strict=True))


def observed_colour_means(count: np.ndarray, total: np.ndarray) -> tuple[dict[str, float], int]:
    """Mean over non-empty regions (each region weighs the same) of RGB and of HSL.

    Returns
    -------
    means : dict
        ``r, g, b, h, s, l``.
    regions : int
        Non-empty regions counted.
    """
    keep = count > 0
    rgb = total[keep] / count[keep, None]
    values = np.concatenate([rgb.mean(axis=0), rgb_to_hsl(rgb).mean(axis=0)])
    return dict(zip(COLOUR_KEYS, (float(v) for v in values), strict=True)), int(keep.sum())


def colour_balance(observed: Mapping[str, float], expected: Mapping[str, float]) -> float:
    """Colour balance drift: ``max |observed - expected|`` over R, G, B, H, S, L.

    All six live on [0, 1] (hue in turns), so the drift is a fraction of full scale:
    0.02 means 2 %.
    """
    return max(abs(observed[k] - expected[k]) for k in COLOUR_KEYS)


def noise_std_estimate(count: np.ndarray, total: np.ndarray, total_sq: np.ndarray, margin: float = 0.25) -> float:
    """Pooled within-region standard deviation over regions away from clipping.

    Only (region, channel) pairs whose mean lies in ``[margin, 1 - margin]`` count, so
    clipping at 0 and 1 does not shrink the estimate. Pooled variance
    ``sum(sum of squared deviations) / sum(count - 1)``; NaN if no pair qualifies.
    """
    n = count[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        ssd = total_sq - total * mean
    use = (n > 1) & (mean >= margin) & (mean <= 1.0 - margin)
    dof = float(np.sum(np.broadcast_to(n - 1, use.shape)[use]))
    return math.sqrt(max(float(np.sum(ssd[use])), 0.0) / dof) if dof > 0 else math.nan


# ---------------------------------------------------------------------------------------
# Kernel energy
# ---------------------------------------------------------------------------------------
def kernel_energy_db(
    wavelengths_nm: np.ndarray, kernel: np.ndarray, centres_nm: Any, widths_nm: Any, amplitudes: Any
) -> dict[str, float]:
    """Energy of the discretised bridge kernels against their analytic energy, in dB.

    The discrete energy of a kernel row x sampled every d nm is ``d * sum(x**2)``,
    computed through the FFT by Parseval: ``d / K * sum(|fft(x)|**2)``. The analytic
    energy of ``a exp(-(l - mu)^2 / (2 s^2))`` over the real line is ``a^2 s sqrt(pi)``;
    of the summed kernel, ``sum_cd a_c a_d sqrt(2 pi s_c^2 s_d^2 / (s_c^2 + s_d^2))
    exp(-(mu_c - mu_d)^2 / (2 (s_c^2 + s_d^2)))``. A kernel cut off by the band range
    loses energy (negative dB); one sampled too coarsely (s below about the band spacing)
    is off either way.

    Returns
    -------
    dict
        ``r, g, b`` (each channel kernel), ``sum`` (their sum), and ``max_abs`` (largest
        absolute value of the four), all in dB: ``10 log10(discrete / analytic)``.
    """
    lam = np.asarray(wavelengths_nm, dtype=np.float64)
    d = (lam[-1] - lam[0]) / (lam.size - 1)
    rows = np.asarray(kernel, dtype=np.float64)
    rows = np.vstack([rows, rows.sum(axis=0)])
    spectrum = np.fft.fft(rows, axis=1)
    discrete = d * np.sum(np.abs(spectrum) ** 2, axis=1) / lam.size
    mu = np.asarray(centres_nm, dtype=np.float64)
    s2 = np.asarray(widths_nm, dtype=np.float64) ** 2
    a = np.asarray(amplitudes, dtype=np.float64)
    cross = (
        a[:, None] * a[None, :]
        * np.sqrt(2.0 * math.pi * s2[:, None] * s2[None, :] / (s2[:, None] + s2[None, :]))
        * np.exp(-((mu[:, None] - mu[None, :]) ** 2) / (2.0 * (s2[:, None] + s2[None, :])))
    )
    analytic = np.concatenate([np.diag(cross), [cross.sum()]])
    with np.errstate(divide="ignore"):
        db = 10.0 * np.log10(discrete / analytic)
    db = np.where(np.isfinite(db), db, -np.inf)
    out = dict(zip(("r", "g", "b", "sum"), (float(v) for v in db), strict=True))
    out["max_abs"] = float(np.max(np.abs(db)))
    return out

