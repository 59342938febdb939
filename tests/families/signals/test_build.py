"""Written datasets: layout, attributes, the interleaved copy, the generation manifest, determinism."""

import hashlib
import json

import h5py
import numpy as np
import pytest
import yaml
from families.signals.helpers import REPO, spec

from conftest import tree_bytes
from synthbank import checksums
from synthbank.families.signals import VERSION, layout
from synthbank.families.signals.build import block_channels, build, estimate_bytes
from synthbank.families.signals.generate import channel_block, work_bytes_per_sample


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    s = spec("pink_t", "v1", 70, 160, duration_s=20, amplitude_uv_rms=50.0)
    out = tmp_path_factory.mktemp("signals") / "pink_t"
    record = build(s, out, "2026-11-22")
    return s, out, record


def test_hdf5_layout_and_attributes(built):
    s, out, _ = built
    assert sorted(p.name for p in out.iterdir()) == sorted([layout.HDF5_NAME, layout.FLOAT32_NAME, "spec.yaml", layout.MANIFEST_NAME, ".synthbank-output.json"])
    with h5py.File(out / layout.HDF5_NAME) as f:
        ds = f["signal"]
        assert ds.shape == (3200, 70) and ds.dtype == np.float32 and ds.chunks == (1024, 16)
        assert ds.attrs["units"] == "uV" and ds.attrs["sample_rate_hz"] == 160.0
        assert ds.attrs["generator_version"] == "v1" and list(ds.attrs["axes"]) == ["time", "channel"]
        assert list(ds.attrs["channel_names"])[:2] == ["ch0000", "ch0001"] and len(ds.attrs["channel_names"]) == 70
        assert f.attrs["family"] == "signals" and f.attrs["generator_version"] == "v1" and f.attrs["family_version"] == VERSION
        assert f.attrs["generator_path"] == "src/synthbank/families/signals/v1"
        assert json.loads(f.attrs["params"])["amplitude_uv_rms"] == 50.0
        assert np.array_equal(ds[...].T, channel_block(s, 0, 70))


def test_float32_file_is_interleaved_little_endian(built):
    s, out, _ = built
    raw = np.fromfile(out / layout.FLOAT32_NAME, dtype="<f4").reshape(s.n_samples, s.channels)
    assert np.array_equal(raw, channel_block(s, 0, 70).T)


def test_generation_manifest_has_seed_002_fields_and_true_checksums(built):
    s, out, record = built
    text = (out / layout.MANIFEST_NAME).read_text()
    assert yaml.safe_load(text) == record
    assert record["generator"] == {"path": "src/synthbank/families/signals/v1", "version": "v1", "family": "signals", "family_version": VERSION}
    assert (REPO / record["generator"]["path"] / "pink.py").is_file()  # relative to the repository root
    assert record["dataset"]["params"] == {"signal_type": "pink_noise", "duration_s": 20.0, "seed": 42, "amplitude_uv_rms": 50.0}
    assert (record["dataset"]["channels"], record["dataset"]["sample_rate_hz"]) == (70, 160.0)
    assert record["output"]["samples"] == 3200 and record["output"]["channels"] == 70
    for name in (layout.HDF5_NAME, layout.FLOAT32_NAME, "spec.yaml"):
        d = checksums.digest_file(out / name)
        entry = record["output"]["files"][name]
        assert (entry["bytes"], entry["crc64"], entry["sha256"]) == (d.bytes, d.crc64, d.sha256)
    assert record["static_dataset"] == {"path": "signal.float32", "format": "float32", "channels": 70, "sample_rate_hz": 160.0}
    assert "timestamp" not in text and str(out) not in text  # no wall clock, no absolute path
    assert record["release_date"] == "2026-11-22"
    assert estimate_bytes(s) >= record["output"]["bytes"]


def test_bytes_do_not_depend_on_workers_or_block_size(built, tmp_path):
    s, out, _ = built
    expected = tree_bytes(out)
    assert block_channels(s, 1, 1 << 20) < 32  # a tiny budget takes the partial-chunk path
    for workers, budget in ((2, 32 << 20), (1, 1 << 20), (2, 3 << 20)):
        again = tmp_path / f"w{workers}-{budget}"
        build(s, again, "2026-11-22", workers=workers, memory_budget=budget)
        assert tree_bytes(again) == expected


def test_channel_bytes_do_not_depend_on_the_channel_count(built, tmp_path):
    s, out, _ = built
    wide = spec("pink_t", "v1", 130, 160, duration_s=20, amplitude_uv_rms=50.0)
    build(wide, tmp_path / "wide", "2026-11-22")
    narrow = np.fromfile(out / layout.FLOAT32_NAME, dtype="<f4").reshape(-1, 70)
    both = np.fromfile(tmp_path / "wide" / layout.FLOAT32_NAME, dtype="<f4").reshape(-1, 130)
    assert hashlib.sha256(narrow.tobytes()).digest() == hashlib.sha256(np.ascontiguousarray(both[:, :70]).tobytes()).digest()


@pytest.mark.parametrize("kind", ["pink_noise", "chirp"])
def test_64_channels_are_the_first_64_of_4096_whatever_the_workers_and_blocks(tmp_path, kind):
    extra = {"nan_rate": 0.05, "dc_offset_uv": 2.0} if kind == "chirp" else {}
    small = spec("wide_t", "v2", 64, 160, signal_type=kind, duration_s=0.2, **extra)
    large = spec("wide_t", "v2", 4096, 160, signal_type=kind, duration_s=0.2, **extra)
    build(small, tmp_path / "small", "2026-11-22", workers=1)
    # two workers, and blocks of 10 channels: narrower than the 16-channel chunk width
    budget = 10 * large.n_samples * work_bytes_per_sample(large) * 3
    assert block_channels(large, 2, budget) == 10
    build(large, tmp_path / "large", "2026-11-22", workers=2, memory_budget=budget)
    a = np.fromfile(tmp_path / "small" / layout.FLOAT32_NAME, dtype="<u4").reshape(-1, 64)
    b = np.fromfile(tmp_path / "large" / layout.FLOAT32_NAME, dtype="<u4").reshape(-1, 4096)
    assert np.array_equal(a, b[:, :64])  # bitwise, NaNs included
    with h5py.File(tmp_path / "large" / layout.HDF5_NAME) as f:
        assert np.array_equal(f["signal"][:, :64].view("<u4"), a)


def test_a_failed_build_leaves_no_output(tmp_path, monkeypatch):
    from synthbank.families.signals import build as build_mod

    def boom(*args, **kw):
        raise RuntimeError("killed")

    monkeypatch.setattr(build_mod, "write_float32", boom)
    with pytest.raises(RuntimeError):
        build(spec("x", channels=4, duration_s=1), tmp_path / "x", "2026-11-22")
    assert list(tmp_path.iterdir()) == []
