"""Thermodynamic bookkeeping: total energy, Shannon entropy, conservation checks."""

from __future__ import annotations

import numpy as np

from synthbank import numerics, scratch
from synthbank.errors import ValidationFailed

#: The energy source document's tolerance (docs/families/energy.md):
#: |sum E_after - sum E_before| / sum E_before < 0.05.
CONSERVATION_TOLERANCE = 0.05
#: Entropy changes smaller than this (nats) count as "no change", not a decrease.
ENTROPY_ATOL = 1e-9


class ThermodynamicViolation(ValidationFailed):
    """A transformation broke energy conservation beyond its tolerance.

    Attributes
    ----------
    before, after : float
        Total energies (energy units).
    error : float
        |after - expected| / expected, where expected = before * expected_ratio.
    tolerance : float
    """

    def __init__(self, message: str, *, before: float, after: float, error: float, tolerance: float) -> None:
        super().__init__(message)
        self.before, self.after, self.error, self.tolerance = before, after, error, tolerance


def total_energy(maps: np.ndarray) -> np.ndarray:
    """Sum over the last two axes (energy units), float64, shape ``maps.shape[:-2]``."""
    return np.asarray(maps, dtype=np.float64).sum(axis=(-2, -1))


def entropy(maps: np.ndarray, total: np.ndarray | None = None) -> np.ndarray:
    """Shannon entropy H = -sum p log p (nats) of each map normalised to p = E / sum E.

    Parameters
    ----------
    maps : ndarray, shape (..., h, w)
        Non-negative energy maps; 0 log 0 counts as 0.
    total : ndarray, shape ``maps.shape[:-2]``, optional
        ``maps.sum(axis=(-2, -1))`` of the float64 maps, when the caller has it already.

    Returns
    -------
    ndarray of float64, shape ``maps.shape[:-2]`` (a 0-d array for one map).
    The maximum, log(h w), belongs to a uniform map.
    """
    maps = np.asarray(maps, dtype=np.float64)
    total = maps.sum(axis=(-2, -1)) if total is None else total
    # -sum p log p = log S - sum E log E / S: one log per cell and no normalised copy.
    # xlogx counts 0 log 0 as 0 (and every cell that is not > 0 as 0 times it); its
    # result goes to a reused buffer (a fresh one costs page faults), summed at once.
    e_log_e = numerics.xlogx(maps, out=scratch.buffer("energy.entropy", maps.shape))
    return numerics.log(total) - e_log_e.sum(axis=(-2, -1)) / total


def conservation_error(before: np.ndarray | float, after: np.ndarray | float, expected_ratio: np.ndarray | float = 1.0) -> np.ndarray:
    """|after - before * expected_ratio| / (before * expected_ratio), elementwise."""
    expected = np.asarray(before, dtype=np.float64) * expected_ratio
    return np.abs(np.asarray(after, dtype=np.float64) - expected) / expected


def validate_energy_conservation(
    before: np.ndarray, after: np.ndarray, tolerance: float = CONSERVATION_TOLERANCE, expected_ratio: float = 1.0
) -> float:
    """Relative energy error of one transformation; raise if it exceeds ``tolerance``.

    Parameters
    ----------
    before, after : ndarray, shape (h, w)
        The map before and after.
    expected_ratio : float
        The intended factor (1 for conserving transformations, the factor for scaling).

    Raises
    ------
    ThermodynamicViolation
        If ``|sum(after) - expected| / expected >= tolerance``.
    """
    if not 0 < tolerance:
        raise ValueError(f"tolerance={tolerance!r} is invalid: allowed a number > 0")
    e0, e1 = float(total_energy(before)), float(total_energy(after))
    err = float(conservation_error(e0, e1, expected_ratio))
    if not err < tolerance:
        raise ThermodynamicViolation(
            f"energy not conserved: before {e0:.6g}, after {e1:.6g}, expected ratio {expected_ratio:g}, "
            f"relative error {err:.3g} >= tolerance {tolerance:g}",
            before=e0, after=e1, error=err, tolerance=tolerance,
        )
    return err


def validate_entropy_increase(before: np.ndarray, after: np.ndarray, atol: float = ENTROPY_ATOL) -> bool:
    """True if the entropy of ``after`` is not below that of ``before`` (within ``atol`` nats)."""
    return bool(entropy(after) >= entropy(before) - atol)
