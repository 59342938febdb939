"""Validation of the atomic document API: metrics, report and histogram of a saved dataset."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import jsonio
from synthbank.families.atomic.api.common import _is_int, logger
from synthbank.families.atomic.api.files import load_corpus
from synthbank.families.atomic.lattice import LATTICE_NAMES
from synthbank.io.staging import write_file_atomic

#: Tiles of the report's sample grid (10 x 10, as in the document).
REPORT_SAMPLES = 100


def _as_uint8(a: np.ndarray, what: str) -> np.ndarray:
    """``a`` as uint8, or ValueError if a value is not an integer in 0..255 (no silent wrap)."""
    if a.dtype == np.uint8:
        return a
    out = a.astype(np.uint8)
    if a.dtype.kind not in "uif" or not np.array_equal(out, a):
        raise ValueError(f"{what} of dtype {a.dtype} is invalid: allowed integer values 0..255 (as save_corpus writes)")
    return out


def validate_dataset(
    dataset_dir: str | Path, num_samples: int = REPORT_SAMPLES, *, thresholds: Mapping[str, Any] | None = None
) -> list[str]:
    """Write ``metrics.json``, ``validation_report.png`` and ``label_distribution.csv`` into ``dataset_dir``.

    Reads what :func:`save_corpus` writes (``<split>.npz``) or the pipeline's layout
    (``<split>.h5``), see :func:`load_corpus`; ``train`` is required, val and test are
    used when present. Values are checked to be integers 0..255 and read as uint8, so the
    metrics equal the pipeline's validation stage on the same items.

    The report shows ``num_samples`` train images in a 10 x 10 grid, chosen evenly
    spaced (not at random as in the document: the report's bytes depend on the data
    only), above the label histogram of the whole dataset.

    Parameters
    ----------
    dataset_dir : path
    num_samples : int, default 100
        Train images shown, 1 to 100 (fewer if train is smaller).
    thresholds : mapping, optional
        The ``atomic.thresholds`` of params.yaml; None: nothing is checked.

    Returns
    -------
    list of str
        The violated thresholds, each also logged as WARNING; empty when all pass.
    """
    from synthbank.families.atomic.metrics import compute_metrics, violations
    from synthbank.families.atomic.report import histogram_csv_rows, render_report, sample_indices
    from synthbank.families.atomic.validate import HISTOGRAM_CSV, REPORT_NAME, _csv_text
    from synthbank.io.png import encode_png

    if not _is_int(num_samples) or not 1 <= num_samples <= REPORT_SAMPLES:
        raise ValueError(f"num_samples={num_samples!r} is invalid: allowed an integer from 1 to {REPORT_SAMPLES} (the 10 x 10 grid)")
    d = Path(dataset_dir)
    splits = load_corpus(d) if d.is_dir() else {}
    if "train" not in splits:
        raise FileNotFoundError(f"{d / 'train.npz'} (or train.h5) does not exist: allowed a directory written by save_corpus or the pipeline")
    splits = {s: (_as_uint8(i, f"{d}/{s} images"), _as_uint8(lab, f"{d}/{s} labels")) for s, (i, lab) in splits.items()}
    metrics = compute_metrics(splits, n_classes=len(LATTICE_NAMES), class_names=LATTICE_NAMES)
    failures = violations(metrics, thresholds or {})
    metrics["thresholds_met"] = not failures
    write_file_atomic(d / "metrics.json", jsonio.dumps(metrics).encode())

    train_images, train_labels = splits["train"]
    picks = sample_indices(len(train_images), num_samples)
    hist = np.array([metrics["labels"]["per_class"][n] for n in LATTICE_NAMES])
    png = encode_png(render_report(train_images[picks], train_labels[picks], hist, LATTICE_NAMES))
    write_file_atomic(d / REPORT_NAME, png)
    write_file_atomic(d / HISTOGRAM_CSV, _csv_text(histogram_csv_rows(hist, LATTICE_NAMES)).encode())
    logger.info("Validation report saved: %s", d / REPORT_NAME)
    for line in failures:
        logger.warning("threshold violated: %s", line)
    return failures
