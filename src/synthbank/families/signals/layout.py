"""Fixed file layout of a signals dataset (part of the family VERSION: changing it changes bytes)."""

from __future__ import annotations

import numpy as np

HDF5_NAME = "signal.h5"
FLOAT32_NAME = "signal.float32"
MANIFEST_NAME = "generation_manifest.yaml"
DATASET = "signal"
UNITS = "uV"
#: HDF5 chunk shape (samples, channels), clipped to the dataset shape: 64 KiB chunks.
CHUNK_SAMPLES = 1024
CHUNK_CHANNELS = 16
#: The interleaved file's element type: float32, little-endian, sample-major.
FLOAT32_DTYPE = np.dtype("<f4")


def chunk_shape(n_samples: int, n_channels: int) -> tuple[int, int]:
    """The HDF5 chunk shape of a (n_samples, n_channels) dataset."""
    return min(CHUNK_SAMPLES, n_samples), min(CHUNK_CHANNELS, n_channels)


def channel_names(n_channels: int) -> list[str]:
    """``ch0000``, ``ch0001``, ... (four digits cover the 4096-channel maximum)."""
    return [f"ch{c:04d}" for c in range(n_channels)]
