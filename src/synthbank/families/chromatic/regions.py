"""The regions of the chromatic samples: jittered-grid Voronoi cells and their pixel labels.

The image is cut into ``cells_per_side`` x ``cells_per_side`` grid cells. Each cell holds
one seed point: its centre moved by ``jitter * (u - 1/2)`` cell sizes per axis, u ~ U(0, 1).
A pixel (centre at ``(row + 1/2, col + 1/2)``) belongs to the nearest seed among the 3 x 3
grid cells around its own; for square cells and ``jitter <= 0.65`` that is exactly the
Voronoi cell of the seed. Region label = ``row_cell * cells_per_side + col_cell``.
"""

from __future__ import annotations

import numpy as np


def region_labels(jitter_u: np.ndarray, height: int, width: int, jitter: float) -> np.ndarray:
    """Voronoi labels of a block of images, ``(B, H, W)`` uint8.

    Parameters
    ----------
    jitter_u : ndarray of float64, shape (B, G, G, 2)
        Uniform [0, 1) offsets of the seeds (row, column).
    height, width : int
        Image size in pixels.
    jitter : float
        Displacement amplitude in cell sizes.
    """
    n, g = jitter_u.shape[0], jitter_u.shape[1]
    cell = np.array([height / g, width / g])
    centre = (np.arange(g) + 0.5)[:, None] * cell[None, :]  # (G, 2): row centres, col centres
    seeds = np.empty((n, g + 2, g + 2, 2), dtype=np.float32)
    seeds[...] = np.float32(np.inf)  # cells outside the grid never win
    seeds[:, 1:-1, 1:-1, 0] = centre[:, 0][None, :, None] + jitter * (jitter_u[..., 0] - 0.5) * cell[0]
    seeds[:, 1:-1, 1:-1, 1] = centre[:, 1][None, None, :] + jitter * (jitter_u[..., 1] - 0.5) * cell[1]
    seed_y, seed_x = seeds[..., 0], seeds[..., 1]
    y = (np.arange(height) + 0.5).astype(np.float32)
    x = (np.arange(width) + 0.5).astype(np.float32)
    cy = np.minimum((np.arange(height) + 0.5) // cell[0], g - 1).astype(np.intp)
    cx = np.minimum((np.arange(width) + 0.5) // cell[1], g - 1).astype(np.intp)
    label = np.zeros((n, height, width), dtype=np.uint8)
    # One band of pixel rows (one grid row) at a time: its nine candidate seeds differ only
    # along x, so each pass is a (B, rows, W) array with long contiguous inner loops and
    # no per-pixel gathers. Same float32 steps as a whole-image pass, so the same labels.
    first, stop = np.searchsorted(cy, np.arange(g)), np.searchsorted(cy, np.arange(g), side="right")
    for r in range(g):
        i0, i1 = int(first[r]), int(stop[r])
        if i0 == i1:
            continue
        band_y = y[i0:i1, None]
        best = np.full((n, i1 - i0, width), np.inf, dtype=np.float32)
        d = np.empty_like(best)
        closer = np.empty(best.shape, dtype=bool)
        band = label[:, i0:i1, :]
        for dy in (-1, 0, 1):  # nine neighbour cells, a fixed order: ties keep the first
            row = r + dy + 1
            for dx in (-1, 0, 1):
                cols = cx + dx + 1
                dx2 = (x - seed_x[:, row, cols]) ** 2  # (B, W)
                np.subtract(band_y, seed_y[:, row, cols][:, None, :], out=d)
                np.square(d, out=d)
                d += dx2[:, None, :]  # (y - sy)**2 + (x - sx)**2, float32
                np.less(d, best, out=closer)
                np.copyto(best, d, where=closer)
                lab = (min(max(row - 1, 0), g - 1) * g + np.clip(cols - 1, 0, g - 1)).astype(np.uint8)
                np.copyto(band, np.broadcast_to(lab, band.shape), where=closer)
    return label
