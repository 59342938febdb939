"""Seed 004's single-map API as thin functions over the vectorised family code.

    from synthbank.families.energy.api import generate_base_pattern, apply_rotation, generate_sequence

Every function takes one (h, w) map; randomness comes from an explicit ``rng``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthbank.families.energy import perturb
from synthbank.families.energy.sequence import PatternParams, PerturbationConfig, base_maps, generate_sequences
from synthbank.families.energy.thermo import (  # noqa: F401  (re-exported seed names)
    ThermodynamicViolation, validate_energy_conservation, validate_entropy_increase,
)

DEFAULT_PROBABILITY = {"rotation": 0.3, "noise": 0.5, "blur": 0.5, "translation": 0.3, "scaling": 0.2}


def _one(energy_map: np.ndarray) -> np.ndarray:
    m = np.asarray(energy_map, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"energy_map has shape {m.shape}: allowed a 2-D (h, w) map")
    return m[None]


def generate_base_pattern(pattern: str, shape: tuple[int, int] = (256, 256), rng: np.random.Generator | None = None,
                          total_energy: float = 1000.0, params: PatternParams | None = None) -> np.ndarray:
    """One base map (h, w) float64 of ``pattern`` summing to ``total_energy``."""
    return base_maps(pattern, shape, total_energy, params or PatternParams(), [rng or np.random.default_rng()])[0]


def apply_rotation(energy_map: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by ``angle`` degrees (counter-clockwise as displayed), energy kept."""
    return perturb.rotate(_one(energy_map), np.array([angle]))[0]


def apply_gaussian_noise(energy_map: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Additive noise of std ``sigma`` x mean energy per cell, clipped at 0, energy kept."""
    m = _one(energy_map)
    return perturb.add_noise(m, np.array([sigma]), rng.standard_normal(m.shape))[0]


def apply_thermal_blur(energy_map: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic heat-kernel blur of std ``sigma`` cells, energy kept."""
    return perturb.blur(_one(energy_map), np.array([sigma]))[0]


def apply_translation(energy_map: np.ndarray, shift_x: int, shift_y: int) -> np.ndarray:
    """Periodic shift by whole cells (exact conservation)."""
    return perturb.translate(_one(energy_map), np.array([shift_y]), np.array([shift_x]))[0]


def apply_energy_scaling(energy_map: np.ndarray, scale: float) -> np.ndarray:
    """Multiply the energy by ``scale`` (> 0)."""
    if not scale > 0:
        raise ValueError(f"scale={scale!r} is invalid: allowed a number > 0")
    return perturb.scale(_one(energy_map), np.array([scale]))[0]


def generate_sequence(base_map: np.ndarray, n_steps: int = 10, config: PerturbationConfig | None = None,
                      seed: int = 0, return_metadata: bool = True) -> Any:
    """A sequence (n_steps, h, w) float32 from ``base_map``; with per-step metadata dicts.

    The random streams are ``np.random.default_rng([seed, step, stream])``.
    """
    config = config or PerturbationConfig(probability=DEFAULT_PROBABILITY)
    maps, rec = generate_sequences(_one(base_map), n_steps, config,
                                   lambda s, t, k: np.random.default_rng([seed, s, t, k]))
    if not return_metadata:
        return maps[0]
    meta = [{"step": t, "energy": float(rec["total_energy"][0, t]), "entropy": float(rec["entropy"][0, t]),
             "perturbations": [k for k in perturb.KINDS if rec[f"{k}_applied"][0, t] > 0]} for t in range(n_steps)]
    return maps[0], meta
