"""``EnergyAtlasLoader``: the energy source document's loader API over the Well-format files of the atlas.

Lazy: nothing is read when the loader is made; :meth:`EnergyAtlasLoader.load_map` opens one
file, reads one chunk (one map) and a few per-step scalars, and closes it. Pyramids and
gradients are read from the stored scales, never recomputed on read; the gradient magnitude
|grad E| = hypot(grad_x, grad_y) is offered beside every gradient. Maps the user saves go to
``user_dir`` (never into the DVC-tracked ``data_dir``). A map's metadata is an
:class:`EnergyMapMetadata`.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import h5py
import numpy as np

from synthbank.families.energy import patterns, pyramid, thermo, wellformat
from synthbank.families.energy.build import file_name
from synthbank.families.energy.perturb import KINDS
from synthbank.families.energy.thermo import ThermodynamicViolation

_ATLAS_ID = re.compile(r"^s(\d+)_t(\d+)$")
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_DOMAIN = re.compile(r"^[a-z][a-z0-9_]*$")


def atlas_map_id(sequence: int, step: int) -> str:
    """The id of map ``step`` of sequence ``sequence``: ``s003_t07``."""
    return f"s{sequence:03d}_t{step:02d}"


#: Root attribute of the atlas files whose date stamps their maps (params.yaml release.date).
_RELEASE_DATE = "release_date"
#: Parameter of each perturbation kind in the per-step scalars (translation: dy, dx).
_KIND_PARAM = {"rotation": "rotation_angle_deg", "noise": "noise_level", "blur": "blur_length_px", "scaling": "scaling_factor"}


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


class GradientField(NamedTuple):
    """The gradient of one map and its magnitude, each (h, w) float64, energy per cell per unit length."""

    grad_x: np.ndarray
    grad_y: np.ndarray
    magnitude: np.ndarray  # |grad E| = hypot(grad_x, grad_y)


class EnergyAtlasLoader:
    """Read maps, batches, pyramids and gradients of the energy atlas; save user maps.

    Parameters
    ----------
    data_dir : directory holding one folder per domain (``data/energy``), read only.
    user_dir : where :meth:`save_map` writes (``<user_dir>/<domain>/<map_id>_<scale>.h5``);
        must not lie inside ``data_dir``. None: saving is refused.
    tolerance : relative energy error allowed between pyramid scales (the document: 0.05).
    """

    def __init__(self, data_dir: str | Path = "data/energy", user_dir: str | Path | None = None, tolerance: float = thermo.CONSERVATION_TOLERANCE) -> None:
        self.data_dir = Path(data_dir)
        self.user_dir = None if user_dir is None else Path(user_dir)
        if self.user_dir is not None:
            self._refuse_data_dir(self.user_dir, "user_dir")
        if not 0 < tolerance < 1:
            raise ValueError(f"tolerance={tolerance!r} is invalid: allowed 0 < tolerance < 1")
        self.tolerance = tolerance

    # -- files ------------------------------------------------------------------------
    def _refuse_data_dir(self, path: Path, name: str) -> None:
        """ValueError if ``path`` lies in ``data_dir`` (resolved: '..' and symlinks cannot dodge it)."""
        if path.resolve().is_relative_to(self.data_dir.resolve()):
            raise ValueError(f"{name}={str(path)!r} is invalid: allowed a directory outside data_dir={str(self.data_dir)!r} (DVC outputs are read only)")

    def _open(self, path: Path) -> h5py.File:
        """Open one file read-only (tests override this to count bytes read)."""
        return h5py.File(path, "r")

    def domains(self) -> list[str]:
        """Domains present under ``data_dir``, sorted."""
        return sorted(p.name for p in self.data_dir.iterdir() if p.is_dir()) if self.data_dir.is_dir() else []

    def _atlas_path(self, domain: str, scale: int) -> Path:
        path = self.data_dir / domain / file_name(domain, scale)
        if not path.is_file():
            present = sorted(int(p.stem.rsplit("_", 1)[1]) for p in (self.data_dir / domain).glob(f"{domain}_*.h5"))
            if not present:
                raise FileNotFoundError(f"domain={domain!r} has no files under {self.data_dir}: allowed one of {self.domains()}")
            raise ValueError(f"scale={scale!r} is not stored for domain {domain!r}: allowed one of {present}")
        return path

    def _user_path(self, domain: str, map_id: str, scale: int) -> Path:
        if self.user_dir is None:
            raise ValueError(f"map_id={map_id!r} names a user map but user_dir is None: allowed atlas ids like 's000_t00' or a loader with user_dir")
        if not _USER_ID.match(map_id) or not _DOMAIN.match(domain):
            raise ValueError(f"map_id={map_id!r} of domain={domain!r} is invalid: allowed letters, digits, '_', '.', '-' (no paths)")
        return self.user_dir / domain / f"{map_id}_{scale}.h5"

    @staticmethod
    def _locate(map_id: int | str, n_steps: int, n_traj: int) -> tuple[int, int]:
        if isinstance(map_id, (int, np.integer)) and not isinstance(map_id, bool):
            seq, step = divmod(int(map_id), n_steps)
        else:
            m = _ATLAS_ID.match(str(map_id))
            if m is None:
                raise ValueError(f"map_id={map_id!r} is invalid: allowed an index 0..{n_traj * n_steps - 1} or 'sSSS_tTT'")
            seq, step = int(m.group(1)), int(m.group(2))
        if not (0 <= seq < n_traj and 0 <= step < n_steps):
            raise ValueError(f"map_id={map_id!r} is out of range: allowed {n_traj} sequences x {n_steps} steps (0..{n_traj * n_steps - 1})")
        return seq, step

    def _is_user(self, map_id: int | str) -> bool:
        return isinstance(map_id, str) and _ATLAS_ID.match(map_id) is None

    # -- reading ------------------------------------------------------------------------
    def load_map(self, domain: str, map_id: int | str, scale: int = 256) -> tuple[np.ndarray, EnergyMapMetadata]:
        """One map and its metadata.

        Parameters
        ----------
        domain : a domain name.
        map_id : atlas map: flat index ``sequence * n_steps + step`` or ``'sSSS_tTT'``;
            any other string: a map saved with :meth:`save_map`.
        scale : the map height to read (a stored pyramid level).

        Returns
        -------
        energy_map : ndarray (h, w) float32, energy units per cell.
        metadata : EnergyMapMetadata
            domain, map_id, scale, shape, sequence and step (None for user maps), energy
            (total), energy_mean, energy_variance, entropy (from the stored per-step
            scalars), timestamp and ``perturbations`` (kind -> parameter, for the kinds
            applied at that step); user maps also ``user_metadata``.
        """
        user = self._is_user(map_id)
        path = self._user_path(domain, map_id, scale) if user else self._atlas_path(domain, scale)
        if not path.is_file():
            raise FileNotFoundError(f"map_id={map_id!r} of domain {domain!r} at scale {scale} does not exist ({path})")
        with self._open(path) as f:
            ds = f["t0_fields/energy"]
            seq, step = (0, 0) if user else self._locate(map_id, ds.shape[1], ds.shape[0])
            energy_map = ds[seq, step]
            sc = f["scalars"]
            energy = float(sc["total_energy"][seq, step])
            perturbations: dict[str, Any] = {}
            if "rotation_applied" in sc:
                applied = {k: bool(sc[f"{k}_applied"][seq, step]) for k in KINDS}
                perturbations = {k: (float(sc[_KIND_PARAM[k]][seq, step]) if k in _KIND_PARAM else
                                     [int(sc["translation_dy_px"][seq, step]), int(sc["translation_dx_px"][seq, step])])
                                 for k in KINDS if applied[k]}
            elif "perturbations" in f.attrs:
                perturbations = json.loads(f.attrs["perturbations"])
            if _RELEASE_DATE in f.attrs:
                timestamp = f"{f.attrs[_RELEASE_DATE]}T00:00:00"
            else:
                timestamp = f.attrs.get("timestamp")
            meta = EnergyMapMetadata(
                domain=domain, map_id=map_id if user else atlas_map_id(seq, step), scale=scale,
                shape=energy_map.shape, sequence=None if user else seq, step=None if user else step,
                energy=energy, energy_mean=energy / energy_map.size,
                energy_variance=float(energy_map.astype(np.float64).var()),
                entropy=float(sc["entropy"][seq, step]), timestamp=None if timestamp is None else str(timestamp),
                perturbations=perturbations,
                user_metadata=json.loads(f.attrs["user_metadata"]) if "user_metadata" in f.attrs else {},
            )
        return energy_map, meta

    def load_gradients(self, domain: str, map_id: int | str, scale: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """The stored gradient (grad_x, grad_y) of one map, energy per cell per unit length."""
        path = self._user_path(domain, map_id, scale) if self._is_user(map_id) else self._atlas_path(domain, scale)
        with self._open(path) as f:
            ds = f["t1_fields/energy_gradient"]
            seq, step = (0, 0) if self._is_user(map_id) else self._locate(map_id, ds.shape[1], ds.shape[0])
            g = ds[seq, step]
        return g[..., 1], g[..., 0]

    def load_gradient_magnitude(self, domain: str, map_id: int | str, scale: int = 256) -> np.ndarray:
        """|grad E| = hypot(grad_x, grad_y) of one map's stored gradient, (h, w) float32.

        Computed from the stored components (the files hold the components only).
        """
        gx, gy = self.load_gradients(domain, map_id, scale)
        return np.hypot(gx, gy)

    def load_batch(self, domain: str, window: int, scale: int = 256, stride: int = 1) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Every window of ``window`` consecutive steps, starting every ``stride`` steps, of every sequence.

        Returns
        -------
        batch : ndarray (n_windows, window, h, w) float32
        metadata : one dict per window: domain, sequence, start_step, map_ids.
        """
        for name, v in (("window", window), ("stride", stride)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}={v!r} is invalid: allowed an integer >= 1")
        with self._open(self._atlas_path(domain, scale)) as f:
            ds = f["t0_fields/energy"]
            n_traj, n_steps = ds.shape[:2]
            if window > n_steps:
                raise ValueError(f"window={window} is invalid: allowed at most n_steps={n_steps}")
            starts = np.arange(0, n_steps - window + 1, stride)
            index = starts[:, None] + np.arange(window)[None, :]
            steps = np.unique(index)  # sorted; with stride > window, skipped steps are not read
            data = ds[...] if steps.size == n_steps else ds[:, steps.tolist()]
        batch = data[:, np.searchsorted(steps, index)].reshape(-1, window, *data.shape[2:])
        meta = [{"domain": domain, "sequence": int(s), "start_step": int(t0),
                 "map_ids": [atlas_map_id(int(s), int(t0) + k) for k in range(window)]}
                for s in range(n_traj) for t0 in starts]
        return batch, meta

    def get_domain_stats(self, domain: str, scale: int = 256) -> dict[str, Any]:
        """Counts and energy/entropy statistics of a domain, from its per-step scalars."""
        with self._open(self._atlas_path(domain, scale)) as f:
            n_traj, n_steps, h, w = f["t0_fields/energy"].shape
            e = f["scalars/total_energy"][...].astype(np.float64)
            s = f["scalars/entropy"][...].astype(np.float64)
            pattern = f.attrs.get("pattern", "")
            scales = [int(x) for x in f.attrs.get("scales", [scale])]
        return {
            "domain": domain, "pattern": pattern, "scales": scales, "n_maps": int(n_traj * n_steps),
            "n_sequences": int(n_traj), "n_steps": int(n_steps), "shape": [int(h), int(w)],
            "energy": {"mean": float(e.mean()), "std": float(e.std()), "min": float(e.min()), "max": float(e.max())},
            "entropy": {"mean": float(s.mean()), "std": float(s.std()), "min": float(s.min()), "max": float(s.max())},
        }

    # -- analysis -------------------------------------------------------------------------
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
        gx, gy = EnergyAtlasLoader.compute_gradients(energy_map, spacing)
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

    # -- writing ------------------------------------------------------------------------
    def save_map(self, energy_map: np.ndarray, domain: str, map_id: str,
                 metadata: EnergyMapMetadata | Mapping[str, Any] | None = None) -> str:
        """Save a map (and its pyramid and gradients) under ``user_dir``; returns ``map_id``.

        Saving the same id again replaces it (each file is written to a temporary sibling
        and renamed). Atlas ids (``sSSS_tTT``) are refused: they name DVC-tracked maps.

        Parameters
        ----------
        energy_map : ndarray (h, w), finite, non-negative, energy units per cell.
        domain, map_id : where it goes; letters, digits, '_', '.', '-'.
        metadata : EnergyMapMetadata or mapping, optional
            An :class:`EnergyMapMetadata` keeps its ``timestamp``, ``perturbations`` and
            ``user_metadata`` (the rest is recomputed from the map at each scale when
            loaded); a plain mapping is kept as ``user_metadata`` (JSON values).
        """
        if self.user_dir is None:
            raise ValueError("user_dir is None: allowed a loader made with user_dir=... to save maps")
        if not isinstance(map_id, str) or not _USER_ID.match(map_id) or _ATLAS_ID.match(map_id):
            raise ValueError(f"map_id={map_id!r} is invalid: allowed letters, digits, '_', '.', '-' (not an atlas id like 's000_t00')")
        if not _DOMAIN.match(domain):
            raise ValueError(f"domain={domain!r} is invalid: allowed lower-case letters, digits and '_'")
        arr = np.asarray(energy_map, dtype=np.float64)
        if not self.validate_shape(arr):
            raise ValueError(f"energy_map shape {arr.shape} is invalid: allowed (h, w), h in {patterns.SCALES}, w = h or 1.5 h")
        if not np.isfinite(arr).all() or (arr < 0).any() or arr.sum() <= 0:
            raise ValueError("energy_map is invalid: allowed finite, non-negative values with a positive total")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValueError(f"metadata={metadata!r} is invalid: allowed an EnergyMapMetadata, a mapping or None")
        if isinstance(metadata, EnergyMapMetadata):
            extra = {"timestamp": metadata.timestamp, "perturbations": dict(metadata.perturbations),
                     "user_metadata": dict(metadata.user_metadata)}
        else:
            extra = {"timestamp": None, "perturbations": {}, "user_metadata": dict(metadata or {})}
        levels = self.precompute_pyramids(arr)
        folder = self.user_dir / domain
        self._refuse_data_dir(folder, "user_dir/domain")  # e.g. user_dir='data', domain='energy'
        folder.mkdir(parents=True, exist_ok=True)
        for scale, m in levels.items():
            _write_user_map(folder / f"{map_id}_{scale}.h5", domain, scale, m, extra, sorted(levels, reverse=True))
        return map_id


def _write_user_map(path: Path, domain: str, scale: int, m: np.ndarray, extra: dict[str, Any], scales: list[int]) -> None:
    """One scale of a user map; ``extra``: timestamp (or None), perturbations, user_metadata."""
    from synthbank import jsonio

    h, w = m.shape
    gx, gy = pyramid.compute_gradients(m, 1.0 / h)
    content = wellformat.WellContent(
        dataset_name=f"energy_user_{domain}", time=np.zeros(1, np.float32),
        coords={"y": ((np.arange(h) + 0.5) / h).astype(np.float32), "x": ((np.arange(w) + 0.5) / h).astype(np.float32)},
        fields={0: {"energy": (m[None, None], {})}, 1: {"energy_gradient": (np.stack([gy, gx], -1)[None, None], {})}},
        scalars={"total_energy": (np.array([[m.sum()]]), True, True), "entropy": (np.array([[thermo.entropy(m)]]), True, True)},
        boundary={"y_periodic": ("y", "periodic"), "x_periodic": ("x", "periodic")},
        root_attrs={"family": "energy", "domain": domain, "scale": np.int64(scale), "scales": np.array(scales, np.int64),
                    "user_metadata": jsonio.dumps(extra["user_metadata"]).strip(),
                    "perturbations": jsonio.dumps(extra["perturbations"]).strip(),
                    **({} if extra["timestamp"] is None else {"timestamp": extra["timestamp"]})},
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wellformat.write(tmp, content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["EnergyAtlasLoader", "EnergyMapMetadata", "GradientField", "ThermodynamicViolation", "atlas_map_id"]
