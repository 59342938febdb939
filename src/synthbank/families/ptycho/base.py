"""A user's own object, probe and scan positions: a PtychoPINN-style base NPZ (``ptycho.base_npz``).

The file is read with ``numpy.load(allow_pickle=False)`` and only the keys below are
touched, so a PtychoPINN file whose ``_metadata`` member is a pickled object still opens.

=================================  ==========  ==============================================
key                                required    meaning
=================================  ==========  ==============================================
``objectGuess``                    yes         (H, W) complex (or real) transmission
``probeGuess``                     yes         (N, N) complex (or real) probe, N even, N < H, W
``xcoords``, ``ycoords``           no          (n,) patch centres (x: column, y: row), pixels
``xcoords_start``, ``ycoords_start``  no       used when ``xcoords``/``ycoords`` are absent
=================================  ==========  ==============================================

Positions are rounded to whole pixels (the forward model shifts by whole pixels) and every
patch must lie inside the object: ``N/2 <= y <= H - N/2`` and the same for x. Without
positions, the scan of ``ptycho.scan`` runs over the base object. Each problem is one line
naming the file, the key and what is allowed (ValueError; the CLI exits 2).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

#: Where a base NPZ given through params.yaml must live: the DVC stages depend on this
#: directory, so changing a file in it reruns the simulation.
SOURCE_DIR = "sources/ptycho"
COORD_KEYS = (("xcoords", "ycoords"), ("xcoords_start", "ycoords_start"))


@dataclass(frozen=True)
class BaseNpz:
    """What the config knows of a base file before the simulation reads its arrays.

    Attributes
    ----------
    path : str, as given (relative to the working directory)
    sha256 : str, of the file's bytes (recorded in every raw.h5 and in the manifest)
    object_shape : (H, W) of objectGuess
    probe_px : N, the probe's side
    n_positions : number of scan positions the file holds (0: none, the scan params apply)
    """

    path: str
    sha256: str
    object_shape: tuple[int, int]
    probe_px: int
    n_positions: int

    def record(self) -> dict[str, str]:
        return {"path": self.path, "sha256": self.sha256}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _get(npz: np.lib.npyio.NpzFile, key: str, where: str) -> np.ndarray:
    try:
        return npz[key]
    except ValueError:  # numpy refuses object arrays without allow_pickle
        raise ValueError(f"{where}: '{key}' is a pickled object array: allowed a numeric array") from None


def _complex2d(npz: np.lib.npyio.NpzFile, key: str, where: str) -> np.ndarray:
    if key not in npz.files:
        raise ValueError(f"{where}: key '{key}' is missing: allowed a PtychoPINN-style NPZ with objectGuess and probeGuess")
    a = _get(npz, key, where)
    if a.dtype.kind not in "cf":
        raise ValueError(f"{where}: '{key}' has dtype {a.dtype}: allowed complex64/complex128 (or a real float array)")
    if a.ndim != 2:
        raise ValueError(f"{where}: '{key}' has shape {a.shape}: allowed a 2-D array")
    if not np.isfinite(a).all():
        raise ValueError(f"{where}: '{key}' holds NaN or infinite values: allowed finite values")
    return a.astype(np.complex64)


def _coords(npz: np.lib.npyio.NpzFile, where: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(y, x) from xcoords/ycoords, else their _start forms, else None; shapes and values checked."""
    for kx, ky in COORD_KEYS:
        if kx in npz.files or ky in npz.files:
            if kx not in npz.files or ky not in npz.files:
                have, lack = (kx, ky) if kx in npz.files else (ky, kx)
                raise ValueError(f"{where}: '{have}' without '{lack}': allowed both or neither")
            x, y = _get(npz, kx, where), _get(npz, ky, where)
            for k, a in ((kx, x), (ky, y)):
                if a.dtype.kind not in "iuf":
                    raise ValueError(f"{where}: '{k}' has dtype {a.dtype}: allowed a real number array")
            if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
                raise ValueError(f"{where}: '{kx}' {x.shape} and '{ky}' {y.shape}: allowed two 1-D arrays of equal length")
            x, y = x.astype(np.float64), y.astype(np.float64)
            if x.size < 2:
                raise ValueError(f"{where}: {x.size} scan position(s) in '{kx}': allowed at least 2")
            if not (np.isfinite(x).all() and np.isfinite(y).all()):
                raise ValueError(f"{where}: '{kx}'/'{ky}' hold NaN or infinite values: allowed finite pixel coordinates")
            return y, x
    return None


def read_arrays(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The checked object (H, W) complex64, probe (N, N) complex64 and positions (n, 2) float64 (y, x) or None.

    Raises
    ------
    ValueError
        One line naming the file, the key and what is allowed.
    """
    where = str(path)
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{where}: the file does not exist: allowed an existing .npz file")
    try:
        npz = np.load(p, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{where}: not a readable NPZ ({exc}): allowed a file written by numpy.savez") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"{where}: a single .npy array, not an NPZ: allowed a file written by numpy.savez")
    with npz:
        obj = _complex2d(npz, "objectGuess", where)
        probe = _complex2d(npz, "probeGuess", where)
        coords = _coords(npz, where)
    n = probe.shape[0]
    if probe.shape[0] != probe.shape[1] or n % 2 or n < 4:
        raise ValueError(f"{where}: 'probeGuess' has shape {probe.shape}: allowed a square N x N probe with N even and >= 4")
    if not (np.abs(probe) > 0).any():
        raise ValueError(f"{where}: 'probeGuess' is zero everywhere: allowed a probe that carries photons")
    if obj.shape[0] <= n or obj.shape[1] <= n:
        raise ValueError(f"{where}: 'probeGuess' {probe.shape} is not smaller than 'objectGuess' {obj.shape}: allowed N < H and N < W")
    if coords is None:
        return obj, probe, None
    pos = np.rint(np.stack(coords, axis=1))  # whole pixels: the forward model shifts by whole pixels
    lo, hi = n // 2, np.array(obj.shape) - n // 2
    outside = np.flatnonzero(((pos < lo) | (pos > hi)).any(axis=1))
    if outside.size:
        i = int(outside[0])
        raise ValueError(
            f"{where}: scan position {i} (x={coords[1][i]}, y={coords[0][i]}) puts its patch outside the object: "
            f"allowed {lo} <= x <= {hi[1]} and {lo} <= y <= {hi[0]} ({outside.size} position(s) outside)"
        )
    return obj, probe, pos


def inspect(path: str) -> BaseNpz:
    """Check the whole file now (before anything is written) and describe it."""
    obj, probe, pos = read_arrays(path)
    return BaseNpz(str(path), sha256_of(Path(path)), (int(obj.shape[0]), int(obj.shape[1])), int(probe.shape[0]),
                   0 if pos is None else int(len(pos)))


@lru_cache(maxsize=1)  # every block task of a dose reads the same file: once per worker process
def load(base: BaseNpz) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The arrays of ``base``, refusing a file that changed since the config described it."""
    digest = sha256_of(Path(base.path))
    if digest != base.sha256:
        raise ValueError(f"base_npz={base.path} changed during the run (sha256 {digest[:12]}..., expected {base.sha256[:12]}...)")
    return read_arrays(base.path)
