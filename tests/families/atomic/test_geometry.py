"""Tests of the atomic geometry draws: cell shapes, uniform draws, candidate-site coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from families.atomic.helpers import rng, site_xy
from synthbank.families.atomic.geometry import CUTOFF_SIGMAS, candidate_sites, sample_geometry
from synthbank.families.atomic.lattice import GRID_SIZE, LATTICE_NAMES, LatticeParams
from synthbank.families.atomic.render import render_clean


def test_cell_shapes_stay_clear_of_higher_symmetry():
    g = sample_geometry(rng(3), 5000, LatticeParams.default())
    rho, gam, lab = g.cell_ratio, np.degrees(g.cell_angle_rad), g.labels
    # reduced cell (|e1| <= |e2| <= |e1 - e2|) so the nearest-neighbour distance is a
    assert np.all(rho >= 1) and np.all(2 * rho * np.cos(np.radians(gam)) <= 1 + 1e-12)
    assert np.all(rho[lab == 0] == 1) and np.all(gam[lab == 0] == 90)
    assert np.all((rho[lab == 1] >= 1.3) & (rho[lab == 1] <= 1.8)) and np.all(gam[lab == 1] == 90)
    conventional = 1 / np.tan(np.radians(gam[lab == 2]) / 2)  # long/short side of the centred cell
    assert np.all(rho[lab == 2] == 1) and np.all((conventional >= 1.2) & (conventional <= 1.45))
    assert np.all(rho[lab == 3] == 1) and np.allclose(gam[lab == 3], 60)
    obl_x = rho[lab == 4] * np.cos(np.radians(gam[lab == 4]))  # Re(tau): 0 rectangular, 1/2 centred
    assert np.all((rho[lab == 4] >= 1.2) & (gam[lab == 4] >= 74) & (gam[lab == 4] <= 82))
    assert np.all((obl_x > 0.15) & (obl_x < 0.4))


def test_orientation_uniform():
    g = sample_geometry(rng(12), 20000, LatticeParams.default())
    assert stats.kstest(g.orientation_rad / (2 * np.pi), "uniform").pvalue > 1e-3
    # The translation is uniform over the unit cell too.
    for k in range(2):
        assert stats.kstest(g.origin_frac[:, k] + 0.5, "uniform").pvalue > 1e-3


# --- candidate-site coverage -----------------------------------------------------------

# The candidate set is sized for the smallest spacing and widest columns; these draw only those.
WORST = LatticeParams.default(
    spacing_px=(2.0, 2.0), width_fraction=(0.5, 0.5), contrast=(1.0, 1.0), background=(0.0, 0.0), vacancy_rate=0.0
)
DEFAULT_WORST = LatticeParams.default(spacing_px=(3.5, 3.5), width_fraction=(0.24, 0.24), contrast=(1.0, 1.0), vacancy_rate=0.0)


@pytest.mark.parametrize("lat", [WORST, DEFAULT_WORST], ids=["limits", "defaults"])
def test_sites_outside_candidates_are_beyond_cutoff(lat):
    # Every site of a much larger index set that is NOT a candidate lies farther than
    # CUTOFF_SIGMAS * sigma from every pixel centre, so adds < exp(-8) = 3.4e-4.
    g = sample_geometry(rng(61), 4000, lat)
    for label in range(len(LATTICE_NAMES)):
        idx = np.flatnonzero(g.labels == label)
        sites = candidate_sites(label, lat)
        wide = candidate_sites(label, lat, pad=4.0)
        inside = {tuple(s) for s in sites.tolist()}
        assert inside <= {tuple(s) for s in wide.tolist()}
        outside = np.array([s for s in wide.tolist() if tuple(s) not in inside])
        x, y = site_xy(g, idx, outside, GRID_SIZE)
        dx = np.maximum(0, np.maximum(-x, x - (GRID_SIZE - 1)))
        dy = np.maximum(0, np.maximum(-y, y - (GRID_SIZE - 1)))
        dist = np.hypot(dx, dy) / g.sigma_px[idx, None]
        assert dist.min() > CUTOFF_SIGMAS
        # ...and no candidate is useless: each comes within 2x the cutoff for some image.
        x, y = site_xy(g, idx, sites, GRID_SIZE)
        dx = np.maximum(0, np.maximum(-x, x - (GRID_SIZE - 1)))
        dy = np.maximum(0, np.maximum(-y, y - (GRID_SIZE - 1)))
        assert (np.hypot(dx, dy) / g.sigma_px[idx, None]).min(axis=0).max() < 2 * CUTOFF_SIGMAS


@pytest.mark.parametrize("lat,tol", [(WORST, 1e-3), (DEFAULT_WORST, 2e-4)], ids=["limits", "defaults"])
def test_render_unchanged_by_more_sites(lat, tol):
    g = sample_geometry(rng(62), 2000, lat)
    base = render_clean(g, vacancies=False)
    more = render_clean(g, pad=4.0, vacancies=False)
    assert np.abs(more - base).max() < tol
