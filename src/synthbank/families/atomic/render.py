"""Rendering of atomic lattice geometry into clean (noise-free) float32 images.

Rendering is separable: per site ``s``, ``gx[s, col] = exp(-(col - x_s)^2 / 2 sigma^2)``
and ``gy[row, s]`` likewise, so a whole chunk is one batched float64 matmul
``(m, size, S) @ (m, S, size)``. The profiles come from :mod:`synthbank.numerics` (the
same bits on every CPU; see :func:`_gaussian_profiles`). Only the candidate sites of
:func:`synthbank.families.atomic.geometry.candidate_sites` are rendered.
"""

from __future__ import annotations

import numpy as np

from synthbank import numerics
from synthbank.families.atomic.geometry import LatticeGeometry, candidate_sites
from synthbank.families.atomic.lattice import GRID_SIZE, LATTICE_NAMES

# exp(-mu^2) > 0 needs |mu| <= 27.3, and then 2 k |mu| <= 700 (a finite step) if k <= 12.8.
_RECURRENCE_K_MAX = 700.0 / (2.0 * 27.3)
# Elements per (m, S, size) work buffer; 1 MiB of float64 keeps the buffers in L2.
_CHUNK_ELEMENTS = 1 << 17


def _site_positions(
    geometry: LatticeGeometry, idx: np.ndarray, sites: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates ``(x, y)``, each ``(m, S)`` float64, of the sites of images ``idx``."""
    a = geometry.spacing_px[idx]
    theta = geometry.orientation_rad[idx]
    gamma_abs = theta + geometry.cell_angle_rad[idx]
    arho = a * geometry.cell_ratio[idx]
    sin_t, cos_t = numerics.sincos(theta)
    sin_g, cos_g = numerics.sincos(gamma_abs)
    a1 = np.stack([a * cos_t, a * sin_t])  # (2, m), px
    a2 = np.stack([arho * cos_g, arho * sin_g])
    fi = sites[:, 0][None, :] + geometry.origin_frac[idx, 0][:, None]  # (m, S) cell fractions
    fj = sites[:, 1][None, :] + geometry.origin_frac[idx, 1][:, None]
    centre = (size - 1) / 2.0
    x = centre + fi * a1[0][:, None] + fj * a2[0][:, None]
    y = centre + fi * a1[1][:, None] + fj * a2[1][:, None]
    return x, y


def _gaussian_profiles(
    mu: np.ndarray, k: np.ndarray, size: int, occupied: np.ndarray | None, out: np.ndarray
) -> np.ndarray:
    """``out[c, a, i, s] = exp(-(c k[i] - mu[a, i, s])**2)`` for c = 0..size-1, portably.

    Along a run of pixels ``c = c0 + j`` the recurrence
    ``g_j = g_(j-1) exp(2 k mu') exp(-(2j - 1) k**2)``, ``mu' = mu - c0 k``, needs the
    portable :func:`synthbank.numerics.exp` only on ``(2, m, S)`` and ``(m, run)`` arrays;
    the profiles cost two multiplications per element, the same bits on every CPU. A run
    is at most ``1 + 19 / max(k)`` pixels (all 16 at this family's default widths), so
    where its first value underflows (``|mu'| > 27.3``) every value of the run is below
    ``exp(-64)`` and is set to 0; where it does not, ``2 k |mu'| <= 700`` keeps the step
    finite as long as ``k <= 12.8``. Narrower Gaussians (``sigma < 0.056`` px) are
    evaluated pixel by pixel (runs of 1). Vacant sites (``occupied`` False) are 0.

    Parameters
    ----------
    mu : (2, m, S) float64
        Site coordinates (x, then y) in units of ``1 / k``.
    k : (m,) float64
        ``1 / (sqrt(2) sigma)`` per image, 1/px.
    size : int
        Pixels along each axis.
    occupied : (m, S) bool or None
    out : (size, 2, m, S) float64
        Filled and returned.
    """
    kc = k[:, None]
    k_max = float(k.max())
    run = 1 if k_max > _RECURRENCE_K_MAX else min(size, 1 + int(19.0 / k_max))
    ramp = numerics.exp(-(2.0 * np.arange(1, run) - 1.0)[:, None] * (k * k)[None, :])  # (run - 1, m)
    args = np.empty((2, *mu.shape))
    for c0 in range(0, size, run):
        shifted = mu - c0 * kc if c0 else mu
        np.multiply(shifted, shifted, out=args[0])
        np.negative(args[0], out=args[0])
        np.multiply(shifted, 2.0 * kc, out=args[1])
        np.minimum(args[1], 700.0, out=args[1])  # only where first underflows to 0 (docstring)
        first, step = numerics.exp(args)  # (2, m, S) each: exp(-mu'^2), exp(2 k mu')
        step *= first > 0
        if occupied is not None:
            first *= occupied
            step *= occupied
        out[c0] = first
        for c in range(c0 + 1, min(c0 + run, size)):
            np.multiply(out[c - 1], step, out=out[c])
            out[c] *= ramp[c - c0 - 1, None, :, None]
    return out


def _render(
    geometry: LatticeGeometry, size: int, pad: float, vacancies: bool, want_vacancy: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Clean ``(n, size, size)`` float32 images and, if asked, the ``(n,)`` float32
    vacancy fractions; vectorised per class over fixed-size chunks of images."""
    n = len(geometry.labels)
    out = np.empty((n, size, size), dtype=np.float32)
    vac_frac = np.zeros(n, dtype=np.float32) if want_vacancy else None
    # Work buffers allocated once and reused: fresh ~1 MiB allocations per chunk cost
    # more in page faults than the arithmetic on them.
    most_sites = max(len(candidate_sites(c, geometry.lattice, size, pad)) for c in range(len(LATTICE_NAMES)))
    n_elements = max(_CHUNK_ELEMENTS, size * most_sites)
    buf = np.empty(2 * n_elements, dtype=np.float64)  # both axes' profiles
    wide_img = np.empty(n_elements, dtype=np.float64)
    for label in range(len(LATTICE_NAMES)):
        members = np.flatnonzero(geometry.labels == label)
        if members.size == 0:
            continue
        sites = candidate_sites(label, geometry.lattice, size, pad)
        n_sites = len(sites)
        chunk = max(1, n_elements // (n_sites * size))
        for start in range(0, members.size, chunk):  # fixed-size chunks keep buffers in cache
            idx = members[start : start + chunk]
            m = idx.size
            x, y = _site_positions(geometry, idx, sites, size)
            if want_vacancy:
                # vacancy_fraction counts the sites whose centre lies inside the field
                inside = (x >= -0.5) & (x < size - 0.5) & (y >= -0.5) & (y < size - 0.5)
                occ = geometry.occupancy[idx, :n_sites]
                count = inside.sum(axis=1)
                vac_frac[idx] = (inside & ~occ).sum(axis=1) / np.maximum(count, 1)
            # In units of k = 1 / (sqrt(2) sigma) the profile is exp(-(c k - mu)^2).
            k = 1.0 / (np.sqrt(2.0) * geometry.sigma_px[idx])
            occ = geometry.occupancy[idx, :n_sites] if vacancies else None
            mu = np.stack([x, y]) * k[None, :, None]
            g = _gaussian_profiles(mu, k, size, occ, buf[: size * 2 * m * n_sites].reshape(size, 2, m, n_sites))
            gx, gy = g[:, 0], g[:, 1]  # (size, m, S): gx[col, i, s], gy[row, i, s]
            # The site sum is a float64 matmul: BLAS kernels that sum in other orders
            # (OpenBLAS picks one per CPU, or by OPENBLAS_CORETYPE) differ by <= ~1e-14 of
            # full scale, which moves a stored uint8 with probability < 4e-12 per pixel
            # (it must move the float32 rounding and then the uint8 one: docs/determinism.md).
            img = np.matmul(gy.transpose(1, 0, 2), gx.transpose(1, 2, 0), out=wide_img[: m * size * size].reshape(m, size, size))
            img *= geometry.contrast[idx][:, None, None]
            img += geometry.background[idx][:, None, None]
            out[idx] = img
    return out, vac_frac


def render_clean(
    geometry: LatticeGeometry, *, size: int = GRID_SIZE, pad: float = 0.0, vacancies: bool = True
) -> np.ndarray:
    """Noise-free intensity of every image, before clipping and quantisation.

    Parameters
    ----------
    geometry : LatticeGeometry
        Per-image draws, from :func:`sample_geometry`.
    size : int
        Side of the window, px; the lattice stays centred on the window centre, so a
        larger ``size`` shows more of the same lattice.
    pad : float
        Extra candidate-site radius in units of the spacing (for coverage checks).
    vacancies : bool
        Apply ``geometry.occupancy``. Occupancy maps to the standard candidate sites, so
        it needs ``size == GRID_SIZE`` and ``pad == 0``; pass False otherwise (all sites
        occupied).

    Returns
    -------
    np.ndarray
        ``(n, size, size)`` float32, full scale = 1 (may exceed 1 where columns overlap).
    """
    if vacancies and (size != GRID_SIZE or pad != 0.0):
        raise ValueError(
            f"vacancies=True needs size={GRID_SIZE} and pad=0 (got size={size}, pad={pad}): pass vacancies=False"
        )
    return _render(geometry, int(size), float(pad), vacancies, want_vacancy=False)[0]
