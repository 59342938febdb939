"""The atlas loader's work on maps held in memory: shape check, entropy, gradients, pyramids.

No file is read or written here. :class:`MapAnalysis` is a base of
:class:`~synthbank.families.energy.loader.EnergyAtlasLoader`, so these stay the loader's
methods (the energy source document calls them on the loader).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from synthbank.families.energy import patterns, pyramid, thermo


class GradientField(NamedTuple):
    """The gradient of one map and its magnitude, each (h, w) float64, energy per cell per unit length."""

    grad_x: np.ndarray
    grad_y: np.ndarray
    magnitude: np.ndarray  # |grad E| = hypot(grad_x, grad_y)


class MapAnalysis:
    """The loader's methods on maps in memory.

    Attributes
    ----------
    tolerance : float
        Relative energy error allowed between pyramid scales; set by the loader.
    """

    tolerance: float

    @staticmethod
    def validate_shape(energy_map: np.ndarray) -> bool:
        """True for a 2-D map of height 64, 128 or 256 and width = height or 1.5 x height."""
        return np.ndim(energy_map) == 2 and patterns.validate_shape(np.shape(energy_map))

    @staticmethod
    def compute_entropy(energy_map: np.ndarray) -> float:
        """Shannon entropy (nats) of the map normalised to sum 1."""
        return float(thermo.entropy(energy_map))

    @staticmethod
    def compute_gradients(energy_map: np.ndarray, spacing: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(grad_x, grad_y), periodic central differences; default spacing 1/h (as stored)."""
        h = np.shape(energy_map)[-2]
        return pyramid.compute_gradients(energy_map, 1.0 / h if spacing is None else spacing)

    @staticmethod
    def compute_gradient_magnitude(energy_map: np.ndarray, spacing: float | None = None) -> np.ndarray:
        """|grad E| = sqrt(grad_x^2 + grad_y^2) of :meth:`compute_gradients`, float64, the map's shape.

        Energy units per cell per unit length (default unit: the map height, as stored).
        """
        if spacing is not None and not (isinstance(spacing, (int, float, np.integer, np.floating)) and 0 < spacing < math.inf):
            raise ValueError(f"spacing={spacing!r} is invalid: allowed a finite number > 0 or None")
        gx, gy = MapAnalysis.compute_gradients(energy_map, spacing)
        return np.hypot(gx, gy)  # hypot: no overflow or underflow in the squares

    def precompute_pyramids(self, energy_map: np.ndarray, target_scales: Sequence[int] | None = None) -> dict[int, np.ndarray]:
        """Bicubic pyramid of one map, energy renormalised per scale.

        Raises
        ------
        ThermodynamicViolation
            If a level's total energy differs from the full map's by ``tolerance`` or more.
        """
        if not self.validate_shape(energy_map):
            raise ValueError(f"energy_map shape {np.shape(energy_map)} is invalid: allowed (h, w), h in {patterns.SCALES}, w = h or 1.5 h")
        h = np.shape(energy_map)[0]
        scales = tuple(target_scales) if target_scales is not None else tuple(s for s in (256, 128, 64) if s <= h)
        if scales[0] != h:
            scales = (h, *scales)
        levels = pyramid.precompute_pyramids(np.asarray(energy_map, dtype=np.float64), scales)
        for m in levels.values():
            thermo.validate_energy_conservation(energy_map, m, self.tolerance)
        return {s: m for s, m in levels.items() if target_scales is None or s in target_scales}

    def precompute_gradients(self, energy_map: np.ndarray, target_scales: Sequence[int] | None = None) -> dict[int, GradientField]:
        """The pyramid's gradients: ``{scale: GradientField(grad_x, grad_y, magnitude)}``.

        Each level of :meth:`precompute_pyramids` (same arguments, same checks), its
        gradient per unit length of the map height (as stored in the atlas) and
        |grad E| = hypot(grad_x, grad_y); arrays (scale, w * scale / h) float64.
        """
        out = {}
        for scale, m in self.precompute_pyramids(energy_map, target_scales).items():
            gx, gy = self.compute_gradients(m)
            out[scale] = GradientField(gx, gy, np.hypot(gx, gy))
        return out
