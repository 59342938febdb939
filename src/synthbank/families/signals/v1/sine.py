"""Sine waves with a seeded random phase per channel (generator v1; frozen).

Once released, this file never changes: a test pins the checksums of its outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Working memory per output sample (bytes): two float64 products and the float32 result.
WORK_BYTES_PER_SAMPLE = 20


def unit_phase(n_samples: int, cycles_per_sample: float) -> np.ndarray:
    """``2 pi (k * cycles_per_sample mod 1)`` for k = 0..n-1, float64 (exact for any length)."""
    k = np.arange(n_samples, dtype=np.float64)
    cycles = k * cycles_per_sample
    cycles -= np.floor(cycles)
    return 2.0 * np.pi * cycles


def phased(carrier: np.ndarray, phases: np.ndarray, amplitude: float) -> np.ndarray:
    """``amplitude * sin(carrier[t] + phases[c])`` as (n_channels, n_samples) float32.

    Uses ``sin(a + b) = sin a cos b + cos a sin b``: two outer products instead of a
    sine per sample and channel. float64 inside, float32 out.
    """
    out = np.multiply.outer(amplitude * np.cos(phases), np.sin(carrier))
    out += np.multiply.outer(amplitude * np.sin(phases), np.cos(carrier))
    return out.astype(np.float32)


def channel_phases(rngs: Sequence[np.random.Generator]) -> np.ndarray:
    """One uniform phase in [0, 2 pi) per channel: the first draw of each channel's stream."""
    return np.array([rng.uniform(0.0, 2.0 * np.pi) for rng in rngs], dtype=np.float64)


def sine_wave(
    rngs: Sequence[np.random.Generator],
    n_samples: int,
    sample_rate_hz: float,
    *,
    frequency_hz: float,
    amplitude_uv_peak: float,
) -> np.ndarray:
    """Sine channels ``A sin(2 pi f t + phi_c)``, ``phi_c ~ U(0, 2 pi)`` from channel c's stream.

    Parameters
    ----------
    rngs : one Generator per channel (channel c's stream).
    n_samples : samples per channel, t = k / sample_rate_hz.
    sample_rate_hz : samples per second.
    frequency_hz : 0 < f < sample_rate_hz / 2.
    amplitude_uv_peak : peak amplitude A in microvolts.

    Returns
    -------
    ndarray, shape (len(rngs), n_samples), float32, microvolts.
    """
    carrier = unit_phase(n_samples, frequency_hz / sample_rate_hz)
    return phased(carrier, channel_phases(rngs), amplitude_uv_peak)
