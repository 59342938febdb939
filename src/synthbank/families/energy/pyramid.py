"""Multiscale pyramids (bicubic, energy renormalised per scale) and energy gradients."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage


def check_scales(h: int, scales: Sequence[int]) -> tuple[int, ...]:
    """``scales`` as a tuple, or ValueError: it must start at ``h`` and halve at each level."""
    scales = tuple(int(s) for s in scales)
    ok = bool(scales) and scales[0] == h and all(b * 2 == a for a, b in zip(scales, scales[1:], strict=False))
    if not ok:
        raise ValueError(f"scales={list(scales)} is invalid: allowed a list starting at the map height {h} and halving at each level (e.g. [256, 128, 64])")
    return scales


def downsample(maps: np.ndarray) -> np.ndarray:
    """Halve the last two axes with periodic cubic-spline (bicubic) resampling, renormalised.

    Negative spline overshoots are set to 0, then every map is rescaled to the total energy
    it had before, so each scale holds the same energy per map.

    Parameters
    ----------
    maps : ndarray, shape (..., h, w), h and w even.

    Returns
    -------
    ndarray of float64, shape (..., h // 2, w // 2).
    """
    maps = np.asarray(maps, dtype=np.float64)
    lead, (h, w) = maps.shape[:-2], maps.shape[-2:]
    flat = maps.reshape(-1, h, w)
    # One 2-D zoom per map: a 3-D zoom with factor 1 on the stack axis gives the same maps
    # (to rounding) but runs the cubic spline along that axis too, 3x the time.
    out = np.stack([ndimage.zoom(m, 0.5, order=3, mode="grid-wrap", grid_mode=True) for m in flat])
    out = np.maximum(out, 0.0)
    out *= (flat.sum(axis=(1, 2)) / out.sum(axis=(1, 2)))[:, None, None]
    return out.reshape(*lead, h // 2, w // 2)


def precompute_pyramids(maps: np.ndarray, scales: Sequence[int]) -> dict[int, np.ndarray]:
    """Every scale of a pyramid: ``{scale: maps at that height}``, each from the one above.

    Parameters
    ----------
    maps : ndarray, shape (..., h, w) with h = scales[0].
    scales : the heights, halving, e.g. (256, 128, 64).
    """
    scales = check_scales(maps.shape[-2], scales)
    out = {scales[0]: np.asarray(maps)}
    for s in scales[1:]:
        out[s] = downsample(out[2 * s])
    return out


def compute_gradients(maps: np.ndarray, spacing: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Periodic central-difference gradient (dE/dx, dE/dy) of maps of shape (..., h, w).

    Parameters
    ----------
    spacing : cell size in the length unit of the result (1: per cell).

    Returns
    -------
    grad_x, grad_y : ndarrays of the input's shape (float64), energy units per length unit.
    """
    maps = np.asarray(maps, dtype=np.float64)
    return _central(maps, -1, 2.0 * spacing), _central(maps, -2, 2.0 * spacing)


def _central(maps: np.ndarray, axis: int, step: float) -> np.ndarray:
    """``(E[i + 1] - E[i - 1]) / step`` along ``axis``, periodic: np.roll's values, without its copies."""
    if maps.shape[axis] < 3:  # too short for the slices below
        return (np.roll(maps, -1, axis=axis) - np.roll(maps, 1, axis=axis)) / step
    m = np.moveaxis(maps, axis, -1)
    out = np.empty(maps.shape)
    d = np.moveaxis(out, axis, -1)
    np.subtract(m[..., 2:], m[..., :-2], out=d[..., 1:-1])
    np.subtract(m[..., 1:2], m[..., -1:], out=d[..., :1])
    np.subtract(m[..., :1], m[..., -2:-1], out=d[..., -1:])
    d /= step
    return out
