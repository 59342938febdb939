"""Validation metrics of a signals dataset, accumulated over blocks of channels.

Pure functions of arrays (no file I/O). :class:`Accumulator` takes (n_block, n_samples)
float32 blocks in channel order and returns the dataset's metrics; the family's rules
(``synthbank.families.signals.RULES``) are checked in :mod:`.validate`.

Definitions (``x`` a channel in microvolts, NaN samples excluded or, for spectra, set to
the channel's mean):

* ``rms_uv``: RMS about the requested DC offset over all finite samples;
  ``rms_rel_error = |rms_uv - expected| / expected`` with expected ``amplitude_uv_rms``
  (noise) or ``amplitude_uv_peak / sqrt 2`` (sine, chirp).
* ``psd``: one-sided periodogram ``2 |rfft(x - mean)|^2 / (fs n)`` (uV^2/Hz), averaged
  over channels; ``psd_slope`` is the least-squares slope of log10 psd against log10 f
  over the band (clipped to (fs/n, 0.8 fs/2)).
* ``spectral_flatness``: geometric over arithmetic mean of the channel-averaged psd after
  averaging groups of 16 adjacent bins (so it is near 1 for white noise even with one
  channel).
* ``dc_offset_rel_error``: |mean - dc_offset_uv| / expected RMS (the threshold is the
  larger of ``dc_offset_rel_error_max`` and 5 standard errors, ``5 / sqrt(N)``).
* ``nan_rate_z``: |realised - requested NaN rate| in binomial standard errors
  (``sqrt(p (1 - p) / N)``); with no NaNs requested, any NaN gives 1e9.
* ``peak_freq_error_hz``: |estimated - requested frequency_hz|. Each channel's frequency
  is the peak bin of its block's summed power refined by Jacobsen's three-bin estimator
  with Candan's bias correction (exact for a pure tone up to leakage from the negative
  frequency, so the error does not grow with the bin width ``fs / n``), averaged over
  channels weighted by peak power.
* ``chirp_if_error_hz``: median |instantaneous frequency - intended| over the central 80%
  of the record; instantaneous frequency from the phase of the analytic signal.
* ``corr_abs_max``/``corr_z_max``: the largest |correlation| between channels of a fixed
  subset (up to 64 channels, evenly spaced), computed on spectra whitened by the
  channel-averaged psd, and the same in standard errors (``|r| sqrt(2 K)``, K bins), which
  is N(0, 1)-like for independent channels whatever their spectrum or length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthbank.families.signals.spec import SignalSpec
from synthbank.families.signals.v2.chirp import instantaneous_frequency

#: Channels kept (evenly spaced) for the inter-channel correlation.
CORR_CHANNELS = 64
#: Adjacent bins averaged before the spectral flatness.
FLATNESS_GROUP = 16
#: Points of the PSD curve written for plots (log-spaced bands).
CURVE_POINTS = 64
#: Fraction of the chirp kept (centre) for the instantaneous-frequency error.
CHIRP_CENTRE = 0.8
EXPECTED_SLOPE = {"pink_noise": -1.0, "white_noise": 0.0}
#: The DC check also allows this many standard errors of the mean of white noise
#: (``1 / sqrt(N)`` relative), so small datasets are not failed by chance.
DC_STANDARD_ERRORS = 5.0


def correlation_channels(n_channels: int) -> np.ndarray:
    """The fixed subset of channels whose correlations are measured."""
    return np.unique(np.linspace(0, n_channels - 1, min(n_channels, CORR_CHANNELS)).round().astype(np.int64))


def expected_rms(spec: SignalSpec) -> float:
    """The RMS the parameters ask for (about the DC offset), microvolts."""
    if "amplitude_uv_rms" in spec.params:
        return float(spec.params["amplitude_uv_rms"])
    return float(spec.params["amplitude_uv_peak"]) / np.sqrt(2.0)


def fit_slope(freqs: np.ndarray, psd: np.ndarray, band: tuple[float, float]) -> float:
    """Least-squares slope of log10 psd against log10 f over ``band`` (Hz), NaN if < 2 bins."""
    keep = (freqs >= band[0]) & (freqs <= band[1]) & (psd > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log10(freqs[keep]), np.log10(psd[keep]), 1)[0])


def spectral_flatness(psd: np.ndarray, group: int = FLATNESS_GROUP) -> float:
    """Wiener entropy of ``psd`` (DC and Nyquist excluded) after averaging ``group`` bins."""
    inner = psd[1:-1]
    groups = inner.size // group
    if groups == 0:
        banded = inner
    else:
        banded = inner[: groups * group].reshape(groups, group).mean(axis=1)
    banded = banded[banded > 0]
    if banded.size == 0:
        return 0.0
    return float(np.exp(np.mean(np.log(banded))) / np.mean(banded))


def peak_bins(spectra: np.ndarray, power: np.ndarray, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Fractional peak bin of every channel and the weight (peak power) of each.

    Parameters
    ----------
    spectra : (n_block, n_samples // 2 + 1) complex rfft of mean-removed channels.
    power : ``|spectra| ** 2``, same shape, real.
    n_samples : the record length n.

    Returns
    -------
    bins : (n_block,) float64, ``k + delta``: ``k`` the largest bin of the block's summed
        power (DC and Nyquist excluded), ``delta`` from Jacobsen's estimator
        ``Re((X[k-1] - X[k+1]) / (2 X[k] - X[k-1] - X[k+1]))`` times Candan's correction
        ``tan(pi/n) / (pi/n)``. Times ``fs / n`` it is a frequency in Hz.
    weights : (n_block,) float64, ``|X[k]|^2``.
    """
    if spectra.shape[1] < 3:
        return np.zeros(spectra.shape[0]), np.zeros(spectra.shape[0])
    k = int(np.argmax(power[:, 1:-1].sum(axis=0, dtype=np.float64))) + 1
    a, b, c = (spectra[:, j].astype(np.complex128) for j in (k - 1, k, k + 1))
    denom = 2 * b - a - c
    ok = np.abs(denom) > 0
    delta = np.zeros(spectra.shape[0])
    delta[ok] = np.real((a[ok] - c[ok]) / denom[ok]) * (np.tan(np.pi / n_samples) / (np.pi / n_samples))
    return k + np.clip(delta, -1.0, 1.0), np.square(np.abs(b))


def psd_curve(freqs: np.ndarray, psd: np.ndarray, points: int = CURVE_POINTS) -> list[dict[str, float]]:
    """The psd averaged in log-spaced bands (for a log-log plot): rows of frequency_hz, psd."""
    f, p = freqs[1:], psd[1:]
    if f.size == 0:
        return []
    edges = np.geomspace(f[0], f[-1] * (1 + 1e-9), min(points, f.size) + 1)
    band = np.clip(np.searchsorted(edges, f, side="right") - 1, 0, edges.size - 2)
    counts = np.bincount(band, minlength=edges.size - 1)
    sums = np.bincount(band, weights=p, minlength=edges.size - 1)
    centres = np.sqrt(edges[:-1] * edges[1:])
    return [
        {"frequency_hz": float(f"{c:.6g}"), "psd_uv2_per_hz": float(f"{s / n:.6g}")}
        for c, s, n in zip(centres, sums, counts, strict=True) if n
    ]


def analytic_signal(block: np.ndarray) -> np.ndarray:
    """Analytic signal of each row of a real (n_block, n) block (same precision, complex).

    One real FFT, the positive half doubled (DC and even-n Nyquist kept once), one
    complex inverse FFT: the same as ``scipy.signal.hilbert`` at half its forward cost.
    """
    n = block.shape[1]
    half = np.fft.rfft(block, axis=1)
    full = np.zeros((block.shape[0], n), dtype=half.dtype)
    full[:, 0] = half[:, 0]
    full[:, 1 : (n + 1) // 2] = 2 * half[:, 1 : (n + 1) // 2]
    if n % 2 == 0:
        full[:, n // 2] = half[:, n // 2]
    return np.fft.ifft(full, axis=1)


def instantaneous_frequency_error(block: np.ndarray, spec: SignalSpec) -> np.ndarray:
    """|instantaneous - intended frequency| (Hz) of every channel over the central samples.

    Parameters
    ----------
    block : (n_block, n_samples) float32, mean removed, no NaNs.

    Returns
    -------
    ndarray, shape (n_block, n_central - 1), float64, Hz.
    """
    n, fs = spec.n_samples, spec.sample_rate_hz
    analytic = analytic_signal(block)
    margin = int(n * (1 - CHIRP_CENTRE) / 2)
    centre = analytic[:, margin : n - margin]
    # phase advance per sample, without unwrapping: arg(z[t+1] conj(z[t])). In float64:
    # products of float32 parts are exact there, and numpy's float32 arctan2 differs by
    # CPU level (the metric's last digit moved between AVX2 and x86-64-v2).
    wide = centre.astype(np.complex128)
    measured = np.angle(wide[:, 1:] * np.conj(wide[:, :-1])) * (fs / (2 * np.pi))
    intended = instantaneous_frequency(n, fs, spec.params["chirp_start_hz"], spec.params["chirp_end_hz"])
    midpoints = 0.5 * (intended[margin : n - margin - 1] + intended[margin + 1 : n - margin])
    return np.abs(measured - midpoints.astype(measured.dtype))


def nan_rate_z(realised: float, requested: float, samples: int) -> float:
    """|realised - requested| in binomial standard errors; with none requested, 0 or 1e9."""
    if requested == 0.0:
        return 0.0 if realised == 0.0 else 1e9
    return abs(realised - requested) / np.sqrt(requested * (1 - requested) / max(samples, 1))


def fill_gaps(block: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Replace non-finite samples by linear interpolation between finite neighbours (per channel)."""
    out = block.copy()
    t = np.arange(block.shape[1])
    for row, ok in zip(out, finite, strict=True):
        if not ok.all() and ok.any():
            row[~ok] = np.interp(t[~ok], t[ok], row[ok])
    return out


@dataclass(frozen=True)
class BlockStats:
    """What one block of channels contributes to the metrics (a few hundred kB to a few MB).

    Sums are per block; :meth:`Accumulator.merge` adds them in channel order, so the
    metrics are the same bytes whoever computed the blocks.
    """

    first: int
    channels: int
    finite: int
    nans: int
    total: float  # sum of the finite samples
    sq_total: float  # sum over finite samples of (x - dc)^2
    power: np.ndarray  # (n_freq,) float64, |rfft|^2 summed over the block's channels
    corr_index: np.ndarray  # the correlation-subset channels in the block
    corr_spectra: np.ndarray  # their spectra
    peak_sum: float = 0.0  # sine: sum of peak bin x weight
    peak_weight: float = 0.0
    if_errors: np.ndarray | None = None  # chirp: (n_block, n_central - 1) Hz


def block_stats(spec: SignalSpec, first: int, block: np.ndarray) -> BlockStats:
    """The statistics of channels ``first .. first + len(block) - 1`` ((n_block, n_samples) float32).

    float32 arithmetic per sample (spectra by a float32 FFT), float64 sums.
    """
    dc = float(spec.params.get("dc_offset_uv", 0.0))
    finite = np.isfinite(block)
    complete = bool(finite.all())
    x = block if complete else np.where(finite, block, np.float32(0))
    n_finite = np.full(block.shape[0], block.shape[1]) if complete else finite.sum(axis=1)
    row_sums = x.sum(axis=1, dtype=np.float64)
    row_squares = np.square(x).sum(axis=1, dtype=np.float64)
    means = row_sums / np.maximum(n_finite, 1)
    centred = x - means[:, None].astype(np.float32)
    if not complete:
        centred[~finite] = 0.0
    spectra = np.fft.rfft(centred, axis=1)
    power = np.square(spectra.real) + np.square(spectra.imag)
    corr = correlation_channels(spec.channels)
    corr = corr[(corr >= first) & (corr < first + block.shape[0])]
    extra: dict[str, Any] = {}
    if spec.signal_type == "sine_wave":
        bins, weights = peak_bins(spectra, power, spec.n_samples)
        extra = {"peak_sum": float(bins @ weights), "peak_weight": float(weights.sum())}
    if spec.signal_type == "chirp":
        filled = (block if complete else fill_gaps(block, finite)) - means[:, None].astype(np.float32)
        extra = {"if_errors": instantaneous_frequency_error(filled, spec)}
    return BlockStats(
        first=first, channels=block.shape[0], finite=int(n_finite.sum()), nans=int(block.size - n_finite.sum()),
        total=float(row_sums.sum()), sq_total=float((row_squares - 2 * dc * row_sums + dc * dc * n_finite).sum()),
        power=power.sum(axis=0, dtype=np.float64), corr_index=corr, corr_spectra=spectra[corr - first], **extra,
    )


class Accumulator:
    """Metrics of one dataset, fed channel blocks (or their :class:`BlockStats`) in order."""

    def __init__(self, spec: SignalSpec) -> None:
        self.spec = spec
        n = spec.n_samples
        self.n_freq = n // 2 + 1
        self.freqs = np.fft.rfftfreq(n, 1.0 / spec.sample_rate_hz)
        self.psd_sum = np.zeros(self.n_freq)
        self.channels = 0
        self.finite = 0
        self.nans = 0
        self.sum = 0.0
        self.sq_sum = 0.0
        self.corr_index = correlation_channels(spec.channels)
        self.corr_spectra = np.zeros((self.corr_index.size, self.n_freq), dtype=np.complex128)
        self.if_errors: list[np.ndarray] = []
        self.peak_sum = 0.0
        self.peak_weight = 0.0

    def add(self, first: int, block: np.ndarray) -> None:
        """Add channels ``first .. first + len(block) - 1`` ((n_block, n_samples) float32)."""
        self.merge(block_stats(self.spec, first, block))

    def merge(self, stats: BlockStats) -> None:
        """Add one block's statistics (blocks in channel order: float sums depend on the order)."""
        self.finite += stats.finite
        self.nans += stats.nans
        self.sum += stats.total
        self.sq_sum += stats.sq_total
        self.psd_sum += stats.power
        self.channels += stats.channels
        self.corr_spectra[np.searchsorted(self.corr_index, stats.corr_index)] = stats.corr_spectra
        self.peak_sum += stats.peak_sum
        self.peak_weight += stats.peak_weight
        if stats.if_errors is not None:
            self.if_errors.append(stats.if_errors)

    def psd(self) -> np.ndarray:
        """The channel-averaged one-sided psd, uV^2/Hz (DC bin 0)."""
        n, fs = self.spec.n_samples, self.spec.sample_rate_hz
        psd = self.psd_sum / max(self.channels, 1) / (fs * n)
        psd[1 : (self.n_freq - 1 if n % 2 == 0 else self.n_freq)] *= 2.0
        return psd

    def correlation(self, psd: np.ndarray) -> tuple[float, float]:
        """(max |r|, max |r| sqrt(2 K)) over distinct pairs of the subset; (0, 0) for one channel."""
        if self.corr_index.size < 2:
            return 0.0, 0.0
        weights = np.zeros_like(psd)
        weights[1:] = np.where(psd[1:] > 0, 1.0 / np.sqrt(np.maximum(psd[1:], 1e-300)), 0.0)
        white = self.corr_spectra * weights
        gram = (white @ white.conj().T).real
        norms = np.sqrt(np.maximum(np.diag(gram), 1e-300))
        r = gram / np.outer(norms, norms)
        off = np.abs(r[~np.eye(r.shape[0], dtype=bool)])
        k = int(np.count_nonzero(weights))
        return float(off.max()), float(off.max() * np.sqrt(2 * max(k, 1)))

    def result(self, band_hz: tuple[float, float]) -> tuple[dict[str, Any], list[dict[str, float]]]:
        """The metrics (numbers and booleans only) and the psd curve."""
        spec = self.spec
        psd = self.psd()
        total = self.finite + self.nans
        rms = float(np.sqrt(self.sq_sum / max(self.finite, 1)))
        want = expected_rms(spec)
        nan_rate = self.nans / max(total, 1)
        requested_nan = float(spec.params.get("nan_rate", 0.0))
        df = spec.sample_rate_hz / spec.n_samples
        band = (max(band_hz[0], df), min(band_hz[1], 0.8 * spec.sample_rate_hz / 2))
        slope = fit_slope(self.freqs, psd, band)
        m: dict[str, Any] = {
            "channels": spec.channels,
            "samples": spec.n_samples,
            "rms_uv": rms,
            "rms_rel_error": abs(rms - want) / want,
            "mean_uv": self.sum / max(self.finite, 1),
            "dc_offset_rel_error": abs(self.sum / max(self.finite, 1) - float(spec.params.get("dc_offset_uv", 0.0))) / want,
            "nan_rate": nan_rate,
            "nan_rate_error": abs(nan_rate - requested_nan),
            "nan_rate_z": nan_rate_z(nan_rate, requested_nan, total),
            "psd_slope_band_low_hz": band[0],
            "psd_slope_band_high_hz": band[1],
        }
        if np.isfinite(slope):
            m["psd_slope"] = slope
        if spec.signal_type in EXPECTED_SLOPE and np.isfinite(slope):
            m["psd_slope_error"] = abs(slope - EXPECTED_SLOPE[spec.signal_type])
        if spec.signal_type == "white_noise":
            m["spectral_flatness"] = spectral_flatness(psd)
        if spec.signal_type == "sine_wave":
            m["peak_freq_hz"] = self.peak_sum / max(self.peak_weight, 1e-300) * spec.sample_rate_hz / spec.n_samples
            m["peak_freq_error_hz"] = abs(m["peak_freq_hz"] - spec.params["frequency_hz"])
        if spec.signal_type == "chirp":
            m["chirp_if_error_hz"] = float(np.median(np.concatenate(self.if_errors, axis=None)))
        m["corr_abs_max"], m["corr_z_max"] = self.correlation(psd)
        return m, psd_curve(self.freqs, psd)

