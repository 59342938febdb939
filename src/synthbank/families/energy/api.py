"""The energy source document's single-map API as thin functions over the vectorised family code.

    from synthbank.families.energy.api import PerturbationConfig, apply_gaussian_noise, generate_sequence

    noisy = apply_gaussian_noise(energy_map, 0.1)
    sequence, metadata = generate_sequence(base_map, n_steps=10, config=PerturbationConfig(), return_metadata=True)

Every function takes one (h, w) map of non-negative energies (energy units per cell).
Randomness comes from an explicit ``rng`` where one is accepted; without it, a fresh
``numpy.random.default_rng(DEFAULT_SEED)`` (params.yaml ``seed``, 42) is used, so a call
without ``rng`` always returns the same result. Nothing here reads or changes NumPy's
global random state.

Entropy decreases (the document's "warnings for edge cases") are logged as WARNING on
:data:`logger`, by :func:`validate_entropy_increase` and :func:`generate_sequence`.
The loader (``EnergyAtlasLoader``, ``EnergyMapMetadata``, ``GradientField``) is re-exported from
:mod:`~synthbank.families.energy.loader`, :mod:`~synthbank.families.energy.metadata` and
:mod:`~synthbank.families.energy.analysis`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthbank import numerics
from synthbank.families.energy import perturb, thermo
from synthbank.families.energy.analysis import GradientField  # noqa: F401  (re-exported)
from synthbank.families.energy.loader import EnergyAtlasLoader  # noqa: F401  (re-exported)
from synthbank.families.energy.metadata import EnergyMapMetadata  # noqa: F401  (re-exported)
from synthbank.families.energy.sequence import PatternParams, base_maps, generate_sequences
from synthbank.families.energy.sequence import PerturbationConfig as _PerturbationConfig
from synthbank.families.energy.thermo import (  # noqa: F401  (re-exported document names)
    ThermodynamicViolation, validate_energy_conservation,
)

logger = logging.getLogger(__name__)

#: params.yaml ``seed``: the seed of every default random stream of this module.
DEFAULT_SEED = 42
#: params.yaml ``energy.probability``: chance that a step applies each perturbation kind.
def _schema(*keys: str) -> Any:
    from synthbank import params

    node = params.params_schema()["properties"]["energy"]
    for key in keys:
        node = node["additionalProperties"] if key == "*" else node["properties"][key]
    return node["default"]


def _domain_default(key: str) -> Any:
    return _schema("domains", "*", key)


#: The document's defaults, written once: the ``default`` keywords of the energy params schema.
DEFAULT_PROBABILITY: dict[str, float] = _schema("probability")


@dataclass(frozen=True)
class PerturbationConfig(_PerturbationConfig):
    """The document's ``PerturbationConfig()``: every field has a default.

    Defaults are the params.yaml ``energy`` section's values: ``probability`` is
    ``energy.probability`` (rotation 0.3, noise 0.5, blur 0.5, translation 0.3, scaling
    0.2) and the magnitudes are those of its ``fluid_dynamics`` domain, which are also the
    document's defaults for it (noise sigma 0.1, thermal blur sigma 2.0): rotation up to
    15 degrees, noise std 0.1 x the mean energy per cell, blur length 2.0 cells, shifts up
    to 16 cells, energy scaling factors in [0.95, 1.05]. A subclass of the pipeline's
    :class:`synthbank.families.energy.sequence.PerturbationConfig` (same fields, same
    checks), accepted wherever that one is.
    """

    probability: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_PROBABILITY))
    rotation_max_deg: float = field(default_factory=lambda: _domain_default("rotation_max_deg"))
    noise_sigma: float = field(default_factory=lambda: _domain_default("noise_sigma"))
    blur_sigma: float = field(default_factory=lambda: _domain_default("blur_sigma"))
    translation_max_px: int = field(default_factory=lambda: _domain_default("translation_max_px"))
    scale_range: tuple[float, float] = field(default_factory=lambda: tuple(_domain_default("scale_range")))


# -- checks -----------------------------------------------------------------------------
def _one(energy_map: np.ndarray) -> np.ndarray:
    """The map as a (1, h, w) float64 stack, or ValueError."""
    m = np.asarray(energy_map, dtype=np.float64)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"energy_map has shape {m.shape}: allowed a non-empty 2-D (h, w) map")
    if not np.isfinite(m).all() or (m < 0).any() or not m.sum() > 0:
        raise ValueError("energy_map is invalid: allowed finite, non-negative values with a positive total")
    return m[None]


def _number(name: str, v: Any, low: float = -math.inf, strict: bool = False) -> float:
    """``v`` as a finite float > ``low`` (strict) or >= ``low``, or ValueError naming it."""
    ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)
    if not ok or (v <= low if strict else v < low):
        allowed = "a finite number" + ("" if low == -math.inf else f" {'>' if strict else '>='} {low:g}")
        raise ValueError(f"{name}={v!r} is invalid: allowed {allowed}")
    return float(v)


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED)  # fresh each call: the default is repeatable
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng={rng!r} is invalid: allowed a numpy.random.Generator or None")
    return rng


# -- patterns and perturbations ---------------------------------------------------------
def generate_base_pattern(pattern: str, shape: tuple[int, int] = (256, 256), rng: np.random.Generator | None = None,
                          total_energy: float = 1000.0, params: PatternParams | None = None) -> np.ndarray:
    """One base map of ``pattern`` summing to ``total_energy``.

    Parameters
    ----------
    pattern : one of "turbulent", "laminar", "vortex", "random".
    shape : (h, w) cells; h in 64, 128, 256 and w = h or 1.5 h.
    rng : numpy Generator, optional
        Default: ``default_rng(42)``, the same map on every call.
    total_energy : float > 0, energy units.
    params : PatternParams, optional (default: the params.yaml ``energy.patterns``).

    Returns
    -------
    ndarray, shape (h, w), float64, energy units per cell.
    """
    total_energy = _number("total_energy", total_energy, 0.0, strict=True)
    return base_maps(pattern, shape, total_energy, params or PatternParams(), [_rng(rng)])[0]


def apply_rotation(energy_map: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by ``angle`` degrees (counter-clockwise as displayed), energy kept.

    Returns
    -------
    ndarray, the map's shape, float64.
    """
    return perturb.rotate(_one(energy_map), np.array([_number("angle", angle)]))[0]


def apply_gaussian_noise(energy_map: np.ndarray, sigma: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Additive Gaussian noise, clipped at 0 and renormalised: the total energy is kept.

    The noise at each cell has std ``sigma`` x the map's mean energy per cell; the draws
    are the pipeline's portable normals (:func:`synthbank.numerics.standard_normal`).

    Parameters
    ----------
    energy_map : ndarray, shape (h, w), non-negative, energy units per cell.
    sigma : float >= 0
        Relative noise level (the document's sigma, e.g. 0.1).
    rng : numpy Generator, optional
        Source of the normals (consumed). Default: a fresh ``default_rng(42)`` (params.yaml
        ``seed``) per call, so calls without ``rng`` are deterministic and repeat the
        same noise; pass a Generator for independent draws.

    Returns
    -------
    ndarray, the map's shape, float64.
    """
    m = _one(energy_map)
    sigma = _number("sigma", sigma, 0.0)
    normals = numerics.standard_normal(_rng(rng), m.shape)
    return perturb.add_noise(m, np.array([sigma]), normals)[0]


def apply_thermal_blur(energy_map: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic heat-kernel blur of std ``sigma`` (>= 0) cells, energy kept; float64."""
    return perturb.blur(_one(energy_map), np.array([_number("sigma", sigma, 0.0)]))[0]


def apply_translation(energy_map: np.ndarray, shift_x: int, shift_y: int) -> np.ndarray:
    """Periodic shift by whole cells, ``shift_x`` right and ``shift_y`` down (exact conservation)."""
    for name, v in (("shift_x", shift_x), ("shift_y", shift_y)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ValueError(f"{name}={v!r} is invalid: allowed an integer number of cells")
    return perturb.translate(_one(energy_map), np.array([shift_y]), np.array([shift_x]))[0]


def apply_energy_scaling(energy_map: np.ndarray, scale: float) -> np.ndarray:
    """Multiply the energy by ``scale`` (> 0); float64."""
    return perturb.scale(_one(energy_map), np.array([_number("scale", scale, 0.0, strict=True)]))[0]


# -- checks of the second law and sequences ---------------------------------------------
def validate_entropy_increase(before: np.ndarray, after: np.ndarray, atol: float = thermo.ENTROPY_ATOL) -> bool:
    """True if the entropy of ``after`` is not below that of ``before`` (within ``atol`` nats).

    A decrease is logged as WARNING (the document's edge case: the second law is checked,
    not enforced).

    Parameters
    ----------
    before, after : ndarray, shape (h, w), non-negative energy maps (the document's
        ``E_before``, ``E_after``).
    atol : float >= 0, nats.
    """
    atol = _number("atol", atol, 0.0)
    h0, h1 = float(thermo.entropy(before)), float(thermo.entropy(after))
    ok = h1 >= h0 - atol
    if not ok:
        logger.warning("entropy decreased: %.9g -> %.9g nats (change %.3g)", h0, h1, h1 - h0)
    return ok


def generate_sequence(base_map: np.ndarray, n_steps: int = 10, config: _PerturbationConfig | None = None,
                      seed: int = DEFAULT_SEED, return_metadata: bool = True) -> Any:
    """A sequence of ``n_steps`` maps from ``base_map``: map 0 is the base, map t perturbs map t-1.

    Parameters
    ----------
    base_map : ndarray, shape (h, w), non-negative.
    n_steps : int >= 1
    config : PerturbationConfig, optional
        Default ``PerturbationConfig()`` (params.yaml values, see :class:`PerturbationConfig`).
    seed : int >= 0, default 42
        Step t draws from ``numpy.random.default_rng([seed, 0, t, stream])``.
    return_metadata : bool, default True

    Returns
    -------
    sequence : ndarray, shape (n_steps, h, w), float32
    metadata : list of dict, one per step (only if ``return_metadata``)
        ``step``, ``energy`` (total), ``entropy`` (nats), ``perturbations`` (kinds applied).

    Raises
    ------
    ThermodynamicViolation
        If a perturbation changes the energy by 5% or more (scaling: against its factor).

    Notes
    -----
    A step whose entropy falls below the previous step's (beyond
    :data:`synthbank.families.energy.thermo.ENTROPY_ATOL`) is logged as WARNING.
    """
    if config is None:
        config = PerturbationConfig()
    if not isinstance(config, _PerturbationConfig):
        raise ValueError(f"config={config!r} is invalid: allowed a PerturbationConfig or None")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r} is invalid: allowed a non-negative integer")
    maps, rec = generate_sequences(_one(base_map), n_steps, config,
                                   lambda s, t, k: np.random.default_rng([seed, s, t, k]))
    entropy = rec["entropy"][0]
    for t in np.flatnonzero(np.diff(entropy) < -thermo.ENTROPY_ATOL) + 1:
        applied = [k for k in perturb.KINDS if rec[f"{k}_applied"][0, t] > 0]
        logger.warning("entropy decreased at step %d: %.9g -> %.9g nats (perturbations %s)",
                       t, entropy[t - 1], entropy[t], ", ".join(applied))
    if not return_metadata:
        return maps[0]
    meta = [{"step": t, "energy": float(rec["total_energy"][0, t]), "entropy": float(entropy[t]),
             "perturbations": [k for k in perturb.KINDS if rec[f"{k}_applied"][0, t] > 0]} for t in range(n_steps)]
    return maps[0], meta
