"""White Gaussian noise (generator v2; frozen once released)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthbank.families.signals.v1.pink import normal_rows

#: Working memory per output sample (bytes): the float32 result.
WORK_BYTES_PER_SAMPLE = 4


def white_noise(
    rngs: Sequence[np.random.Generator],
    n_samples: int,
    sample_rate_hz: float,
    *,
    amplitude_uv_rms: float,
) -> np.ndarray:
    """Independent N(0, amplitude_uv_rms^2) samples: a flat power spectrum.

    Parameters
    ----------
    rngs : one Generator per channel (channel c's stream).
    n_samples : samples per channel.
    sample_rate_hz : unused (white noise has no time scale); kept for the common signature.
    amplitude_uv_rms : standard deviation in microvolts (the realised RMS scatters by
        about ``1 / sqrt(2 n)`` relative).

    Returns
    -------
    ndarray, shape (len(rngs), n_samples), float32, microvolts.
    """
    del sample_rate_hz
    out = normal_rows(rngs, n_samples)
    out *= np.float32(amplitude_uv_rms)
    return out
