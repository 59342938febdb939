"""Linear chirps with a seeded random phase per channel (generator v2; frozen once released)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthbank.families.signals.v1.sine import channel_phases, phased

#: Working memory per output sample (bytes), as for sine waves.
WORK_BYTES_PER_SAMPLE = 20


def chirp_carrier(n_samples: int, sample_rate_hz: float, start_hz: float, end_hz: float) -> np.ndarray:
    """Phase (radians, reduced mod 2 pi, float64) of a linear chirp.

    The instantaneous frequency is ``f(t) = start + (end - start) t / T`` with
    ``T = n_samples / sample_rate_hz``, so the phase in cycles is
    ``t (start + (end - start) t / (2 T))``.
    """
    t = np.arange(n_samples, dtype=np.float64) / sample_rate_hz
    duration = n_samples / sample_rate_hz
    cycles = t * (start_hz + (end_hz - start_hz) * t / (2.0 * duration))
    cycles -= np.floor(cycles)
    return 2.0 * np.pi * cycles


def instantaneous_frequency(n_samples: int, sample_rate_hz: float, start_hz: float, end_hz: float) -> np.ndarray:
    """The chirp's intended frequency at each sample, Hz, float64 (for validation)."""
    t = np.arange(n_samples, dtype=np.float64) / sample_rate_hz
    return start_hz + (end_hz - start_hz) * t * sample_rate_hz / n_samples


def chirp(
    rngs: Sequence[np.random.Generator],
    n_samples: int,
    sample_rate_hz: float,
    *,
    amplitude_uv_peak: float,
    chirp_start_hz: float,
    chirp_end_hz: float,
) -> np.ndarray:
    """Chirp channels ``A sin(phase(t) + phi_c)``, ``phi_c ~ U(0, 2 pi)`` from channel c's stream.

    Parameters
    ----------
    rngs : one Generator per channel.
    n_samples, sample_rate_hz : the time axis, t = k / sample_rate_hz.
    amplitude_uv_peak : peak amplitude, microvolts.
    chirp_start_hz, chirp_end_hz : instantaneous frequency at t = 0 and t = T (either
        order; both within [0, sample_rate_hz / 2]).

    Returns
    -------
    ndarray, shape (len(rngs), n_samples), float32, microvolts.
    """
    carrier = chirp_carrier(n_samples, sample_rate_hz, chirp_start_hz, chirp_end_hz)
    return phased(carrier, channel_phases(rngs), amplitude_uv_peak)
