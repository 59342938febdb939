"""Tests of the atomic renderer: statistics recovered from clean images, the plain Gaussian sum."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import cKDTree

from families.atomic.helpers import rng, site_xy
from synthbank.families.atomic.geometry import candidate_sites, sample_geometry
from synthbank.families.atomic.lattice import GRID_SIZE, LATTICE_NAMES, LatticeParams
from synthbank.families.atomic.render import render_clean


def test_spacing_recovered_from_render():
    # Find the atom columns of a larger noise-free render (local maxima, sub-pixel by a
    # parabola through log(intensity - background): exact for one Gaussian) and take the
    # median nearest-neighbour distance.
    g = sample_geometry(rng(7), 300, LatticeParams.default(vacancy_rate=0.0))
    size = 40
    img = render_clean(g, size=size, vacancies=False)
    bg, ct = g.background[:, None, None], g.contrast[:, None, None]
    peak = (img == ndimage.maximum_filter(img, size=(1, 3, 3), mode="nearest")) & (img > bg + 0.5 * ct)
    peak[:, :2] = peak[:, -2:] = peak[:, :, :2] = peak[:, :, -2:] = False
    b, r, c = np.nonzero(peak)
    lg = np.log(np.maximum(img - bg, 1e-9))

    def vertex(lm, l0, lp):
        return 0.5 * (lm - lp) / (lm - 2 * l0 + lp)

    xs = c + vertex(lg[b, r, c - 1], lg[b, r, c], lg[b, r, c + 1])
    ys = r + vertex(lg[b, r - 1, c], lg[b, r, c], lg[b, r + 1, c])
    estimate = np.empty(len(g.labels))
    for k in range(len(g.labels)):
        pts = np.stack([xs[b == k], ys[b == k]], axis=1)
        assert len(pts) >= 10
        estimate[k] = np.median(cKDTree(pts).query(pts, k=2)[0][:, 1])
    rel = estimate / g.spacing_px - 1
    assert np.abs(rel).max() < 0.01
    assert np.abs(rel).mean() < 0.002


def test_large_render_matches_standard_window():
    # The lattice stays centred: the middle of a 48 px render is the 16 px render.
    g = sample_geometry(rng(8), 200, LatticeParams.default())
    small = render_clean(g, vacancies=False)
    big = render_clean(g, size=48, vacancies=False)
    assert np.abs(big[:, 16:32, 16:32] - small).max() < 1e-3


def direct_render(g, size: int = GRID_SIZE) -> np.ndarray:
    """The clean images summed site by site with numpy's float64 exp (no recurrence)."""
    out = np.zeros((len(g.labels), size, size))
    grid = np.arange(size, dtype=np.float64)
    for label in range(len(LATTICE_NAMES)):
        idx = np.flatnonzero(g.labels == label)
        if idx.size:
            x, y = site_xy(g, idx, candidate_sites(label, g.lattice, size), size)
            two_s2 = 2.0 * g.sigma_px[idx, None, None] ** 2
            gx = np.exp(-((grid[None, None, :] - x[:, :, None]) ** 2) / two_s2)  # (m, S, col)
            gy = np.exp(-((grid[None, None, :] - y[:, :, None]) ** 2) / two_s2)  # (m, S, row)
            out[idx] = np.einsum("msr,msc->mrc", gy, gx)
    contrast, background = g.contrast[:, None, None], g.background[:, None, None]
    return out * contrast + background


@pytest.mark.parametrize(
    "spacing,width",
    [
        ((3.5, 6.0), (0.16, 0.24)),  # the defaults
        ((8.0, 8.0), (0.5, 0.5)),  # widest columns
        ((2.0, 2.0), (0.0187, 0.0187)),  # sigma 0.037 px: pixel by pixel (k > 12.8)
        ((2.0, 2.0), (0.0186, 0.0276)),  # around the switch between the two paths
        ((2.0, 8.0), (0.001, 0.5)),  # everything in between
    ],
)
def test_render_matches_direct_gaussian_sum(spacing, width):
    """The recurrence of the portable profiles equals the plain formula to float32 rounding."""
    g = sample_geometry(rng(7), 1500, LatticeParams.default(spacing_px=spacing, width_fraction=width))
    err = np.abs(render_clean(g, vacancies=False).astype(np.float64) - direct_render(g))
    assert err.max() < 1e-6, f"max abs error {err.max():.3g} of full scale"


def test_vacancies_remove_intensity():
    full = sample_geometry(rng(41), 3000, LatticeParams.default(vacancy_rate=0.0))
    holes = sample_geometry(rng(41), 3000, LatticeParams.default(vacancy_rate=0.5))
    # Only the occupancy threshold differs: the geometry is the same.
    assert np.array_equal(full.spacing_px, holes.spacing_px) and full.occupancy.all()
    bg = full.background[:, None, None]
    excess_full = (render_clean(full) - bg).sum()
    excess_holes = (render_clean(holes) - bg).sum()
    assert abs(excess_holes / excess_full - 0.5) < 0.02
    # Rendering the same geometry without vacancies gives back the full intensity.
    assert np.allclose(render_clean(holes, vacancies=False), render_clean(full), atol=1e-6)
