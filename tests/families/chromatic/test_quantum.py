"""The 1e-6 storage rule of the chromatic family."""

import numpy as np
import pytest

from synthbank.families.chromatic.quantum import quantise


def test_quantise_is_the_1e6_grid_and_idempotent():
    x = np.random.default_rng(1).random(100_000).astype(np.float32) * 3
    q = quantise(x.copy())
    k = np.rint(q.astype(np.float64) * 1e6)
    assert np.abs(q - k * 1e-6).max() < 3e-7  # nearest float32 to a multiple of 1e-6
    assert np.abs(q - x).max() <= 5e-7 + 3e-7
    assert np.array_equal(quantise(q.copy()), q)
    with pytest.raises(ValueError, match="float32"):
        quantise(np.zeros(3))
