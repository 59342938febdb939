"""``EnergyMapMetadata``: what describes one energy map, read from the atlas or saved by a user.

:meth:`~synthbank.families.energy.loader.EnergyAtlasLoader.load_map` returns one per map;
:meth:`~synthbank.families.energy.loader.EnergyAtlasLoader.save_map` keeps its timestamp,
perturbations and user metadata.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import numpy as np

from synthbank.families.energy import thermo
from synthbank.families.energy.perturb import KINDS


@dataclass
class EnergyMapMetadata(Mapping):
    """Metadata of one energy map: what :meth:`EnergyAtlasLoader.load_map` returns.

    The fields the energy source document names for a map's metadata (energy
    mean/variance, entropy, timestamp, perturbations applied) plus where the map is.
    Also a read-only mapping of field name -> value (``meta["energy"]``, ``dict(meta)``);
    :meth:`to_dict` gives JSON-ready values.

    Attributes
    ----------
    domain : str
    map_id : str
        Atlas id ``'sSSS_tTT'`` or the id given to :meth:`EnergyAtlasLoader.save_map`.
    scale : int or None
        Map height in cells (the pyramid level read).
    shape : tuple of int or None
        (h, w) in cells.
    sequence, step : int or None
        Position in the atlas; None for user maps.
    energy : float or None
        Total energy of the map, energy units.
    energy_mean : float or None
        Mean energy per cell (``energy / (h w)``), energy units.
    energy_variance : float or None
        Variance of the energy per cell, energy units squared.
    entropy : float or None
        Shannon entropy of the map normalised to sum 1, nats.
    timestamp : str or None
        ISO 8601. Atlas maps: the release date (params.yaml ``release.date``), never the
        wall clock; user maps: the one given when saving, else None.
    perturbations : dict
        Kind applied at this step -> its parameter: rotation angle (degrees), noise level
        (std / mean energy per cell), blur length (cells), scaling factor, translation
        ``[dy, dx]`` (cells). Empty for a base map.
    user_metadata : dict
        Free-form JSON metadata given to :meth:`EnergyAtlasLoader.save_map`.
    """

    domain: str
    map_id: str
    scale: int | None = None
    shape: tuple[int, int] | None = None
    sequence: int | None = None
    step: int | None = None
    energy: float | None = None
    energy_mean: float | None = None
    energy_variance: float | None = None
    entropy: float | None = None
    timestamp: str | None = None
    perturbations: dict[str, Any] = field(default_factory=dict)
    user_metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("domain", "map_id"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name}={getattr(self, name)!r} is invalid: allowed a non-empty string")
        for name in ("energy", "energy_mean", "energy_variance", "entropy"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v)):
                raise ValueError(f"{name}={v!r} is invalid: allowed a finite number or None")
        if self.timestamp is not None:
            try:
                datetime.fromisoformat(self.timestamp)
            except (TypeError, ValueError):
                raise ValueError(f"timestamp={self.timestamp!r} is invalid: allowed an ISO 8601 date-time or None") from None
        if not isinstance(self.perturbations, Mapping) or not set(self.perturbations) <= set(KINDS):
            raise ValueError(f"perturbations={self.perturbations!r} is invalid: allowed a mapping with keys among {KINDS}")
        if not isinstance(self.user_metadata, Mapping):
            raise ValueError(f"user_metadata={self.user_metadata!r} is invalid: allowed a mapping")
        if self.shape is not None:
            self.shape = tuple(int(n) for n in self.shape)

    # Mapping access keeps ``meta["energy"]`` working for code written for the former dict.
    def __getitem__(self, key: str) -> Any:
        if key not in _METADATA_FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_METADATA_FIELDS)

    def __len__(self) -> int:
        return len(_METADATA_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy: every field, shape as a list."""
        out = {name: getattr(self, name) for name in _METADATA_FIELDS}
        out["shape"] = None if self.shape is None else list(self.shape)
        out["perturbations"], out["user_metadata"] = dict(self.perturbations), dict(self.user_metadata)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EnergyMapMetadata:
        """Inverse of :meth:`to_dict`; unknown keys are refused (ValueError)."""
        unknown = sorted(set(d) - set(_METADATA_FIELDS))
        if unknown:
            raise ValueError(f"metadata keys {unknown} are invalid: allowed {list(_METADATA_FIELDS)}")
        return cls(**dict(d))

    @classmethod
    def from_map(cls, energy_map: np.ndarray, domain: str, map_id: str, **kwargs: Any) -> EnergyMapMetadata:
        """Metadata of a map held in memory: shape, scale and energy statistics computed from it.

        Parameters
        ----------
        energy_map : ndarray, shape (h, w), energy units per cell.
        domain, map_id : str
        **kwargs : the other fields (timestamp, perturbations, user_metadata, ...).
        """
        m = np.asarray(energy_map, dtype=np.float64)
        if m.ndim != 2 or m.size == 0:
            raise ValueError(f"energy_map has shape {m.shape}: allowed a non-empty 2-D (h, w) map")
        total = float(m.sum())
        stats = {"scale": m.shape[0], "shape": m.shape, "energy": total, "energy_mean": total / m.size,
                 "energy_variance": float(m.var()), "entropy": float(thermo.entropy(m)) if total > 0 else None}
        return cls(domain=domain, map_id=map_id, **(stats | kwargs))


_METADATA_FIELDS = tuple(f.name for f in fields(EnergyMapMetadata))
