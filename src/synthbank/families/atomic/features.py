"""Rotation- and translation-invariant spectral features of ``atomic`` images.

:func:`invariant_features` turns each (H, W) image into a fixed-length float32 vector
(radial power profile, autocorrelation profile, angular harmonics; see its docstring);
the baseline classifier (:mod:`.baseline`) learns on them. Float64 and
:mod:`synthbank.numerics` throughout, so the features do not depend on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft

from synthbank import numerics

__all__ = ["FEATURE_CHUNK", "feature_names", "invariant_features"]

#: Images per task of the validation's features (tasks cut the train subsample and the test
#: split at these boundaries).
FEATURE_CHUNK = 16384
#: Images computed together inside :func:`invariant_features` (its float64 temporaries take
#: about 11 KB per image: 23 MB here, 180 MB at 16,384). Each image's features are its own:
#: a BLAS kernel that sums a row in another order moves a float64 result by ~1e-16, which
#: the final float32 rounding absorbs (the 1e-8 chance per feature; the determinism matrix
#: runs other kernels and chunkings against the same golden bytes).
FFT_CHUNK = 2048

_RAD_STEP = 0.5  # radial bin spacing, in FFT grid units (cycles per image)
_HARMONICS = (2, 4, 6)  # even angular harmonics (the power spectrum is centrosymmetric)


@dataclass(frozen=True)
class _FeatureBasis:
    radius: np.ndarray  # (K,) radius of each kept frequency, grid units
    cos_m: np.ndarray  # (K, M) cos(m * theta)
    sin_m: np.ndarray  # (K, M) sin(m * theta)
    keep: np.ndarray  # (H*W,) bool, frequencies used (0 < r < Nyquist)
    radial: np.ndarray  # (K, B) soft radial bin weights of the spectrum
    centres: np.ndarray  # (B,) bin centres
    acf: np.ndarray  # (H*W, D) radial averaging of the autocorrelation
    acf_centres: np.ndarray  # (D,) lag distances
    names: tuple[str, ...]


@lru_cache(maxsize=8)
def _basis(h: int, w: int) -> _FeatureBasis:
    ky = np.fft.fftfreq(h) * h
    kx = np.fft.fftfreq(w) * w
    KY, KX = np.meshgrid(ky, kx, indexing="ij")
    # use the disc strictly inside Nyquist in units of the shorter side so
    # the kept set is closed under 90-degree rotation for square images
    scale = min(h, w)
    fy, fx = KY / h * scale, KX / w * scale
    # Portable (synthbank.numerics) and float64 throughout, like the features: the basis
    # feeds metrics/atomic.json, a DVC output that must not depend on the CPU.
    r = np.sqrt(fy * fy + fx * fx).reshape(-1)
    theta = numerics.arctan2(fy, fx).reshape(-1)
    rmax = scale / 2.0
    keep = (r > 0.5) & (r < rmax)
    rk, tk = r[keep], theta[keep]
    m = np.asarray(_HARMONICS, dtype=np.float64)
    sin_m, cos_m = numerics.sincos(tk[:, None] * m[None, :])
    centres = np.arange(1.0, rmax, _RAD_STEP)
    radial = np.clip(1.0 - np.abs(rk[:, None] - centres[None, :]) / _RAD_STEP, 0.0, None)
    # autocorrelation radial profile: acf(x) = sum_k P(k) cos(2 pi k.x) / N,
    # averaged over lags x in soft radial bins -> linear map of P
    yy = np.minimum(np.arange(h), h - np.arange(h))
    xx = np.minimum(np.arange(w), w - np.arange(w))
    LY, LX = np.meshgrid(np.fft.fftfreq(h) * h, np.fft.fftfreq(w) * w, indexing="ij")
    lag_r = np.sqrt(LY * LY + LX * LX).reshape(-1)
    acf_centres = np.arange(1.0, min(yy.max(), xx.max()) + 0.01, 0.5)
    lag_w = np.clip(1.0 - np.abs(lag_r[:, None] - acf_centres[None, :]) / 0.5, 0.0, None)
    lag_w /= np.maximum(lag_w.sum(axis=0, keepdims=True), 1e-12)
    phase = 2 * np.pi * (
        np.outer(KY.reshape(-1), LY.reshape(-1)) / h + np.outer(KX.reshape(-1), LX.reshape(-1)) / w
    )
    acf = numerics.cos(phase) @ lag_w  # (H*W frequencies, D lags)
    names = (
        ["contrast", "peak_radius", "second_peak_radius", "peak_ratio", "peak_sharpness"]
        + [f"spec_r{c:g}" for c in centres]
        + [f"acf_r{c:g}" for c in acf_centres]
        + ["acf_first_min", "acf_first_max_lag", "acf_first_max"]
        + [f"ring0_h{mm}" for mm in _HARMONICS]
        + [f"ring1_h{mm}" for mm in _HARMONICS]
        + [f"sharp_h{mm}" for mm in _HARMONICS]
        + [f"band{b}_h{mm}" for b in range(3) for mm in _HARMONICS]
    )
    return _FeatureBasis(
        radius=rk,
        cos_m=cos_m,
        sin_m=sin_m,
        keep=keep,
        radial=radial,
        centres=centres,
        acf=acf,
        acf_centres=acf_centres,
        names=tuple(names),
    )


def feature_names(image_shape: tuple[int, int] = (16, 16)) -> tuple[str, ...]:
    """Names of the columns returned by :func:`invariant_features`.

    Parameters
    ----------
    image_shape : tuple of int, default (16, 16)
        ``(H, W)`` of the images.

    Returns
    -------
    tuple of str, length F
    """
    return _basis(int(image_shape[0]), int(image_shape[1])).names


def _harm(weights: np.ndarray, b: _FeatureBasis) -> np.ndarray:
    """Normalised angular-harmonic magnitudes |sum w e^{i m theta}| / sum w.

    weights : (n, K) non-negative -> (n, M) in [0, 1].
    """
    tot = weights.sum(axis=1, keepdims=True)
    c = weights @ b.cos_m
    s = weights @ b.sin_m
    return np.sqrt(c * c + s * s) / np.maximum(tot, 1e-20)


def _features_chunk(x: np.ndarray, b: _FeatureBasis) -> np.ndarray:
    n, h, w = x.shape
    # float64 throughout, rounded to float32 only at the end: BLAS kernels that sum in other
    # orders then differ by ~1e-16, which moves a float32 feature with probability ~1e-8
    # (float32 products differed in most rows between kernels, float32 exp/log by CPU level).
    x = x.astype(np.float64)
    x -= x.mean(axis=(1, 2), keepdims=True)
    contrast = np.sqrt((x * x).mean(axis=(1, 2)))
    spec = scipy.fft.fft2(x, axes=(1, 2), workers=-1)
    p_full = (spec.real * spec.real + spec.imag * spec.imag).reshape(n, h * w)
    del spec
    tot_full = p_full.sum(axis=1, keepdims=True)
    p_full = p_full / np.maximum(tot_full, 1e-20)  # unit total power
    p = p_full[:, b.keep]  # (n, K)

    # radial power profile (fraction of power per soft radial bin)
    rad = p @ b.radial  # (n, B)
    # mean power per bin for peak finding (independent of ring circumference)
    rad_mean = rad / np.maximum(b.radial.sum(axis=0), 1e-12)
    i0 = np.argmax(rad_mean, axis=1)
    r0 = b.centres[i0]
    # second peak: strongest bin at least 1.0 grid unit away from the first
    far = np.abs(b.centres[None, :] - r0[:, None]) >= 1.0
    i1 = np.argmax(np.where(far, rad_mean, -1.0), axis=1)
    r1 = b.centres[i1]
    rows = np.arange(n)
    sharp = rad_mean[rows, i0] / np.maximum(rad_mean.mean(axis=1), 1e-20)

    # adaptive rings around the two spectral peaks
    ring0 = p * numerics.exp(-0.5 * ((b.radius[None, :] - r0[:, None]) / 0.6) ** 2)
    ring1 = p * numerics.exp(-0.5 * ((b.radius[None, :] - r1[:, None]) / 0.6) ** 2)
    h0 = _harm(ring0, b)
    h1 = _harm(ring1, b)
    # sharpened spectrum (squared power) emphasises Bragg peaks over noise
    hs = _harm(p * p, b)
    # fixed bands (low / mid / high frequency)
    edges = (0.5, 3.25, 4.75, float(b.radius.max()) + 1.0)
    bands = [
        _harm(p * ((b.radius >= lo) & (b.radius < hi))[None, :], b)
        for lo, hi in zip(edges[:-1], edges[1:])
    ]

    # radial profile of the normalised autocorrelation (acf(0) = 1)
    acf = p_full @ b.acf  # (n, D)
    acf_min = acf.min(axis=1)
    # first maximum of the acf beyond its first minimum: nearest-neighbour lag
    after = np.cumsum(acf == acf_min[:, None], axis=1) > 0
    j_max = np.argmax(np.where(after, acf, -np.inf), axis=1)
    acf_max_lag = b.acf_centres[j_max]
    acf_max = acf[rows, j_max]

    rmax = float(b.centres[-1])
    feats = [
        contrast[:, None] / 64.0,
        (r0 / rmax)[:, None],
        (r1 / rmax)[:, None],
        (np.maximum(r0, r1) / np.minimum(r0, r1))[:, None],
        numerics.log(np.maximum(sharp, 1e-6))[:, None],
        np.sqrt(rad),
        acf,
        acf_min[:, None],
        (acf_max_lag / b.acf_centres[-1])[:, None],
        acf_max[:, None],
        h0,
        h1,
        hs,
        *bands,
    ]
    out = np.concatenate([np.asarray(f, dtype=np.float32).reshape(n, -1) for f in feats], axis=1)
    # constant images carry no structure: all-zero features
    out[tot_full[:, 0] <= 1e-12] = 0.0
    return out


def invariant_features(images: np.ndarray, chunk: int = FFT_CHUNK) -> np.ndarray:
    """Rotation- and translation-invariant spectral features of each image.

    With ``P = |FFT2(img - mean(img))|^2`` normalised to unit total power
    (so the features ignore brightness offsets and contrast scale), the
    features are, per image:

    * ``contrast``: pixel standard deviation / 64,
    * the radius of the strongest and of the second strongest radial peak of
      ``P``, their ratio and the peak sharpness (lattice spacing and the ratio
      of reciprocal-lattice vector lengths),
    * ``spec_r*``: the radial power profile (soft bins 0.5 grid units wide,
      square-rooted),
    * ``acf_r*``: the radial profile of the normalised circular
      autocorrelation (inverse FFT of ``P``), plus its minimum and the lag
      and height of its first maximum,
    * angular-harmonic magnitudes ``|sum P e^{i m theta}| / sum P`` for
      ``m = 2, 4, 6`` on a ring around each of the two peaks, on the squared
      spectrum ``P**2`` and on three fixed frequency bands (4-fold symmetry
      shows up in ``m = 4``, 6-fold in ``m = 6``, anisotropy in ``m = 2``).

    The power spectrum is exactly invariant to circular shifts; the radial
    profiles and harmonic magnitudes are invariant to rotation (exactly so
    for 90-degree rotations of square images, because only frequencies
    strictly inside the Nyquist disc are used).

    Parameters
    ----------
    images : np.ndarray, shape (n, H, W), numeric (normally uint8)
        Images.
    chunk : int, default 2048
        Images per FFT chunk (bounds memory to ~ ``chunk * H * W * 40`` bytes). Each image's
        features are its own; a BLAS kernel summing in another order for another chunk moves
        a float64 value by ~1e-16, which the float32 result absorbs but for a ~1e-8 chance.

    Returns
    -------
    np.ndarray, shape (n, F), float32
        Feature matrix; column names from :func:`feature_names`.  A constant
        image gives an all-zero row.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W), got {images.shape}")
    n, h, w = images.shape
    b = _basis(h, w)
    out = np.empty((n, len(b.names)), dtype=np.float32)
    for start in range(0, n, max(int(chunk), 1)):
        out[start : start + chunk] = _features_chunk(images[start : start + chunk], b)
    return out

