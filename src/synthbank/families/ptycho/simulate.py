"""Pure simulation: object, probe, scan positions, expected intensities, Poisson counts.

No file I/O but reading a user's base NPZ (:mod:`synthbank.families.ptycho.base`). Every random draw comes from an explicit Generator; :func:`simulate` makes
them through :mod:`synthbank.seeding` from the config alone.

Geometry: positions are whole object pixels. The patch of scan position i is
``object[y0:y0+N, x0:x0+N]`` with ``y0 = ycoords[i] - N/2`` (so the coordinates are patch
centres, in object pixels), and its far-field intensity is
``photon_scale * |fftshift(fft2(probe * patch))|**2`` (zero frequency at pixel (N/2, N/2)),
with one ``photon_scale`` per dose: the mean expected total over the scan is the dose,
and each pattern's total follows the object's transmission under the probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.fft

from synthbank import numerics, parallel, seeding
from synthbank.families.ptycho import base as base_mod
from synthbank.families.ptycho.config import ObjectParams, ProbeParams, ScanParams, SimulationConfig
from synthbank.families.ptycho.layout import FAMILY, NOISE_BLOCK, NOISE_STREAM, OBJECT_STREAM, SCAN_STREAM
from synthbank.numerics.discrete import poisson


def smooth_field(rng: np.random.Generator, size: int, correlation_px: float) -> np.ndarray:
    """A periodic Gaussian random field with standard normal marginals.

    White noise filtered by a Gaussian of standard deviation ``correlation_px`` (pixels)
    in Fourier space, then standardised.

    Returns
    -------
    ndarray of float64, shape (size, size)
    """
    noise = numerics.standard_normal(rng, (size, size))
    k = scipy.fft.fftfreq(size)
    kr = scipy.fft.rfftfreq(size)
    gauss = numerics.exp(-2.0 * np.pi**2 * correlation_px**2 * (k[:, None] ** 2 + kr[None, :] ** 2))
    field = scipy.fft.irfft2(scipy.fft.rfft2(noise) * gauss, s=(size, size))
    field -= field.mean()
    std = field.std()
    return field / std if std > 0 else field


def make_object(rng: np.random.Generator, p: ObjectParams) -> np.ndarray:
    """The complex object: amplitude and phase uniform in their ranges, spatially smooth.

    Each of two smooth fields is mapped through the normal CDF (uniform marginals on
    [0, 1]) and then onto ``p.amplitude`` and ``p.phase_rad``.

    Returns
    -------
    ndarray of complex64, shape (p.size_px, p.size_px)
    """
    u_amp = numerics.ndtr(smooth_field(rng, p.size_px, p.correlation_px))
    u_phase = numerics.ndtr(smooth_field(rng, p.size_px, p.correlation_px))
    amp = p.amplitude[0] + (p.amplitude[1] - p.amplitude[0]) * u_amp
    phase = p.phase_rad[0] + (p.phase_rad[1] - p.phase_rad[0]) * u_phase
    return numerics.expi(phase, amp, np.complex64)


def make_probe(p: ProbeParams) -> np.ndarray:
    """An apodised disc with a defocus phase (deterministic: no randomness).

    Amplitude 1 inside ``radius - edge/2``, a raised-cosine fall to 0 at ``radius + edge/2``;
    phase ``defocus_rad * (r / radius)**2``; centred on pixel (N/2, N/2).

    Returns
    -------
    ndarray of complex64, shape (N, N), N = p.size_px
    """
    n = p.size_px
    yy, xx = np.mgrid[0:n, 0:n] - n / 2
    r = np.sqrt(yy * yy + xx * xx)  # integer squares: exact, and sqrt is correctly rounded
    if p.edge_px > 0:
        t = np.clip((r - (p.radius_px - p.edge_px / 2)) / p.edge_px, 0.0, 1.0)
        amp = 0.5 * (1.0 + numerics.cos(np.pi * t))
    else:
        amp = (r <= p.radius_px).astype(np.float64)
    return numerics.expi(p.defocus_rad * (r / p.radius_px) ** 2, amp, np.complex64)


def scan_positions(
    rng: np.random.Generator, s: ScanParams, object_px: int | tuple[int, int], probe_px: int
) -> np.ndarray:
    """Patch centres (y, x) in whole object pixels, every patch inside the object.

    ``raster``: a grid of step ``s.step_px`` over the valid centres, each position moved by
    Gaussian jitter of s.d. ``s.jitter_px`` rounded to whole pixels and clipped back inside.
    ``random``: ``s.n_positions`` centres uniform over the valid range.
    ``object_px`` is the side of a square object or its (H, W) (a base NPZ's object).

    Returns
    -------
    ndarray of float64, shape (n, 2), columns (y, x), row-major raster order
    """
    shape = (object_px, object_px) if np.isscalar(object_px) else tuple(int(v) for v in object_px)
    lo = probe_px // 2  # centre c covers [c - N/2, c + N/2)
    hi = np.array([side - probe_px // 2 for side in shape])
    if s.pattern == "random":
        bound = int(hi[0]) + 1 if hi[0] == hi[1] else hi + 1  # a scalar bound on a square object
        return rng.integers(lo, bound, size=(s.n_positions, 2)).astype(np.float64)
    yy, xx = np.meshgrid(np.arange(lo, hi[0] + 1, s.step_px), np.arange(lo, hi[1] + 1, s.step_px), indexing="ij")
    pos = np.stack([yy.ravel(), xx.ravel()], axis=1).astype(np.float64)
    pos += np.rint(s.jitter_px * numerics.standard_normal(rng, pos.shape)) if s.jitter_px > 0 else 0.0
    return np.clip(pos, lo, hi)


def object_patches(obj: np.ndarray, positions: np.ndarray, n: int) -> np.ndarray:
    """The N x N object patches at the given centres.

    Returns
    -------
    ndarray of obj.dtype, shape (len(positions), n, n)
    """
    corners = positions.astype(np.int64) - n // 2
    windows = np.lib.stride_tricks.sliding_window_view(obj, (n, n))
    return windows[corners[:, 0], corners[:, 1]]


def centred_probe(probe: np.ndarray) -> np.ndarray:
    """``probe * (-1)**(y + x)``: its FFT comes out already fftshifted (N even).

    ``fftshift(fft2(w))[k] = fft2(w * (-1)**n)[k]`` exactly for even N, and multiplying
    by +-1 is exact in floating point, so this saves the shift's copy at no cost in accuracy.
    """
    n = probe.shape[0]
    sign = 1 - 2 * ((np.arange(n)[:, None] + np.arange(n)[None, :]) % 2)
    return (probe * sign).astype(probe.dtype)


#: Patterns per part of the forward model: a part's exit waves (16 x 32 KB) and FFTs stay in the L2 cache.
_PART = 16


def _support(probe: np.ndarray, obj: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the smallest box holding every non-zero probe pixel.

    Outside it every exit-wave value is a (signed) zero, so its FFTs are zeros too, and
    ``|.|**2`` makes the sign of a zero vanish: leaving them out changes no intensity bit.
    A non-finite object (``inf * 0`` is NaN) gets the whole window.
    """
    nz = probe != 0
    rows, cols = np.flatnonzero(nz.any(axis=1)), np.flatnonzero(nz.any(axis=0))
    if rows.size == 0 or not np.isfinite(obj).all():
        return slice(0, probe.shape[0]), slice(0, probe.shape[1])
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def expected_intensity(obj: np.ndarray, probe: np.ndarray, positions: np.ndarray, photon_scale: float,
                       out: np.ndarray | None = None) -> np.ndarray:
    """Noise-free far-field intensity in photons: ``photon_scale * |fftshift(fft2(probe * patch))|**2``.

    One scale for every pattern of a dose (:func:`photon_scale`), so a pattern's total
    follows the object's transmission under the probe. The FFT in complex64; the scale
    is applied in float32.

    The same bits as ``fft2`` of the whole exit waves (a NaN's sign bit aside, where the
    object or probe is not finite), computed with less work, in parts of
    ``_PART`` patterns that stay in the cache: only the probe's support box is gathered and
    multiplied, and the 2-D FFT is pocketfft's own two passes (along y, then x: the order
    ``fft2`` runs them) with the first pass over the box's columns only (the others are
    zero). The product is ``re = a.re b.re + a.im (-b.im)``, ``im = a.im b.re + a.re b.im``:
    two float32 products and one sum per part, each rounded once, as
    :func:`synthbank.numerics.multiply_complex` rounds them (no FMA).

    Parameters
    ----------
    obj : (H, W) complex64; probe : (N, N) complex64, N even; positions : (n, 2) centres
    out : (n, N, N) float32, optional, filled and returned.

    Returns
    -------
    ndarray of float32, shape (n, N, N), NHW, zero frequency at (N/2, N/2)
    """
    obj, probe = np.asarray(obj, dtype=np.complex64), np.asarray(probe, dtype=np.complex64)  # the word view needs 8 bytes
    n = probe.shape[0]
    count = len(positions)
    if out is None:
        out = np.empty((count, n, n), dtype=np.float32)
    rows, cols = _support(probe, obj)
    h, w = rows.stop - rows.start, cols.stop - cols.start
    probe_c = centred_probe(probe)[rows, cols].view(np.float32).reshape(h, w, 2)
    re_re = np.repeat(probe_c[..., :1], 2, axis=2).reshape(h, 2 * w)  # (b.re, b.re) per pixel
    im_im = np.concatenate([-probe_c[..., 1:], probe_c[..., 1:]], axis=2).reshape(h, 2 * w)  # (-b.im, b.im)
    corners = positions.astype(np.int64) - n // 2
    limits = np.array(obj.shape) - n
    if corners.size and ((corners < 0).any() or (corners > limits).any()):  # the flat gather below would wrap rows
        bad = positions[np.flatnonzero(((corners < 0) | (corners > limits)).any(axis=1))[0]]
        raise ValueError(f"position {bad.tolist()} puts the {n}x{n} window outside the {obj.shape[0]}x{obj.shape[1]} "
                         f"object: allowed centres in [{n // 2}, {n // 2 + limits[0]}] x [{n // 2}, {n // 2 + limits[1]}]")
    first = (corners[:, 0] + rows.start) * obj.shape[1] + corners[:, 1] + cols.start  # flat index of each box's corner
    bits = np.ascontiguousarray(obj).view(np.uint64)  # a complex64 as one word: swapping halves swaps re, im
    boxes = np.lib.stride_tricks.as_strided(bits, shape=(bits.size - (h - 1) * obj.shape[1] - (w - 1), h, w),
                                            strides=(8, obj.shape[1] * 8, 8), writeable=False)
    waves = np.zeros((_PART, n, w), dtype=np.complex64)  # the box's columns; rows outside the box stay 0
    spectra = np.zeros((_PART, n, n), dtype=np.complex64)  # columns outside the box stay 0
    swapped = np.empty((_PART, h, w), dtype=np.uint64)
    scale = np.float32(photon_scale)
    for s in range(0, count, _PART):
        m = min(_PART, count - s)
        patch = boxes[first[s : s + m]]  # (m, h, w) words, a copy: a.re, a.im
        product = waves[:m, rows].view(np.float32)
        np.multiply(patch.view(np.float32), re_re, out=product)
        np.left_shift(patch, 32, out=swapped[:m])
        patch >>= 32
        swapped[:m] |= patch  # a.im, a.re
        part = swapped[:m].view(np.float32)
        part *= im_im
        product += part
        spectra[:m, :, cols] = scipy.fft.fft(waves[:m], axis=-2)
        far = scipy.fft.fft(spectra[:m], axis=-1)
        parts = far.view(np.float32)  # (..., 2N) interleaved real, imaginary
        np.square(parts, out=parts)
        o = out[s : s + m]
        np.add(parts[..., 0::2], parts[..., 1::2], out=o)
        o *= scale
    return out


def squared_modulus(a: np.ndarray) -> np.ndarray:
    """``|a|**2`` of a complex64 array in float64: re**2 + im**2 (squares exact, one rounding)."""
    parts = a.astype(np.complex64).view(np.float32).astype(np.float64)
    return parts[..., 0::2] ** 2 + parts[..., 1::2] ** 2


def unit_totals(obj: np.ndarray, probe: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Each pattern's total far-field intensity before scaling, by Parseval: ``N*N * sum |P|^2 |O_patch|^2``.

    Equal (to rounding) to ``sum |fft2(probe * patch)|**2``, without the FFTs; float64
    products and pairwise sums only, so the same bits on every CPU.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    n = probe.shape[0]
    o2, p2 = squared_modulus(obj), squared_modulus(probe)
    out = np.empty(len(positions), dtype=np.float64)
    for start in range(0, len(positions), NOISE_BLOCK):  # bounded memory: one block of patches at a time
        patches = object_patches(o2, positions[start : start + NOISE_BLOCK], n)
        out[start : start + NOISE_BLOCK] = (patches * p2).sum(axis=(1, 2))
    return out * float(n * n)


def photon_scale(dose: float, unit_mean: float) -> float:
    """Photons per unit of ``|fft2|**2``: the mean expected total over the scan equals ``dose``.

    PtychoPINN's rule (``ptycho.diffsim.scale_nphotons``: one scale so that the expected
    photon count *averaged over the dataset* is ``nphotons``).
    """
    return float(dose) / float(unit_mean)


def poisson_counts(seed: int, dose: int, intensity: np.ndarray, first_block: int = 0,
                   out: np.ndarray | None = None) -> np.ndarray:
    """Poisson counts of ``intensity``, pattern blocks of NOISE_BLOCK from their own streams.

    Each block is one call of :func:`synthbank.numerics.discrete.poisson` (exact, portable bits)
    on its own stream, so a block's counts do not depend on how the patterns are batched.

    Parameters
    ----------
    intensity : (n, H, W) float expected counts; n a multiple of NOISE_BLOCK except in
        the last block. Row j belongs to block ``first_block + j // NOISE_BLOCK``.
    out : (n, H, W) uint32, optional, filled and returned.

    Returns
    -------
    ndarray of uint32, shape (n, H, W)
    """
    if out is None:
        out = np.empty(intensity.shape, dtype=np.uint32)
    for b, start in enumerate(range(0, len(intensity), NOISE_BLOCK)):
        rng = seeding.stream(seed, FAMILY, NOISE_STREAM, int(dose), first_block + b)
        poisson(rng, intensity[start : start + NOISE_BLOCK], out=out[start : start + NOISE_BLOCK])
    return out


@dataclass(frozen=True)
class Simulation:
    """One dose's simulated measurement, in canonical (NHW) memory order.

    Attributes
    ----------
    object : (H, W) complex64, transmission, unitless
    probe : (N, N) complex64, unitless (its photons are ``photon_scale * N*N * sum |probe|^2``)
    positions : (n, 2) float64, patch centres (y, x) in object pixels
    intensity : (n, N, N) float32, expected photons per detector pixel
    counts : (n, N, N) uint32, Poisson-sampled photons
    photon_scale : float, photons per unit of ``|fft2(probe * patch)|**2`` (one per dose)
    probe_photons : float, expected photons of the unobstructed probe (transmission 1)
    """

    object: np.ndarray
    probe: np.ndarray
    positions: np.ndarray
    intensity: np.ndarray
    counts: np.ndarray
    photon_scale: float
    probe_photons: float


@dataclass(frozen=True)
class Design:
    """The dose-independent design (read-only arrays), and the mean unscaled total over the scan."""

    object: np.ndarray
    probe: np.ndarray
    positions: np.ndarray
    unit_mean: float

    def scale(self, dose: float) -> float:
        return photon_scale(dose, self.unit_mean)

    def probe_photons(self, dose: float) -> float:
        n = self.probe.shape[0]
        return self.scale(dose) * float(n * n) * float(squared_modulus(self.probe).sum())


@lru_cache(maxsize=1)  # every block task of a dose needs it: computed once per worker process
def design(cfg: SimulationConfig) -> Design:
    """The dose-independent design: object, probe and positions (same for every dose; read-only).

    From the base NPZ when ``cfg.base`` is set (its positions, or the scan params over its
    object), else from the seeded object and scan and the parametric probe.
    """
    if cfg.base is not None:
        obj, probe, positions = base_mod.load(cfg.base)
        if positions is None:
            positions = scan_positions(seeding.stream(cfg.seed, FAMILY, SCAN_STREAM), cfg.scan, obj.shape, probe.shape[0])
    else:
        obj = make_object(seeding.stream(cfg.seed, FAMILY, OBJECT_STREAM), cfg.object)
        probe = make_probe(cfg.probe)
        positions = scan_positions(seeding.stream(cfg.seed, FAMILY, SCAN_STREAM), cfg.scan, cfg.object.size_px, cfg.probe.size_px)
    unit_mean = float(unit_totals(obj, probe, positions).mean())
    if not unit_mean > 0:
        raise ValueError("the probe sees no photons through the object at any scan position: allowed a non-zero object under the probe")
    for a in (obj, probe, positions):
        a.flags.writeable = False  # shared by the cache
    return Design(obj, probe, positions, unit_mean)


@dataclass(frozen=True)
class BlockTask:
    """One worker task: noise block ``block`` of a dose (patterns ``block * NOISE_BLOCK ...``)."""

    cfg: SimulationConfig
    block: int


def simulate_block(task: BlockTask, intensity: np.ndarray | None = None,
                   counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Expected intensities (float32) and Poisson counts (uint32) of one block's patterns.

    The block's counts come from its own stream (:func:`poisson_counts`), and the design
    (with the dose's one photon scale) is a function of the config, so a block is the
    same bytes in any process. ``intensity`` and ``counts``, (patterns, N, N) float32 and
    uint32, receive them when given (no copy), else new arrays do.
    """
    d = design(task.cfg)
    start = task.block * NOISE_BLOCK
    positions = d.positions[start : start + NOISE_BLOCK]
    lam = expected_intensity(d.object, d.probe, positions, d.scale(task.cfg.dose), out=intensity)
    return lam, poisson_counts(task.cfg.seed, task.cfg.dose, lam, task.block, out=counts)


def simulate(cfg: SimulationConfig, backend: Mapping[str, Any] | None = None) -> Simulation:
    """Simulate one dose: the shared design, expected intensities and Poisson counts.

    Each noise block is a task (:func:`synthbank.parallel.run_ordered` with ``backend``),
    copied in block order: the bytes do not depend on the workers. In this process (one
    worker, no scheduler) each block writes straight into the result.
    """
    d = design(cfg)
    intensity = np.empty((len(d.positions), *d.probe.shape), dtype=np.float32)
    counts = np.empty(intensity.shape, dtype=np.uint32)
    blocks = range(-(-len(d.positions) // NOISE_BLOCK))
    opts = dict(backend or {})
    rows = [slice(b * NOISE_BLOCK, (b + 1) * NOISE_BLOCK) for b in blocks]
    if parallel.runs_here(**opts):
        for b in blocks:
            simulate_block(BlockTask(cfg, b), intensity[rows[b]], counts[rows[b]])
    else:
        tasks = (BlockTask(cfg, b) for b in blocks)
        for b, (lam, k) in enumerate(parallel.run_ordered(simulate_block, tasks, **opts)):
            intensity[rows[b]], counts[rows[b]] = lam, k
    return Simulation(d.object, d.probe, d.positions, intensity, counts, d.scale(cfg.dose), d.probe_photons(cfg.dose))
