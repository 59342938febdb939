"""Pink (1/f) Gaussian noise by FFT spectral shaping (generator v1; frozen).

Each channel draws complex Gaussian Fourier coefficients (Timmer & Koenig 1995), scales
bin k by ``k ** -1/2`` so the power spectrum falls as 1/f, sets the DC bin to zero (zero
mean) and the Nyquist bin real, normalises the channel to exactly the requested RMS
(Parseval, float64 sums) and inverse-FFTs. Work is vectorised over a block of channels;
only the draws loop over channels, because each channel has its own random stream.

Once released, this file never changes: a test pins the checksums of its outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Working memory per output sample (bytes): complex64 half spectrum (4), squares (4, freed),
#: gains (2), float32 result (4), and 4 for the FFT's own buffers.
WORK_BYTES_PER_SAMPLE = 14


def spectral_weights(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude weights ``k ** -1/2`` (0 at DC) and Parseval multiplicities of the rfft bins.

    Returns
    -------
    weights : ndarray, shape (n_samples // 2 + 1,), float32.
    multiplicity : ndarray, same shape, float32: 2 for bins with a conjugate twin, 1 for
        DC and (even n) Nyquist.
    """
    n_freq = n_samples // 2 + 1
    k = np.arange(n_freq, dtype=np.float64)
    weights = np.zeros(n_freq, dtype=np.float64)
    weights[1:] = k[1:] ** -0.5
    multiplicity = np.full(n_freq, 2.0)
    multiplicity[0] = 1.0
    if n_samples % 2 == 0:
        multiplicity[-1] = 1.0
        weights[-1] *= np.sqrt(2.0)  # the real part alone carries the Nyquist power
    return weights.astype(np.float32), multiplicity.astype(np.float32)


def normal_rows(rngs: Sequence[np.random.Generator], width: int) -> np.ndarray:
    """(len(rngs), width) float32 standard normal draws, row c from rngs[c].

    The only loop over channels: each channel has its own stream; a draw fills a row.
    """
    out = np.empty((len(rngs), width), dtype=np.float32)
    for row, rng in zip(out, rngs, strict=True):
        rng.standard_normal(out=row, dtype=np.float32)
    return out


def gaussian_spectra(rngs: Sequence[np.random.Generator], n_freq: int) -> np.ndarray:
    """(len(rngs), n_freq) complex64 standard normal coefficients (real, imaginary parts
    interleaved in each row's draws), row c from rngs[c]."""
    return normal_rows(rngs, 2 * n_freq).view(np.complex64)


def pink_noise(
    rngs: Sequence[np.random.Generator],
    n_samples: int,
    sample_rate_hz: float,
    *,
    amplitude_uv_rms: float,
) -> np.ndarray:
    """Pink noise channels with power spectral density proportional to 1/f.

    Parameters
    ----------
    rngs : one Generator per channel (channel c's stream).
    n_samples : samples per channel (>= 16).
    sample_rate_hz : samples per second (the shape of the spectrum over bins does not
        depend on it).
    amplitude_uv_rms : every channel's RMS (= standard deviation, the mean is 0), microvolts.

    Returns
    -------
    ndarray, shape (len(rngs), n_samples), float32, microvolts.
    """
    del sample_rate_hz  # 1/f over bin index is 1/f over frequency
    weights, multiplicity = spectral_weights(n_samples)
    return shaped_noise(gaussian_spectra(rngs, weights.size), weights, multiplicity, n_samples, amplitude_uv_rms)


def shaped_noise(
    spectra: np.ndarray, weights: np.ndarray, multiplicity: np.ndarray, n_samples: int, amplitude_uv_rms: float
) -> np.ndarray:
    """Weight Gaussian half spectra, normalise each channel's RMS exactly, inverse-FFT.

    Parameters
    ----------
    spectra : (n_channels, n_samples // 2 + 1) complex64 standard normal coefficients;
        scaled in place.
    weights, multiplicity : from :func:`spectral_weights`, float32.
    n_samples : samples per channel.
    amplitude_uv_rms : every channel's RMS, microvolts.

    Returns
    -------
    ndarray, shape (n_channels, n_samples), float32, microvolts.
    """
    # Weight of each real/imaginary part in the channel's sum of squares (Parseval):
    # m_k w_k^2, and 0 for the imaginary parts irfft ignores (DC, even-n Nyquist).
    parts = np.repeat(multiplicity * np.square(weights), 2)
    parts[1] = 0.0
    if n_samples % 2 == 0:
        parts[-1] = 0.0
    squares = np.square(spectra.view(np.float32))
    squares *= parts
    # mean square of irfft(X, n) is sum_k m_k |X_k|^2 / n^2; float64 row sums.
    total = squares.sum(axis=1, dtype=np.float64)
    del squares
    gain = (amplitude_uv_rms * n_samples / np.sqrt(total)).astype(np.float32)
    spectra *= np.multiply.outer(gain, weights)
    if n_samples % 2 == 0:
        spectra[:, -1].imag = 0.0
    return np.fft.irfft(spectra, n_samples, axis=1)
