"""Vectorised generator of 16x16 patches of simulated atomic-resolution micrographs.

Every image shows Gaussian atom columns on one of the five 2-D Bravais lattices; its
label is the lattice's index in :data:`~synthbank.families.atomic.lattice.LATTICE_NAMES`.
This module draws a block: the geometry (:mod:`~synthbank.families.atomic.geometry`),
its clean images (:mod:`~synthbank.families.atomic.render`), then the noise and the
uint8 quantisation; the classes and parameters are in :mod:`~synthbank.families.atomic.lattice`.
All four are pure: no file I/O, no global random state, and no Python loop over images
(loops run over the five classes and over fixed-size chunks of images, never over single
images).

Determinism
-----------
:func:`generate_block` draws whole arrays in a fixed order whose sizes depend only on
``n`` and the parameters, so the same Generator state, ``n`` and parameters give the
same bytes on every call. Different ``n`` gives different streams: callers must always
use the same ``n`` per block. Every stored value comes from IEEE-exact operations and
:mod:`synthbank.numerics`, so the bytes do not depend on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthbank import numerics
from synthbank.families.atomic.geometry import sample_geometry
from synthbank.families.atomic.lattice import GRID_SIZE, LatticeParams, validate_lattice
from synthbank.families.atomic.render import _render


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


def _validate_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n={n!r} is invalid: allowed an integer n >= 0")
    return int(n)


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
