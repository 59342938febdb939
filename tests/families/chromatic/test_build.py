"""Real files: layout, self-description, determinism across N, workers and shards, manifest."""

import json

import h5py
import numpy as np
import pytest
from PIL import Image

from conftest import tree_bytes
from families.chromatic.helpers import config, make_dataset
from synthbank import checksums
from synthbank.families.chromatic import VERSION
from synthbank.families.chromatic.build import block_samples, estimate, sample_bytes
from synthbank.families.chromatic.layout import BLOCK_SIZE, chromatic_file, sample_name, spectral_file
from synthbank.io import hdf5compat
from synthbank.manifest import verify


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("chromatic"), config())


def test_layout_and_names_follow_seed_000(dataset):
    out, _ = dataset
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = [chromatic_file(42, i) for i in range(6)] + [spectral_file(42, i) for i in range(6)]
    expected += [f"previews/synthetic_{k}_42_0000{i}.png" for k in ("chromatic", "mask", "spectral") for i in range(2)]
    assert names == sorted(expected + ["manifest.json", ".synthbank-output.json"])
    assert chromatic_file(42, 3) == "chromatic/synthetic_chromatic_42_00003.h5"


def test_spectral_mapping_recomputes_from_the_file_attributes_alone(dataset):
    """Only h5py and numpy: wavelengths and kernel parameters are in the spectral file."""
    out, _ = dataset
    with h5py.File(out / spectral_file(42, 4)) as f:
        ds = f["spectral"]
        lam, mu = ds.attrs["wavelengths_nm"], ds.attrs["kernel_centres_nm"]
        sd, amp, q = ds.attrs["kernel_widths_nm"], ds.attrs["kernel_amplitudes"], ds.attrs["kernel_quantum"]
        kernel = np.rint(amp[:, None] * np.exp(-((lam[None, :] - mu[:, None]) ** 2) / (2 * sd[:, None] ** 2)) / q) * q
        assert np.abs(kernel - ds.attrs["kernel_matrix"]).max() < 1e-7
        assert "kernel_matrix" in ds.attrs["kernel_formula"] and list(ds.attrs["axes"]) == ["y", "x", "band"]
        spectral = ds[...]
        partner = f.attrs["paired_with"]
    with h5py.File(out / partner) as f:
        chromatic = f["chromatic"][...]
        assert f.attrs["paired_with"] == spectral_file(42, 4)
    assert np.abs(chromatic.astype(np.float64) @ kernel - spectral).max() < 2e-6
    assert spectral.shape == (64, 64, 31) and spectral.dtype == np.float32


def test_files_describe_themselves_and_hold_the_generated_sample(dataset):
    out, _ = dataset
    block = block_samples(42, 1, config().params)
    index = BLOCK_SIZE + 1
    with h5py.File(out / chromatic_file(42, index)) as f:
        assert f.attrs["family"] == "chromatic" and f.attrs["generator_version"] == VERSION
        assert f.attrs["seed"] == 42 and f.attrs["index"] == index and f.attrs["kind"] == "chromatic"
        assert f.attrs["uid"] == sample_name("chromatic", 42, index) and f.attrs["release_date"] == "2026-11-22"
        assert f.attrs["license"] == "CC0-1.0"  # SPDX identifier (the chromatic source document, docs/families/chromatic.md)
        recorded = json.loads(f.attrs["params"])
        assert recorded["noise_level"] == 0.05 and recorded["shape"] == [64, 64, 3]
        assert not {"thresholds", "num_samples", "previews"} & set(recorded)
        for name, array in (("chromatic", block.chromatic[1]), ("mask", block.mask[1]), ("region_hsl", block.region_hsl[1])):
            assert np.array_equal(f[name][...], array), name
            assert f[name].attrs["crc64"] == checksums.crc64_arrays([array])
        assert f.attrs["content_crc64"] == checksums.crc64_arrays([block.chromatic[1], block.mask[1], block.region_hsl[1]])
        assert list(f["chromatic"].attrs["channels"]) == ["R", "G", "B"]
    # no object header stores a time (read in the file; h5py's plist reports 1 for any v1 header)
    assert not any(o.times for o in hdf5compat.check(out / chromatic_file(42, index)).objects)


def test_previews_are_the_samples_in_uint8(dataset):
    out, _ = dataset
    with h5py.File(out / chromatic_file(42, 1)) as f:
        chromatic, mask = f["chromatic"][...], f["mask"][...]
    rgb = np.asarray(Image.open(out / "previews/synthetic_chromatic_42_00001.png"))
    assert rgb.dtype == np.uint8 and np.array_equal(rgb, np.rint(chromatic.astype(np.float64) * 255).astype(np.uint8))
    grey = np.asarray(Image.open(out / "previews/synthetic_mask_42_00001.png"))
    assert np.array_equal(grey, ((mask.astype(int) * 73) % 256).astype(np.uint8))
    false = Image.open(out / "previews/synthetic_spectral_42_00001.png")
    assert false.mode == "RGB" and false.size == (64, 64) and not false.info  # no text chunks
    with h5py.File(out / spectral_file(42, 1)) as f:
        spectral, kernel = f["spectral"][...].astype(np.float64), f["spectral"].attrs["kernel_matrix"].astype(np.float64)
    bands = [25, 15, 5]  # 650, 550 and 450 nm of 31 bands: long, middle, short as R, G, B
    expect = np.rint(np.clip(spectral[..., bands] / kernel.sum(axis=0)[bands], 0, 1) * 255).astype(np.uint8)
    assert np.array_equal(np.asarray(false), expect)


def test_manifest_has_per_sample_entries_paired_and_checksummed(dataset):
    out, manifest_path = dataset
    manifest = json.loads(manifest_path.read_text())
    assert verify(manifest_path, None).ok
    by_uid = {e["uid"]: e for e in manifest["entries"]}
    for i in range(6):
        chrom, spec = by_uid[sample_name("chromatic", 42, i)], by_uid[sample_name("spectral", 42, i)]
        assert chrom["path"] == chromatic_file(42, i) and spec["paired_with"] == chrom["path"]
        assert chrom["paired_with"] == spec["path"] and chrom["index"] == i
        with h5py.File(out / spec["path"]) as f:
            assert spec["content_crc64"] == f.attrs["content_crc64"] == checksums.crc64_arrays([f["spectral"][...]])
        assert chrom["crc64"] == checksums.digest_file(out / chrom["path"]).crc64
    assert by_uid["chromatic:previews/synthetic_spectral_42_00000.png"]["paired_with"] == spectral_file(42, 0)
    assert manifest["params"]["num_samples"] == 6 and "thresholds" not in manifest["params"]


@pytest.mark.parametrize("workers, shard_blocks", [(2, 1), (1, 2)])  # two blocks: two shards on two workers, or one
def test_bytes_do_not_depend_on_workers_or_shards(dataset, tmp_path, workers, shard_blocks):
    out, _ = dataset
    again, _ = make_dataset(tmp_path, config(), workers=workers, shard_blocks=shard_blocks)
    assert tree_bytes(again) == tree_bytes(out)


def test_sample_bytes_do_not_depend_on_num_samples(dataset, tmp_path):
    """Samples 0..2 of a 3-sample dataset equal those of the 6-sample one (block size 4)."""
    out, _ = dataset
    small, _ = make_dataset(tmp_path, config(num_samples=3, previews=1))
    for i in range(3):
        for rel in (chromatic_file(42, i), spectral_file(42, i)):
            assert (small / rel).read_bytes() == (out / rel).read_bytes(), rel
    assert not (small / chromatic_file(42, 3)).exists()


def test_another_seed_gives_other_samples_and_names(tmp_path):
    out, _ = make_dataset(tmp_path, config(seed=7, num_samples=1, previews=0))
    with h5py.File(out / chromatic_file(7, 0)) as f:
        assert f.attrs["uid"] == "synthetic_chromatic_7_00000"
        assert not np.array_equal(f["chromatic"][...], block_samples(42, 0, config().params).chromatic[0])


def test_estimate_bounds_the_disk(dataset):
    out, _ = dataset
    cfg = config()
    plan = estimate(cfg)
    used = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert sample_bytes(cfg.params) == 64 * 64 * (12 + 1 + 124) + 64 * 3 * 4
    assert used <= plan["disk_bytes"] <= 1.3 * used
