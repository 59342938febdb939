"""Vectorised generator of chromatic tensors, their masks and their spectral pairs.

A *chromatic* sample is an ``(H, W, 3)`` float32 RGB image in [0, 1] made of Voronoi
cells ("regions"). Each region is filled with one colour drawn uniformly in HSL and
converted to RGB; Gaussian noise of standard deviation ``noise_level`` is added to every
pixel and channel, and the result is clipped to [0, 1]. The *mask* is the ``(H, W)``
uint8 region label of every pixel. The *spectral* tensor ``(H, W, K)`` is the Gaussian
"bridge kernel" image of the chromatic one. Every stored float is quantised to 1e-6.

Each part has its module: :mod:`~synthbank.families.chromatic.spec` (the parameters),
:mod:`~synthbank.families.chromatic.regions` (the Voronoi cells and masks),
:mod:`~synthbank.families.chromatic.colours` (the HSL draw),
:mod:`~synthbank.families.chromatic.spectral` (the bridge kernel) and
:mod:`~synthbank.families.chromatic.quantum` (the 1e-6 rule); this module draws a block.

Determinism
-----------
:func:`generate_block` draws, from the Generator it is given and in this order: the seed
jitter ``(B, G, G, 2)`` float64, the colours (``"latin_hypercube"``: the stratum
permutations ``(B, 3, R)`` then offsets ``(B, 3, R)``; ``"independent"``: ``(B, 3, R)``),
then the noise ``(B, H, W, 3)`` float32 standard normals. Everything after the draws is
per sample. All arithmetic after the draws
is elementwise IEEE float32/float64 (no BLAS, no reductions), so bytes do not depend on
the CPU's vector kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthbank import numerics
from synthbank.families.chromatic.colours import draw_colours, hsl_to_rgb
from synthbank.families.chromatic.quantum import quantise
from synthbank.families.chromatic.regions import region_labels
from synthbank.families.chromatic.spec import ChromaticParams, validate_params
from synthbank.families.chromatic.spectral import bridge_kernel, to_spectral


@dataclass(frozen=True)
class ChromaticBlock:
    """One generated block of B samples.

    Attributes
    ----------
    chromatic : ndarray of float32, shape (B, H, W, 3)
        RGB in [0, 1], quantised to 1e-6.
    mask : ndarray of uint8, shape (B, H, W)
        Region label of each pixel, 0 .. R - 1.
    region_hsl : ndarray of float32, shape (B, R, 3)
        Drawn colour of each region (hue in turns, saturation, lightness), quantised.
    spectral : ndarray of float32, shape (B, H, W, K)
        ``to_spectral(chromatic, kernel)``.
    """

    chromatic: np.ndarray
    mask: np.ndarray
    region_hsl: np.ndarray
    spectral: np.ndarray


def generate_block(
    rng: np.random.Generator, n: int, p: ChromaticParams, keep: tuple[int, ...] | None = None
) -> ChromaticBlock:
    """Generate ``n`` chromatic samples with masks and spectral pairs.

    Parameters
    ----------
    rng : numpy.random.Generator
        A fresh Generator per block; draws happen in the order of the module docstring.
    n : int
        Samples in the block (>= 1). Keep it constant per block: sample bytes depend on it.
    p : ChromaticParams
        Validated here (``ValueError`` naming the parameter).
    keep : tuple of int, optional
        Positions to compute, in this order. Every draw is still made for all ``n``
        samples, so a kept sample has exactly its bytes in the full block; the work after
        the draws is per sample, so it is skipped for the others (reseed checks).
    """
    validate_params(p)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r} is invalid: allowed an integer n >= 1")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng={rng!r} is invalid: allowed a numpy.random.Generator")
    g = p.cells_per_side
    jitter_u = rng.random((n, g, g, 2))
    hsl = draw_colours(rng, n, p)
    noise = numerics.standard_normal(rng, (n, p.height, p.width, 3), np.float32)
    if keep is not None:
        if not all(isinstance(j, (int, np.integer)) and 0 <= j < n for j in keep):
            raise ValueError(f"keep={keep!r} is invalid: allowed positions 0 <= j < n = {n}")
        rows = np.asarray(keep, dtype=np.intp)
        jitter_u, hsl, noise = jitter_u[rows], hsl[rows], noise[rows]
    region_hsl = quantise(hsl.astype(np.float32))
    rgb = hsl_to_rgb(region_hsl.astype(np.float64)).astype(np.float32)  # colours as stored
    mask = region_labels(jitter_u, p.height, p.width, p.jitter)
    noise *= np.float32(p.noise_level)
    noise += rgb[np.arange(len(rgb))[:, None, None], mask]
    np.clip(noise, 0.0, 1.0, out=noise)
    chromatic = quantise(noise)
    spectral = to_spectral(chromatic, bridge_kernel(p))
    return ChromaticBlock(chromatic=chromatic, mask=mask, region_hsl=region_hsl, spectral=spectral)
