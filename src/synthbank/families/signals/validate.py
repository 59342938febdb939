"""Read a written dataset, compute its metrics, write them with the PSD curve, check the rules.

The per-dataset metrics JSON is written with its ``thresholds_met`` even when a rule is
violated, so ``dvc metrics diff`` shows a failing dataset too; the caller then exits 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import jsonio, thresholds
from synthbank.errors import UsageError
from synthbank.families.signals import NOISE_RULES, RULES, layout
from synthbank.families.signals.metrics import DC_STANDARD_ERRORS, EXPECTED_SLOPE, Accumulator
from synthbank.families.signals.spec import SignalSpec
from synthbank.io.staging import write_file_atomic

METRICS_NAME = "metrics.json"
PSD_NAME = "psd.csv"
#: Channels read per block (a multiple of the chunk width, so each chunk is read once).
READ_CHANNELS = 32


def float32_matches(h5_ds: h5py.Dataset, path: Path) -> bool:
    """Whether the interleaved file holds exactly the HDF5 samples (bitwise, NaNs included)."""
    n, c = h5_ds.shape
    if not path.is_file() or path.stat().st_size != n * c * 4:
        return False
    rows = max(1, h5_ds.chunks[0] * max(1, (8 << 20) // (4 * c * h5_ds.chunks[0])))
    buf = np.empty((min(rows, n), c), dtype=np.float32)
    with open(path, "rb") as f:
        for t0 in range(0, n, rows):
            k = min(rows, n - t0)
            h5_ds.read_direct(buf, np.s_[t0 : t0 + k], np.s_[0:k])
            raw = np.frombuffer(f.read(k * c * 4), dtype=layout.FLOAT32_DTYPE).reshape(k, c)
            if not np.array_equal(raw.view(np.uint32), buf[:k].view(np.uint32)):
                return False
    return True


def compute(data_dir: Path, spec: SignalSpec, band_hz: tuple[float, float]) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Metrics and PSD curve of the dataset in ``data_dir`` (see :mod:`.metrics`)."""
    path = data_dir / layout.HDF5_NAME
    if not path.is_file():
        raise UsageError(f"{path} does not exist: run 'synthbank generate signals --dataset {spec.name}' first")
    acc = Accumulator(spec)
    with h5py.File(path, "r") as f:
        if layout.DATASET not in f:
            raise UsageError(f"{path}: dataset /{layout.DATASET} is missing")
        ds = f[layout.DATASET]
        if ds.shape != (spec.n_samples, spec.channels):
            raise UsageError(
                f"{path}: /{layout.DATASET} has shape {ds.shape}, params ask for ({spec.n_samples}, {spec.channels}): regenerate it"
            )
        buf = np.empty((spec.n_samples, min(READ_CHANNELS, spec.channels)), dtype=np.float32)
        for first in range(0, spec.channels, READ_CHANNELS):
            k = min(READ_CHANNELS, spec.channels - first)
            ds.read_direct(buf, np.s_[:, first : first + k], np.s_[:, 0:k])
            acc.add(first, np.ascontiguousarray(buf[:, :k].T))
        matches = float32_matches(ds, data_dir / layout.FLOAT32_NAME)
    metrics, curve = acc.result(band_hz)
    metrics["float32_matches_hdf5"] = matches
    return metrics, curve


def csv_text(rows: list[dict[str, Any]]) -> str:
    """CSV with a header row and ``\\n`` line ends."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["frequency_hz", "psd_uv2_per_hz"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def violations(metrics: Mapping[str, Any], spec: SignalSpec, bounds: Mapping[str, Any]) -> list[str]:
    """The family's rules that apply to the spec's signal type, checked against ``bounds``.

    The DC-offset bound is derived: the larger of ``dc_offset_rel_error_max`` and
    :data:`DC_STANDARD_ERRORS` standard errors of the mean (``1 / sqrt(N)`` relative, N
    finite samples), so small datasets are not failed by chance.
    """
    derived = dict(bounds)
    if derived.get("dc_offset_rel_error_max") is not None:
        finite = max(1.0, metrics["channels"] * metrics["samples"] * (1.0 - metrics["nan_rate"]))
        derived["dc_offset_rel_error_max"] = max(derived["dc_offset_rel_error_max"], DC_STANDARD_ERRORS / np.sqrt(finite))
    rules = RULES + NOISE_RULES if spec.signal_type in EXPECTED_SLOPE else RULES
    return thresholds.check(metrics, rules, derived, where=f"signals: {spec.name}: ")


def validate(data_dir: Path, spec: SignalSpec, metrics_path: Path, report_dir: Path, bounds: Mapping[str, Any]) -> list[str]:
    """Write ``metrics_path`` and ``report_dir/psd.csv``; return the violated rules."""
    band = tuple(float(b) for b in bounds["psd_slope_band_hz"])
    metrics, curve = compute(data_dir, spec, band)
    failures = violations(metrics, spec, bounds)
    metrics["thresholds_met"] = not failures
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    write_file_atomic(report_dir / PSD_NAME, csv_text(curve).encode())
    return failures
