"""The validation stage reads real HDF5 files; each threshold fails on data built to violate it."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synthbank.families.atomic.api import generate_corpus, split_corpus
from synthbank.families.atomic.layout import SPLIT_NAMES
from synthbank.families.atomic.validate import HISTOGRAM_CSV, REPORT_NAME, validate
from synthbank import params
from synthbank.io import hdf5

# The repository's own thresholds: the stage's pass/fail rules are what is tested.
THRESHOLDS = params.load(Path(__file__).resolve().parents[3] / "params.yaml").family("atomic")["thresholds"]


def write_splits(directory, splits):
    """A tiny writer of the atomic HDF5 layout, for tests."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in splits.items():
        with hdf5.create_file(directory / f"{name}.h5", {"family": "atomic"}) as f:
            hdf5.create_dataset(f, "images", shape=images.shape, dtype=np.uint8, data=images)
            hdf5.create_dataset(f, "labels", shape=labels.shape, dtype=np.uint8, data=labels)


@pytest.fixture(scope="module")
def good_splits():
    images, labels = generate_corpus(12_000, show_progress=False)
    return split_corpus(images, labels)


def _run(tmp_path, splits):
    write_splits(tmp_path / "data", splits)
    failures = validate(tmp_path / "data", tmp_path / "metrics.json", tmp_path / "reports", THRESHOLDS)
    return failures, json.loads((tmp_path / "metrics.json").read_text())


def test_generated_data_passes_and_outputs_are_written(tmp_path, good_splits):
    failures, metrics = _run(tmp_path, good_splits)
    assert failures == [] and metrics["thresholds_met"] is True
    assert metrics["counts"]["total"] == 12_000
    assert metrics["baseline"]["accuracy"] > 2 * metrics["baseline"]["chance"]
    report = np.asarray(Image.open(tmp_path / "reports" / REPORT_NAME))
    assert report.ndim == 3 and report.shape[2] == 3
    rows = (tmp_path / "reports" / HISTOGRAM_CSV).read_text().splitlines()
    assert rows[0] == "class,count" and sum(int(r.split(",")[1]) for r in rows[1:]) == 12_000


def _violate(splits, kind):
    out = {}
    for name, (images, labels) in splits.items():
        images, labels = images.copy(), labels.copy()
        if kind == "labels":  # one class dominates
            labels[: len(labels) // 2] = 0
        elif kind == "duplicates":  # every 10th image repeats its predecessor
            images[1::10] = images[0::10][: len(images[1::10])]
        elif kind == "mean":
            images = (images // 8).astype(np.uint8)
        elif kind == "std":
            images = np.full_like(images, 90)
        elif kind == "learnability":  # labels unrelated to images
            labels = np.random.default_rng(0).integers(0, 5, len(labels)).astype(np.uint8)
        out[name] = (images, labels)
    return out


@pytest.mark.parametrize(
    "kind, metric",
    [("labels", "labels.chi2_p"), ("duplicates", "duplicate_rate"), ("mean", "pixels.mean"), ("std", "pixels.std"), ("learnability", "baseline.accuracy")],
)
def test_each_threshold_fails_on_data_made_to_violate_it(tmp_path, good_splits, kind, metric):
    failures, metrics = _run(tmp_path, _violate(good_splits, kind))
    assert any(metric in f for f in failures), failures
    assert metrics["thresholds_met"] is False


def test_missing_split_file_is_named(tmp_path, good_splits):
    from synthbank.errors import UsageError

    write_splits(tmp_path / "data", {k: v for k, v in good_splits.items() if k != "val"})
    with pytest.raises(UsageError, match="val.h5 does not exist"):
        validate(tmp_path / "data", tmp_path / "m.json", tmp_path / "r", THRESHOLDS)
    assert set(SPLIT_NAMES) - {p.stem for p in (tmp_path / "data").iterdir()} == {"val"}
