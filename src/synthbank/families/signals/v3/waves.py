"""The signal types of generator v3 on portable numerics (frozen once released).

Each function has the signature and the draws of its v1/v2 namesake (one Generator per
channel, the same order of draws), so v3 differs from v2 only in the last bits of the
values that v2 takes from the C library or numpy's SIMD code, and in the rare ziggurat
tail draws (``|z| >= 3.654``), which :func:`synthbank.numerics.standard_normal` redraws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthbank import numerics
from synthbank.families.signals.v1 import pink as v1_pink
from synthbank.families.signals.v1.pink import shaped_noise
from synthbank.families.signals.v1.sine import channel_phases, unit_phase
from synthbank.families.signals.v2.chirp import chirp_carrier


def phased(carrier: np.ndarray, phases: np.ndarray, amplitude: float) -> np.ndarray:
    """``amplitude * sin(carrier[t] + phases[c])`` as (n_channels, n_samples) float32.

    ``sin(a + b) = sin a cos b + cos a sin b`` with :func:`synthbank.numerics.sincos`:
    two outer products, float64 inside, float32 out.
    """
    sin_t, cos_t = numerics.sincos(carrier)
    sin_c, cos_c = numerics.sincos(phases)
    out = np.multiply.outer(amplitude * cos_c, sin_t)
    out += np.multiply.outer(amplitude * sin_c, cos_t)
    return out.astype(np.float32)


def normal_rows(rngs: Sequence[np.random.Generator], width: int) -> np.ndarray:
    """(len(rngs), width) float32 standard normals, row c from rngs[c], portable tails."""
    return numerics.standard_normal_rows(rngs, width, np.float32)  # the rows' tails batched, the same bits


def spectral_weights(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """v1's weights with ``k ** -1/2`` as ``1 / sqrt(k)`` (both correctly rounded), and v1's
    Parseval multiplicities (small integers, exact on every CPU).

    Returns
    -------
    weights, multiplicity : ndarray, shape (n_samples // 2 + 1,), float32 each.
    """
    multiplicity = v1_pink.spectral_weights(n_samples)[1]
    k = np.arange(1, multiplicity.size, dtype=np.float64)
    weights = np.concatenate([[0.0], 1.0 / np.sqrt(k)])
    if n_samples % 2 == 0:
        weights[-1] *= np.sqrt(2.0)  # the real part alone carries the Nyquist power
    return weights.astype(np.float32), multiplicity


def sine_wave(rngs, n_samples, sample_rate_hz, *, frequency_hz, amplitude_uv_peak):  # noqa: ANN001, ANN201
    """Sine channels ``A sin(2 pi f t + phi_c)`` as v1's, float32 microvolts (n_channels, n_samples)."""
    return phased(unit_phase(n_samples, frequency_hz / sample_rate_hz), channel_phases(rngs), amplitude_uv_peak)


def chirp(rngs, n_samples, sample_rate_hz, *, amplitude_uv_peak, chirp_start_hz, chirp_end_hz):  # noqa: ANN001, ANN201
    """Linear chirp channels as v2's, float32 microvolts (n_channels, n_samples)."""
    carrier = chirp_carrier(n_samples, sample_rate_hz, chirp_start_hz, chirp_end_hz)
    return phased(carrier, channel_phases(rngs), amplitude_uv_peak)


def white_noise(rngs, n_samples, sample_rate_hz, *, amplitude_uv_rms):  # noqa: ANN001, ANN201
    """Independent N(0, amplitude_uv_rms^2) samples, float32 microvolts (n_channels, n_samples)."""
    del sample_rate_hz
    out = normal_rows(rngs, n_samples)
    out *= np.float32(amplitude_uv_rms)
    return out


def pink_noise(rngs, n_samples, sample_rate_hz, *, amplitude_uv_rms):  # noqa: ANN001, ANN201
    """1/f noise by spectral shaping as v1's, float32 microvolts (n_channels, n_samples)."""
    del sample_rate_hz  # 1/f over bin index is 1/f over frequency
    weights, multiplicity = spectral_weights(n_samples)
    spectra = normal_rows(rngs, 2 * weights.size).view(np.complex64)
    return shaped_noise(spectra, weights, multiplicity, n_samples, amplitude_uv_rms)
