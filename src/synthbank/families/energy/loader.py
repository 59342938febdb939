"""``EnergyAtlasLoader``: the energy source document's loader API over the Well-format files of the atlas.

Lazy: nothing is read when the loader is made; :meth:`EnergyAtlasLoader.load_map` finds the
split file that holds the sequence (each file's ``sequences`` attribute, remembered per
domain and scale), reads one chunk (one map) and a few per-step scalars, and closes it. A
domain at one scale is one Well dataset (``synthbank_energy_<domain>_<h>``, layout.py)
whose train, valid and test files each hold some of its sequences; map ids and sequence
numbers are the domain's, whatever split holds them. Pyramids and
gradients are read from the stored scales, never recomputed on read; the gradient magnitude
|grad E| = hypot(grad_x, grad_y) is offered beside every gradient. Maps the user saves go to
``user_dir`` (never into the DVC-tracked ``data_dir``; their files are written by
:mod:`~synthbank.families.energy.usermaps`). A map's metadata is an
:class:`~synthbank.families.energy.metadata.EnergyMapMetadata`; the methods on maps in
memory (entropy, gradients, pyramids) come from
:class:`~synthbank.families.energy.analysis.MapAnalysis`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank.families.energy import layout, patterns, thermo
from synthbank.families.energy.analysis import MapAnalysis
from synthbank.families.energy.metadata import EnergyMapMetadata
from synthbank.families.energy.perturb import KINDS
from synthbank.families.energy.thermo import ThermodynamicViolation
from synthbank.families.energy.usermaps import _write_user_map

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


class EnergyAtlasLoader(MapAnalysis):
    """Read maps, batches, pyramids and gradients of the energy atlas; save user maps.

    Parameters
    ----------
    data_dir : directory holding one folder per domain (``data/energy``), read only; each
        domain folder holds one Well dataset per scale (layout.py).
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
        self._index: dict[tuple[str, int], tuple[list[tuple[Path, np.ndarray]], int]] = {}

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

    def _atlas_files(self, domain: str, scale: int) -> tuple[list[tuple[Path, np.ndarray]], int]:
        """The split files of a domain at one scale with their sequence numbers, and the steps per sequence."""
        key = (domain, int(scale)) if _DOMAIN.match(str(domain)) else None
        if key in self._index:
            return self._index[key]
        dataset = layout.dataset_dir(self.data_dir / str(domain), str(domain), int(scale)) if key else None
        paths = layout.split_files(dataset) if dataset is not None else []
        if not paths:
            present = sorted(layout.scale_datasets(self.data_dir / domain, domain)) if key else []
            if not present:
                raise FileNotFoundError(f"domain={domain!r} has no files under {self.data_dir}: allowed one of {self.domains()}")
            raise ValueError(f"scale={scale!r} is not stored for domain {domain!r}: allowed one of {present}")
        files, n_steps = [], 0
        for path in paths:
            with self._open(path) as f:
                files.append((path, np.asarray(f.attrs["sequences"], dtype=np.int64)))
                n_steps = int(f["t0_fields/energy"].shape[1])
        self._index[key] = (files, n_steps)
        return files, n_steps

    def _atlas_map(self, domain: str, map_id: int | str, scale: int) -> tuple[Path, int, int, int]:
        """(split file, row in it, sequence, step) of an atlas map."""
        files, n_steps = self._atlas_files(domain, scale)
        seq, step = self._locate(map_id, n_steps, sum(len(s) for _, s in files))
        for path, seqs in files:
            rows = np.flatnonzero(seqs == seq)
            if rows.size:
                return path, int(rows[0]), seq, step
        raise ValueError(f"map_id={map_id!r}: sequence {seq} is in no split file of domain {domain!r} at scale {scale}")

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
        if user:
            path, row, seq, step = self._user_path(domain, map_id, scale), 0, 0, 0
        else:
            path, row, seq, step = self._atlas_map(domain, map_id, scale)
        if not path.is_file():
            raise FileNotFoundError(f"map_id={map_id!r} of domain {domain!r} at scale {scale} does not exist ({path})")
        with self._open(path) as f:
            energy_map = f["t0_fields/energy"][row, step]
            sc = f["scalars"]
            energy = float(sc["total_energy"][row, step])
            perturbations: dict[str, Any] = {}
            if "rotation_applied" in sc:
                applied = {k: bool(sc[f"{k}_applied"][row, step]) for k in KINDS}
                perturbations = {k: (float(sc[_KIND_PARAM[k]][row, step]) if k in _KIND_PARAM else
                                     [int(sc["translation_dy_px"][row, step]), int(sc["translation_dx_px"][row, step])])
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
                entropy=float(sc["entropy"][row, step]), timestamp=None if timestamp is None else str(timestamp),
                perturbations=perturbations,
                user_metadata=json.loads(f.attrs["user_metadata"]) if "user_metadata" in f.attrs else {},
            )
        return energy_map, meta

    def load_gradients(self, domain: str, map_id: int | str, scale: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """The stored gradient (grad_x, grad_y) of one map, energy per cell per unit length."""
        if self._is_user(map_id):
            path, row, step = self._user_path(domain, map_id, scale), 0, 0
        else:
            path, row, _, step = self._atlas_map(domain, map_id, scale)
        with self._open(path) as f:
            g = f["t1_fields/energy_gradient"][row, step]
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
        files, n_steps = self._atlas_files(domain, scale)
        if window > n_steps:
            raise ValueError(f"window={window} is invalid: allowed at most n_steps={n_steps}")
        starts = np.arange(0, n_steps - window + 1, stride)
        index = starts[:, None] + np.arange(window)[None, :]
        steps = np.unique(index)  # sorted; with stride > window, skipped steps are not read
        parts = []
        for path, _ in files:
            with self._open(path) as f:
                ds = f["t0_fields/energy"]
                parts.append(ds[...] if steps.size == n_steps else ds[:, steps.tolist()])
        seqs = np.concatenate([s for _, s in files])
        data = np.concatenate(parts)[np.argsort(seqs, kind="stable")]  # rows in sequence order
        batch = data[:, np.searchsorted(steps, index)].reshape(-1, window, *data.shape[2:])
        meta = [{"domain": domain, "sequence": int(s), "start_step": int(t0),
                 "map_ids": [atlas_map_id(int(s), int(t0) + k) for k in range(window)]}
                for s in np.sort(seqs) for t0 in starts]
        return batch, meta

    def get_domain_stats(self, domain: str, scale: int = 256) -> dict[str, Any]:
        """Counts and energy/entropy statistics of a domain, from its per-step scalars."""
        files, n_steps = self._atlas_files(domain, scale)
        es, ss = [], []
        for path, _ in files:
            with self._open(path) as f:
                _, _, h, w = f["t0_fields/energy"].shape
                es.append(f["scalars/total_energy"][...].astype(np.float64))
                ss.append(f["scalars/entropy"][...].astype(np.float64))
                pattern = f.attrs.get("pattern", "")
                scales = [int(x) for x in f.attrs.get("scales", [scale])]
        order = np.argsort(np.concatenate([q for _, q in files]), kind="stable")
        e, s = np.concatenate(es)[order], np.concatenate(ss)[order]
        n_traj = len(order)
        return {
            "domain": domain, "pattern": pattern, "scales": scales, "n_maps": int(n_traj * n_steps),
            "n_sequences": int(n_traj), "n_steps": int(n_steps), "shape": [int(h), int(w)],
            "energy": {"mean": float(e.mean()), "std": float(e.std()), "min": float(e.min()), "max": float(e.max())},
            "entropy": {"mean": float(s.mean()), "std": float(s.std()), "min": float(s.min()), "max": float(s.max())},
        }

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


__all__ = ["EnergyAtlasLoader", "ThermodynamicViolation", "atlas_map_id"]
