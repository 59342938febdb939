"""HDF5 1.8 readability: synthbank.io.hdf5's format choice, read back by the checker."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from synthbank.io import hdf5, hdf5compat

ROOT_ATTRS = {"family": "t", "params": {"b": 2, "a": 1}, "names": ["x", "y"], **{f"n{i:02d}": i for i in range(30)}}


def _write(path, *, channels=4):
    """A tiny file with what the families use: groups, chunked+deflate, direct chunks, 0-d, bool, strings."""
    names = [f"ch{i:04d}" for i in range(channels)]
    with hdf5.create_file(path, ROOT_ATTRS, object_attrs=[{"channel_names": names}]) as f:
        g = hdf5.create_group(f, "grp", {"units": "m"})
        hdf5.create_dataset(g, "chunked", shape=(1000,), dtype=np.uint16, chunks=(100,), deflate=1,
                            data=np.arange(1000, dtype=np.uint16), attrs={"channel_names": names})
        hdf5.create_dataset(g, "short", shape=(5,), dtype=np.float32, chunks=(100,), deflate=1, data=np.ones(5, np.float32))
        hdf5.create_dataset(g, "scalar", shape=(), dtype=np.float32, data=np.float32(3))
        hdf5.create_dataset(g, "mask", shape=(4,), dtype=bool, data=np.array([1, 0, 1, 0], bool))
        hdf5.create_dataset(f, "complex", shape=(3,), dtype=np.complex64, data=np.arange(3) * (1 + 1j))
        ds = hdf5.create_dataset(f, "direct", shape=(10,), dtype=np.uint8, chunks=(10,))
        hdf5.write_chunk(ds, (0,), bytes(range(10)))


def test_default_file_is_superblock_0_with_v1_btree_indexes(tmp_path):
    _write(tmp_path / "a.h5")
    assert (tmp_path / "a.h5").read_bytes()[8] == 0  # the version byte after the signature
    rep = hdf5compat.check(tmp_path / "a.h5")
    assert (rep.superblock, rep.need, rep.blocking()) == (0, "1.8", [])
    by_path = {o.path: o for o in rep.objects}
    assert set(by_path) == {"/", "/grp", "/grp/chunked", "/grp/short", "/grp/scalar", "/grp/mask", "/complex", "/direct"}
    assert {o.header_version for o in rep.objects} == {1} and not any(o.times for o in rep.objects)
    assert {p: o.chunk_index for p, o in by_path.items() if o.chunk_index} == {
        "/grp/chunked": "v1 B-tree", "/grp/short": "v1 B-tree", "/direct": "v1 B-tree"}
    with h5py.File(tmp_path / "a.h5") as f:  # the data is the data
        assert np.array_equal(f["grp/chunked"][...], np.arange(1000)) and f["grp/scalar"][()] == 3
        assert f["direct"][...].tobytes() == bytes(range(10)) and list(f.attrs) == sorted(f.attrs)


def test_default_file_bytes_are_the_same_in_another_process(tmp_path):
    _write(tmp_path / "a.h5")
    code = f"import sys; sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parent)!r}); " \
           f"import test_hdf5compat as t; t._write({str(tmp_path / 'b.h5')!r})"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()


def test_forced_v110_is_flagged_with_the_paths_that_need_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(hdf5, "LIBVER", ("v110", "v110"))
    _write(tmp_path / "new.h5")
    rep = hdf5compat.check(tmp_path / "new.h5")
    assert (rep.superblock, rep.need) == (3, "1.10")
    blocking = {o.path: o for o in rep.blocking()}
    assert set(blocking) == {"/grp/chunked", "/grp/short", "/direct"}
    assert blocking["/grp/chunked"].chunk_index == "fixed array"
    assert "layout message version 4" in blocking["/grp/chunked"].reasons[0]
    assert hdf5compat.main([str(tmp_path / "new.h5")]) == 1
    out = capsys.readouterr().out
    assert "superblock 3, needs HDF5 >= 1.10" in out and "/grp/chunked needs HDF5 >= 1.10" in out


def test_an_attribute_over_64_kib_gets_dense_storage_still_18(tmp_path):
    _write(tmp_path / "wide.h5", channels=4096)  # 4096 names x 16 bytes: over one header message
    rep = hdf5compat.check(tmp_path / "wide.h5")
    assert (rep.superblock, rep.need, {o.header_version for o in rep.objects}) == (2, "1.8", {2})
    with h5py.File(tmp_path / "wide.h5") as f:
        assert f["grp/chunked"].attrs["channel_names"][-1] == "ch4095"


def test_an_undeclared_large_attribute_is_refused_by_name(tmp_path):
    with hdf5.create_file(tmp_path / "x.h5", {}) as f:
        with pytest.raises(ValueError, match=r"attribute 'channel_names' of /d is over 65535 bytes.*object_attrs"):
            hdf5.create_dataset(f, "d", shape=(1,), dtype=np.float32, attrs={"channel_names": [f"c{i}" for i in range(4096)]})


def test_stored_times_are_seen_in_the_header(tmp_path):
    with h5py.File(tmp_path / "t.h5", "w", libver=hdf5.LIBVER) as f:  # plain h5py, times on
        f.create_dataset("timed", data=np.arange(3), track_times=True)
    assert [(o.path, o.times) for o in hdf5compat.check(tmp_path / "t.h5").objects] == [("/", False), ("/timed", True)]


def test_not_an_hdf5_file_is_bad_input(tmp_path, capsys):
    (tmp_path / "x.h5").write_bytes(b"not hdf5" * 100)
    assert hdf5compat.main([str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable HDF5 file" in err
