"""Quality metrics for the ``atomic`` lattice-image dataset.

Every function in this module is pure: arrays in, numbers or arrays out, no
file I/O, no global random state.  All heavy work is vectorised over images
and streamed in chunks so that a full dataset (e.g. 1,000,000 x 16 x 16
``uint8``) can be checked in a few hundred MB of memory.

The metrics are

* label balance: per-class counts and a chi-square test against uniform,
* pixel statistics: exact mean / standard deviation over all pixels,
* duplicate rate: fraction of images byte-identical to an earlier image,
* a learnability baseline: a closed-form ridge classifier on rotation- and
  translation-invariant spectral features, compared with chance.

:func:`compute_metrics` bundles them into a JSON-ready nested dict and
:func:`threshold_failures` turns that dict plus the ``thresholds`` block of
``params.yaml`` into human-readable failure lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft
from scipy import stats

from synthbank import numerics

__all__ = [
    "CLASS_NAMES",
    "N_CLASSES",
    "LinearClassifier",
    "baseline_accuracy",
    "chi2_uniform",
    "compute_metrics",
    "duplicate_rate",
    "feature_names",
    "fit_linear_classifier",
    "invariant_features",
    "label_counts",
    "pixel_stats",
    "predict",
    "threshold_failures",
]

#: Lattice class names, indexed by label value.
CLASS_NAMES: tuple[str, ...] = (
    "square",
    "rectangular",
    "centred_rectangular",
    "hexagonal",
    "oblique",
)
#: Number of lattice classes.
N_CLASSES: int = len(CLASS_NAMES)

_ROUND = 6


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------
def label_counts(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Count how often each class label occurs.

    Parameters
    ----------
    labels : np.ndarray, shape (n,), integer dtype
        Class labels in ``[0, n_classes)``.
    n_classes : int
        Number of classes.

    Returns
    -------
    np.ndarray, shape (n_classes,), int64
        ``counts[c]`` is the number of labels equal to ``c``.

    Raises
    ------
    ValueError
        If a label is negative or ``>= n_classes``, or ``labels`` is not an
        integer array.
    """
    labels = np.asarray(labels).reshape(-1)
    if labels.size == 0:
        return np.zeros(n_classes, dtype=np.int64)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got range [{lo}, {hi}]")
    if labels.dtype.itemsize <= 2:
        # bincount casts to intp; for small dtypes a histogram over chunks
        # keeps the temporary small.
        counts = np.zeros(n_classes, dtype=np.int64)
        step = 1 << 22
        for start in range(0, labels.size, step):
            counts += np.bincount(labels[start : start + step], minlength=n_classes)[:n_classes]
        return counts
    return np.bincount(labels, minlength=n_classes).astype(np.int64)[:n_classes]


def chi2_uniform(counts: np.ndarray) -> tuple[float, float]:
    """Chi-square goodness-of-fit of class counts against a uniform law.

    Parameters
    ----------
    counts : np.ndarray, shape (n_classes,), integer
        Observed count per class.

    Returns
    -------
    statistic : float
        Pearson chi-square statistic.
    p_value : float
        Probability of a statistic at least this large under uniform labels
        (``n_classes - 1`` degrees of freedom).  With no observations at all
        the result is ``(0.0, 1.0)``: there is no evidence against uniformity.
    """
    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    if counts.size < 2 or counts.sum() == 0:
        return 0.0, 1.0
    res = stats.chisquare(counts)
    return float(res.statistic), float(res.pvalue)


# --------------------------------------------------------------------------
# Pixels
# --------------------------------------------------------------------------
class _Moments:
    """Streaming first and second moments.

    Integer inputs of at most 16 bits are accumulated exactly in Python
    integers; wider integers and floating inputs use the chunk-wise
    (Chan et al.) merge of mean and centred sum of squares in float64.
    """

    def __init__(self) -> None:
        self.n = 0
        self.int_sum = 0
        self.int_sumsq = 0
        self.f_n = 0
        self.f_mean = 0.0
        self.f_m2 = 0.0

    def add(self, x: np.ndarray) -> None:
        x = np.asarray(x)
        if x.size == 0:
            return
        # exact integer path for <= 16-bit integers: per-chunk sums of
        # squares stay far below 2**64 (65536 * 256 * 65535**2 < 2**63)
        if x.dtype == np.bool_ or (np.issubdtype(x.dtype, np.integer) and x.dtype.itemsize <= 2):
            if x.dtype.kind == "u" or x.dtype == np.bool_:
                w = x.astype(np.uint64)
            else:
                w = x.astype(np.int64)
            self.int_sum += int(w.sum(dtype=w.dtype))
            np.multiply(w, w, out=w)
            self.int_sumsq += int(w.sum(dtype=w.dtype))
            self.n += x.size
        else:
            w = x.astype(np.float64)
            m = x.size
            mean = float(w.mean())
            w -= mean
            m2 = float(np.dot(w.reshape(-1), w.reshape(-1)))
            tot = self.f_n + m
            delta = mean - self.f_mean
            self.f_mean += delta * m / tot
            self.f_m2 += m2 + delta * delta * self.f_n * m / tot
            self.f_n = tot

    def merge(self, other: "_Moments") -> None:
        self.n += other.n
        self.int_sum += other.int_sum
        self.int_sumsq += other.int_sumsq
        if other.f_n:
            tot = self.f_n + other.f_n
            delta = other.f_mean - self.f_mean
            self.f_mean += delta * other.f_n / tot
            self.f_m2 += other.f_m2 + delta * delta * self.f_n * other.f_n / tot
            self.f_n = tot

    def result(self) -> tuple[float, float]:
        total = self.n + self.f_n
        if total == 0:
            return math.nan, math.nan
        if self.f_n == 0:
            n = self.n
            # exact rational variance: (n*sumsq - sum^2) / n^2
            mean = self.int_sum / n
            var = (n * self.int_sumsq - self.int_sum * self.int_sum) / (n * n)
            return float(mean), math.sqrt(max(var, 0.0))
        # mixed (rare): fold the integer part into the float accumulator
        mean_f, m2_f, nf = self.f_mean, self.f_m2, self.f_n
        if self.n:
            mi = self.int_sum / self.n
            m2i = (self.n * self.int_sumsq - self.int_sum**2) / self.n
            delta = mi - mean_f
            tot = nf + self.n
            mean_f += delta * self.n / tot
            m2_f += m2i + delta * delta * nf * self.n / tot
            nf = tot
        return float(mean_f), math.sqrt(max(m2_f / nf, 0.0))


def _moments(images: np.ndarray, chunk: int) -> _Moments:
    images = np.asarray(images)
    acc = _Moments()
    if images.ndim == 0:
        acc.add(images.reshape(1))
        return acc
    chunk = max(int(chunk), 1)
    for start in range(0, images.shape[0], chunk):
        acc.add(images[start : start + chunk])
    return acc


def pixel_stats(images: np.ndarray, chunk: int = 65536) -> tuple[float, float]:
    """Mean and (population) standard deviation over all pixels.

    Streams over the first axis in chunks so the memory overhead is about
    ``8 * chunk * pixels_per_image`` bytes regardless of ``n``.  Integer
    images of at most 16 bits (e.g. uint8) are summed exactly (sum and sum of
    squares as Python integers),
    so the result equals ``np.mean`` / ``np.std`` up to the final rounding.

    Parameters
    ----------
    images : np.ndarray, shape (n, ...), any numeric dtype (normally uint8)
        Images; every element is one pixel.
    chunk : int, default 65536
        Number of images per chunk.

    Returns
    -------
    mean : float
        Mean pixel value (``nan`` for an empty array).
    std : float
        Population standard deviation (``ddof=0``, like ``np.std``).
    """
    return _moments(images, chunk).result()


# --------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------
_GOLDEN = 0x9E3779B97F4A7C15
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


def _wrap64(v: int) -> np.uint64:
    """Python int -> uint64 modulo 2**64 (avoids numpy scalar overflow warnings)."""
    return np.uint64(v & 0xFFFFFFFFFFFFFFFF)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> _S30)
    x = x * _M2
    x = x ^ (x >> _S27)
    x = x * _M3
    return x ^ (x >> _S31)


def _as_rows(images: np.ndarray) -> np.ndarray:
    """View each image as a row of bytes: (n, bytes_per_image) uint8."""
    images = np.ascontiguousarray(images)
    n = images.shape[0]
    return images.reshape(n, -1).view(np.uint8).reshape(n, -1)


def _row_hashes(images: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """64-bit hash of every image's bytes, shape (n,), uint64.

    Each image's bytes are read as little-endian uint64 words (zero padded to
    a multiple of 8 bytes); every word is mixed with its position and folded
    into the running key with a SplitMix64 finaliser.  Loops run over the
    (few) words per image, never over images.
    """
    rows = _as_rows(images)
    n, nbytes = rows.shape
    out = np.empty(n, dtype=np.uint64)
    nwords = max((nbytes + 7) // 8, 1)
    for start in range(0, n, chunk):
        r = rows[start : start + chunk]
        if nbytes % 8 or nbytes == 0:
            pad = np.zeros((r.shape[0], nwords * 8), dtype=np.uint8)
            pad[:, :nbytes] = r
            r = pad
        words = np.ascontiguousarray(r).view("<u8")
        h = np.full(r.shape[0], _wrap64(nbytes * _GOLDEN), dtype=np.uint64)
        for j in range(nwords):
            h = _mix64(h ^ _mix64(words[:, j] + _wrap64((j + 1) * _GOLDEN)))
        out[start : start + chunk] = h
    return out


def _count_duplicates(parts: Sequence[np.ndarray]) -> tuple[int, int]:
    """Count images equal to an earlier image across several arrays.

    Parameters
    ----------
    parts : sequence of np.ndarray, each shape (n_i, ...), same per-image
        byte size
        The arrays are treated as one concatenated dataset (no copy is made).

    Returns
    -------
    n_duplicates : int
        Number of images byte-identical to an earlier image.
    n_total : int
        Total number of images.
    """
    parts = [np.asarray(p) for p in parts]
    sizes = [p.shape[0] for p in parts]
    n_total = int(sum(sizes))
    if n_total < 2:
        return 0, n_total
    keys = np.concatenate([_row_hashes(p) for p in parts]) if parts else np.empty(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    same = sk[1:] == sk[:-1]
    if not same.any():
        return 0, n_total
    # every member of a hash group of size > 1 is a candidate; images with
    # a unique hash are certainly unique.
    cand_mask = np.zeros(n_total, dtype=bool)
    cand_mask[1:] |= same
    cand_mask[:-1] |= same
    cand = np.sort(order[cand_mask])
    # gather candidate rows from the parts (global index -> part, offset)
    bounds = np.cumsum([0] + sizes)
    which = np.searchsorted(bounds, cand, side="right") - 1
    rows = []
    for i, p in enumerate(parts):
        sel = cand[which == i] - bounds[i]
        if sel.size:
            rows.append(_as_rows(p[sel]))
    block = np.ascontiguousarray(np.concatenate(rows))
    # exact confirmation: distinct byte strings among the candidates
    void = block.view(np.dtype((np.void, block.shape[1]))).reshape(-1)
    n_unique = np.unique(void).size
    return int(block.shape[0] - n_unique), n_total


def duplicate_rate(images: np.ndarray) -> float:
    """Fraction of images that are byte-identical to an earlier image.

    Each image is hashed to a 64-bit key (vectorised SplitMix64 mixing of its
    bytes viewed as uint64 words); only images whose key occurs more than
    once are compared byte by byte, so hash collisions never count as
    duplicates.

    Parameters
    ----------
    images : np.ndarray, shape (n, ...), any dtype
        Images; equality is on the raw bytes of ``images[i]``.

    Returns
    -------
    float
        ``(n - n_distinct) / n``; ``0.0`` for an empty array.
    """
    images = np.asarray(images)
    if images.ndim == 0 or images.shape[0] == 0:
        return 0.0
    dup, n = _count_duplicates([images])
    return dup / n


# --------------------------------------------------------------------------
# Invariant features
# --------------------------------------------------------------------------
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


def invariant_features(images: np.ndarray, chunk: int = 16384) -> np.ndarray:
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
    chunk : int, default 16384
        Images per FFT chunk (bounds memory to ~ ``chunk * H * W * 40`` bytes).

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


# --------------------------------------------------------------------------
# Linear classifier
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class LinearClassifier:
    """Closed-form ridge (least-squares) classifier on standardised features.

    Attributes
    ----------
    mean, scale : np.ndarray, shape (F,), float64
        Standardisation ``(x - mean) / scale`` learned on training data.
    weights : np.ndarray, shape (F' + 1, n_classes), float64
        Coefficients on the (optionally quadratically expanded) standardised
        features; the last row is the bias.
    quadratic : bool
        Whether pairwise products of standardised features were appended.
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    quadratic: bool

    @property
    def n_classes(self) -> int:
        return int(self.weights.shape[1])


def _design(z: np.ndarray, quadratic: bool) -> np.ndarray:
    """Bias-augmented design matrix, optionally with degree-2 monomials."""
    n, f = z.shape
    cols = [z]
    if quadratic:
        iu, ju = np.triu_indices(f)
        cols.append(z[:, iu] * z[:, ju] / math.sqrt(f))
    cols.append(np.ones((n, 1), dtype=z.dtype))
    return np.concatenate(cols, axis=1)


def fit_linear_classifier(
    features: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    alpha: float = 1.0,
    quadratic: bool = True,
    chunk: int = 8192,
) -> LinearClassifier:
    """Fit a one-vs-rest ridge regression classifier in closed form.

    Solves ``(X^T X + alpha I) W = X^T Y`` with ``X`` the standardised
    (optionally quadratically expanded) features plus a bias column and
    ``Y`` the one-hot labels.  Deterministic; numpy only.

    Parameters
    ----------
    features : np.ndarray, shape (n, F), float
        Training features.
    labels : np.ndarray, shape (n,), integer in ``[0, n_classes)``
        Training labels.
    n_classes : int
        Number of classes.
    alpha : float, default 1.0
        Ridge penalty (the bias is not penalised).
    quadratic : bool, default True
        Append all pairwise products of standardised features (``F (F+1)/2``
        extra columns), making the decision function quadratic.
    chunk : int, default 8192
        Rows per chunk when accumulating ``X^T X`` and ``X^T Y``.

    Returns
    -------
    LinearClassifier
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels).reshape(-1).astype(np.int64)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"features {x.shape} and labels {y.shape} do not match")
    if x.shape[0] == 0:
        raise ValueError("cannot fit a classifier on zero samples")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes})")
    # accumulate the normal equations over row chunks so the expanded design
    # matrix never exists in full (50,000 x ~1,600 float64 would be 640 MB)
    gram = rhs = None
    for start in range(0, x.shape[0], chunk):
        z = (x[start : start + chunk] - mean) / scale
        d = _design(z, quadratic)
        onehot = np.zeros((d.shape[0], n_classes), dtype=np.float64)
        onehot[np.arange(d.shape[0]), y[start : start + chunk]] = 1.0
        g, r = d.T @ d, d.T @ onehot
        gram, rhs = (g, r) if gram is None else (gram + g, rhs + r)
    reg = np.full(gram.shape[0], float(alpha))
    reg[-1] = 0.0
    gram[np.diag_indices_from(gram)] += reg
    try:
        weights = np.linalg.solve(gram, rhs)
    except np.linalg.LinAlgError:
        weights = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    return LinearClassifier(mean=mean, scale=scale, weights=weights, quadratic=quadratic)


def predict(model: LinearClassifier, features: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Predict class labels with a fitted :class:`LinearClassifier`.

    Parameters
    ----------
    model : LinearClassifier
        Output of :func:`fit_linear_classifier`.
    features : np.ndarray, shape (n, F), float
        Features (same columns as at fit time).
    chunk : int, default 65536
        Rows per chunk (bounds the size of the expanded design matrix).

    Returns
    -------
    np.ndarray, shape (n,), int64
        Arg-max class per row.
    """
    x = np.asarray(features, dtype=np.float64)
    out = np.empty(x.shape[0], dtype=np.int64)
    for start in range(0, x.shape[0], chunk):
        z = (x[start : start + chunk] - model.mean) / model.scale
        out[start : start + chunk] = np.argmax(_design(z, model.quadratic) @ model.weights, axis=1)
    return out


def _stride_subsample(n: int, k: int) -> np.ndarray:
    """``min(n, k)`` evenly spaced indices in ``[0, n)`` (deterministic)."""
    if n <= k:
        return np.arange(n, dtype=np.int64)
    return (np.arange(k, dtype=np.int64) * n) // k


def baseline_accuracy(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    n_classes: int,
    max_train: int = 50000,
    alpha: float = 1.0,
    quadratic: bool = True,
) -> dict:
    """Test accuracy of a ridge classifier on invariant features vs chance.

    The training set is subsampled deterministically to at most
    ``max_train`` evenly spaced images (``index = i * n // max_train``);
    the whole test set is used.

    Parameters
    ----------
    train_images : np.ndarray, shape (n_train, H, W)
    train_labels : np.ndarray, shape (n_train,), integer
    test_images : np.ndarray, shape (n_test, H, W)
    test_labels : np.ndarray, shape (n_test,), integer
    n_classes : int
        Number of classes.
    max_train : int, default 50000
        Cap on the number of training images.
    alpha : float, default 1.0
        Ridge penalty, see :func:`fit_linear_classifier`.
    quadratic : bool, default True
        Quadratic feature expansion, see :func:`fit_linear_classifier`.

    Returns
    -------
    dict
        ``{"accuracy": float, "chance": float, "n_train": int, "n_test": int}``
        where ``chance`` is the frequency of the most common class in the
        test labels (the accuracy of always guessing it).
    """
    train_labels = np.asarray(train_labels).reshape(-1)
    test_labels = np.asarray(test_labels).reshape(-1)
    idx = _stride_subsample(train_labels.size, int(max_train))
    n_test = int(test_labels.size)
    if n_test == 0:
        return {"accuracy": math.nan, "chance": math.nan, "n_train": int(idx.size), "n_test": 0}
    chance = float(label_counts(test_labels, n_classes).max() / n_test)
    if idx.size == 0:
        return {"accuracy": math.nan, "chance": chance, "n_train": 0, "n_test": n_test}
    x_train = invariant_features(np.asarray(train_images)[idx])
    model = fit_linear_classifier(
        x_train, train_labels[idx], n_classes, alpha=alpha, quadratic=quadratic
    )
    pred = predict(model, invariant_features(np.asarray(test_images)))
    accuracy = float(np.mean(pred == test_labels.astype(np.int64)))
    return {"accuracy": accuracy, "chance": chance, "n_train": int(idx.size), "n_test": n_test}


# --------------------------------------------------------------------------
# Thresholds and the metrics bundle
# --------------------------------------------------------------------------
def _lookup(metrics: Mapping, path: tuple[str, ...]):
    cur = metrics
    for key in path:
        if not isinstance(cur, Mapping) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _fmt(v) -> str:
    return f"{float(v):.6g}"


def threshold_failures(metrics: Mapping, thresholds: Mapping) -> list[str]:
    """Human-readable lines, one per violated threshold.

    Parameters
    ----------
    metrics : Mapping
        Output of :func:`compute_metrics` (nested dict).
    thresholds : Mapping
        Any of the keys

        ``label_chi2_p_min`` (float)
            ``metrics["labels"]["chi2_p"]`` must be ``>=`` this.
        ``duplicate_rate_max`` (float)
            ``metrics["duplicate_rate"]`` must be ``<=`` this.
        ``pixel_mean_range`` ([lo, hi])
            ``metrics["pixels"]["mean"]`` must lie in ``[lo, hi]``.
        ``pixel_std_min`` (float)
            ``metrics["pixels"]["std"]`` must be ``>=`` this.
        ``baseline_accuracy_min`` (float)
            ``metrics["baseline"]["accuracy"]`` must be ``>=`` this.

        Keys that are absent are not checked; unknown keys are ignored.

    Returns
    -------
    list of str
        Empty when every given threshold holds.  A metric that is missing or
        not a finite number counts as a violation.
    """
    rules = [
        ("label_chi2_p_min", ("labels", "chi2_p"), "min"),
        ("duplicate_rate_max", ("duplicate_rate",), "max"),
        ("pixel_mean_range", ("pixels", "mean"), "range"),
        ("pixel_std_min", ("pixels", "std"), "min"),
        ("baseline_accuracy_min", ("baseline", "accuracy"), "min"),
    ]
    lines: list[str] = []
    for key, path, kind in rules:
        if key not in thresholds or thresholds[key] is None:
            continue
        limit = thresholds[key]
        name = ".".join(path)
        if kind == "range":
            lo, hi = (float(v) for v in limit)
            allowed = f"[{_fmt(lo)}, {_fmt(hi)}]"
        elif kind == "min":
            lo, hi = float(limit), math.inf
            allowed = f">= {_fmt(lo)}"
        else:
            lo, hi = -math.inf, float(limit)
            allowed = f"<= {_fmt(hi)}"
        value = _lookup(metrics, path)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            lines.append(f"{name} is missing (threshold {key}: allowed {allowed})")
            continue
        v = float(value)
        if not (math.isfinite(v) and lo <= v <= hi):
            lines.append(f"{name} = {_fmt(v)} is outside the allowed range {allowed} ({key})")
    return lines


def _round(v: float) -> float:
    return round(float(v), _ROUND)


def compute_metrics(
    splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
    n_classes: int = N_CLASSES,
    class_names: Sequence[str] | None = None,
    max_train: int = 50000,
) -> dict:
    """All dataset metrics as a JSON-ready nested dict.

    Parameters
    ----------
    splits : Mapping[str, tuple[np.ndarray, np.ndarray]]
        ``{split_name: (images, labels)}`` with images of shape (n, H, W)
        (normally uint8) and labels of shape (n,), integer.  The baseline is
        trained on ``"train"`` and evaluated on ``"test"`` (``"val"`` if there
        is no test split); it is omitted when either is missing or empty.
    n_classes : int, default 5
        Number of classes.
    class_names : sequence of str, optional
        Names used for ``labels.per_class``; default :data:`CLASS_NAMES`
        when ``n_classes == 5``, else ``"class_<k>"``.
    max_train : int, default 50000
        Cap on baseline training images (evenly spaced subsample).

    Returns
    -------
    dict
        ::

            {"counts": {<split>: int, ..., "total": int},
             "labels": {"chi2": float, "chi2_p": float,
                        "per_class": {<class name>: int, ...}},
             "pixels": {"mean": float, "std": float},
             "duplicate_rate": float,
             "baseline": {"accuracy": float, "chance": float,
                          "n_train": int, "n_test": int}}

        Label, pixel and duplicate metrics are over the whole dataset (all
        splits together; a test image repeating a train image counts as a
        duplicate).  Floats are rounded to 6 decimals.
    """
    if class_names is None:
        if n_classes == len(CLASS_NAMES):
            class_names = CLASS_NAMES
        else:
            class_names = [f"class_{k}" for k in range(n_classes)]
    class_names = list(class_names)
    if len(class_names) != n_classes:
        raise ValueError(f"{len(class_names)} class names for {n_classes} classes")

    counts: dict[str, int] = {}
    per_class = np.zeros(n_classes, dtype=np.int64)
    moments = _Moments()
    parts = []
    for name, (images, labels) in splits.items():
        images = np.asarray(images)
        labels = np.asarray(labels).reshape(-1)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"split {name!r}: {images.shape[0]} images but {labels.shape[0]} labels"
            )
        counts[str(name)] = int(labels.size)
        per_class += label_counts(labels, n_classes)
        moments.merge(_moments(images, 65536))
        parts.append(images)
    counts["total"] = int(sum(v for k, v in counts.items()))

    chi2, p = chi2_uniform(per_class)
    mean, std = moments.result()
    nonempty = [x for x in parts if x.shape[0]]
    if nonempty:
        dup, total = _count_duplicates(nonempty)
        dup_rate = dup / total
    else:
        dup_rate = 0.0

    out: dict = {
        "counts": counts,
        "labels": {
            "chi2": _round(chi2),
            "chi2_p": _round(p),
            "per_class": {class_names[k]: int(per_class[k]) for k in range(n_classes)},
        },
        "pixels": {"mean": _round(mean), "std": _round(std)},
        "duplicate_rate": _round(dup_rate),
    }

    test_name = "test" if "test" in splits else ("val" if "val" in splits else None)
    if "train" in splits and test_name is not None:
        tr_x, tr_y = splits["train"]
        te_x, te_y = splits[test_name]
        if len(tr_y) and len(te_y):
            base = baseline_accuracy(tr_x, tr_y, te_x, te_y, n_classes, max_train=max_train)
            out["baseline"] = {
                "accuracy": _round(base["accuracy"]),
                "chance": _round(base["chance"]),
                "n_train": int(base["n_train"]),
                "n_test": int(base["n_test"]),
            }
    return out
