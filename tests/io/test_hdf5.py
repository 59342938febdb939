import time
import zlib

import h5py
import numpy as np

from synthbank.io import deflate, hdf5


def _write(path, data):
    with hdf5.create_file(path, {"z_last": 1, "family": "t", "params": {"b": 2, "a": 1}, "names": ["x", "y"]}) as f:
        g = hdf5.create_group(f, "grp", {"units": "m"})
        hdf5.create_dataset(g, "d", shape=data.shape, dtype=data.dtype, chunks=(100,), deflate=1, data=data,
                            attrs={"axes": ["i"], "units": "counts"})


def test_same_input_same_bytes_across_time(tmp_path):
    data = np.arange(1000, dtype=np.uint16)
    _write(tmp_path / "a.h5", data)
    time.sleep(1.1)  # any stored timestamp would differ now
    _write(tmp_path / "b.h5", data)
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()


def test_attributes_and_values_round_trip(tmp_path):
    data = np.arange(1000, dtype=np.uint16)
    _write(tmp_path / "a.h5", data)
    with h5py.File(tmp_path / "a.h5") as f:
        assert f.attrs["params"] == '{"a": 1, "b": 2}'
        assert list(f.attrs["names"]) == ["x", "y"]
        assert list(f.attrs) == sorted(f.attrs)
        d = f["grp/d"]
        assert d.chunks == (100,) and d.compression == "gzip"
        assert d.attrs["units"] == "counts"
        assert np.array_equal(d[...], data)


def test_direct_chunks_from_shared_segments_read_back(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 40, (1000, 4, 4), dtype=np.uint8)
    with hdf5.create_file(tmp_path / "c.h5", {}) as f:
        ds = hdf5.create_dataset(f, "x", shape=a.shape, dtype=np.uint8, chunks=(300, 4, 4), deflate=1)
        for start in range(0, 1000, 300):
            part = a[start : start + 300]
            pad = bytes((300 - len(part)) * 16)
            segs = [deflate.segment(part.tobytes(), 1)] + ([deflate.segment(pad, 1)] if pad else [])
            hdf5.write_chunk(ds, (start, 0, 0), deflate.zlib_stream(segs, zlib.adler32(pad, zlib.adler32(part.tobytes()))))
    with h5py.File(tmp_path / "c.h5") as f:
        assert np.array_equal(f["x"][...], a)


def test_zlib_stream_is_plain_zlib():
    data = b"lattice" * 1000
    stream = deflate.zlib_stream([deflate.segment(data[:3000], 1), deflate.segment(data[3000:], 1)], zlib.adler32(data))
    assert zlib.decompress(stream) == data


def _two_datasets(path, keep_first_open: bool) -> bytes:
    """labels then index, as atomic's split writer closes a file; the first kept open or not."""
    f = hdf5.create_file(path, {"family": "test"})
    first = hdf5.create_dataset(f, "labels", shape=(8000,), dtype=np.uint8, chunks=(8000,), deflate=1,
                                data=np.arange(8000, dtype=np.uint8))
    held = [first] if keep_first_open else []  # as a sampling profiler holding a frame does, for a moment
    del first
    hdf5.create_dataset(f, "index", shape=(8000,), dtype=np.uint64, chunks=(8000,), deflate=1,
                        data=np.arange(8000, dtype=np.uint64) * 7919)
    f.close()
    held.clear()
    return path.read_bytes()


def test_a_dataset_held_open_longer_does_not_move_the_next_ones_blocks(tmp_path):
    # A Dask worker's profiler keeps a frame (and the dataset in it) alive a few ms: the
    # chunks must reach the file when the dataset is written, not when it is freed.
    assert _two_datasets(tmp_path / "a.h5", False) == _two_datasets(tmp_path / "b.h5", True)


def test_raw_offset_is_where_a_contiguous_dataset_holds_its_array(tmp_path):
    rng = np.random.default_rng(5)
    arrays = {"a": rng.random((20, 30, 3)).astype(np.float32), "m": rng.integers(0, 200, (20, 30), dtype=np.uint8)}
    with hdf5.create_file(tmp_path / "f.h5", {"family": "t"}) as f:
        offsets = {n: hdf5.raw_offset(hdf5.create_dataset(f, n, shape=a.shape, dtype=a.dtype, data=a, attrs={"u": n}), a)
                   for n, a in arrays.items()}
    raw = (tmp_path / "f.h5").read_bytes()
    for name, a in arrays.items():
        assert raw[offsets[name] : offsets[name] + a.nbytes] == a.tobytes()


def test_raw_offset_is_none_where_the_file_does_not_hold_the_array_bytes(tmp_path):
    a = np.arange(1000, dtype=np.float32)
    with hdf5.create_file(tmp_path / "f.h5", {}) as f:
        chunked = hdf5.create_dataset(f, "c", shape=a.shape, dtype=a.dtype, chunks=(100,), data=a)
        deflated = hdf5.create_dataset(f, "z", shape=a.shape, dtype=a.dtype, chunks=(100,), deflate=1, data=a)
        converted = hdf5.create_dataset(f, "d", shape=a.shape, dtype=np.float64, data=a)
        empty = hdf5.create_dataset(f, "e", shape=a.shape, dtype=a.dtype)  # no storage yet
        assert [hdf5.raw_offset(ds, a) for ds in (chunked, deflated, converted, empty)] == [None] * 4


def test_raw_offset_of_a_big_endian_array_stored_as_it_is(tmp_path):
    big_endian = np.arange(1000, dtype=">f4")  # HDF5 keeps the array's own byte order: no conversion
    with hdf5.create_file(tmp_path / "f.h5", {}) as f:
        offset = hdf5.raw_offset(hdf5.create_dataset(f, "b", shape=big_endian.shape, dtype=big_endian.dtype,
                                                     data=big_endian), big_endian)
    assert (tmp_path / "f.h5").read_bytes()[offset : offset + big_endian.nbytes] == big_endian.tobytes()
