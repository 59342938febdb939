"""Fourier multipliers on periodic maps, map by map through reused spectra (pure, no I/O)."""

from __future__ import annotations

import numpy as np

from synthbank import scratch


def filter_maps(maps: np.ndarray, transfer: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``irfft2(rfft2(maps) * transfer, s=(h, w))``, bit for bit, map by map.

    The steps of ``rfft2`` and ``irfft2`` one axis at a time (the same transforms in the
    same order, so the same bits) into two spectra reused from call to call: a map's
    spectrum stays in the cache, and no fresh memory is faulted in per map (a fresh
    (n, h, w // 2 + 1) complex array costs more in page faults than its FFT here).

    Parameters
    ----------
    maps : ndarray, shape (n, h, w), float64
    transfer : ndarray, float64, shape (h, w // 2 + 1) for every map or (n, h, w // 2 + 1)
        The multiplier on the ``rfft2`` grid.
    out : ndarray, shape (n, h, w), float64, optional
        C-contiguous; it may be ``maps`` itself (each map is read before it is written).

    Returns
    -------
    ndarray, shape (n, h, w), float64 (``out`` if given).
    """
    n, h, w = maps.shape
    out = np.empty((n, h, w)) if out is None else out
    spectrum = scratch.buffer("energy.spectral.spectrum", (h, w // 2 + 1), np.complex128)
    columns = scratch.buffer("energy.spectral.columns", (h, w // 2 + 1), np.complex128)
    for i in range(n):
        np.fft.rfft(maps[i], n=w, axis=-1, out=spectrum)
        np.fft.fft(spectrum, n=h, axis=-2, out=columns)
        np.multiply(columns, transfer if transfer.ndim == 2 else transfer[i], out=columns)
        np.fft.ifft(columns, n=h, axis=-2, out=spectrum)
        np.fft.irfft(spectrum, n=w, axis=-1, out=out[i])
    return out
