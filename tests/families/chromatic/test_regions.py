"""The chromatic regions: jittered-grid Voronoi labels."""

import numpy as np
import pytest

from synthbank.families.chromatic.regions import region_labels


def test_regions_are_exact_voronoi_cells_for_jitter_up_to_065():
    ju = np.random.default_rng(2).random((3, 10, 10, 2))
    labels = region_labels(ju, 80, 80, 0.65)
    g, cell = 10, 8.0
    cy, cx = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
    sy = (cy + 0.5) * cell + 0.65 * (ju[..., 0] - 0.5) * cell
    sx = (cx + 0.5) * cell + 0.65 * (ju[..., 1] - 0.5) * cell
    yy, xx = np.meshgrid(np.arange(80) + 0.5, np.arange(80) + 0.5, indexing="ij")
    d = (yy[None, :, :, None] - sy.reshape(3, 1, 1, -1)) ** 2 + (xx[None, :, :, None] - sx.reshape(3, 1, 1, -1)) ** 2
    assert np.array_equal(d.argmin(-1), labels)
    assert all(np.unique(labels[i]).size == g * g for i in range(3))  # every cell owns pixels


def _whole_image_labels(jitter_u, height, width, jitter):
    """The labels computed in nine whole-image passes (the algorithm before issue 17's
    row bands): the same float32 steps, so the same labels, ties included."""
    n, g = jitter_u.shape[0], jitter_u.shape[1]
    cell = np.array([height / g, width / g])
    centre = (np.arange(g) + 0.5)[:, None] * cell[None, :]
    seeds = np.full((n, g + 2, g + 2, 2), np.inf, dtype=np.float32)
    seeds[:, 1:-1, 1:-1, 0] = centre[:, 0][None, :, None] + jitter * (jitter_u[..., 0] - 0.5) * cell[0]
    seeds[:, 1:-1, 1:-1, 1] = centre[:, 1][None, None, :] + jitter * (jitter_u[..., 1] - 0.5) * cell[1]
    y = (np.arange(height) + 0.5).astype(np.float32)
    x = (np.arange(width) + 0.5).astype(np.float32)
    cy = np.minimum((np.arange(height) + 0.5) // cell[0], g - 1).astype(np.intp)
    cx = np.minimum((np.arange(width) + 0.5) // cell[1], g - 1).astype(np.intp)
    best = np.full((n, height, width), np.inf, dtype=np.float32)
    label = np.zeros((n, height, width), dtype=np.uint8)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            rows, cols = cy + dy + 1, cx + dx + 1
            d = (y[None, :, None] - seeds[:, rows][:, :, cols, 0]) ** 2 + (x[None, None, :] - seeds[:, rows][:, :, cols, 1]) ** 2
            closer = d < best
            np.copyto(best, d, where=closer)
            lab = (np.clip(rows - 1, 0, g - 1)[:, None] * g + np.clip(cols - 1, 0, g - 1)[None, :]).astype(np.uint8)
            np.copyto(label, np.broadcast_to(lab, label.shape), where=closer)
    return label


@pytest.mark.parametrize("height, width, g, jitter", [
    (256, 256, 12, 0.6),  # the default: uneven cells (21.33 px)
    (37, 100, 5, 0.65),
    (64, 200, 16, 0.3),
    (7, 9, 12, 0.5),  # fewer rows than cells: some row bands hold no pixel
    (16, 16, 4, 0.0),  # no jitter: seeds on pixel-grid symmetric points, many exact ties
    (9, 9, 1, 0.5),
])
def test_row_bands_give_the_whole_image_labels_bit_for_bit(height, width, g, jitter):
    ju = np.random.default_rng(height * width + g).random((3, g, g, 2))
    assert np.array_equal(region_labels(ju, height, width, jitter), _whole_image_labels(ju, height, width, jitter))
