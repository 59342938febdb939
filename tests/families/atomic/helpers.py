"""Shared helpers of the atomic tests, independent of the real generator.

:func:`toy_lattices` makes toy lattice images for the metric tests; :func:`rng` and
:func:`site_xy` serve the generator tests (geometry, rendering).
"""

from __future__ import annotations

import numpy as np


def toy_lattices(n: int, seed: int, size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Images of three classes: 0 square, 1 hexagonal, 2 stripes.

    Each image is a sum of plane waves (the Fourier picture of a lattice)
    with random orientation, period 3.5-6 px, random phase (translation),
    random contrast/background and Gaussian noise.  Vectorised over n.
    """
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 3).astype(np.uint8)
    rng.shuffle(labels)
    period = rng.uniform(3.5, 6.0, n)
    theta = rng.uniform(0, 2 * np.pi, n)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    # wave directions relative to theta: square 0,90; hex 0,60,120; stripes 0
    angles = np.where(
        labels[:, None] == 0,
        np.array([0.0, 90.0, 0.0]),
        np.where(labels[:, None] == 1, np.array([0.0, 60.0, 120.0]), np.array([0.0, 0.0, 0.0])),
    )
    active = np.where(
        labels[:, None] == 0,
        np.array([1.0, 1.0, 0.0]),
        np.where(labels[:, None] == 1, np.array([1.0, 1.0, 1.0]), np.array([1.0, 0.0, 0.0])),
    )
    ang = theta[:, None] + np.deg2rad(angles)  # (n, 3)
    k = 2 * np.pi / period[:, None]
    kx, ky = k * np.cos(ang), k * np.sin(ang)
    phase = rng.uniform(0, 2 * np.pi, (n, 3))
    arg = kx[:, :, None, None] * xx + ky[:, :, None, None] * yy + phase[:, :, None, None]
    img = (active[:, :, None, None] * np.cos(arg)).sum(axis=1)
    img = img / active.sum(axis=1)[:, None, None]
    img = img + rng.normal(0.0, 0.15, img.shape)
    contrast = rng.uniform(40, 80, n)[:, None, None]
    background = rng.uniform(90, 130, n)[:, None, None]
    out = np.clip(np.round(background + contrast * img), 0, 255).astype(np.uint8)
    return out, labels


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
