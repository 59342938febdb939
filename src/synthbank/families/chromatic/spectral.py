"""The spectral bridge of the chromatic family: the Gaussian kernel and the spectral image.

The *spectral* tensor ``(H, W, K)`` is the Gaussian "bridge kernel" image of the
chromatic one::

    spectral[y, x, k] = sum_c chromatic[y, x, c] * kernel[c, k]
    kernel[c, k]      = q(amplitude_c * exp(-(lambda_k - centre_c)**2 / (2 * width_c**2)))

with ``lambda_k`` the K band centres (nm), ``width_c`` the Gaussian sigma (nm) and ``q``
the 1e-6 quantiser (:func:`~synthbank.families.chromatic.quantum.quantise`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthbank import numerics
from synthbank.families.chromatic.quantum import QUANTUM, quantise
from synthbank.families.chromatic.spec import ChromaticParams


def wavelengths(p: ChromaticParams) -> np.ndarray:
    """Band centres, ``(K,)`` float64 nm: ``start + k * (stop - start) / (K - 1)``."""
    start, stop = p.wavelengths_nm
    return start + np.arange(p.bands, dtype=np.float64) * ((stop - start) / (p.bands - 1))


def gaussian_kernel(lam: np.ndarray, centres: Any, widths: Any, amplitudes: Any) -> np.ndarray:
    """Unquantised Gaussian kernels ``(3, K)`` float64 at wavelengths ``lam`` (nm)."""
    mu = np.asarray(centres, dtype=np.float64)[:, None]
    sd = np.asarray(widths, dtype=np.float64)[:, None]
    amp = np.asarray(amplitudes, dtype=np.float64)[:, None]
    return amp * numerics.exp(-((np.asarray(lam, dtype=np.float64)[None, :] - mu) ** 2) / (2.0 * sd * sd))


def quantised_kernel(lam: Any, centres: Any, widths: Any, amplitudes: Any, quantum: float = QUANTUM) -> np.ndarray:
    """:func:`gaussian_kernel` rounded to the ``quantum`` grid, ``(3, K)`` float32.

    Computed in float64 and rounded to the grid before the float32 cast, so a last-bit
    difference of ``exp`` between libraries changes a value only if it sits within
    ~1e-16 of a rounding midpoint. Validation calls it on a spectral file's attributes.
    """
    k64 = gaussian_kernel(lam, centres, widths, amplitudes)
    return (np.rint(k64 / quantum) * quantum).astype(np.float32)


def bridge_kernel(p: ChromaticParams) -> np.ndarray:
    """The kernel matrix actually used, ``(3, K)`` float32, quantised to 1e-6."""
    return quantised_kernel(wavelengths(p), p.centres_nm, p.widths_nm, p.amplitudes)


#: Pixels :func:`to_spectral` computes per pass (x K bands x 4 bytes: ~250 KiB at K = 31).
_PIXELS_PER_PASS = 2048


def to_spectral(chromatic: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Spectral tensor of chromatic images: ``sum_c chromatic[..., c] * kernel[c]``, quantised.

    Parameters
    ----------
    chromatic : ndarray of float32, shape (..., 3)
    kernel : ndarray of float32, shape (3, K)

    Returns
    -------
    ndarray of float32, shape (..., K)
        Summed in channel order R, G, B with float32 elementwise operations, then
        quantised to 1e-6.
    """
    chromatic = np.asarray(chromatic, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    pixels = chromatic.reshape(-1, 3)
    out = np.empty((len(pixels), kernel.shape[1]), dtype=np.float32)
    term = np.empty((min(len(pixels), _PIXELS_PER_PASS), kernel.shape[1]), dtype=np.float32)
    # The same elementwise float32 steps as one whole-array pass, a cache-sized run of
    # pixels at a time: every pass over the output then stays in the CPU cache.
    for start in range(0, len(pixels), _PIXELS_PER_PASS):
        rgb, acc = pixels[start : start + _PIXELS_PER_PASS], out[start : start + _PIXELS_PER_PASS]
        tmp = term[: len(rgb)]
        np.multiply(rgb[:, 0:1], kernel[0], out=acc)
        for c in (1, 2):
            np.multiply(rgb[:, c : c + 1], kernel[c], out=tmp)
            acc += tmp
        quantise(acc)
    return out.reshape(chromatic.shape[:-1] + (kernel.shape[1],))
