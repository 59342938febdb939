"""Per-image geometry of the atomic images: cell shapes, candidate sites and the random draws.

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

Only a fixed set of candidate sites (per class, fixed by the parameters, see
:func:`candidate_sites`) is rendered (by :mod:`synthbank.families.atomic.render`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from synthbank import numerics
from synthbank.families.atomic.lattice import (
    CENTRED_RECTANGULAR,
    GRID_SIZE,
    HEXAGONAL,
    LATTICE_NAMES,
    OBLIQUE,
    RECTANGULAR,
    SQUARE,
    LatticeParams,
)

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


@dataclass(frozen=True)
class LatticeGeometry:
    """Every per-image random draw except the noise: what :func:`~synthbank.families.atomic.render.render_clean` needs.

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
