"""Generator v3: v2's signal types and parameters, with the same bytes on every CPU.

v1 and v2 round float32 samples from float64 values that numpy computes with the C
library or its own SIMD code (sine and cosine, the pink weights' power), and keep
numpy's float32 ziggurat, whose rare tail draws hold a C-library ``log1pf``: an ulp of
difference between CPUs moves a sample with probability up to 2**-29. v3 computes every
stored value from IEEE-exact operations and :mod:`synthbank.numerics` (sincos, normal
draws with portable tails, ``1 / sqrt(k)`` weights); the FFT, DC offset and NaN artifacts
are v2's. Frozen once released.
"""

import functools

from synthbank.families.signals import v2
from synthbank.families.signals.v3 import waves

VERSION = "v3"
#: The generator's path relative to the repository root (recorded in manifests).
PATH = "src/synthbank/families/signals/v3"
GENERATORS = {
    "sine_wave": waves.sine_wave, "pink_noise": waves.pink_noise,
    "white_noise": waves.white_noise, "chirp": waves.chirp,
}
WORK_BYTES_PER_SAMPLE = dict(v2.WORK_BYTES_PER_SAMPLE)

generate = functools.partial(v2.generate, generators=GENERATORS)
