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
positions, the scan of ``ptycho.scan`` runs over the base object. The object must transmit
under the probe at some position (at the file's positions; without them, anywhere a patch
can lie here and at the scan's positions in :func:`check_scan`). Each problem is one line
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
#: The first bytes of a zip file (a local file header, or the end record of an empty zip),
#: as numpy.load tests them.
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
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
    with open(p, "rb") as f:
        magic = f.read(6)
    if not magic.startswith(ZIP_MAGIC):  # numpy.load's own test; else it says "pickled data" of any file
        what = "a single .npy array, not an NPZ" if magic == b"\x93NUMPY" else "is not an NPZ (zip) file"
        raise ValueError(f"{where}: {what}: allowed a file written by numpy.savez")
    try:
        npz = np.load(p, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{where}: not a readable NPZ ({exc}): allowed a file written by numpy.savez") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):  # not reached: the signature was checked
        raise ValueError(f"{where}: is not an NPZ (zip) file: allowed a file written by numpy.savez")
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
        _check_reachable(obj, probe, where)
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
    _check_transmits(obj, probe, pos, where)
    return obj, probe, pos


def _support(a: np.ndarray) -> np.ndarray:
    """Where ``|a|**2 > 0`` in float64, as the simulation computes it (bool, a's shape).

    A float32 part squares to at least ~2e-90 in float64 and a product of two to ~4e-180:
    no underflow, so a pattern's total is positive exactly when the supports overlap.
    """
    parts = a.view(np.float32)
    return (parts[..., 0::2] != 0) | (parts[..., 1::2] != 0)


def check_scan(base: BaseNpz, positions: np.ndarray) -> None:
    """Refuse the scan ``positions`` (n, 2) (y, x) of ``ptycho.scan`` over a file without positions
    if the probe sees no photons through the object at all of them (ValueError naming the file)."""
    obj, probe, _ = read_arrays(base.path)  # not load(): its cache would skip the changed-file check later
    _check_transmits(obj, probe, positions, base.path)


def _check_transmits(obj: np.ndarray, probe: np.ndarray, pos: np.ndarray, where: str) -> None:
    """Refuse positions (n, 2) where the probe sees no photons through the object at any of them.

    The simulation scales every dose by the mean total over the scan, which must be > 0.
    """
    n = probe.shape[0]
    corners = pos.astype(np.int64) - n // 2
    windows = np.lib.stride_tricks.sliding_window_view(_support(obj), (n, n))
    probe_on = _support(probe)
    for start in range(0, len(corners), 256):  # bounded memory: a block of patches at a time
        c = corners[start : start + 256]
        if (windows[c[:, 0], c[:, 1]] & probe_on).any():
            return
    raise ValueError(
        f"{where}: no transmitted photons under the probe at the {len(pos)} scan positions ('objectGuess' is zero "
        f"wherever 'probeGuess' is not): allowed an object that is non-zero under the probe at some scan position"
    )


def _check_reachable(obj: np.ndarray, probe: np.ndarray, where: str) -> None:
    """Without positions, refuse an object the probe sees no photons through at any position a patch can take.

    Pixel (y, x) of the object meets probe pixel (dy, dx) for a corner (y - dy, x - dx) in
    [0, H - N] x [0, W - N]: a count over a window of the probe's support (summed-area table).
    """
    n = probe.shape[0]
    h, w = obj.shape
    table = np.zeros((n + 1, n + 1), np.int64)
    table[1:, 1:] = _support(probe).cumsum(0).cumsum(1)
    ys, xs = np.arange(h), np.arange(w)
    y0, y1 = np.maximum(0, ys - (h - n))[:, None], np.minimum(n - 1, ys)[:, None] + 1
    x0, x1 = np.maximum(0, xs - (w - n))[None, :], np.minimum(n - 1, xs)[None, :] + 1
    seen = table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]
    if not (_support(obj) & (seen > 0)).any():
        raise ValueError(
            f"{where}: no transmitted photons under the probe at any scan position ('objectGuess' is zero wherever "
            f"'probeGuess' can reach it): allowed an object that is non-zero under the probe somewhere"
        )


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
