"""Generator v1 (docs/families/signals.md): ``sine_wave`` and ``pink_noise``. Frozen: never change its bytes.

``GENERATORS[signal_type](rngs, n_samples, sample_rate_hz, **params)`` returns
(len(rngs), n_samples) float32 microvolts, row c from channel c's stream.
"""

from synthbank.families.signals.v1 import pink, sine

VERSION = "v1"
#: The generator's path relative to the repository root (recorded in manifests).
PATH = "src/synthbank/families/signals/v1"
GENERATORS = {"sine_wave": sine.sine_wave, "pink_noise": pink.pink_noise}
WORK_BYTES_PER_SAMPLE = {"sine_wave": sine.WORK_BYTES_PER_SAMPLE, "pink_noise": pink.WORK_BYTES_PER_SAMPLE}


def generate(signal_type, rngs, artifact_rngs, n_samples, sample_rate_hz, params):
    """One block of channels; v1 has no artifacts (``artifact_rngs`` is unused)."""
    del artifact_rngs
    return GENERATORS[signal_type](rngs, n_samples, sample_rate_hz, **params)
