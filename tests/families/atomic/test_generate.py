"""Tests of the atomic-lattice generator: statistics are recovered from the output."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage, stats
from scipy.spatial import cKDTree

from synthbank import numerics
from synthbank.families.atomic.generate import (
    CUTOFF_SIGMAS,
    GRID_SIZE,
    LATTICE_NAMES,
    AtomicBlock,
    LatticeParams,
    candidate_sites,
    generate_block,
    render_clean,
    sample_geometry,
)

TRUTH_KEYS = {"spacing_px", "orientation_rad", "sigma_px", "contrast", "background", "vacancy_fraction"}
QUANT_STD = 1.0 / 255.0 / math.sqrt(12.0)  # std of rounding to 1/255 steps


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def site_xy(g, idx: np.ndarray, sites: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Site centres (m, S) recomputed from the geometry fields, independently of the module."""
    a, rho, gam, th = g.spacing_px[idx], g.cell_ratio[idx], g.cell_angle_rad[idx], g.orientation_rad[idx]
    fi = sites[None, :, 0] + g.origin_frac[idx, 0, None]
    fj = sites[None, :, 1] + g.origin_frac[idx, 1, None]
    c = (size - 1) / 2
    x = c + fi * (a * np.cos(th))[:, None] + fj * (a * rho * np.cos(th + gam))[:, None]
    y = c + fi * (a * np.sin(th))[:, None] + fj * (a * rho * np.sin(th + gam))[:, None]
    return x, y


# --- shapes, determinism, ranges ------------------------------------------------------


def test_shapes_dtypes_and_truth_ranges():
    lat = LatticeParams.default()
    block = generate_block(rng(0), 500, lat)
    assert isinstance(block, AtomicBlock)
    assert block.images.shape == (500, GRID_SIZE, GRID_SIZE) and block.images.dtype == np.uint8
    assert block.labels.shape == (500,) and block.labels.dtype == np.uint8
    assert block.labels.max() < len(LATTICE_NAMES)
    assert set(block.truth) == TRUTH_KEYS
    for key, value in block.truth.items():
        assert value.shape == (500,) and value.dtype == np.float32, key
    t = block.truth
    assert np.all((t["spacing_px"] >= 3.5) & (t["spacing_px"] <= 6.0))
    frac = t["sigma_px"] / t["spacing_px"]
    assert np.all((frac >= 0.16 - 1e-6) & (frac <= 0.24 + 1e-6))
    assert np.all((t["contrast"] >= 0.5) & (t["contrast"] <= 1.0))
    assert np.all((t["background"] >= 0.0) & (t["background"] <= 0.2))
    assert np.all((t["orientation_rad"] >= 0) & (t["orientation_rad"] <= np.float32(2 * np.pi)))
    assert np.all((t["vacancy_fraction"] >= 0) & (t["vacancy_fraction"] <= 1))
    # Pixel statistics the dataset thresholds expect (params.yaml: mean 40..140, std >= 10).
    assert 40 < block.images.mean() < 140 and block.images.std() > 10


def test_same_seed_same_bytes_different_seed_differs():
    lat = LatticeParams.default()
    a = generate_block(rng(123), 1000, lat)
    b = generate_block(rng(123), 1000, lat)
    c = generate_block(rng(124), 1000, lat)
    assert a.images.tobytes() == b.images.tobytes()
    assert a.labels.tobytes() == b.labels.tobytes()
    for key in TRUTH_KEYS:
        assert a.truth[key].tobytes() == b.truth[key].tobytes()
    assert a.images.tobytes() != c.images.tobytes()
    assert np.mean(a.labels == c.labels) < 0.5


def test_draw_count_depends_only_on_n_and_params():
    # generate_block = sample_geometry + one (n, 16, 16) float32 normal array (its tail
    # draws replaced portably), whatever the labels and vacancies turned out to be: the
    # generator ends in the same state.
    for seed, lat in [(1, LatticeParams.default()), (2, LatticeParams.default(vacancy_rate=0.5, noise_std=0.0))]:
        used = rng(seed)
        generate_block(used, 300, lat)
        replay = rng(seed)
        sample_geometry(replay, 300, lat)
        numerics.standard_normal(replay, (300, GRID_SIZE, GRID_SIZE), np.float32)
        assert used.bit_generator.state == replay.bit_generator.state


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


def test_zero_images():
    block = generate_block(rng(0), 0, LatticeParams.default())
    assert block.images.shape == (0, GRID_SIZE, GRID_SIZE) and block.labels.shape == (0,)
    assert all(v.shape == (0,) for v in block.truth.values())


# --- distributions ---------------------------------------------------------------------


def test_labels_uniform():
    block = generate_block(rng(11), 20000, LatticeParams.default())
    counts = np.bincount(block.labels, minlength=len(LATTICE_NAMES))
    assert stats.chisquare(counts).pvalue > 1e-3


def test_orientation_uniform():
    g = sample_geometry(rng(12), 20000, LatticeParams.default())
    assert stats.kstest(g.orientation_rad / (2 * np.pi), "uniform").pvalue > 1e-3
    # The translation is uniform over the unit cell too.
    for k in range(2):
        assert stats.kstest(g.origin_frac[:, k] + 0.5, "uniform").pvalue > 1e-3


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


@pytest.mark.parametrize(
    "noise_std,levels",
    [
        (0.0, {}),
        (0.03, {}),
        # strong noise: keep the clean image mid-scale so most pixels are never clipped
        (0.1, {"background": (0.45, 0.5), "contrast": (0.0, 0.05)}),
    ],
)
def test_noise_std_recovered(noise_std, levels):
    lat = LatticeParams.default(noise_std=noise_std, **levels)
    n = 2000
    block = generate_block(rng(21), n, lat)
    g = sample_geometry(rng(21), n, lat)  # the same draws, minus the noise
    assert np.array_equal(block.labels, g.labels)
    clean = render_clean(g)
    resid = block.images / 255.0 - clean
    margin = 4.5 * noise_std + 2 / 255  # clipping odds < 1e-5
    unclipped = (clean > margin) & (clean < 1 - margin)
    assert unclipped.sum() > 100_000
    res = resid[unclipped]
    expected = math.sqrt(noise_std**2 + QUANT_STD**2)
    assert abs(res.std() / expected - 1) < 0.005
    assert abs(res.mean()) < 0.05 * expected
    if noise_std > 0:
        # Gaussian: kurtosis of the residual is near 0 (quantisation is negligible at 0.03).
        assert abs(stats.kurtosis(res)) < 0.05


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_vacancy_fraction_matches_rate(rate):
    block = generate_block(rng(31), 4000, LatticeParams.default(vacancy_rate=rate))
    frac = block.truth["vacancy_fraction"].astype(np.float64)
    se = frac.std() / math.sqrt(frac.size)
    assert abs(frac.mean() - rate) < 5 * se
    assert generate_block(rng(31), 500, LatticeParams.default(vacancy_rate=0.0)).truth["vacancy_fraction"].max() == 0


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


# --- classes -------------------------------------------------------------------------


def _spectral_features(g, size: int = 32) -> np.ndarray:
    """Translation- and rotation-invariant, scale-normalised power-spectrum features."""
    img = render_clean(g, size=size, vacancies=False)
    img = img - img.mean(axis=(1, 2), keepdims=True)
    w = np.hanning(size)
    power = np.abs(np.fft.fft2(img * w[:, None] * w[None, :])) ** 2  # |F|^2: no translation
    f = np.fft.fftfreq(size)
    fx, fy = np.meshgrid(f, f)
    radius, phi = np.hypot(fx, fy), np.arctan2(fy, fx)
    power *= radius > 1.5 / size
    r0 = radius.ravel()[np.argmax(power.reshape(len(power), -1), axis=1)]  # strongest peak
    rn = radius[None] / r0[:, None, None]  # radial axis in units of the peak: no scale
    edges = np.linspace(0.6, 2.2, 17)
    total = power.sum(axis=(1, 2))
    radial = [(power * ((rn >= lo) & (rn < hi))).sum(axis=(1, 2)) / total for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    ring = power * ((rn > 0.8) & (rn < 1.25))
    # |angular Fourier coefficients| of the ring's power: rotation only changes their phase.
    angular = [np.abs((ring * np.exp(1j * m * phi)).sum(axis=(1, 2))) / ring.sum(axis=(1, 2)) for m in (2, 4, 6)]
    return np.stack(radial + angular, axis=1)


def test_classes_distinguishable():
    lat = LatticeParams.default()
    train, test = sample_geometry(rng(51), 1500, lat), sample_geometry(rng(52), 1000, lat)
    x_train, x_test = _spectral_features(train), _spectral_features(test)
    mu, sd = x_train.mean(axis=0), x_train.std(axis=0) + 1e-12
    z_train, z_test = (x_train - mu) / sd, (x_test - mu) / sd
    centroids = np.stack([z_train[train.labels == c].mean(axis=0) for c in range(len(LATTICE_NAMES))])
    pred = np.argmin(((z_test[:, None, :] - centroids[None]) ** 2).sum(axis=-1), axis=1)
    accuracy = np.mean(pred == test.labels)
    assert accuracy > 0.8  # chance is 0.2
    per_class = [np.mean(pred[test.labels == c] == c) for c in range(len(LATTICE_NAMES))]
    assert min(per_class) > 0.6


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


# --- parameters ------------------------------------------------------------------------


def test_from_mapping_accepts_lists():
    d = {
        "spacing_px": [3.5, 6.0],
        "width_fraction": [0.16, 0.24],
        "contrast": [0.5, 1.0],
        "background": [0.0, 0.2],
        "vacancy_rate": 0.05,
        "noise_std": 0.03,
    }
    assert LatticeParams.from_mapping(d) == LatticeParams.default()
    assert LatticeParams.default(noise_std=0).noise_std == 0.0
    with pytest.raises(ValueError, match="spacing"):
        LatticeParams.from_mapping({**d, "spacing": [3, 4]})
    with pytest.raises(ValueError, match=r"lattice lacks keys \['noise_std'\]"):
        LatticeParams.from_mapping({k: v for k, v in d.items() if k != "noise_std"})
    with pytest.raises(ValueError, match="lattice.contrast"):
        LatticeParams.from_mapping({**d, "contrast": [0.5]})


def test_defaults_are_the_schema_defaults_and_round_trip():
    from synthbank import params as params_mod

    schema = params_mod.params_schema()["properties"]["atomic"]["properties"]["lattice"]["properties"]
    assert LatticeParams.default().as_mapping() == {k: node["default"] for k, node in schema.items()}
    assert LatticeParams.from_mapping(LatticeParams.default().as_mapping()) == LatticeParams.default()


@pytest.mark.parametrize(
    "name,value,fragment",
    [
        ("spacing_px", (1.0, 6.0), "(1.0, 6.0)"),
        ("spacing_px", (6.0, 3.5), "(6.0, 3.5)"),
        ("spacing_px", (3.5, 9.0), "(3.5, 9.0)"),
        ("width_fraction", (0.0, 0.2), "(0.0, 0.2)"),
        ("width_fraction", (0.1, 0.6), "(0.1, 0.6)"),
        ("contrast", (-0.1, 1.0), "(-0.1, 1.0)"),
        ("contrast", (0.5, 1.5), "(0.5, 1.5)"),
        ("background", (0.3, 0.2), "(0.3, 0.2)"),
        ("background", (float("nan"), 0.2), "nan"),
        ("vacancy_rate", 1.5, "1.5"),
        ("vacancy_rate", 1.0, "1.0"),
        ("vacancy_rate", -0.1, "-0.1"),
        ("noise_std", -0.01, "-0.01"),
        ("noise_std", float("inf"), "inf"),
    ],
)
def test_bad_parameters_raise(name, value, fragment):
    lat = LatticeParams.default(**{name: value})
    with pytest.raises(ValueError) as err:
        generate_block(rng(0), 10, lat)
    message = str(err.value)
    # the schema's wording, as for params.yaml: atomic.lattice.<key>[.<index>]=<value> is invalid: allowed ...
    assert message.startswith(f"atomic.lattice.{name}") and " is invalid: allowed " in message, message
    assert "\n" not in message


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_bad_n_raises(n):
    with pytest.raises(ValueError, match=r"n=.*allowed"):
        generate_block(rng(0), n, LatticeParams.default())


def test_vacancy_rate_message_example():
    expected = r"^atomic\.lattice\.vacancy_rate=1\.5 is invalid: allowed < 1$"
    with pytest.raises(ValueError, match=expected):
        generate_block(rng(0), 1, LatticeParams.default(vacancy_rate=1.5))
