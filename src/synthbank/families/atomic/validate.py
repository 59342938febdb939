"""Read what build.py wrote, compute metrics as tasks, write metrics JSON, the report and CSV.

The metrics are computed by tasks over fixed pieces of the files (:mod:`.validate_tasks`) that
``parallel.run_ordered`` runs in-process, on local workers or on a cluster; merged in task
order they equal :func:`~synthbank.families.atomic.metrics.compute_metrics` on the whole
arrays, byte for byte. Only small pieces are ever in memory here: the train subsample's
features (at most 50,000 rows), the task results in flight (``run_ordered``'s window), the images' 64-bit
hash keys (8 bytes per image) and the report's 100 images.

The metrics file is written before thresholds are checked, so ``dvc metrics diff``
shows a failing dataset too; the caller then exits 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import jsonio, parallel
from synthbank.errors import UsageError
from synthbank.families.atomic import validate_tasks
from synthbank.families.atomic.baseline import solve, standardisation
from synthbank.families.atomic.duplicates import candidates, repeats
from synthbank.families.atomic.lattice import LATTICE_NAMES
from synthbank.families.atomic.layout import SPLIT_NAMES
from synthbank.families.atomic.metrics import baseline_test_split, metrics_record, violations
from synthbank.families.atomic.shards import LazyArray, SplitReader, split_files
from synthbank.families.atomic.statistics import Moments
from synthbank.families.atomic.report import histogram_csv_rows, render_report, sample_indices
from synthbank.io.png import encode_png
from synthbank.io.staging import write_file_atomic

REPORT_NAME = "validation_report.png"
HISTOGRAM_CSV = "label_distribution.csv"
#: The baseline's cap on training images (compute_metrics' default).
MAX_TRAIN = 50_000


def split_readers(data_dir: Path) -> dict[str, SplitReader]:
    """A lazy reader of every split's HDF5 files (one per split, or its shards)."""
    readers = {}
    for s in SPLIT_NAMES:
        try:
            files = split_files(data_dir, s)
            if not files:
                raise UsageError(f"{data_dir / f'{s}.h5'} does not exist: run 'synthbank generate atomic' first")
            readers[s] = SplitReader([p.resolve() for p in files])  # tasks may run elsewhere: absolute paths
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return readers


def _metrics(readers: Mapping[str, SplitReader], backend: Mapping[str, Any]) -> dict[str, Any]:
    """compute_metrics' record, from tasks (see :mod:`~synthbank.families.atomic.validate_tasks`)."""
    n_classes = len(LATTICE_NAMES)
    files = {s: tuple(str(f) for f in r.files) for s, r in readers.items()}
    stats = [(s, t) for s in SPLIT_NAMES for f in files[s] for t in validate_tasks.stats_tasks(f, n_classes)]
    train = validate_tasks.feature_tasks(files["train"], len(readers["train"]), MAX_TRAIN)
    counts = {s: len(r) for s, r in readers.items()}
    per_split = {s: np.zeros(n_classes, np.int64) for s in SPLIT_NAMES}
    moments, hashes, feats, labels = Moments(), [], [], []
    # Statistics and train features in one batch of tasks; merged in task order.
    for i, result in enumerate(parallel.run_ordered(validate_tasks.run, [t for _, t in stats] + train, **backend)):
        if i < len(stats):
            per_split[stats[i][0]] += result.per_class
            moments.merge(result.moments)
            hashes.append(result.hashes)
        else:
            feats.append(result[0])
            labels.append(result[1])
    keys = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
    cand = candidates(keys)
    bounds = np.cumsum([0] + [counts[s] for s in SPLIT_NAMES])
    dup = repeats(np.concatenate([readers[s].take("images", cand[(cand >= lo) & (cand < hi)] - lo)
                                  for s, lo, hi in zip(SPLIT_NAMES, bounds[:-1], bounds[1:], strict=True)]))
    per_class = sum(per_split.values())
    test = baseline_test_split(readers)
    base = None
    if test is not None and counts["train"] and counts[test]:
        x, y, mean, scale = standardisation(np.concatenate(feats), np.concatenate(labels), n_classes)
        gram = rhs = None
        for g, r in parallel.run_ordered(validate_tasks.run, validate_tasks.gram_tasks(x.astype(np.float32), y, mean, scale, n_classes), **backend):
            gram, rhs = (g, r) if gram is None else (gram + g, rhs + r)
        model = solve(gram, rhs, mean, scale, 1.0, quadratic=True)
        correct = sum(parallel.run_ordered(validate_tasks.run, validate_tasks.predict_tasks(files[test], counts[test], model), **backend))
        base = {"accuracy": correct / counts[test], "chance": float(per_split[test].max() / counts[test]),
                "n_train": len(y), "n_test": counts[test]}
    return metrics_record(counts, per_class, moments, dup / keys.size if keys.size else 0.0, base, LATTICE_NAMES)


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def validate(data_dir: Path, metrics_path: Path, report_dir: Path, thresholds: Mapping[str, Any],
             backend: Mapping[str, Any] | None = None) -> list[str]:
    """Write metrics, report and CSV; return the violated thresholds (empty when all pass).

    ``backend`` (``workers``, ``scheduler``) says where the tasks run; it changes no byte.
    """
    readers = split_readers(Path(data_dir))
    metrics = _metrics(readers, backend or {})
    failures = violations(metrics, thresholds)
    metrics["thresholds_met"] = not failures
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())

    picks = sample_indices(len(readers["train"]), 100)
    hist = np.array([metrics["labels"]["per_class"][n] for n in LATTICE_NAMES])
    tiles = LazyArray(readers["train"], "images")[picks], LazyArray(readers["train"], "labels")[picks]
    png = encode_png(render_report(*tiles, hist, LATTICE_NAMES))
    write_file_atomic(report_dir / REPORT_NAME, png)
    write_file_atomic(report_dir / HISTOGRAM_CSV, _csv_text(histogram_csv_rows(hist, LATTICE_NAMES)).encode())
    return failures
