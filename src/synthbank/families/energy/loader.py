"""``EnergyAtlasLoader``: seed 004's loader API over the Well-format files of the atlas.

Lazy: nothing is read when the loader is made; :meth:`EnergyAtlasLoader.load_map` opens one
file, reads one chunk (one map) and a few per-step scalars, and closes it. Pyramids and
gradients are read from the stored scales, never recomputed on read. Maps the user saves go
to ``user_dir`` (never into the DVC-tracked ``data_dir``).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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


class EnergyAtlasLoader:
    """Read maps, batches, pyramids and gradients of the energy atlas; save user maps.

    Parameters
    ----------
    data_dir : directory holding one folder per domain (``data/energy``), read only.
    user_dir : where :meth:`save_map` writes (``<user_dir>/<domain>/<map_id>_<scale>.h5``);
        must not lie inside ``data_dir``. None: saving is refused.
    tolerance : relative energy error allowed between pyramid scales (seed: 0.05).
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
    def load_map(self, domain: str, map_id: int | str, scale: int = 256) -> tuple[np.ndarray, dict[str, Any]]:
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
        metadata : dict with domain, map_id, sequence, step, scale, energy, entropy and
            ``perturbations`` (kind -> parameter, for the kinds applied at that step).
        """
        path = self._user_path(domain, map_id, scale) if self._is_user(map_id) else self._atlas_path(domain, scale)
        if not path.is_file():
            raise FileNotFoundError(f"map_id={map_id!r} of domain {domain!r} at scale {scale} does not exist ({path})")
        with self._open(path) as f:
            ds = f["t0_fields/energy"]
            seq, step = (0, 0) if self._is_user(map_id) else self._locate(map_id, ds.shape[1], ds.shape[0])
            energy_map = ds[seq, step]
            sc = f["scalars"]
            meta = {
                "domain": domain, "map_id": map_id if self._is_user(map_id) else atlas_map_id(seq, step),
                "sequence": seq, "step": step, "scale": scale, "shape": list(energy_map.shape),
                "energy": float(sc["total_energy"][seq, step]), "entropy": float(sc["entropy"][seq, step]),
            }
            if "rotation_applied" in sc:
                applied = {k: bool(sc[f"{k}_applied"][seq, step]) for k in KINDS}
                param = {"rotation": "rotation_angle_deg", "noise": "noise_level", "blur": "blur_length_px", "scaling": "scaling_factor"}
                meta["perturbations"] = {k: (float(sc[param[k]][seq, step]) if k in param else
                                             [int(sc["translation_dy_px"][seq, step]), int(sc["translation_dx_px"][seq, step])])
                                         for k in KINDS if applied[k]}
            if "user_metadata" in f.attrs:
                meta["user_metadata"] = f.attrs["user_metadata"]
        return energy_map, meta

    def load_gradients(self, domain: str, map_id: int | str, scale: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """The stored gradient (grad_x, grad_y) of one map, energy per cell per unit length."""
        path = self._user_path(domain, map_id, scale) if self._is_user(map_id) else self._atlas_path(domain, scale)
        with self._open(path) as f:
            ds = f["t1_fields/energy_gradient"]
            seq, step = (0, 0) if self._is_user(map_id) else self._locate(map_id, ds.shape[1], ds.shape[0])
            g = ds[seq, step]
        return g[..., 1], g[..., 0]

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

    # -- writing ------------------------------------------------------------------------
    def save_map(self, energy_map: np.ndarray, domain: str, map_id: str, metadata: Mapping[str, Any] | None = None) -> str:
        """Save a map (and its pyramid and gradients) under ``user_dir``; returns ``map_id``.

        Saving the same id again replaces it (each file is written to a temporary sibling
        and renamed). Atlas ids (``sSSS_tTT``) are refused: they name DVC-tracked maps.
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
        levels = self.precompute_pyramids(arr)
        folder = self.user_dir / domain
        self._refuse_data_dir(folder, "user_dir/domain")  # e.g. user_dir='data', domain='energy'
        folder.mkdir(parents=True, exist_ok=True)
        for scale, m in levels.items():
            _write_user_map(folder / f"{map_id}_{scale}.h5", domain, scale, m, dict(metadata or {}), sorted(levels, reverse=True))
        return map_id


def _write_user_map(path: Path, domain: str, scale: int, m: np.ndarray, metadata: dict[str, Any], scales: list[int]) -> None:
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
                    "user_metadata": jsonio.dumps(metadata).strip()},
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wellformat.write(tmp, content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["EnergyAtlasLoader", "ThermodynamicViolation", "atlas_map_id"]
