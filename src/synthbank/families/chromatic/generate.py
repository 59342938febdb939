"""Vectorised generator of chromatic tensors, their masks and their spectral pairs.

A *chromatic* sample is an ``(H, W, 3)`` float32 RGB image in [0, 1] made of Voronoi
cells ("regions"). Each region is filled with one colour drawn uniformly in HSL and
converted to RGB; Gaussian noise of standard deviation ``noise_level`` is added to every
pixel and channel, and the result is clipped to [0, 1]. The *mask* is the ``(H, W)``
uint8 region label of every pixel. The *spectral* tensor ``(H, W, K)`` is the Gaussian
"bridge kernel" image of the chromatic one::

    spectral[y, x, k] = sum_c chromatic[y, x, c] * kernel[c, k]
    kernel[c, k]      = q(amplitude_c * exp(-(lambda_k - centre_c)**2 / (2 * width_c**2)))

with ``lambda_k`` the K band centres (nm), ``width_c`` the Gaussian sigma (nm) and ``q``
the 1e-6 quantiser (:func:`quantise`). Every stored float is quantised to 1e-6.

Regions
-------
The image is cut into ``cells_per_side`` x ``cells_per_side`` grid cells. Each cell holds
one seed point: its centre moved by ``jitter * (u - 1/2)`` cell sizes per axis, u ~ U(0, 1).
A pixel (centre at ``(row + 1/2, col + 1/2)``) belongs to the nearest seed among the 3 x 3
grid cells around its own; for square cells and ``jitter <= 0.65`` that is exactly the
Voronoi cell of the seed. Region label = ``row_cell * cells_per_side + col_cell``.

Colours
-------
Hue, saturation and lightness are each uniform on their ``[low, high]`` range. With
``sampling="latin_hypercube"`` the R colours of one sample form a Latin hypercube: per
coordinate, the R values fall one in each of R equal strata in a random order. Every
single colour is still exactly uniform on the box; the sample's colours are spread
evenly, so dataset colour means converge far faster than with ``"independent"`` draws.

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

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthbank import numerics

CHANNELS: tuple[str, ...] = ("R", "G", "B")
SAMPLINGS: tuple[str, ...] = ("latin_hypercube", "independent")
#: The quantum of every stored float (the chromatic source document's quantisation rule,
#: docs/families/chromatic.md).
QUANTUM = 1e-6
#: Largest region count: labels are uint8.
MAX_REGIONS = 256


def quantise(x: np.ndarray) -> np.ndarray:
    """Round a float32 array in place to the nearest multiple of 1e-6 and return it.

    ``x`` becomes ``float32(rint(float32(x * 1e6)) / 1e6)``: pure IEEE float32 operations,
    so the result is the same on every CPU. Idempotent for ``|x| < 16``.
    """
    if x.dtype != np.float32:
        raise ValueError(f"quantise needs a float32 array, got dtype {x.dtype}")
    scale = np.float32(1.0 / QUANTUM)
    x *= scale
    np.rint(x, out=x)
    x /= scale
    return x


@dataclass(frozen=True)
class ChromaticParams:
    """The byte-shaping parameters of the chromatic family (``chromatic`` in params.yaml).

    Attributes
    ----------
    height, width : int
        Image size in pixels, 8 <= each <= 4096 (params ``shape: [H, W, 3]``).
    noise_level : float
        Standard deviation of the additive Gaussian noise, full scale = 1, 0 <= value <= 1.
    cells_per_side : int
        Regions per image side; the image has ``cells_per_side**2 <= 256`` regions.
    jitter : float
        Seed displacement amplitude in cell sizes, 0 <= jitter <= 0.65.
    hue, saturation, lightness : tuple of float
        ``(low, high)`` ranges of the uniform HSL draw, each within [0, 1] (hue in turns).
    sampling : str
        ``"latin_hypercube"`` or ``"independent"`` (see the module docstring).
    wavelengths_nm : tuple of float
        ``(start, stop)`` of the band centres, nm, start < stop.
    bands : int
        Number of bands K, 2 <= K <= 1024, evenly spaced from start to stop inclusive.
    centres_nm, widths_nm, amplitudes : tuple of float
        Per channel (R, G, B): Gaussian centre (nm), sigma (nm, > 0) and peak height (> 0).
    """

    height: int = 256
    width: int = 256
    noise_level: float = 0.05
    cells_per_side: int = 12
    jitter: float = 0.6
    hue: tuple[float, float] = (0.0, 1.0)
    saturation: tuple[float, float] = (0.0, 1.0)
    lightness: tuple[float, float] = (0.0, 1.0)
    sampling: str = "latin_hypercube"
    wavelengths_nm: tuple[float, float] = (400.0, 700.0)
    bands: int = 31
    centres_nm: tuple[float, float, float] = (610.0, 545.0, 465.0)
    widths_nm: tuple[float, float, float] = (35.0, 35.0, 30.0)
    amplitudes: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @property
    def regions(self) -> int:
        return self.cells_per_side * self.cells_per_side

    @property
    def hsl_box(self) -> np.ndarray:
        """``(3, 2)`` float64 ``[[h_lo, h_hi], [s_lo, s_hi], [l_lo, l_hi]]``."""
        return np.array([self.hue, self.saturation, self.lightness], dtype=np.float64)

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> ChromaticParams:
        """Build from the ``chromatic`` section of params.yaml (already schema-checked)."""
        shape = section["shape"]
        colours = section["color_distribution"]
        profile = section["spectral_profile"]
        p = cls(
            height=int(shape[0]),
            width=int(shape[1]),
            noise_level=float(section["noise_level"]),
            cells_per_side=int(section["regions"]["cells_per_side"]),
            jitter=float(section["regions"]["jitter"]),
            hue=_pair(colours["hue"]),
            saturation=_pair(colours["saturation"]),
            lightness=_pair(colours["lightness"]),
            sampling=str(colours["sampling"]),
            wavelengths_nm=_pair(profile["wavelengths_nm"]),
            bands=int(profile["bands"]),
            centres_nm=tuple(float(v) for v in profile["centres_nm"]),
            widths_nm=tuple(float(v) for v in profile["widths_nm"]),
            amplitudes=tuple(float(v) for v in profile["amplitudes"]),
        )
        validate_params(p)
        return p


def _pair(v: Any) -> tuple[float, float]:
    return (float(v[0]), float(v[1]))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)


def validate_params(p: ChromaticParams) -> None:
    """Raise ``ValueError`` (one line: name, value, what is allowed) for bad parameters."""
    if not isinstance(p, ChromaticParams):
        raise ValueError(f"params={p!r} is invalid: allowed a ChromaticParams")
    for name in ("height", "width"):
        v = getattr(p, name)
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 8 <= v <= 4096:
            raise ValueError(f"{name}={v!r} is invalid: allowed an integer 8 <= {name} <= 4096")
    if not _is_number(p.noise_level) or not 0 <= p.noise_level <= 1:
        raise ValueError(f"noise_level={p.noise_level!r} is invalid: allowed 0 <= noise_level <= 1")
    g = p.cells_per_side
    if not isinstance(g, (int, np.integer)) or isinstance(g, bool) or not 1 <= g * g <= MAX_REGIONS:
        raise ValueError(f"cells_per_side={g!r} is invalid: allowed an integer 1 <= cells_per_side <= 16")
    if g > min(p.height, p.width):
        raise ValueError(f"cells_per_side={g} is invalid: allowed at most min(height, width) = {min(p.height, p.width)}")
    if not _is_number(p.jitter) or not 0 <= p.jitter <= 0.65:
        raise ValueError(f"jitter={p.jitter!r} is invalid: allowed 0 <= jitter <= 0.65")
    for name in ("hue", "saturation", "lightness"):
        lo, hi = getattr(p, name)
        if not (_is_number(lo) and _is_number(hi) and 0 <= lo <= hi <= 1):
            raise ValueError(f"{name}={[lo, hi]!r} is invalid: allowed [low, high] with 0 <= low <= high <= 1")
    if p.sampling not in SAMPLINGS:
        raise ValueError(f"sampling={p.sampling!r} is invalid: allowed one of {list(SAMPLINGS)}")
    start, stop = p.wavelengths_nm
    if not (_is_number(start) and _is_number(stop) and 0 < start < stop):
        raise ValueError(f"wavelengths_nm={[start, stop]!r} is invalid: allowed [start, stop] with 0 < start < stop")
    if not isinstance(p.bands, (int, np.integer)) or isinstance(p.bands, bool) or not 2 <= p.bands <= 1024:
        raise ValueError(f"bands={p.bands!r} is invalid: allowed an integer 2 <= bands <= 1024")
    for name, positive in (("centres_nm", False), ("widths_nm", True), ("amplitudes", True)):
        v = getattr(p, name)
        if len(v) != 3 or not all(_is_number(x) and (x > 0 if positive else True) for x in v):
            rule = "three numbers > 0" if positive else "three finite numbers"
            raise ValueError(f"{name}={list(v)!r} is invalid: allowed {rule} (R, G, B)")
    # spectral <= sum of amplitudes; quantise() is exact only below 16
    if sum(p.amplitudes) >= 16:
        raise ValueError(f"amplitudes={list(p.amplitudes)!r} is invalid: allowed a sum below 16 (float32 quantisation)")


# ---------------------------------------------------------------------------------------
# Colour spaces
# ---------------------------------------------------------------------------------------
def hsl_to_rgb(hsl: np.ndarray) -> np.ndarray:
    """HSL to RGB (the CSS Color 4 formula), float64, any leading shape.

    Parameters
    ----------
    hsl : ndarray, shape (..., 3)
        Hue (turns, [0, 1]), saturation and lightness ([0, 1]).

    Returns
    -------
    ndarray of float64, shape (..., 3)
        R, G, B in [0, 1]: ``f(n) = L - a * clip(min(k - 3, 9 - k), -1, 1)`` with
        ``k = (n + 12 H) mod 12``, ``a = S * min(L, 1 - L)``, n = 0, 8, 4 for R, G, B.
    """
    hsl = np.asarray(hsl, dtype=np.float64)
    h, s, lig = hsl[..., 0:1], hsl[..., 1:2], hsl[..., 2:3]
    a = s * np.minimum(lig, 1.0 - lig)
    k = np.mod(np.array([0.0, 8.0, 4.0]) + 12.0 * h, 12.0)
    return lig - a * np.clip(np.minimum(k - 3.0, 9.0 - k), -1.0, 1.0)


def rgb_to_hsl(rgb: np.ndarray) -> np.ndarray:
    """RGB to HSL, float64, any leading shape (inverse of :func:`hsl_to_rgb`).

    Returns
    -------
    ndarray of float64, shape (..., 3)
        Hue in [0, 1) turns (0 where max == min), saturation
        ``C / (1 - |2L - 1|)`` (0 where C = 0) and lightness ``(max + min) / 2``.
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    c = mx - mn
    lig = 0.5 * (mx + mn)
    denom = 1.0 - np.abs(2.0 * lig - 1.0)
    s = np.divide(c, denom, out=np.zeros_like(c), where=(c > 0) & (denom > 0))
    safe = np.where(c > 0, c, 1.0)
    h6 = np.where(mx == r, np.mod((g - b) / safe, 6.0), np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    h = np.where(c > 0, h6 / 6.0, 0.0)
    h = np.where(h >= 1.0, h - 1.0, h)
    return np.stack([h, np.minimum(s, 1.0), lig], axis=-1)


# ---------------------------------------------------------------------------------------
# The bridge kernel
# ---------------------------------------------------------------------------------------
def wavelengths(p: ChromaticParams) -> np.ndarray:
    """Band centres, ``(K,)`` float64 nm: ``start + k * (stop - start) / (K - 1)``."""
    start, stop = p.wavelengths_nm
    return start + np.arange(p.bands, dtype=np.float64) * ((stop - start) / (p.bands - 1))


def gaussian_kernel(lam: np.ndarray, centres: Any, widths: Any, amplitudes: Any) -> np.ndarray:
    """Unquantised Gaussian kernels ``(3, K)`` float64 at wavelengths ``lam`` (nm)."""
    mu = np.asarray(centres, dtype=np.float64)[:, None]
    sd = np.asarray(widths, dtype=np.float64)[:, None]
    amp = np.asarray(amplitudes, dtype=np.float64)[:, None]
    return amp * numerics.exp(-((np.asarray(lam, dtype=np.float64)[None, :] - mu) ** 2) / (2.0 * sd * sd))


def quantised_kernel(lam: Any, centres: Any, widths: Any, amplitudes: Any, quantum: float = QUANTUM) -> np.ndarray:
    """:func:`gaussian_kernel` rounded to the ``quantum`` grid, ``(3, K)`` float32.

    Computed in float64 and rounded to the grid before the float32 cast, so a last-bit
    difference of ``exp`` between libraries changes a value only if it sits within
    ~1e-16 of a rounding midpoint. Validation calls it on a spectral file's attributes.
    """
    k64 = gaussian_kernel(lam, centres, widths, amplitudes)
    return (np.rint(k64 / quantum) * quantum).astype(np.float32)


def bridge_kernel(p: ChromaticParams) -> np.ndarray:
    """The kernel matrix actually used, ``(3, K)`` float32, quantised to 1e-6."""
    return quantised_kernel(wavelengths(p), p.centres_nm, p.widths_nm, p.amplitudes)


def to_spectral(chromatic: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Spectral tensor of chromatic images: ``sum_c chromatic[..., c] * kernel[c]``, quantised.

    Parameters
    ----------
    chromatic : ndarray of float32, shape (..., 3)
    kernel : ndarray of float32, shape (3, K)

    Returns
    -------
    ndarray of float32, shape (..., K)
        Summed in channel order R, G, B with float32 elementwise operations, then
        quantised to 1e-6.
    """
    chromatic = np.asarray(chromatic, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    out = chromatic[..., 0:1] * kernel[0]
    for c in (1, 2):
        out += chromatic[..., c : c + 1] * kernel[c]
    return quantise(out)


# ---------------------------------------------------------------------------------------
# Regions and colours
# ---------------------------------------------------------------------------------------
def region_labels(jitter_u: np.ndarray, height: int, width: int, jitter: float) -> np.ndarray:
    """Voronoi labels of a block of images, ``(B, H, W)`` uint8.

    Parameters
    ----------
    jitter_u : ndarray of float64, shape (B, G, G, 2)
        Uniform [0, 1) offsets of the seeds (row, column).
    height, width : int
        Image size in pixels.
    jitter : float
        Displacement amplitude in cell sizes.
    """
    n, g = jitter_u.shape[0], jitter_u.shape[1]
    cell = np.array([height / g, width / g])
    centre = (np.arange(g) + 0.5)[:, None] * cell[None, :]  # (G, 2): row centres, col centres
    seeds = np.empty((n, g + 2, g + 2, 2), dtype=np.float32)
    seeds[...] = np.float32(np.inf)  # cells outside the grid never win
    seeds[:, 1:-1, 1:-1, 0] = centre[:, 0][None, :, None] + jitter * (jitter_u[..., 0] - 0.5) * cell[0]
    seeds[:, 1:-1, 1:-1, 1] = centre[:, 1][None, None, :] + jitter * (jitter_u[..., 1] - 0.5) * cell[1]
    seed_y, seed_x = seeds[..., 0], seeds[..., 1]
    y = (np.arange(height) + 0.5).astype(np.float32)
    x = (np.arange(width) + 0.5).astype(np.float32)
    cy = np.minimum((np.arange(height) + 0.5) // cell[0], g - 1).astype(np.intp)
    cx = np.minimum((np.arange(width) + 0.5) // cell[1], g - 1).astype(np.intp)
    best = np.full((n, height, width), np.inf, dtype=np.float32)
    label = np.zeros((n, height, width), dtype=np.uint8)
    for dy in (-1, 0, 1):  # nine neighbour cells, a fixed order: ties keep the first
        rows = cy + dy + 1
        for dx in (-1, 0, 1):
            cols = cx + dx + 1
            sy = seed_y[:, rows][:, :, cols]  # (B, H, W)
            sx = seed_x[:, rows][:, :, cols]
            d = (y[None, :, None] - sy) ** 2 + (x[None, None, :] - sx) ** 2
            closer = d < best
            np.copyto(best, d, where=closer)
            lab = ((np.clip(rows - 1, 0, g - 1))[:, None] * g + np.clip(cols - 1, 0, g - 1)[None, :]).astype(np.uint8)
            np.copyto(label, np.broadcast_to(lab, label.shape), where=closer)
    return label


def draw_colours(rng: np.random.Generator, n: int, p: ChromaticParams) -> np.ndarray:
    """Region colours of ``n`` images in HSL, ``(n, R, 3)`` float64 (see module docstring)."""
    r = p.regions
    if p.sampling == "latin_hypercube":
        perm = rng.permuted(np.broadcast_to(np.arange(r, dtype=np.float64), (n, 3, r)), axis=-1)
        unit = (perm + rng.random((n, 3, r))) / r
    else:
        unit = rng.random((n, 3, r))
    box = p.hsl_box
    hsl = box[:, 0][None, :, None] + unit * (box[:, 1] - box[:, 0])[None, :, None]
    return np.ascontiguousarray(hsl.transpose(0, 2, 1))


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

