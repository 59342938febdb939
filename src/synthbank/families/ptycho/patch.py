"""Neighbour groups: K nearest neighbours per scan position, C = gridsize**2 drawn from them."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def nearest_neighbours(xcoords: np.ndarray, ycoords: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` nearest positions of every position (itself first), by a KD-tree.

    Ties in distance are broken by position index, so the result is deterministic.

    Returns
    -------
    ndarray of int64, shape (n, k)
    """
    n = len(xcoords)
    if not 1 <= k <= n:
        raise ValueError(f"neighbours K={k} is invalid for {n} positions: allowed 1 <= K <= n")
    xy = np.stack([xcoords, ycoords], axis=1)
    # Query a little more than k so that ties at the k-th distance are resolved by index.
    extra = min(n, k + 8)
    dist, idx = cKDTree(xy).query(xy, k=extra)
    dist, idx = dist.reshape(n, extra), idx.reshape(n, extra)
    self_first = np.where(idx == np.arange(n)[:, None], -1.0, dist)
    order = np.lexsort((idx, self_first), axis=1)
    return np.take_along_axis(idx, order, axis=1)[:, :k].astype(np.int64)


def draw_groups(rng: np.random.Generator, neighbours: np.ndarray, group_size: int) -> np.ndarray:
    """One group per position: the position itself and C - 1 drawn from its other neighbours.

    Parameters
    ----------
    neighbours : (n, K) int64 from :func:`nearest_neighbours` (column 0 is the position).
    group_size : C, with 1 <= C <= K.

    Returns
    -------
    ndarray of int64, shape (n, C); column 0 is the anchor, the rest in neighbour rank order
    """
    n, k = neighbours.shape
    if not 1 <= group_size <= k:
        raise ValueError(
            f"group size C={group_size} is invalid with K={k} neighbours: allowed 1 <= C <= K (K >= C = gridsize**2)"
        )
    picks = np.sort(np.argsort(rng.random((n, k - 1)), axis=1)[:, : group_size - 1], axis=1) + 1
    return np.concatenate([neighbours[:, :1], np.take_along_axis(neighbours, picks, axis=1)], axis=1)


def group_centres(groups: np.ndarray, xcoords: np.ndarray, ycoords: np.ndarray) -> np.ndarray:
    """Mean (y, x) of each group's positions.

    Returns
    -------
    ndarray of float64, shape (g, 2)
    """
    return np.stack([ycoords[groups].mean(axis=1), xcoords[groups].mean(axis=1)], axis=1).reshape(len(groups), 2)
