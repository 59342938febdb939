import json

import h5py
import numpy as np
import pytest

from synthbank.families.atomic import VERSION
from synthbank.families.atomic.api import generate_corpus, load_corpus, split_corpus
from synthbank.families.atomic.build import AtomicConfig, build, estimate
from synthbank.family import readable_bytes
from synthbank.families.atomic.lattice import LatticeParams
from synthbank.families.atomic.layout import BLOCK_SIZE, SPLIT_NAMES, block_split_counts, split_codes, split_sizes

SPLITS = {"train": 0.8, "val": 0.1, "test": 0.1}


def _cfg(n, seed=42):
    return AtomicConfig(seed=seed, num_images=n, splits=SPLITS, lattice=LatticeParams.default(), release_date="2026-11-22")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("atomic") / "ds"
    sizes = build(_cfg(12_300), out, workers=1)
    return out, sizes


def test_every_full_block_is_split_exactly():
    counts = block_split_counts(SPLITS)
    assert counts.tolist() == [4000, 500, 500]
    codes = split_codes(42, 7, counts)
    assert np.bincount(codes, minlength=3).tolist() == [4000, 500, 500]
    assert not np.array_equal(codes, split_codes(42, 8, counts))  # blocks shuffle independently
    assert block_split_counts({"train": 0.7, "val": 0.2, "test": 0.1}).sum() == BLOCK_SIZE
    assert block_split_counts({"train": 1 / 3, "val": 1 / 3, "test": 1 / 3}).tolist() == [1667, 1667, 1666]


def test_files_agree_with_each_other_and_with_the_api(dataset):
    out, sizes = dataset
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{s}.{e}" for s in SPLIT_NAMES for e in ("h5", "npz")] + ["metadata.json", ".synthbank-output.json"]
    )
    assert sum(sizes.values()) == 12_300
    assert list(sizes.values()) == split_sizes(42, 12_300, block_split_counts(SPLITS)).tolist()
    images, labels = generate_corpus(12_300, show_progress=False)
    expected = split_corpus(images, labels)
    npz = load_corpus(out)
    for s in SPLIT_NAMES:
        with h5py.File(out / f"{s}.h5") as f:
            assert np.array_equal(f["images"][...], expected[s][0])
            assert np.array_equal(f["labels"][...], expected[s][1])
            assert np.array_equal(images[f["index"][...]], expected[s][0])  # index = global item
            assert np.all(np.diff(f["index"][...].astype(np.int64)) > 0)
        assert np.array_equal(npz[s][0], expected[s][0]) and np.array_equal(npz[s][1], expected[s][1])


def test_hdf5_describes_itself(dataset):
    out, _ = dataset
    with h5py.File(out / "train.h5") as f:
        assert f.attrs["family"] == "atomic" and f.attrs["generator_version"] == VERSION
        assert f.attrs["seed"] == 42 and f.attrs["split"] == "train"
        assert json.loads(f.attrs["params"])["num_images"] == 12_300
        assert list(f.attrs["label_names"]) == ["square", "rectangular", "centred_rectangular", "hexagonal", "oblique"]
        assert list(f["images"].attrs["axes"]) == ["image", "y", "x"]
        assert f["images"].chunks == (4000, 16, 16) and f["images"].compression == "gzip"


def test_metadata_has_every_field_of_seed_001(dataset):
    out, sizes = dataset
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["version"] == VERSION and meta["timestamp"] == "2026-11-22T00:00:00"
    assert meta["generation_params"] | {"lattice": None} == {
        "num_images": 12_300, "seed": 42, "grid_size": 16, "splits": SPLITS, "lattice": None
    }
    assert meta["dataset_info"] == {f"{s}_count": n for s, n in sizes.items()} | {"total_count": 12_300}
    assert meta["memory_info"] == {"bytes_per_image": 256, "total_bytes": 3_148_800, "readable": "3.00 MB"}
    assert meta["file_format"]["dtype"] == "uint8" and meta["file_format"]["compression"] == "npz"


def test_item_bytes_do_not_depend_on_dataset_size():
    small, _ = generate_corpus(4_900, show_progress=False)
    large, _ = generate_corpus(12_000, show_progress=False)
    assert np.array_equal(small, large[:4_900])


def test_rebuild_gives_identical_bytes_with_other_workers_and_shards(dataset, tmp_path):
    out, _ = dataset
    again = tmp_path / "again"
    build(_cfg(12_300), again, workers=2, shard_blocks=2)
    for p in out.iterdir():
        assert (again / p.name).read_bytes() == p.read_bytes(), p.name


def test_estimate_matches_seed_formula():
    e = estimate(100_000)
    assert (e["bytes"], e["readable"], e["bytes_per_image"]) == (25_600_000, "24.41 MB", 256)
    assert e["disk_bytes"] > 2 * e["bytes"]
    assert [readable_bytes(n) for n in (5, 2048, 3 * 1024**2, 5 * 1024**3)] == ["5 bytes", "2.00 KB", "3.00 MB", "5.00 GB"]
