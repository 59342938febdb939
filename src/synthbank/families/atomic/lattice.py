"""The five lattice classes of the atomic images and the parameters of their distribution.

An image's label is the index of its lattice in :data:`LATTICE_NAMES`;
:class:`LatticeParams` is the ``atomic.lattice`` section of params.yaml, checked against
the family's params schema by :func:`validate_lattice`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

LATTICE_NAMES: tuple[str, ...] = ("square", "rectangular", "centred_rectangular", "hexagonal", "oblique")
GRID_SIZE: int = 16

SQUARE, RECTANGULAR, CENTRED_RECTANGULAR, HEXAGONAL, OBLIQUE = range(len(LATTICE_NAMES))


@dataclass(frozen=True)
class LatticeParams:
    """Distribution parameters of the atomic images (the ``atomic.lattice`` params).

    Attributes
    ----------
    spacing_px : tuple of float
        ``(low, high)`` of the nearest-neighbour distance ``a``, px, drawn uniformly.
        Allowed ``2.0 <= low <= high <= 8.0``.
    width_fraction : tuple of float
        ``(low, high)`` of ``sigma / a`` (Gaussian sigma of a column over the spacing),
        drawn uniformly. Allowed ``0 < low <= high <= 0.5``.
    contrast : tuple of float
        ``(low, high)`` of the peak height of a column above background, full scale = 1.
        Allowed within [0, 1].
    background : tuple of float
        ``(low, high)`` of the background level, full scale = 1. Allowed within [0, 1].
    vacancy_rate : float
        Probability that a lattice site is empty, ``0 <= vacancy_rate < 1``.
    noise_std : float
        Standard deviation of the additive Gaussian noise, full scale = 1, ``>= 0``.
    """

    spacing_px: tuple[float, float]
    width_fraction: tuple[float, float]
    contrast: tuple[float, float]
    background: tuple[float, float]
    vacancy_rate: float
    noise_std: float

    @classmethod
    def default(cls, **changes: Any) -> LatticeParams:
        """The source document's defaults, read from the ``default`` keywords of the family's
        params schema (the one place they are written), with ``changes`` applied."""
        from synthbank import params as params_mod

        schema = params_mod.params_schema()["properties"]["atomic"]["properties"]["lattice"]["properties"]
        return cls.from_mapping({**{name: node["default"] for name, node in schema.items()}, **changes})

    def as_mapping(self) -> dict[str, Any]:
        """As in params.yaml: ranges as ``[low, high]`` lists."""
        return {f.name: list(getattr(self, f.name)) if isinstance(getattr(self, f.name), tuple) else getattr(self, f.name)
                for f in fields(self)}

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> LatticeParams:
        """Build from a mapping such as the parsed ``atomic.lattice`` of params.yaml.

        Ranges may be given as lists or tuples of two numbers; every key is required.
        Unknown or missing keys and malformed values raise ``ValueError``. Values are not
        range-checked here (see :func:`validate_lattice`).
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValueError(f"lattice has unknown keys {unknown}: allowed {sorted(known)}")
        missing = sorted(set(known) - set(d))
        if missing:
            raise ValueError(f"lattice lacks keys {missing}: required {sorted(known)}")
        kwargs: dict[str, Any] = {}
        for name, value in d.items():
            if name in _RANGES:
                if not isinstance(value, (list, tuple)) or len(value) != 2:
                    raise ValueError(f"lattice.{name}={value!r} is invalid: allowed a [low, high] pair of numbers")
                kwargs[name] = (_as_float(name, value[0], value), _as_float(name, value[1], value))
            else:
                kwargs[name] = _as_float(name, value, value)
        return cls(**kwargs)


_RANGES = ("spacing_px", "width_fraction", "contrast", "background")


def _as_float(name: str, v: Any, shown: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"lattice.{name}={shown!r} is invalid: allowed numbers")
    return float(v)


def validate_lattice(lattice: LatticeParams) -> None:
    """Raise ``ValueError`` (one line: key, value, what is allowed) for bad parameters.

    The bounds are the family's params schema's (``atomic.lattice``): a lattice built in
    Python is checked exactly as params.yaml is.
    """
    if not isinstance(lattice, LatticeParams):
        raise ValueError(f"lattice={lattice!r} is invalid: allowed a LatticeParams")
    from synthbank import params as params_mod

    params_mod.check_value(lattice.as_mapping(), "atomic", "lattice")
