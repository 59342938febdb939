"""Pure generator of the toy family: Gaussian samples of one set."""

from __future__ import annotations

import numpy as np


def samples(rng: np.random.Generator, n: int, mean: float, std: float) -> np.ndarray:
    """``n`` draws of N(mean, std**2), shape (n,), float64 (IEEE-exact scaling of standard normals)."""
    return mean + std * rng.standard_normal(n)
