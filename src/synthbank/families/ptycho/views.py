"""Dense and sparse views: groups whose centres are at least S apart, chosen greedily."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def select_spaced(centres: np.ndarray, spacing: float, order: np.ndarray) -> np.ndarray:
    """Greedy selection in ``order``: keep a group unless a kept one lies closer than ``spacing``.

    Parameters
    ----------
    centres : (g, 2) float64 group centres (y, x), pixels.
    spacing : S > 0, pixels; kept centres are pairwise >= S apart.
    order : a permutation of range(g) (the seeded visiting order).

    Returns
    -------
    ndarray of int64, the kept group indices in ascending order
    """
    if not spacing > 0:
        raise ValueError(f"spacing={spacing} is invalid: allowed a number > 0")
    g = len(centres)
    if g == 0:
        return np.zeros(0, dtype=np.int64)
    # Conflicts strictly closer than S (a tiny margin keeps exactly-S pairs allowed).
    conflicts = cKDTree(centres).query_ball_point(centres, r=spacing * (1 - 1e-12), return_sorted=True)
    blocked = np.zeros(g, dtype=bool)
    kept = []
    for i in order:  # one pass over g groups (~1e3): a selection, not a hot path
        if not blocked[i]:
            kept.append(i)
            blocked[conflicts[i]] = True
    return np.sort(np.asarray(kept, dtype=np.int64))


def min_pairwise_distance(centres: np.ndarray) -> float:
    """Smallest distance between two centres (inf for fewer than two)."""
    if len(centres) < 2:
        return float("inf")
    dist, _ = cKDTree(centres).query(centres, k=2)
    return float(dist[:, 1].min())
