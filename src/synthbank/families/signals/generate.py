"""Pure generation of one block of channels of a dataset, from per-channel streams.

Channel c of dataset ``name`` draws from
``seeding.stream(seed, "signals", name_key(name), c, stream)``, with ``stream`` 0 for
the signal and 1 for the v2/v3 artifacts (NaN positions). So channel c has the same bytes
whatever the channel count, the block size or the worker count.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from synthbank import seeding
from synthbank.families.signals import v1, v2, v3
from synthbank.families.signals.spec import SignalSpec

FAMILY = "signals"
SIGNAL_STREAM = 0
ARTIFACT_STREAM = 1
VERSIONS: dict[str, ModuleType] = {"v1": v1, "v2": v2, "v3": v3}


def channel_streams(spec: SignalSpec, first: int, stop: int, stream: int) -> list[np.random.Generator]:
    """One Generator per channel in ``range(first, stop)``."""
    key = seeding.name_key(spec.name)
    return [seeding.stream(spec.seed, FAMILY, key, c, stream) for c in range(first, stop)]


def generator_module(spec: SignalSpec) -> ModuleType:
    """The frozen generator package of the spec's version (``v1``, ``v2`` or ``v3``)."""
    return VERSIONS[spec.version]


def work_bytes_per_sample(spec: SignalSpec) -> int:
    """Peak working memory of :func:`channel_block` per output sample, bytes."""
    return generator_module(spec).WORK_BYTES_PER_SAMPLE[spec.signal_type]


def channel_block(spec: SignalSpec, first: int, stop: int) -> np.ndarray:
    """Channels ``first .. stop-1`` of the dataset.

    Returns
    -------
    ndarray, shape (stop - first, spec.n_samples), float32, microvolts (channel-major:
    row i is channel ``first + i``).
    """
    if not 0 <= first < stop <= spec.channels:
        raise ValueError(f"channel range [{first}, {stop}) is invalid: allowed within [0, {spec.channels})")
    rngs = channel_streams(spec, first, stop, SIGNAL_STREAM)
    artifact_rngs = channel_streams(spec, first, stop, ARTIFACT_STREAM) if spec.params.get("nan_rate") else []
    return generator_module(spec).generate(
        spec.signal_type, rngs, artifact_rngs, spec.n_samples, spec.sample_rate_hz,
        {k: v for k, v in spec.params.items()},
    )
