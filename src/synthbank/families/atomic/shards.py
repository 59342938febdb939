"""The two on-disk layouts of an atomic split, and a lazy reader for both.

* one file per split (``atomic.shard_images`` 0, the default): ``<split>.h5`` (and ``<split>.npz``);
* shards (``atomic.shard_images`` S > 0): ``<split>-00000-of-000NN.h5``, one file per S
  dataset items: shard k of every split holds that split's items among global items
  ``[k S, (k + 1) S)``, so S must be a multiple of the block size and a shard is whole
  blocks. Item i is the same bytes in either layout (the HDF5 chunks are the same blocks).

:class:`SplitReader` opens one file at a time and reads rows on demand, so a reader
never holds a whole split (or all shards) in memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from synthbank.families.atomic.layout import BLOCK_SIZE

#: ``<split>-<k>-of-<n>.h5``: five digits each, as in ``train-00000-of-00020.h5``.
_SHARD_RE = re.compile(r"^(?P<split>[a-z]+)-(?P<k>\d{5})-of-(?P<n>\d{5})\.h5$")


def check_shard_images(value: int) -> int:
    """``value`` if it is 0 or a positive multiple of the block size, else ``ValueError`` (one line)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value % BLOCK_SIZE:
        raise ValueError(
            f"atomic.shard_images={value!r} is invalid: allowed 0 (one file per split) "
            f"or a positive multiple of {BLOCK_SIZE} (the block size)"
        )
    return value


def n_shards(num_images: int, shard_images: int) -> int:
    """Shard files per split (``ceil(num_images / shard_images)``)."""
    return -(-num_images // shard_images)


def shard_name(split: str, k: int, n: int) -> str:
    """``train-00003-of-00020.h5``."""
    return f"{split}-{k:05d}-of-{n:05d}.h5"


def split_files(directory: Path, split: str) -> list[Path]:
    """The HDF5 files of one split in item order: ``[<split>.h5]``, the shards, or ``[]``.

    Raises
    ------
    ValueError
        Both layouts at once, or an incomplete or inconsistent set of shards.
    """
    flat = directory / f"{split}.h5"
    found = [(m, p) for p in directory.glob(f"{split}-*-of-*.h5") if (m := _SHARD_RE.match(p.name)) and m["split"] == split]
    if not found:
        return [flat] if flat.is_file() else []
    if flat.is_file():
        raise ValueError(f"{directory} is invalid: it holds both {flat.name} and shards of {split}: allowed one layout")
    counts = {int(m["n"]) for m, _ in found}
    n = counts.pop()
    if counts or sorted(int(m["k"]) for m, _ in found) != list(range(n)):
        raise ValueError(f"{directory} is invalid: the shards of {split} are incomplete: allowed {shard_name(split, 0, n)} to {shard_name(split, n - 1, n)}")
    return [p for _, p in sorted(found, key=lambda mp: int(mp[0]["k"]))]


class SplitReader:
    """Rows of ``/images`` and ``/labels`` across a split's files, read on demand.

    Parameters
    ----------
    files : the split's HDF5 files in item order (:func:`split_files`); their row counts
        are read once, here.
    """

    def __init__(self, files: Sequence[str | Path]) -> None:
        self.files = [Path(f) for f in files]
        rows = []
        for path in self.files:
            with h5py.File(path, "r") as f:
                missing = {"images", "labels"} - set(f)
                if missing:
                    raise ValueError(f"{path} is invalid: it lacks datasets {sorted(missing)}: allowed the pipeline's /images and /labels")
                rows.append(f["images"].shape[0])
        self.offsets = np.concatenate([[0], np.cumsum(rows, dtype=np.int64)])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def _pieces(self, start: int, stop: int) -> list[tuple[int, int, int]]:
        """``(file, local start, local stop)`` covering global rows ``[start, stop)``."""
        out = []
        for i in range(len(self.files)):
            lo, hi = max(start, int(self.offsets[i])), min(stop, int(self.offsets[i + 1]))
            if lo < hi:
                out.append((i, lo - int(self.offsets[i]), hi - int(self.offsets[i])))
        return out

    def read(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``[start, stop)`` of dataset ``name`` (``images`` or ``labels``)."""
        stop = len(self) if stop is None else min(stop, len(self))
        parts = []
        for i, lo, hi in self._pieces(start, stop):
            with h5py.File(self.files[i], "r") as f:
                parts.append(f[name][lo:hi])
        if parts:
            return np.concatenate(parts)
        with h5py.File(self.files[0], "r") as f:  # an empty range keeps the dataset's shape and dtype
            return f[name][0:0]

    def take(self, name: str, rows: np.ndarray, span: int = BLOCK_SIZE) -> np.ndarray:
        """Rows ``rows`` (sorted, global) of dataset ``name``, reading only the ``span``-row
        windows that hold one (a sparse pick does not read the whole split)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not rows.size:
            return self.read(name, 0, 0)
        windows, starts = np.unique(rows // span, return_index=True)
        parts = []
        for w, lo, hi in zip(windows, starts, [*starts[1:], rows.size], strict=True):
            part = self.read(name, int(w) * span, int(w + 1) * span)
            parts.append(part[rows[lo:hi] - int(w) * span])
        return np.concatenate(parts)


class LazyArray:
    """One dataset (``images`` or ``labels``) of a split, read from its files on indexing.

    ``a[i]``, ``a[start:stop]`` (step 1) and ``a[rows]`` (an integer array) read only what
    they need; ``numpy.asarray(a)`` reads everything.
    """

    def __init__(self, reader: SplitReader, name: str) -> None:
        self.reader, self.name = reader, name
        empty = reader.read(name, 0, 0)
        self.shape = (len(reader), *empty.shape[1:])
        self.dtype = empty.dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: int | slice | np.ndarray) -> np.ndarray:
        """Rows ``key``: an int, a step-1 or strided slice, or an integer array (booleans are refused)."""
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                return self[np.arange(start, stop, step)]
            return self.reader.read(self.name, start, max(start, stop))
        rows = np.asarray(key)
        if rows.dtype.kind not in "iu":  # a boolean mask would be read as row numbers 0 and 1
            raise TypeError(f"index of dtype {rows.dtype} is invalid: allowed an int, a slice or an integer array")
        if rows.ndim == 0:
            i = int(rows) + (len(self) if rows < 0 else 0)
            if not 0 <= i < len(self):
                raise IndexError(f"index {int(rows)} is out of range for {len(self)} rows")
            return self.reader.read(self.name, i, i + 1)[0]
        order = np.argsort(rows, kind="stable")
        out = np.empty((rows.size, *self.shape[1:]), self.dtype)
        out[order] = self.reader.take(self.name, rows[order])
        return out

    def __array__(self, dtype: np.dtype | None = None, copy: bool | None = None) -> np.ndarray:
        data = self.reader.read(self.name)
        return data if dtype is None else data.astype(dtype)
