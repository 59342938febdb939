"""The interleaved ``.float32`` copy of a signals HDF5 file, written and digested in one pass.

The copy is the ``/signal`` dataset's samples, sample-major, little-endian: row ``t`` holds
every channel's sample ``t``. The HDF5 file stores them in (1024 samples x 16 channels)
chunks, so a block of rows is a piece of every chunk column. :func:`write_float32` reads
those pieces straight from the file (``pread`` at each chunk's address: the chunks are
unfiltered, their bytes are the samples'), puts them side by side with one numpy copy,
digests the rows and writes them (the commit's fsync makes them durable; ``build`` starts
their writeback early).
A dataset it cannot read that way (filtered, big-endian, a chunk missing) goes through
h5py's ``read_direct`` instead; the bytes are the same.

Memory: two buffers of about ``memory_budget`` bytes each (the chunk pieces and the rows).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import checksums
from synthbank.families.signals import layout
from synthbank.io.durable import start_flush, write_all

#: Bytes of rows copied at a time (and of chunk pieces read at a time).
FLOAT32_BUFFER = 2 * 1024 * 1024
#: Working memory of a copy with the default budget: the chunk pieces and the rows, one buffer each.
COPY_MEMORY = 2 * FLOAT32_BUFFER
#: Bytes written between two starts of the disk's writeback (the disk writes while rows are copied).
FLUSH_EVERY = 16 * 1024 * 1024


def write_float32(h5_path: Path, out_path: Path, memory_budget: int = FLOAT32_BUFFER) -> checksums.FileDigest:
    """Copy ``/signal`` of ``h5_path`` to an interleaved little-endian float32 file, sequentially.

    Parameters
    ----------
    h5_path : Path
        A signals HDF5 file: ``/signal``, (n_samples, n_channels) float32, chunked.
    out_path : Path
        The ``.float32`` file to create: ``n_samples * n_channels * 4`` bytes, sample-major.
    memory_budget : int
        Bytes of rows copied at a time (two buffers of about this size are used).

    Returns
    -------
    FileDigest
        Size, CRC-64/GO-ISO and sha256 of the written file, computed while writing
        (the same values :func:`synthbank.checksums.digest_file` gives, without a re-read).
    """
    import h5py

    with h5py.File(h5_path, "r") as f:
        ds = f[layout.DATASET]
        offsets = chunk_offsets(ds)
        if offsets is None:
            return _through_hdf5(ds, out_path, memory_budget)
        shape, chunks = ds.shape, ds.chunks
    return _gather(h5_path, offsets, shape, chunks, out_path, memory_budget)


def chunk_offsets(ds: Any) -> dict[tuple[int, ...], int] | None:
    """File address of every chunk of ``ds``, keyed by the chunk's first element.

    Parameters
    ----------
    ds : h5py.Dataset
        Any dataset (or an object with its ``chunks``, ``dtype``, ``shape`` and ``id``).

    Returns
    -------
    dict of (tuple of int) -> int, or None
        Chunk offset (first sample, first channel) to byte address in the file. None
        unless every chunk is stored, whole and unfiltered, as little-endian float32:
        then a chunk's bytes at its address are its samples in C order.
    """
    if ds.chunks is None or ds.dtype != layout.FLOAT32_DTYPE or ds.id.get_create_plist().get_nfilters():
        return None
    expected = int(np.prod([-(-n // c) for n, c in zip(ds.shape, ds.chunks, strict=True)]))
    size = int(np.prod(ds.chunks)) * 4
    offsets: dict[tuple[int, ...], int] = {}

    def add(info: Any) -> None:
        if info.size == size and info.byte_offset is not None:  # unfiltered (checked above): stored whole
            offsets[tuple(info.chunk_offset)] = int(info.byte_offset)

    if hasattr(ds.id, "chunk_iter"):  # one pass over the index (HDF5 >= 1.12.3)
        ds.id.chunk_iter(add)
    else:
        for i in range(ds.id.get_num_chunks()):
            add(ds.id.get_chunk_info(i))
    return offsets if len(offsets) == expected else None


def _gather(h5_path: Path, offsets: dict[tuple[int, ...], int], shape: tuple[int, int], chunks: tuple[int, int],
            out_path: Path, memory_budget: int) -> checksums.FileDigest:
    """Rows ``t0 .. t0 + k`` at a time: the same rows of every chunk column, side by side."""
    n, c = shape
    tc, cc = chunks
    full, width = divmod(c, cc)  # whole chunk columns, channels of the last partial one
    n_cols = full + (width > 0)
    rows = max(1, min(tc, memory_budget // (4 * n_cols * cc)))
    pieces = np.empty((n_cols, rows, cc), dtype=np.uint32)  # bits, not values: NaN payloads pass unchanged
    fd = os.open(h5_path, os.O_RDONLY)
    try:
        with _RowWriter(out_path, rows * c * 4) as out:
            for t0 in range(0, n, tc):
                in_chunk = min(tc, n - t0)
                for r0 in range(0, in_chunk, rows):
                    k = min(rows, in_chunk - r0)
                    for j in range(n_cols):
                        checksums.pread_exact(fd, memoryview(pieces[j, :k]).cast("B"), offsets[(t0, j * cc)] + r0 * cc * 4)
                    view = out.reserve(k * c * 4)
                    block = np.frombuffer(view, dtype=np.uint32).reshape(k, c)
                    whole = block[:, : full * cc]
                    whole.shape = (k, full, cc)  # a view (setting the shape never copies)
                    np.copyto(whole, pieces[:full, :k].transpose(1, 0, 2))
                    if width:
                        block[:, full * cc :] = pieces[full, :k, :width]
                    del block, whole
                    view.release()
                    out.advance(k * c * 4)
    finally:
        os.close(fd)
    return out.digest.result()


class _RowWriter:
    """Sequential writes of ``out_path`` from one reusable buffer: :meth:`reserve` a view,
    fill it, :meth:`advance` digests and writes it whole (rows never pass through a second
    copy); :attr:`digest` is the file's, without a re-read."""

    def __init__(self, out_path: Path, capacity: int) -> None:
        self._buffer = bytearray(capacity)
        self.digest = checksums.StreamDigest()
        self._file = open(out_path, "wb", buffering=0)  # noqa: SIM115  (closed by __exit__)
        self._unflushed = 0

    def __enter__(self) -> _RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            start_flush(self._file.fileno())  # the commit's fsync then finds little left to write
        finally:
            self._file.close()

    def reserve(self, size: int) -> memoryview:
        """A writable view of the buffer's first ``size`` bytes (at most the capacity)."""
        return memoryview(self._buffer)[:size]

    def advance(self, size: int) -> None:
        """Digest the buffer's first ``size`` bytes and write them at the end of the file."""
        view = memoryview(self._buffer)[:size]
        self.digest.update(view)
        write_all(self._file, view)
        self._unflushed += size
        if self._unflushed >= FLUSH_EVERY:
            start_flush(self._file.fileno())
            self._unflushed = 0


def _through_hdf5(ds: Any, out_path: Path, memory_budget: int) -> checksums.FileDigest:
    """The copy through h5py's ``read_direct`` (any dataset h5py reads), in blocks of whole rows."""
    n, c = ds.shape
    rows = min(n, max(1, memory_budget // (4 * c)))
    with _RowWriter(out_path, rows * c * 4) as out:
        for t0 in range(0, n, rows):
            k = min(rows, n - t0)
            view = out.reserve(k * c * 4)  # HDF5 converts straight into it (byte order, filters)
            ds.read_direct(np.frombuffer(view, dtype=layout.FLOAT32_DTYPE).reshape(k, c), np.s_[t0 : t0 + k])
            view.release()
            out.advance(k * c * 4)
    return out.digest.result()
