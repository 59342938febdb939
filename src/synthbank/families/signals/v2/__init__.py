"""Generator v2: v1's types plus ``white_noise`` and ``chirp``, and the ``dc_offset_uv`` and
``nan_rate`` parameters for every type. Frozen once released.

Sine and pink channels are v1's (same bytes when ``dc_offset_uv`` and ``nan_rate`` are 0).
"""

from synthbank.families.signals import v1
from synthbank.families.signals.v2 import artifacts, chirp, white

VERSION = "v2"
#: The generator's path relative to the repository root (recorded in manifests).
PATH = "src/synthbank/families/signals/v2"
GENERATORS = dict(v1.GENERATORS) | {"white_noise": white.white_noise, "chirp": chirp.chirp}
WORK_BYTES_PER_SAMPLE = dict(v1.WORK_BYTES_PER_SAMPLE) | {
    "white_noise": white.WORK_BYTES_PER_SAMPLE, "chirp": chirp.WORK_BYTES_PER_SAMPLE,
}


def generate(signal_type, rngs, artifact_rngs, n_samples, sample_rate_hz, params, generators=GENERATORS):
    """One block of channels with the DC offset added and NaNs injected (from ``artifact_rngs``).

    ``generators`` maps signal types to functions (v3 passes its own; the artifacts are v2's).
    """
    params = dict(params)
    dc_offset_uv = params.pop("dc_offset_uv", 0.0)
    nan_rate = params.pop("nan_rate", 0.0)
    block = generators[signal_type](rngs, n_samples, sample_rate_hz, **params)
    artifacts.add_dc_offset(block, dc_offset_uv)
    artifacts.inject_nans(block, artifact_rngs, nan_rate)
    return block
