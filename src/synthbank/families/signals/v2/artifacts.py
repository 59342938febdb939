"""Edge cases of generator v2: a DC offset and NaN samples (frozen once released)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def add_dc_offset(block: np.ndarray, dc_offset_uv: float) -> None:
    """Add ``dc_offset_uv`` microvolts to every sample, in place (float32)."""
    if dc_offset_uv:
        block += np.float32(dc_offset_uv)


def inject_nans(block: np.ndarray, rngs: Sequence[np.random.Generator], nan_rate: float) -> None:
    """Set each sample to NaN with probability ``nan_rate``, in place.

    Parameters
    ----------
    block : (n_channels, n_samples) float32.
    rngs : one Generator per channel, a stream separate from the signal's, so the
        signal bytes do not depend on ``nan_rate``.
    nan_rate : probability in [0, 1); 0 draws nothing.
    """
    if not nan_rate:
        return
    uniform = np.empty(block.shape[1], dtype=np.float32)
    threshold = np.float32(nan_rate)
    for row, rng in zip(block, rngs, strict=True):
        rng.random(out=uniform, dtype=np.float32)
        row[uniform < threshold] = np.nan
