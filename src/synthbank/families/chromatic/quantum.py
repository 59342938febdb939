"""The chromatic family's storage rule: every stored float lies on the 1e-6 grid."""

from __future__ import annotations

import numpy as np

#: The quantum of every stored float (the chromatic source document's quantisation rule,
#: docs/families/chromatic.md).
QUANTUM = 1e-6


def quantise(x: np.ndarray) -> np.ndarray:
    """Round a float32 array in place to the nearest multiple of 1e-6 and return it.

    ``x`` becomes ``float32(rint(float32(x * 1e6)) / 1e6)``: pure IEEE float32 operations,
    so the result is the same on every CPU. Idempotent for ``|x| < 16``.
    """
    if x.dtype != np.float32:
        raise ValueError(f"quantise needs a float32 array, got dtype {x.dtype}")
    scale = np.float32(1.0 / QUANTUM)
    x *= scale
    np.rint(x, out=x)
    x /= scale
    return x
