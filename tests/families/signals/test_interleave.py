"""The interleaved .float32 copy read straight from the HDF5 chunks: the same bits as h5py reads."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from synthbank import checksums
from synthbank.families.signals import layout
from synthbank.families.signals.interleave import chunk_offsets, write_float32


def _dataset(path, data, **kw):
    """``data`` (samples, channels) as /signal in the dataset's chunk layout."""
    with h5py.File(path, "w") as f:
        f.create_dataset(layout.DATASET, data=data, chunks=layout.chunk_shape(*data.shape), **kw)


def _samples(n, c, seed=3):
    bits = np.random.default_rng(seed).standard_normal((n, c), dtype=np.float32).view(np.uint32)
    bits[1, 0] = 0x7FC01234  # a NaN with a payload: copied as bits, not as a value
    return bits.view(np.float32)


# a partial last time chunk and a partial last chunk column; narrower than one chunk; whole chunks
@pytest.mark.parametrize(("n", "c"), [(2500, 37), (700, 5), (2048, 32)])
@pytest.mark.parametrize("budget", [1, 3000, 1 << 20])
def test_the_copy_holds_every_sample_bit_for_bit_in_sample_major_order(tmp_path, n, c, budget):
    data = _samples(n, c)
    _dataset(tmp_path / "s.h5", data)
    with h5py.File(tmp_path / "s.h5") as f:
        assert chunk_offsets(f[layout.DATASET]) is not None  # the chunk-reading path
    digest = write_float32(tmp_path / "s.h5", tmp_path / "s.float32", budget)
    raw = (tmp_path / "s.float32").read_bytes()
    assert raw == data.astype("<f4").tobytes()
    assert digest == checksums.digest_file(tmp_path / "s.float32")


def test_a_compressed_dataset_goes_through_h5py_with_the_same_bytes(tmp_path):
    data = _samples(1500, 20)
    _dataset(tmp_path / "z.h5", data, compression="gzip")
    with h5py.File(tmp_path / "z.h5") as f:
        assert chunk_offsets(f[layout.DATASET]) is None  # filtered chunks: not read raw
    write_float32(tmp_path / "z.h5", tmp_path / "z.float32", 5000)
    assert (tmp_path / "z.float32").read_bytes() == data.astype("<f4").tobytes()


def test_a_missing_chunk_is_not_read_raw(tmp_path):
    with h5py.File(tmp_path / "m.h5", "w") as f:
        ds = f.create_dataset(layout.DATASET, shape=(2048, 32), dtype="<f4", chunks=(1024, 16))
        ds[:1024, :16] = 1.0  # three chunks never written: HDF5 reads them as the fill value
    with h5py.File(tmp_path / "m.h5") as f:
        assert chunk_offsets(f[layout.DATASET]) is None
    write_float32(tmp_path / "m.h5", tmp_path / "m.float32")
    copy = np.fromfile(tmp_path / "m.float32", dtype="<f4").reshape(2048, 32)
    assert copy[:1024, :16].min() == 1.0 and copy.sum() == 1024 * 16


def test_a_big_endian_dataset_goes_through_h5py_with_little_endian_bytes(tmp_path):
    data = _samples(1100, 18)
    with h5py.File(tmp_path / "b.h5", "w") as f:
        f.create_dataset(layout.DATASET, data=data.astype(">f4"), chunks=layout.chunk_shape(*data.shape))
    with h5py.File(tmp_path / "b.h5") as f:
        assert chunk_offsets(f[layout.DATASET]) is None  # its chunks' bytes are not the copy's
    write_float32(tmp_path / "b.h5", tmp_path / "b.float32", 4000)
    assert (tmp_path / "b.float32").read_bytes() == data.astype("<f4").tobytes()


class _WithoutChunkIter:
    """A dataset seen through an HDF5 older than 1.12.3: its id has no ``chunk_iter``."""

    def __init__(self, ds):
        self._ds = ds
        self.id = type("Id", (), {name: getattr(ds.id, name) for name in ("get_create_plist", "get_num_chunks", "get_chunk_info")})()

    def __getattr__(self, name):
        return getattr(self._ds, name)


def test_the_chunk_index_is_read_one_chunk_at_a_time_without_chunk_iter(tmp_path):
    _dataset(tmp_path / "s.h5", _samples(2500, 37))
    with h5py.File(tmp_path / "s.h5") as f:
        ds = f[layout.DATASET]
        offsets = chunk_offsets(_WithoutChunkIter(ds))
        assert offsets == chunk_offsets(ds) and len(offsets) == 3 * 3  # 3 time chunks x 3 chunk columns
