"""The chromatic regions: jittered-grid Voronoi labels."""

import numpy as np

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
