"""The validation stage's tasks: partial statistics of fixed pieces of the data files.

Every task reads HDF5 files by absolute path (both layouts, see
:mod:`~synthbank.families.atomic.shards`) and returns what the driver merges, in task
order. The pieces are fixed by the data (file row ranges, and the chunk boundaries of
:mod:`~synthbank.families.atomic.features` and :mod:`~synthbank.families.atomic.baseline`),
never by the worker count, so the merged metrics are the in-memory
:func:`~synthbank.families.atomic.metrics.compute_metrics`' bytes:

* :class:`StatsTask`, rows of one file: label counts, pixel moments (exact integers) and the
  images' 64-bit hash keys (8 bytes per image; the driver finds repeated keys and compares
  only those images' bytes);
* :class:`FeatureTask`, one :data:`FEATURE_CHUNK` of the baseline's train subsample: its
  features (float32) and labels;
* :class:`GramTask`, one :data:`FIT_CHUNK` of those features: its normal equations, summed
  by the driver in chunk order, as :func:`fit_linear_classifier` does;
* :class:`PredictTask`, one :data:`PREDICT_CHUNK` of the test split: correct predictions.
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np

from synthbank.families.atomic.baseline import (
    FIT_CHUNK,
    PREDICT_CHUNK,
    LinearClassifier,
    normal_equations,
    predict,
    stride_subsample,
)
from synthbank.families.atomic.duplicates import row_hashes
from synthbank.families.atomic.features import FEATURE_CHUNK, invariant_features
from synthbank.families.atomic.shards import SplitReader
from synthbank.families.atomic.statistics import Moments, label_counts, pixel_moments

#: Rows per statistics task, at most (rounded down to whole HDF5 chunks): ~13 MB of images.
STATS_ROWS = 50_000
#: Images per chunk of the pixel moments (as compute_metrics streams them).
MOMENT_CHUNK = 65536


@dataclass(frozen=True)
class StatsPart:
    """The partial statistics of one :class:`StatsTask`."""

    per_class: np.ndarray  # (n_classes,) int64
    moments: Moments
    hashes: np.ndarray  # (rows,) uint64


@dataclass(frozen=True)
class StatsTask:
    """Rows ``[start, stop)`` of one HDF5 file."""

    file: str
    start: int
    stop: int
    n_classes: int

    def __call__(self) -> StatsPart:
        with h5py.File(self.file, "r") as f:
            images, labels = f["images"][self.start : self.stop], f["labels"][self.start : self.stop]
        return StatsPart(label_counts(labels, self.n_classes), pixel_moments(images, MOMENT_CHUNK), row_hashes(images))


def stats_tasks(file: str, n_classes: int) -> list[StatsTask]:
    """One file's statistics tasks: whole chunks, at most about :data:`STATS_ROWS` rows each."""
    with h5py.File(file, "r") as f:
        rows, chunk = f["images"].shape[0], (f["images"].chunks or (STATS_ROWS,))[0]
    step = max(chunk, STATS_ROWS // chunk * chunk)
    return [StatsTask(file, a, min(a + step, rows), n_classes) for a in range(0, rows, step)]


@dataclass(frozen=True)
class FeatureTask:
    """Positions ``[start, stop)`` of the baseline's train subsample (``max_train`` evenly spaced rows)."""

    files: tuple[str, ...]
    max_train: int
    start: int
    stop: int

    def __call__(self) -> tuple[np.ndarray, np.ndarray]:
        reader = SplitReader(self.files)
        rows = stride_subsample(len(reader), self.max_train)[self.start : self.stop]
        return invariant_features(reader.take("images", rows)), reader.take("labels", rows)


def feature_tasks(files: tuple[str, ...], n_train: int, max_train: int) -> list[FeatureTask]:
    """The subsample cut at the feature chunks of ``invariant_features(train_images[idx])``."""
    n = min(n_train, max_train)
    return [FeatureTask(files, max_train, a, min(a + FEATURE_CHUNK, n)) for a in range(0, n, FEATURE_CHUNK)]


@dataclass(frozen=True)
class GramTask:
    """One fit chunk: float32 features (``FIT_CHUNK`` rows, about 2 MB) and labels."""

    x: np.ndarray
    y: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    n_classes: int

    def __call__(self) -> tuple[np.ndarray, np.ndarray]:
        return normal_equations(self.x, self.y, self.mean, self.scale, self.n_classes, quadratic=True)


def gram_tasks(x: np.ndarray, y: np.ndarray, mean: np.ndarray, scale: np.ndarray, n_classes: int) -> list[GramTask]:
    """``fit_linear_classifier``'s chunks (float32 ``x``: exact in float64)."""
    return [GramTask(x[a : a + FIT_CHUNK], y[a : a + FIT_CHUNK], mean, scale, n_classes) for a in range(0, len(y), FIT_CHUNK)]


@dataclass(frozen=True)
class PredictTask:
    """Rows ``[start, stop)`` of the test split (``PREDICT_CHUNK`` rows, a multiple of ``FEATURE_CHUNK``)."""

    files: tuple[str, ...]
    start: int
    stop: int
    model: LinearClassifier

    def __call__(self) -> int:
        reader = SplitReader(self.files)
        pred = predict(self.model, invariant_features(reader.read("images", self.start, self.stop)))
        return int(np.count_nonzero(pred == reader.read("labels", self.start, self.stop).astype(np.int64)))


def predict_tasks(files: tuple[str, ...], n_test: int, model: LinearClassifier) -> list[PredictTask]:
    """The test split cut at ``predict``'s chunks."""
    return [PredictTask(files, a, min(a + PREDICT_CHUNK, n_test), model) for a in range(0, n_test, PREDICT_CHUNK)]


def run(task: StatsTask | FeatureTask | GramTask | PredictTask) -> object:
    """Worker: one task (module-level, so it pickles)."""
    return task()
