"""Python entry points in the style of the signals source document (docs/families/signals.md):
generate an array, or a file for high channel counts.

The source document's troubleshooting ("Generator returned file path but harness expects array"):
:func:`generate` returns an ndarray when no ``output`` is given and a file path when one
is (the high-channel, constant-memory mode); :func:`load` accepts either, so callers
handle both return types the same way.

Examples
--------
>>> x = generate("sine_wave", channels=4, sample_rate_hz=250, duration_s=1.0)  # doctest: +SKIP
>>> x.shape, x.dtype                                                            # doctest: +SKIP
((250, 4), dtype('float32'))
>>> path = generate("pink_noise", 1024, 160, 120.0, output="data/pink")          # doctest: +SKIP
>>> load(path, channels=1024).shape                                             # doctest: +SKIP
(19200, 1024)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synthbank.errors import UsageError
from synthbank.families.signals import layout
from synthbank.families.signals.build import build
from synthbank.families.signals.generate import channel_block
from synthbank.families.signals.spec import DEFAULT_NAME, make_spec

#: Largest dataset returned as an in-memory array (bytes); larger ones need ``output``.
ARRAY_LIMIT = 256 * 1024 * 1024


def generate(
    signal_type: str,
    channels: int,
    sample_rate_hz: float,
    duration_s: float,
    *,
    version: str = "v1",
    name: str = DEFAULT_NAME,
    seed: int = 42,
    output: str | Path | None = None,
    release_date: str = "1970-01-01",
    workers: int = 1,
    **params: Any,
) -> np.ndarray | Path:
    """Generate a dataset.

    Parameters
    ----------
    signal_type, channels, sample_rate_hz, duration_s, version, seed, **params
        As in params.yaml (see :mod:`synthbank.families.signals.spec`).
    name : str
        Dataset name; channel c depends only on (seed, name, c).
    output : path or None
        None: return the samples as an array. A directory: write the dataset there
        (HDF5, .float32, CORTEX spec.yaml, generation_manifest.yaml) in constant memory and
        return the path of the ``.float32`` file.

    Returns
    -------
    ndarray of shape (n_samples, channels), float32 microvolts, or Path.
    """
    spec = make_spec(name, version, channels, sample_rate_hz, {"signal_type": signal_type, "duration_s": duration_s,
                                                               "seed": seed, **params}, seed)
    if output is not None:
        build(spec, Path(output), release_date, workers=workers)
        return Path(output) / layout.FLOAT32_NAME
    size = spec.n_samples * spec.channels * 4
    if size > ARRAY_LIMIT:
        raise UsageError(
            f"channels={channels} x {spec.n_samples} samples is {size:,} bytes: allowed at most {ARRAY_LIMIT:,} "
            "as an array; pass output=DIR to get a file path (constant memory)"
        )
    return np.ascontiguousarray(channel_block(spec, 0, spec.channels).T)


def load(data: np.ndarray | str | Path, channels: int | None = None) -> np.ndarray:
    """An (n_samples, n_channels) float32 array from an array or an interleaved ``.float32`` path.

    A path is memory-mapped (read-only), so a large file costs no memory up front.
    """
    if isinstance(data, np.ndarray):
        return data
    if channels is None:
        raise UsageError("channels=None is invalid for a file path: allowed the file's channel count")
    return np.memmap(Path(data), dtype=layout.FLOAT32_DTYPE, mode="r").reshape(-1, channels)
