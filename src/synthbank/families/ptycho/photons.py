"""Photon statistics of one dose against what the object, the probe and the dose predict.

The simulation uses one photon scale per dose (:func:`synthbank.families.ptycho.simulate.photon_scale`):
the mean expected total over the scan is the dose, and pattern i's expected total is

    Lambda_i = dose * F_i / mean(F),   F_i = sum_k |fft2(probe * patch_i)|^2

so totals follow the object's transmission under the probe. The validator recomputes F_i
here with its own float64 forward model (not the simulation's complex64 code) and checks
the mean total against the dose, the stored noise-free totals against Lambda_i, and the
spread of the observed totals against the spread Lambda predicts plus Poisson's.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

#: Patterns per FFT batch of the forward model (bounds its complex128 working memory).
BATCH = 256


def forward_totals(obj: np.ndarray, probe: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``sum |fft2(probe * patch)|**2`` of every scan position, in complex128.

    Parameters
    ----------
    obj : (H, W) complex object; probe : (N, N) complex; positions : (n, 2) float64
        patch centres (y, x) in whole object pixels (patch ``obj[y-N/2 : y+N/2, x-N/2 : x+N/2]``).

    Returns
    -------
    ndarray of float64, shape (n,), in units of the unscaled ``|fft2|**2``
    """
    n = probe.shape[0]
    o = np.asarray(obj, dtype=np.complex128)
    p = np.asarray(probe, dtype=np.complex128)
    corners = np.asarray(positions).astype(np.int64) - n // 2
    windows = np.lib.stride_tricks.sliding_window_view(o, (n, n))
    out = np.empty(len(corners), dtype=np.float64)
    for s in range(0, len(corners), BATCH):
        c = corners[s : s + BATCH]
        far = scipy.fft.fft2(windows[c[:, 0], c[:, 1]] * p)
        out[s : s + BATCH] = (far.real**2 + far.imag**2).sum(axis=(1, 2))
    return out


def predicted_totals(unit_totals: np.ndarray, dose: float) -> np.ndarray:
    """``dose * F_i / mean(F)``: each pattern's expected photons under one scale per dose."""
    return float(dose) * unit_totals / float(unit_totals.mean())


def spread(totals: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """The variance of the observed totals against what the object and Poisson predict.

    With ``T_i ~ Poisson(L_i)`` and ``d_i = L_i - mean(L)``, the variance over patterns
    ``S = mean((T - mean(T))**2)`` has ``E[S] = var(L) + mean(L) (1 - 1/n)`` and
    ``n**2 Var[S] ~ sum(4 d**2 L + 4 d L + L + 2 L**2)`` (Poisson moments), given L.

    Returns
    -------
    dict
        ``total_variance`` S, ``predicted_variance`` E[S], ``spread_ratio`` S / E[S] and
        ``spread_z`` (S - E[S]) / sd[S].
    """
    t = np.asarray(totals, dtype=np.float64)
    lam = np.asarray(predicted, dtype=np.float64)
    n = len(t)
    d = lam - lam.mean()
    observed = float(((t - t.mean()) ** 2).mean())
    expected = float((d**2).mean() + lam.mean() * (1 - 1 / n))
    sd = math.sqrt(float((4 * d**2 * lam + 4 * d * lam + lam + 2 * lam**2).sum())) / n
    return {
        "total_variance": observed,
        "predicted_variance": expected,
        "spread_ratio": observed / expected,
        "spread_z": (observed - expected) / sd,
    }


def photon_statistics(
    counts: np.ndarray, expected: np.ndarray, dose: float, predicted: np.ndarray | None = None
) -> dict[str, float]:
    """Mean total vs the dose, Poisson dispersion, and the totals vs what the object predicts.

    Parameters
    ----------
    counts : (n, H, W) photons (any numeric dtype).
    expected : (n, H, W) the stored noise-free expected photons of the same patterns.
    dose : the mean expected total per pattern over the scan.
    predicted : (n,) float64, Lambda_i of the same patterns (:func:`predicted_totals` of
        :func:`forward_totals` over the whole scan); None: every pattern at the dose.

    Returns
    -------
    dict
        ``mean_total`` and its z-score against ``dose`` (standard error sqrt(dose / n));
        ``dispersion_index`` = sum((k - lam)**2) / sum(lam), 1 for Poisson, with its z-score
        (Var (k - lam)**2 = lam + 2 lam**2); ``expected_total_rel_error``, the largest
        |sum(lam_i) - Lambda_i| / Lambda_i; the :func:`spread` metrics; and
        ``predicted_total_min``/``max``/``cv`` of Lambda (how far the object moves totals).
    """
    k = counts.astype(np.float64)
    lam = expected.astype(np.float64)
    n = len(k)
    totals = k.sum(axis=(1, 2))
    mean_total = float(totals.mean())
    lam_sum = float(lam.sum())
    dispersion = float(((k - lam) ** 2).sum() / lam_sum)
    se = math.sqrt(float((lam + 2 * lam**2).sum())) / lam_sum
    predicted = np.full(n, float(dose)) if predicted is None else np.asarray(predicted, dtype=np.float64)
    return {
        "mean_total": mean_total,
        "mean_total_z": float((mean_total - dose) / math.sqrt(dose / n)),
        "dispersion_index": dispersion,
        "dispersion_z": float((dispersion - 1.0) / se),
        "expected_total_rel_error": float((np.abs(lam.sum(axis=(1, 2)) - predicted) / predicted).max()),
        "predicted_total_min": float(predicted.min()),
        "predicted_total_max": float(predicted.max()),
        "predicted_total_cv": float(predicted.std() / predicted.mean()),
        **spread(totals, predicted),
    }
