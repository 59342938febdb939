"""The atomic source document's call sequence, run as the document writes it, and its numbers.

generate_corpus -> split_corpus -> save_corpus -> save_metadata -> validate_dataset ->
load_corpus, in a tmp_path; then the same items against the pipeline's files.
"""

import json
import logging
import shutil
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
from PIL import Image

from synthbank import params
from synthbank.families.atomic import VERSION
from synthbank.families.atomic.api import (
    estimate_memory, generate_corpus, load_corpus, save_corpus, save_metadata, split_corpus, validate_dataset,
)
from synthbank.families.atomic.build import AtomicConfig, build
from synthbank.families.atomic.lattice import LatticeParams
from synthbank.families.atomic.layout import SPLIT_NAMES, block_split_counts, split_sizes
from synthbank.families.atomic.validate import validate

PARAMS = params.load(Path(__file__).resolve().parents[3] / "params.yaml")
SECTION = PARAMS.family("atomic")
THRESHOLDS = SECTION["thresholds"]
SPLITS = {"train": 0.8, "val": 0.1, "test": 0.1}
API_LOGGER = "synthbank.families.atomic.api"


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory):
    """The pipeline's files for 6,100 items: one full block and a partial one."""
    out = tmp_path_factory.mktemp("atomic_api") / "pipeline"
    cfg = AtomicConfig(seed=42, num_images=6_100, splits=SPLITS, lattice=LatticeParams.default(), release_date=PARAMS.release_date)
    build(cfg, out)
    return out


def test_document_call_sequence_runs_end_to_end(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=API_LOGGER)
    args = SimpleNamespace(num_images=10_000, output_dir=str(tmp_path / "datasets" / "2025-10-22-v1"), seed=42)
    before = datetime.now()

    # --- the document's generate_dataset.py main(), as written (argparse and input() aside) ---
    output_dir = args.output_dir
    mem_info = estimate_memory(args.num_images)
    np.random.seed(args.seed)
    images, labels = generate_corpus(args.num_images, show_progress=True)
    splits = split_corpus(images, labels)
    splits_info = {
        'train_count': len(splits['train'][0]),
        'val_count': len(splits['val'][0]),
        'test_count': len(splits['test'][0]),
        'total_count': args.num_images
    }
    save_corpus(splits, output_dir, dtype=np.uint8)
    save_metadata(output_dir, args.num_images, args.seed, splits_info)
    validate_dataset(output_dir)
    # --- end of the document's sequence; then the document's load_corpus ---
    loaded = load_corpus(output_dir)
    after = datetime.now()

    assert mem_info == {"bytes": 2_560_000, "readable": "2.44 MB", "num_images": 10_000, "bytes_per_image": 256,
                        "disk_bytes": mem_info["disk_bytes"], "disk_readable": mem_info["disk_readable"]}
    assert images.shape == (10_000, 16, 16) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.uint8 and set(np.unique(labels)) == {0, 1, 2, 3, 4}
    # Two full blocks of 5,000: exactly 80/10/10.
    assert splits_info == {"train_count": 8_000, "val_count": 1_000, "test_count": 1_000, "total_count": 10_000}
    out = Path(output_dir)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["train.npz", "val.npz", "test.npz", "metadata.json", "metrics.json", "validation_report.png", "label_distribution.csv"]
    )
    # Round trip: the loaded arrays are the generated ones, bit for bit.
    assert list(loaded) == list(SPLIT_NAMES)
    for s in SPLIT_NAMES:
        assert loaded[s][0].dtype == np.uint8 and loaded[s][1].dtype == np.uint8
        np.testing.assert_array_equal(loaded[s][0], splits[s][0])
        np.testing.assert_array_equal(loaded[s][1], splits[s][1])
    # The splits partition the corpus.
    assert sorted(np.concatenate([loaded[s][1] for s in SPLIT_NAMES]).tolist()) == sorted(labels.tolist())

    meta = json.loads((out / "metadata.json").read_text("utf-8"))
    assert before <= datetime.fromisoformat(meta["timestamp"]) <= after
    assert meta["version"] == VERSION
    assert meta["generation_params"]["num_images"] == 10_000 and meta["generation_params"]["seed"] == 42
    assert meta["generation_params"]["grid_size"] == 16 and meta["generation_params"]["splits"] == SPLITS
    assert meta["dataset_info"] == splits_info
    assert meta["memory_info"] == {"bytes_per_image": 256, "total_bytes": 2_560_000, "readable": "2.44 MB"}
    assert meta["file_format"] == {"dtype": "uint8", "compression": "npz"}

    metrics = json.loads((out / "metrics.json").read_text("utf-8"))
    assert metrics["counts"] == {"train": 8_000, "val": 1_000, "test": 1_000, "total": 10_000}
    assert metrics["thresholds_met"] is True
    assert sum(metrics["labels"]["per_class"].values()) == 10_000
    report = np.asarray(Image.open(out / "validation_report.png"))
    assert report.ndim == 3 and report.shape[2] == 3 and report.shape[0] > 10 * 16 * 4

    # The document's prints are log records (INFO) of the API's logger.
    messages = [r.getMessage() for r in caplog.records if r.name == API_LOGGER]
    for s, n in (("train", 8_000), ("val", 1_000), ("test", 1_000)):
        assert f"Saved {s}: {n} samples -> {out / f'{s}.npz'}" in messages
    assert f"Saved metadata: {out / 'metadata.json'}" in messages
    assert f"Validation report saved: {out / 'validation_report.png'}" in messages


def test_generated_items_are_the_pipeline_items(pipeline_dir, tmp_path):
    images, labels = generate_corpus(6_100, show_progress=False)
    splits = split_corpus(images, labels)
    sizes = split_sizes(42, 6_100, block_split_counts(SPLITS))
    assert [len(splits[s][0]) for s in SPLIT_NAMES] == sizes.tolist() and sizes.sum() == 6_100
    save_corpus(splits, tmp_path / "mine")
    mine, theirs = load_corpus(tmp_path / "mine"), load_corpus(pipeline_dir)
    for s in SPLIT_NAMES:
        with h5py.File(pipeline_dir / f"{s}.h5") as f:
            np.testing.assert_array_equal(f["images"][...], splits[s][0])
            np.testing.assert_array_equal(f["labels"][...], splits[s][1])
            np.testing.assert_array_equal(images[f["index"][...]], splits[s][0])  # item i == pipeline item i
        for a, b in zip(mine[s], theirs[s], strict=True):
            assert a.dtype == b.dtype == np.uint8
            np.testing.assert_array_equal(a, b)


def test_validate_dataset_reads_both_layouts_like_the_pipeline_stage(pipeline_dir, tmp_path):
    # The pipeline's validation stage on its own .h5 files.
    stage_failures = validate(pipeline_dir, tmp_path / "stage_metrics.json", tmp_path / "stage_reports", THRESHOLDS)
    stage = json.loads((tmp_path / "stage_metrics.json").read_text("utf-8"))
    # The pipeline's layout with only the .h5 files ...
    h5_only = tmp_path / "h5_only"
    h5_only.mkdir()
    for s in SPLIT_NAMES:
        shutil.copy(pipeline_dir / f"{s}.h5", h5_only)
    # ... and what save_corpus writes (.npz only).
    npz_only = tmp_path / "npz_only"
    save_corpus(split_corpus(*generate_corpus(6_100, show_progress=False)), npz_only)
    for d in (h5_only, npz_only):
        assert validate_dataset(d, thresholds=THRESHOLDS) == stage_failures == []
        assert json.loads((d / "metrics.json").read_text("utf-8")) == stage
        assert (d / "validation_report.png").read_bytes() == (tmp_path / "stage_reports" / "validation_report.png").read_bytes()
        assert (d / "label_distribution.csv").read_bytes() == (tmp_path / "stage_reports" / "label_distribution.csv").read_bytes()
    assert stage["counts"]["total"] == 6_100


def test_save_metadata_matches_the_pipeline_metadata(pipeline_dir, tmp_path):
    pipeline = json.loads((pipeline_dir / "metadata.json").read_text("utf-8"))
    info = pipeline["dataset_info"]
    path = save_metadata(tmp_path, 6_100, 42, info, timestamp=f"{PARAMS.release_date}T00:00:00")
    assert path == tmp_path / "metadata.json"
    mine = json.loads(path.read_text("utf-8"))
    del pipeline["file_format"]["hdf5"]  # save_corpus writes npz only
    assert mine == pipeline
    first = path.read_bytes()
    save_metadata(tmp_path, 6_100, 42, info, timestamp=f"{PARAMS.release_date}T00:00:00")
    assert path.read_bytes() == first  # a fixed timestamp gives the same bytes


def test_document_backward_compatibility_snippet(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # --- as written in the document ---
    # Old code still works
    images, labels = generate_corpus(1000)  # Progress bar shown by default
    splits = split_corpus(images, labels)
    save_corpus(splits, "output")  # Automatically saves as uint8

    # New code with explicit control
    images, labels = generate_corpus(100000, show_progress=True)
    save_corpus(splits, "output", dtype=np.uint8)
    # --- end ---
    assert images.shape == (100_000, 16, 16) and labels.shape == (100_000,)
    small_images, small_labels = generate_corpus(1000, show_progress=False)
    np.testing.assert_array_equal(images[:1000], small_images)  # a smaller corpus is a prefix
    np.testing.assert_array_equal(labels[:1000], small_labels)
    loaded = load_corpus(tmp_path / "output")
    assert sum(len(loaded[s][0]) for s in SPLIT_NAMES) == 1000
    for s in SPLIT_NAMES:
        np.testing.assert_array_equal(loaded[s][0], splits[s][0])
        assert loaded[s][0].dtype == np.uint8


def test_other_dtypes_round_trip_and_validate_the_same(tmp_path):
    splits = split_corpus(*generate_corpus(2_000, show_progress=False))
    save_corpus(splits, tmp_path / "u8")
    save_corpus(splits, tmp_path / "i64", dtype=np.int64)
    loaded = load_corpus(tmp_path / "i64")
    assert loaded["train"][0].dtype == np.int64
    np.testing.assert_array_equal(loaded["train"][0], splits["train"][0])
    assert validate_dataset(tmp_path / "u8", 25) == validate_dataset(tmp_path / "i64", 25) == []
    assert (tmp_path / "u8" / "metrics.json").read_bytes() == (tmp_path / "i64" / "metrics.json").read_bytes()
    assert (tmp_path / "u8" / "validation_report.png").read_bytes() == (tmp_path / "i64" / "validation_report.png").read_bytes()
    # Only train is required (the document validates train.npz).
    save_corpus({"train": splits["train"]}, tmp_path / "train_only")
    assert validate_dataset(tmp_path / "train_only") == []
    assert json.loads((tmp_path / "train_only" / "metrics.json").read_text())["counts"]["total"] == len(splits["train"][0])


def test_violated_thresholds_are_returned_and_logged_as_warnings(tmp_path, caplog):
    save_corpus(split_corpus(*generate_corpus(2_000, show_progress=False)), tmp_path)
    strict = dict(THRESHOLDS) | {"pixel_std_min": 1000.0}
    with caplog.at_level(logging.WARNING, logger=API_LOGGER):
        failures = validate_dataset(tmp_path, thresholds=strict)
    assert len(failures) == 1 and "pixels.std" in failures[0] and "pixel_std_min" in failures[0]
    warnings = [r for r in caplog.records if r.name == API_LOGGER and r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [f"threshold violated: {failures[0]}"]
    assert json.loads((tmp_path / "metrics.json").read_text())["thresholds_met"] is False


def test_bad_input_is_refused_naming_the_value_and_what_is_allowed(tmp_path):
    images, labels = generate_corpus(100, show_progress=False)
    splits = split_corpus(images, labels)
    with pytest.raises(ValueError, match="num_samples=0 is invalid: allowed a positive integer"):
        generate_corpus(0)
    with pytest.raises(ValueError, match="seed=-1 is invalid: allowed an integer from 0"):
        generate_corpus(10, seed=-1)
    with pytest.raises(ValueError, match="splits=.* is invalid: allowed fractions"):
        split_corpus(images, labels, splits={"train": 0.9, "val": 0.2, "test": 0.1})
    with pytest.raises(ValueError, match="dtype=.*int8.* is invalid for split 'train': values change when cast"):
        save_corpus(splits, tmp_path / "x", dtype=np.int8)  # 255 would silently become -1
    with pytest.raises(ValueError, match="dtype='U8' is invalid: allowed a numeric numpy dtype"):
        save_corpus(splits, tmp_path / "x", dtype="U8")
    with pytest.raises(ValueError, match="allowed a mapping with keys among"):
        save_corpus({"training": splits["train"]}, tmp_path / "x")
    with pytest.raises(ValueError, match="splits_info=.* is invalid: allowed non-negative integers"):
        save_metadata(tmp_path, 100, 42, {"train_count": 80, "val_count": 10, "test_count": 10, "total_count": 99})
    with pytest.raises(ValueError, match="timestamp='yesterday' is invalid: allowed an ISO 8601"):
        save_metadata(tmp_path, 100, 42, {"train_count": 80, "val_count": 10, "test_count": 10, "total_count": 100},
                      timestamp="yesterday")
    with pytest.raises(ValueError, match="num_samples=101 is invalid: allowed an integer from 1 to 100"):
        validate_dataset(tmp_path, 101)
    with pytest.raises(FileNotFoundError, match="train.npz"):
        validate_dataset(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="holds no train/val/test"):
        load_corpus(tmp_path)
    assert not (tmp_path / "x").exists()  # refused before anything was written
