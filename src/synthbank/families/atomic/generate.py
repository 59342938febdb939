"""Vectorised generator of 16x16 patches of simulated atomic-resolution micrographs.

Every image shows Gaussian atom columns on one of the five 2-D Bravais lattices; its
label is the lattice's index in :data:`LATTICE_NAMES`. The module is pure: no file I/O,
no global random state, and no Python loop over images (loops run over the five classes
and over fixed-size chunks of images, never over single images).

Geometry
--------
Pixel ``(row, col)`` has its centre at ``x = col``, ``y = row`` (pixel units, px). In the
lattice's own frame the primitive vectors are, in units of the nearest-neighbour spacing
``a``::

    e1 = (1, 0)
    e2 = rho * (cos gamma, sin gamma)      with 1 <= rho and 60 deg <= gamma <= 90 deg

chosen so that ``(e1, e2)`` is a *reduced* cell (``|e1| <= |e2| <= |e1 - e2|``): the
nearest-neighbour distance is then exactly ``a`` for every class. Per class:

* square: ``rho = 1``, ``gamma = 90 deg``;
* rectangular: ``rho ~ U(RECTANGULAR_RATIO) = U(1.3, 1.8)``, ``gamma = 90 deg``;
* centred_rectangular: ``rho = 1`` (rhombic primitive cell),
  ``gamma = 2 atan(1 / r)`` with ``r ~ U(CENTRED_RATIO) = U(1.2, 1.45)``;
* hexagonal: ``rho = 1``, ``gamma = 60 deg``;
* oblique: ``rho ~ U(OBLIQUE_RATIO) = U(1.2, 1.4)``,
  ``gamma ~ U(OBLIQUE_ANGLE_DEG) = U(74, 82) deg``.

``r`` is the long/short side ratio of the conventional centred cell (``e1 + e2`` by
``e1 - e2``); r = 1 would be square and r = sqrt(3) hexagonal, so U(1.2, 1.45) keeps
clear of both (gamma in about (69.2, 79.6) deg). The oblique cell keeps away from all
higher-symmetry boundaries of the reduced-cell domain: gamma < 90 (rectangular),
rho > 1 and ``2 rho cos gamma < 1`` (both centred rectangular; here
``rho cos gamma`` lies in (0.17, 0.39), the boundary is 0.5).

The lattice is rotated by ``orientation_rad`` (angle of ``a1`` from +x towards +y) and
translated by a uniform offset over one unit cell; site ``(i, j)`` sits at::

    centre + a * R(theta) @ ((i + u) e1 + (j + v) e2),   u, v ~ U(-1/2, 1/2)

where ``centre = ((size - 1) / 2, (size - 1) / 2)``.

Rendering is separable: per site ``s``, ``gx[s, col] = exp(-(col - x_s)^2 / 2 sigma^2)``
and ``gy[row, s]`` likewise, so a whole chunk is one batched float64 matmul
``(m, size, S) @ (m, S, size)``. The profiles come from :mod:`synthbank.numerics` (the
same bits on every CPU; see :func:`_gaussian_profiles`). Only a fixed set of candidate sites (per class, fixed
by the parameters, see :func:`candidate_sites`) is rendered.

Determinism
-----------
:func:`generate_block` draws whole arrays in a fixed order whose sizes depend only on
``n`` and the parameters, so the same Generator state, ``n`` and parameters give the
same bytes on every call. Different ``n`` gives different streams: callers must always
use the same ``n`` per block. Every stored value comes from IEEE-exact operations and
:mod:`synthbank.numerics`, so the bytes do not depend on the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np

from synthbank import numerics

LATTICE_NAMES: tuple[str, ...] = ("square", "rectangular", "centred_rectangular", "hexagonal", "oblique")
GRID_SIZE: int = 16

SQUARE, RECTANGULAR, CENTRED_RECTANGULAR, HEXAGONAL, OBLIQUE = range(len(LATTICE_NAMES))

#: b/a of the rectangular cell; well above 1 so it is never near-square.
RECTANGULAR_RATIO: tuple[float, float] = (1.3, 1.8)
#: Long/short side of the conventional centred-rectangular cell; away from 1 (square)
#: and sqrt(3) ~ 1.732 (hexagonal).
CENTRED_RATIO: tuple[float, float] = (1.2, 1.45)
#: |a2|/|a1| of the oblique cell; away from 1 (rhombic = centred rectangular).
OBLIQUE_RATIO: tuple[float, float] = (1.2, 1.4)
#: Angle between a1 and a2 of the oblique cell, degrees; away from 60 and 90.
OBLIQUE_ANGLE_DEG: tuple[float, float] = (74.0, 82.0)

#: Sites farther than this many sigma from every pixel centre are not rendered; each
#: such site would add < exp(-4^2 / 2) = 3.4e-4 of full scale (0.09 of one uint8 step).
CUTOFF_SIGMAS: float = 4.0

# exp(-mu^2) > 0 needs |mu| <= 27.3, and then 2 k |mu| <= 700 (a finite step) if k <= 12.8.
_RECURRENCE_K_MAX = 700.0 / (2.0 * 27.3)
# Elements per (m, S, size) work buffer; 1 MiB of float64 keeps the buffers in L2.
_CHUNK_ELEMENTS = 1 << 17


@dataclass(frozen=True)
class LatticeParams:
    """Distribution parameters of the atomic images (the ``atomic.lattice`` params).

    Attributes
    ----------
    spacing_px : tuple of float
        ``(low, high)`` of the nearest-neighbour distance ``a``, px, drawn uniformly.
        Allowed ``2.0 <= low <= high <= 8.0``.
    width_fraction : tuple of float
        ``(low, high)`` of ``sigma / a`` (Gaussian sigma of a column over the spacing),
        drawn uniformly. Allowed ``0 < low <= high <= 0.5``.
    contrast : tuple of float
        ``(low, high)`` of the peak height of a column above background, full scale = 1.
        Allowed within [0, 1].
    background : tuple of float
        ``(low, high)`` of the background level, full scale = 1. Allowed within [0, 1].
    vacancy_rate : float
        Probability that a lattice site is empty, ``0 <= vacancy_rate < 1``.
    noise_std : float
        Standard deviation of the additive Gaussian noise, full scale = 1, ``>= 0``.
    """

    spacing_px: tuple[float, float]
    width_fraction: tuple[float, float]
    contrast: tuple[float, float]
    background: tuple[float, float]
    vacancy_rate: float
    noise_std: float

    @classmethod
    def default(cls, **changes: Any) -> LatticeParams:
        """The source document's defaults, read from the ``default`` keywords of the family's
        params schema (the one place they are written), with ``changes`` applied."""
        from synthbank import params as params_mod

        schema = params_mod.params_schema()["properties"]["atomic"]["properties"]["lattice"]["properties"]
        return cls.from_mapping({**{name: node["default"] for name, node in schema.items()}, **changes})

    def as_mapping(self) -> dict[str, Any]:
        """As in params.yaml: ranges as ``[low, high]`` lists."""
        return {f.name: list(getattr(self, f.name)) if isinstance(getattr(self, f.name), tuple) else getattr(self, f.name)
                for f in fields(self)}

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> LatticeParams:
        """Build from a mapping such as the parsed ``atomic.lattice`` of params.yaml.

        Ranges may be given as lists or tuples of two numbers; every key is required.
        Unknown or missing keys and malformed values raise ``ValueError``. Values are not
        range-checked here (see :func:`validate_lattice`).
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValueError(f"lattice has unknown keys {unknown}: allowed {sorted(known)}")
        missing = sorted(set(known) - set(d))
        if missing:
            raise ValueError(f"lattice lacks keys {missing}: required {sorted(known)}")
        kwargs: dict[str, Any] = {}
        for name, value in d.items():
            if name in _RANGES:
                if not isinstance(value, (list, tuple)) or len(value) != 2:
                    raise ValueError(f"lattice.{name}={value!r} is invalid: allowed a [low, high] pair of numbers")
                kwargs[name] = (_as_float(name, value[0], value), _as_float(name, value[1], value))
            else:
                kwargs[name] = _as_float(name, value, value)
        return cls(**kwargs)


_RANGES = ("spacing_px", "width_fraction", "contrast", "background")


def _as_float(name: str, v: Any, shown: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"lattice.{name}={shown!r} is invalid: allowed numbers")
    return float(v)


@dataclass(frozen=True)
class AtomicBlock:
    """One generated block.

    Attributes
    ----------
    images : np.ndarray
        ``(n, 16, 16)`` uint8, ``round(clip(intensity, 0, 1) * 255)``.
    labels : np.ndarray
        ``(n,)`` uint8, index into :data:`LATTICE_NAMES`.
    truth : dict of str to np.ndarray
        Per-image ground truth, each ``(n,)`` float32: ``spacing_px`` (nearest-neighbour
        distance, px), ``orientation_rad`` (angle of a1 from +x towards +y, drawn in
        [0, 2 pi); float32 rounding can give exactly 2 pi),
        ``sigma_px`` (column Gaussian sigma, px), ``contrast`` and ``background`` (full
        scale = 1) and ``vacancy_fraction`` (vacant / all sites whose centre lies inside
        the 16x16 field; 0 if there are none).
    """

    images: np.ndarray
    labels: np.ndarray
    truth: dict[str, np.ndarray]


@dataclass(frozen=True)
class LatticeGeometry:
    """Every per-image random draw except the noise: what :func:`render_clean` needs.

    Attributes
    ----------
    labels : np.ndarray
        ``(n,)`` uint8 class index.
    spacing_px, cell_ratio, cell_angle_rad, orientation_rad, sigma_px, contrast, background : np.ndarray
        ``(n,)`` float64: ``a`` (px), ``rho = |a2|/|a1|``, ``gamma`` (rad), ``theta``
        (rad), sigma (px) and the two intensities (full scale = 1).
    origin_frac : np.ndarray
        ``(n, 2)`` float64 ``(u, v)`` in [-1/2, 1/2): the translation in cell fractions.
    occupancy : np.ndarray
        ``(n, S_max)`` bool; column ``k`` of an image of class ``c`` is site
        ``candidate_sites(c, lattice)[k]`` (columns beyond that class's count are unused).
    lattice : LatticeParams
        The parameters the geometry was drawn with (they fix the candidate sites).
    """

    labels: np.ndarray
    spacing_px: np.ndarray
    cell_ratio: np.ndarray
    cell_angle_rad: np.ndarray
    orientation_rad: np.ndarray
    origin_frac: np.ndarray
    sigma_px: np.ndarray
    contrast: np.ndarray
    background: np.ndarray
    occupancy: np.ndarray
    lattice: LatticeParams


def validate_lattice(lattice: LatticeParams) -> None:
    """Raise ``ValueError`` (one line: key, value, what is allowed) for bad parameters.

    The bounds are the family's params schema's (``atomic.lattice``): a lattice built in
    Python is checked exactly as params.yaml is.
    """
    if not isinstance(lattice, LatticeParams):
        raise ValueError(f"lattice={lattice!r} is invalid: allowed a LatticeParams")
    from synthbank import params as params_mod

    params_mod.check_value(lattice.as_mapping(), "atomic", "lattice")


def _validate_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n={n!r} is invalid: allowed an integer n >= 0")
    return int(n)


def shape_ranges(label: int) -> tuple[float, float, float, float]:
    """Bounds of the cell shape of one class: ``(rho_lo, rho_hi, cos_gamma_lo, cos_gamma_hi)``."""

    def cos_centred(r: float) -> float:  # cos(2 atan(1/r))
        return (r * r - 1.0) / (r * r + 1.0)

    if label == SQUARE:
        return 1.0, 1.0, 0.0, 0.0
    if label == RECTANGULAR:
        return RECTANGULAR_RATIO[0], RECTANGULAR_RATIO[1], 0.0, 0.0
    if label == CENTRED_RECTANGULAR:
        return 1.0, 1.0, cos_centred(CENTRED_RATIO[0]), cos_centred(CENTRED_RATIO[1])
    if label == HEXAGONAL:
        return 1.0, 1.0, 0.5, 0.5
    if label == OBLIQUE:
        lo, hi = OBLIQUE_ANGLE_DEG
        c_hi, c_lo = numerics.cos(np.radians([hi, lo])).tolist()
        return OBLIQUE_RATIO[0], OBLIQUE_RATIO[1], c_hi, c_lo
    raise ValueError(f"label={label!r} is invalid: allowed 0..{len(LATTICE_NAMES) - 1}")


@lru_cache(maxsize=256)
def _candidate_sites(label: int, spacing_lo: float, width_hi: float, size: int, pad: float) -> np.ndarray:
    rho_lo, rho_hi, c_lo, c_hi = shape_ranges(label)
    # Why this set is complete (distances in units of a; rotation keeps norms):
    # a site p = centre + a R ((i+u) e1 + (j+v) e2) adds >= exp(-t^2/2) * contrast to a
    # pixel centre q only if |p - q| <= t sigma <= t w_hi a, and |q - centre| <= H with
    # H = (size-1)/sqrt(2) (half-diagonal of the pixel-centre square), so
    #   |(i+u) e1 + (j+v) e2| <= H/a + t w_hi <= H/a_lo + t w_hi =: Q.
    # By the triangle inequality |i e1 + j e2| <= Q + max|u e1 + v e2|, and over the
    # cell u, v in [-1/2, 1/2] that max is |e1 + e2|/2 (cos gamma >= 0), largest at
    # rho_hi, cos_hi. So it suffices to keep every (i, j) whose *smallest* norm over the
    # class's shape box is <= Q + that radius.
    # Q is also at least the half-diagonal of the whole field [-1/2, size - 1/2]^2, so that
    # every site whose centre is inside the field (counted for vacancy_fraction) is a
    # candidate even for very narrow columns.
    q = max((size - 1) / math.sqrt(2.0) / spacing_lo + CUTOFF_SIGMAS * width_hi, size / math.sqrt(2.0) / spacing_lo)
    cell = 0.5 * math.sqrt(1.0 + 2.0 * rho_hi * c_hi + rho_hi * rho_hi)
    radius = q + cell + pad
    # |i e1 + j e2| >= max(|i|, |j|) sin gamma >= max(|i|, |j|) sqrt(3)/2 bounds the search.
    m = math.ceil(radius * 2.0 / math.sqrt(3.0)) + 1
    i, j = np.meshgrid(np.arange(-m, m + 1), np.arange(-m, m + 1), indexing="ij")
    i, j = i.ravel().astype(np.float64), j.ravel().astype(np.float64)
    # f(rho, c) = |i e1 + j e2|^2 = i^2 + 2 i j rho c + rho^2 j^2. For ij >= 0 it grows with
    # rho and c, so its minimum is at (rho_lo, c_lo); for ij < 0 it is smallest at c_hi
    # and is a convex parabola in rho with vertex -i c / j, clipped to the box.
    with np.errstate(divide="ignore", invalid="ignore"):
        rho_star = np.clip(np.where(j != 0, -i * c_hi / j, rho_lo), rho_lo, rho_hi)
    f_pos = i * i + 2 * i * j * rho_lo * c_lo + rho_lo**2 * j * j
    f_neg = i * i + 2 * i * j * rho_star * c_hi + rho_star**2 * j * j
    f_min = np.where(i * j >= 0, f_pos, f_neg)
    keep = f_min <= radius * radius
    i, j, f_min = i[keep], j[keep], f_min[keep]
    order = np.lexsort((j, i, f_min))  # fixed order: by norm, then i, then j
    sites = np.stack([i[order], j[order]], axis=1).astype(np.int64)
    sites.setflags(write=False)
    return sites


def candidate_sites(label: int, lattice: LatticeParams, size: int = GRID_SIZE, pad: float = 0.0) -> np.ndarray:
    """The lattice indices rendered for one class.

    Parameters
    ----------
    label : int
        Class index into :data:`LATTICE_NAMES`.
    lattice : LatticeParams
        Only ``spacing_px[0]`` and ``width_fraction[1]`` (the worst case) matter.
    size : int
        Side of the rendered window, px.
    pad : float
        Extra search radius in units of the spacing (tests use it to render with more
        sites than needed).

    Returns
    -------
    np.ndarray
        ``(S, 2)`` int64, read-only: every ``(i, j)`` whose site can come within
        ``CUTOFF_SIGMAS * sigma`` of a pixel centre for *some* image drawn with these
        parameters (any orientation, offset, shape in the class's ranges), in a fixed
        order. Sites outside it add ``< exp(-CUTOFF_SIGMAS^2 / 2) * contrast`` to every
        pixel.
    """
    spacing_lo, width_hi = float(lattice.spacing_px[0]), float(lattice.width_fraction[1])
    return _candidate_sites(int(label), spacing_lo, width_hi, int(size), float(pad))


def _max_sites(lattice: LatticeParams) -> int:
    return max(len(candidate_sites(c, lattice)) for c in range(len(LATTICE_NAMES)))


def sample_geometry(rng: np.random.Generator, n: int, lattice: LatticeParams) -> LatticeGeometry:
    """Draw every per-image quantity except the noise.

    The draws are whole arrays in a fixed order (labels, spacing, two shape uniforms,
    orientation, origin, width, contrast, background, vacancy uniforms ``(n, S_max)``);
    their sizes depend only on ``n`` and ``lattice``. Parameters are not validated here.

    Parameters
    ----------
    rng : np.random.Generator
        Consumed; a fresh Generator per block is expected.
    n : int
        Number of images.
    lattice : LatticeParams
        Distribution parameters.

    Returns
    -------
    LatticeGeometry
    """
    labels = rng.integers(0, len(LATTICE_NAMES), size=n).astype(np.uint8)
    spacing = rng.uniform(lattice.spacing_px[0], lattice.spacing_px[1], size=n)
    shape_u = rng.random((2, n))  # drawn for every image, used by the classes that need them
    orientation = rng.uniform(0.0, 2.0 * np.pi, size=n)
    origin = rng.random((n, 2)) - 0.5
    width = rng.uniform(lattice.width_fraction[0], lattice.width_fraction[1], size=n)
    contrast = rng.uniform(lattice.contrast[0], lattice.contrast[1], size=n)
    background = rng.uniform(lattice.background[0], lattice.background[1], size=n)
    occupancy = rng.random((n, _max_sites(lattice)), dtype=np.float32) >= np.float32(lattice.vacancy_rate)

    def lerp(bounds: tuple[float, float], u: np.ndarray) -> np.ndarray:
        return bounds[0] + (bounds[1] - bounds[0]) * u

    ratio = np.ones(n)
    ratio = np.where(labels == RECTANGULAR, lerp(RECTANGULAR_RATIO, shape_u[0]), ratio)
    ratio = np.where(labels == OBLIQUE, lerp(OBLIQUE_RATIO, shape_u[0]), ratio)
    angle = np.full(n, np.pi / 2)
    angle = np.where(labels == CENTRED_RECTANGULAR, 2.0 * numerics.arctan(1.0 / lerp(CENTRED_RATIO, shape_u[0])), angle)
    angle = np.where(labels == HEXAGONAL, np.pi / 3, angle)
    angle = np.where(labels == OBLIQUE, np.radians(lerp(OBLIQUE_ANGLE_DEG, shape_u[1])), angle)
    return LatticeGeometry(
        labels=labels,
        spacing_px=spacing,
        cell_ratio=ratio,
        cell_angle_rad=angle,
        orientation_rad=orientation,
        origin_frac=origin,
        sigma_px=spacing * width,
        contrast=contrast,
        background=background,
        occupancy=occupancy,
        lattice=lattice,
    )


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


def generate_block(rng: np.random.Generator, n: int, lattice: LatticeParams) -> AtomicBlock:
    """Generate ``n`` noisy uint8 atomic-lattice images with labels and ground truth.

    Parameters
    ----------
    rng : np.random.Generator
        A fresh Generator per block. The draws (see :func:`sample_geometry`, then the
        noise ``(n, 16, 16)`` float32 standard normals) depend only on ``n`` and
        ``lattice``, so the same state, ``n`` and ``lattice`` give identical bytes.
    n : int
        Number of images, ``>= 0``. Keep it constant per block: another ``n`` gives
        other images, not a prefix or extension.
    lattice : LatticeParams
        Distribution parameters; validated here (``ValueError`` naming the parameter).

    Returns
    -------
    AtomicBlock
        ``images`` (n, 16, 16) uint8, ``labels`` (n,) uint8, ``truth`` of (n,) float32.
    """
    validate_lattice(lattice)
    n = _validate_n(n)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng={rng!r} is invalid: allowed a numpy.random.Generator")
    geometry = sample_geometry(rng, n, lattice)
    clean, vac_frac = _render(geometry, GRID_SIZE, 0.0, vacancies=True, want_vacancy=True)
    noisy = numerics.standard_normal(rng, (n, GRID_SIZE, GRID_SIZE), np.float32)
    noisy *= np.float32(lattice.noise_std)
    noisy += clean
    np.clip(noisy, 0.0, 1.0, out=noisy)
    noisy *= np.float32(255.0)
    np.rint(noisy, out=noisy)  # round half to even; exact .5 after float32 math is rare
    truth = {
        "spacing_px": geometry.spacing_px.astype(np.float32),
        "orientation_rad": geometry.orientation_rad.astype(np.float32),
        "sigma_px": geometry.sigma_px.astype(np.float32),
        "contrast": geometry.contrast.astype(np.float32),
        "background": geometry.background.astype(np.float32),
        "vacancy_fraction": vac_frac,
    }
    return AtomicBlock(images=noisy.astype(np.uint8), labels=geometry.labels, truth=truth)
