"""Train/test by spatial halves along y, and the groups that stay inside one half."""

from __future__ import annotations

import numpy as np


def y_cut(ycoords: np.ndarray) -> float:
    """The midpoint of the y range."""
    return 0.5 * (float(np.min(ycoords)) + float(np.max(ycoords)))


def split_by_y(ycoords: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Row indices of train (y < cut) and test (y >= cut), and the cut.

    Every train y is strictly below every test y.

    Returns
    -------
    (train_rows, test_rows, cut) : int64 arrays in ascending order, and float
    """
    cut = y_cut(ycoords)
    below = ycoords < cut
    return np.flatnonzero(below).astype(np.int64), np.flatnonzero(~below).astype(np.int64), cut


def local_groups(groups: np.ndarray, rows: np.ndarray, n_total: int) -> tuple[np.ndarray, np.ndarray]:
    """The groups whose members all lie in ``rows``, renumbered to positions within ``rows``.

    Returns
    -------
    (local, kept) : (g', C) int64 indices into ``rows``, and (g',) int64 indices of the kept groups
    """
    where = np.full(n_total, -1, dtype=np.int64)
    where[rows] = np.arange(len(rows))
    mapped = where[groups]
    kept = np.flatnonzero((mapped >= 0).all(axis=1)).astype(np.int64)
    return mapped[kept].reshape(len(kept), groups.shape[1]), kept
