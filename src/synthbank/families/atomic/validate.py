"""Read what build.py wrote, compute metrics, write metrics JSON, the report and CSV.

The metrics file is written before thresholds are checked, so ``dvc metrics diff``
shows a failing dataset too; the caller then exits 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import jsonio
from synthbank.errors import UsageError
from synthbank.families.atomic.lattice import LATTICE_NAMES
from synthbank.families.atomic.layout import SPLIT_NAMES
from synthbank.families.atomic.metrics import compute_metrics, violations
from synthbank.families.atomic.report import histogram_csv_rows, render_report, sample_indices
from synthbank.io.png import encode_png
from synthbank.io.staging import write_file_atomic

REPORT_NAME = "validation_report.png"
HISTOGRAM_CSV = "label_distribution.csv"


def read_split(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 16, 16) uint8 and labels (n,) uint8 of one split HDF5 file."""
    if not path.is_file():
        raise UsageError(f"{path} does not exist: run 'synthbank generate atomic' first")
    with h5py.File(path, "r") as f:
        for name in ("images", "labels"):
            if name not in f:
                raise UsageError(f"{path}: dataset /{name} is missing")
        return f["images"][...], f["labels"][...]


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def validate(data_dir: Path, metrics_path: Path, report_dir: Path, thresholds: Mapping[str, Any]) -> list[str]:
    """Write metrics, report and CSV; return the violated thresholds (empty when all pass)."""
    splits = {s: read_split(data_dir / f"{s}.h5") for s in SPLIT_NAMES}
    metrics = compute_metrics(splits, n_classes=len(LATTICE_NAMES), class_names=LATTICE_NAMES)
    failures = violations(metrics, thresholds)
    metrics["thresholds_met"] = not failures
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())

    train_images, train_labels = splits["train"]
    picks = sample_indices(len(train_images), 100)
    hist = np.array([metrics["labels"]["per_class"][n] for n in LATTICE_NAMES])
    png = encode_png(render_report(train_images[picks], train_labels[picks], hist, LATTICE_NAMES))
    write_file_atomic(report_dir / REPORT_NAME, png)
    write_file_atomic(report_dir / HISTOGRAM_CSV, _csv_text(histogram_csv_rows(hist, LATTICE_NAMES)).encode())
    return failures
