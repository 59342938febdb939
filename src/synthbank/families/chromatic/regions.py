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
    best = np.full((n, height, width), np.inf, dtype=np.float32)
    label = np.zeros((n, height, width), dtype=np.uint8)
    for dy in (-1, 0, 1):  # nine neighbour cells, a fixed order: ties keep the first
        rows = cy + dy + 1
        for dx in (-1, 0, 1):
            cols = cx + dx + 1
            sy = seed_y[:, rows][:, :, cols]  # (B, H, W)
            sx = seed_x[:, rows][:, :, cols]
            d = (y[None, :, None] - sy) ** 2 + (x[None, None, :] - sx) ** 2
            closer = d < best
            np.copyto(best, d, where=closer)
            lab = ((np.clip(rows - 1, 0, g - 1))[:, None] * g + np.clip(cols - 1, 0, g - 1)[None, :]).astype(np.uint8)
            np.copyto(label, np.broadcast_to(lab, label.shape), where=closer)
    return label
