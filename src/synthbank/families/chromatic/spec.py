"""What a chromatic sample is: its parameters, where they live in params.yaml, and one-line refusals.

The bounds of every parameter are stated once, in the family's params schema
(``params.schema.json``, the ``chromatic`` section of params.yaml): :func:`validate_params`
checks a :class:`ChromaticParams` against it with :func:`synthbank.params.check_value`, so
parameters built in Python meet exactly the rules params.yaml meets. The code states only
the rules between keys that a schema cannot (:func:`_check_between`). The source
document's values are the schema's ``default`` keywords (:meth:`ChromaticParams.default`),
not dataclass defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthbank import params as params_mod

CHANNELS: tuple[str, ...] = ("R", "G", "B")
#: Where each field of :class:`ChromaticParams` (but height and width) is in the
#: ``chromatic`` section of params.yaml. ``height`` and ``width`` are items 0 and 1 of ``shape``.
KEYS: dict[str, tuple[str, ...]] = {
    "noise_level": ("noise_level",),
    "cells_per_side": ("regions", "cells_per_side"),
    "jitter": ("regions", "jitter"),
    "hue": ("color_distribution", "hue"),
    "saturation": ("color_distribution", "saturation"),
    "lightness": ("color_distribution", "lightness"),
    "sampling": ("color_distribution", "sampling"),
    "wavelengths_nm": ("spectral_profile", "wavelengths_nm"),
    "bands": ("spectral_profile", "bands"),
    "centres_nm": ("spectral_profile", "centres_nm"),
    "widths_nm": ("spectral_profile", "widths_nm"),
    "amplitudes": ("spectral_profile", "amplitudes"),
}
#: Fields that size arrays, with the key that names them in a message.
INTEGER_FIELDS: dict[str, str] = {
    "height": "shape.0", "width": "shape.1", "cells_per_side": "regions.cells_per_side", "bands": "spectral_profile.bands",
}
#: quantise() is exact (idempotent) only for values below this, and a spectral value is at
#: most the sum of the amplitudes (chromatic values are at most 1).
AMPLITUDE_SUM_LIMIT = 16


@dataclass(frozen=True)
class ChromaticParams:
    """The byte-shaping parameters of the chromatic family (``chromatic`` in params.yaml).

    The allowed values are the params schema's; :data:`KEYS` says which key each field is.

    Attributes
    ----------
    height, width : int
        Image size in pixels (params ``shape: [H, W, 3]``).
    noise_level : float
        Standard deviation of the additive Gaussian noise, full scale = 1 (``noise_level``).
    cells_per_side : int
        Regions per image side (``regions.cells_per_side``); the image has
        ``cells_per_side**2`` regions, each a Voronoi cell, labelled in a uint8 mask.
    jitter : float
        Seed displacement amplitude in cell sizes (``regions.jitter``).
    hue, saturation, lightness : tuple of float
        ``(low, high)`` ranges of the uniform HSL draw (``color_distribution.*``; hue in turns).
    sampling : str
        ``"latin_hypercube"`` or ``"independent"`` (see :mod:`~synthbank.families.chromatic.colours`).
    wavelengths_nm : tuple of float
        ``(start, stop)`` of the band centres, nm (``spectral_profile.wavelengths_nm``).
    bands : int
        Number of bands K, evenly spaced from start to stop inclusive (``spectral_profile.bands``).
    centres_nm, widths_nm, amplitudes : tuple of float
        Per channel (R, G, B): Gaussian centre (nm), sigma (nm) and peak height
        (``spectral_profile.*``).
    """

    height: int
    width: int
    noise_level: float
    cells_per_side: int
    jitter: float
    hue: tuple[float, float]
    saturation: tuple[float, float]
    lightness: tuple[float, float]
    sampling: str
    wavelengths_nm: tuple[float, float]
    bands: int
    centres_nm: tuple[float, float, float]
    widths_nm: tuple[float, float, float]
    amplitudes: tuple[float, float, float]

    @property
    def regions(self) -> int:
        return self.cells_per_side * self.cells_per_side

    @property
    def hsl_box(self) -> np.ndarray:
        """``(3, 2)`` float64 ``[[h_lo, h_hi], [s_lo, s_hi], [l_lo, l_hi]]``."""
        return np.array([self.hue, self.saturation, self.lightness], dtype=np.float64)

    @classmethod
    def default(cls, **changes: Any) -> ChromaticParams:
        """The source document's values, read from the ``default`` keywords of the family's
        params schema (the one place they are written), with ``changes`` (fields) applied.

        ``changes`` are not checked here; :func:`validate_params` (and so
        :func:`~synthbank.families.chromatic.generate.generate_block`) checks them.
        """
        section = params_mod.params_schema()["properties"]["chromatic"]

        def default_of(keys: tuple[str, ...]) -> Any:
            node = section
            for key in keys:
                node = node["properties"][key]
            return node["default"]

        p = cls._from_values(default_of(("shape",)), {name: default_of(keys) for name, keys in KEYS.items()})
        return replace(p, **changes)

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> ChromaticParams:
        """Build from the ``chromatic`` section of params.yaml; ``ValueError`` (one line) if a value is not allowed."""

        def at(keys: tuple[str, ...]) -> Any:
            node: Any = section
            for key in keys:
                node = node[key]
            return node

        return cls._from_values(section["shape"], {name: at(keys) for name, keys in KEYS.items()})

    @classmethod
    def _from_values(cls, shape: Any, values: Mapping[str, Any]) -> ChromaticParams:
        """Check the params values (``shape`` and one per field of :data:`KEYS`), then convert them."""
        check_key(shape, "shape")
        for name, value in values.items():
            check_key(value, *KEYS[name])

        def convert(name: str, v: Any) -> Any:
            if isinstance(v, (list, tuple)):
                return tuple(float(x) for x in v)
            return int(v) if name in INTEGER_FIELDS else v if isinstance(v, str) else float(v)

        p = cls(height=int(shape[0]), width=int(shape[1]), **{name: convert(name, v) for name, v in values.items()})
        _check_between(p)
        return p


def _plain(value: Any) -> Any:
    """JSON-like data for the schema: tuples and arrays as lists, numpy scalars as Python numbers."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_key(value: Any, *keys: str) -> None:
    """Check ``value`` against the schema of ``chromatic.<keys>``: the one place its bounds are stated.

    The ``ValueError`` names the key below ``chromatic.`` (``regions.jitter=0.9 is invalid:
    allowed <= 0.65``); the CLI prefixes ``params.yaml: chromatic.``.
    """
    params_mod.check_value(_plain(value), "chromatic", *keys, name=".".join(keys))


def validate_params(p: ChromaticParams) -> None:
    """Raise ``ValueError`` (one line: key, value, what is allowed) for bad parameters.

    Each field is checked against the params schema at its key (:data:`KEYS`; height and
    width as ``shape``), then the rules between keys.
    """
    if not isinstance(p, ChromaticParams):
        raise ValueError(f"params={p!r} is invalid: allowed a ChromaticParams")
    check_key([p.height, p.width, 3], "shape")
    for name, keys in KEYS.items():
        check_key(getattr(p, name), *keys)
    # JSON Schema's "integer" also admits an integral float such as 96.0 (from_section
    # converts params values with int()); a field that sizes arrays must be an int itself.
    for name, key in INTEGER_FIELDS.items():
        v = getattr(p, name)
        if not isinstance(v, (int, np.integer)):
            raise ValueError(f"{key}={v!r} is invalid: allowed an int (the {name} field), not a {type(v).__name__}")
    _check_between(p)


def _check_between(p: ChromaticParams) -> None:
    """The rules between keys, which a JSON Schema cannot state (fields already schema-checked)."""
    # Every grid cell must be at least a pixel wide, so that every region owns pixels:
    # regions.cells_per_side against shape.
    side = min(p.height, p.width)
    if p.cells_per_side > side:
        raise ValueError(
            f"regions.cells_per_side={p.cells_per_side} is invalid: allowed at most min(height, width) = {side} "
            f"(shape [{p.height}, {p.width}, 3])"
        )
    # A spectral value is at most the sum of the amplitudes, and quantise() is exact only
    # below 16: a rule on the sum of items. The schema's per-item maximum (5) keeps the sum
    # at most 15 today; this keeps the float32 quantisation exact should that bound move.
    if sum(p.amplitudes) >= AMPLITUDE_SUM_LIMIT:
        raise ValueError(
            f"spectral_profile.amplitudes={params_mod.show(_plain(p.amplitudes))} is invalid: "
            f"allowed a sum below {AMPLITUDE_SUM_LIMIT} (float32 quantisation)"
        )
