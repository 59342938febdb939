"""Read a written dataset, compute its metrics, write them with the PSD curve, check the rules.

The per-dataset metrics JSON is written with its ``thresholds_met`` even when a rule is
violated, so ``dvc metrics diff`` shows a failing dataset too; the caller then exits 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import jsonio, parallel, thresholds
from synthbank.errors import UsageError
from synthbank.families.signals import NOISE_RULES, RULES, cortex, layout
from synthbank.families.signals.metrics import DC_STANDARD_ERRORS, EXPECTED_SLOPE, Accumulator, BlockStats, block_stats
from synthbank.families.signals.spec import SignalSpec
from synthbank.io.staging import write_file_atomic

METRICS_NAME = "metrics.json"
PSD_NAME = "psd.csv"
#: Channels read per block (a multiple of the chunk width, so each chunk is read once).
READ_CHANNELS = 32


@dataclass(frozen=True)
class ReadBlock:
    """Channels ``first .. stop - 1`` of the HDF5 file at ``path`` (absolute): one statistics task."""

    spec: SignalSpec
    path: str
    first: int
    stop: int


@dataclass(frozen=True)
class CompareRows:
    """Samples ``t0 .. stop - 1`` of the HDF5 file and of the interleaved copy (absolute paths): one task."""

    h5_path: str
    float32_path: str
    t0: int
    stop: int


def read_block_stats(task: ReadBlock) -> BlockStats:
    """Worker: read one block of channels and reduce it (:func:`.metrics.block_stats`)."""
    with h5py.File(task.path, "r") as f:
        block = f[layout.DATASET][:, task.first : task.stop]
    return block_stats(task.spec, task.first, np.ascontiguousarray(block.T))


def rows_match(task: CompareRows) -> bool:
    """Worker: whether the interleaved rows hold exactly the HDF5 samples (bitwise, NaNs included)."""
    with h5py.File(task.h5_path, "r") as f:
        rows = f[layout.DATASET][task.t0 : task.stop]
    with open(task.float32_path, "rb") as f:
        f.seek(task.t0 * rows.shape[1] * 4)
        raw = np.frombuffer(f.read(rows.size * 4), dtype=layout.FLOAT32_DTYPE)
    return raw.size == rows.size and np.array_equal(raw.view(np.uint32), rows.reshape(-1).view(np.uint32))


def compare_tasks(shape: tuple[int, int], chunks: tuple[int, int], h5_path: Path, float32_path: Path) -> list[CompareRows] | None:
    """Row blocks of about 8 MiB (whole time chunks) comparing the two files; None if the copy has the wrong size."""
    n, c = shape
    if not float32_path.is_file() or float32_path.stat().st_size != n * c * 4:
        return None
    rows = max(1, chunks[0] * max(1, (8 << 20) // (4 * c * chunks[0])))
    return [CompareRows(str(h5_path.resolve()), str(float32_path.resolve()), t0, min(n, t0 + rows)) for t0 in range(0, n, rows)]


def compute(data_dir: Path, spec: SignalSpec, band_hz: tuple[float, float], *, workers: int = 1,
            scheduler: str | None = None) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Metrics and PSD curve of the dataset in ``data_dir`` (see :mod:`.metrics`).

    Tasks of :func:`synthbank.parallel.run_ordered`: blocks of :data:`READ_CHANNELS`
    channels (a partition fixed by the channel count, merged in channel order, so the
    metrics are the same bytes for every backend), then row blocks of the .float32 check.
    """
    path = data_dir / layout.HDF5_NAME
    if not path.is_file():
        raise UsageError(f"{path} does not exist: run 'synthbank generate signals --dataset {spec.name}' first")
    with h5py.File(path, "r") as f:
        if layout.DATASET not in f:
            raise UsageError(f"{path}: dataset /{layout.DATASET} is missing")
        ds = f[layout.DATASET]
        shape, chunks = ds.shape, ds.chunks
    if shape != (spec.n_samples, spec.channels):
        raise UsageError(
            f"{path}: /{layout.DATASET} has shape {shape}, params ask for ({spec.n_samples}, {spec.channels}): regenerate it"
        )
    backend = {"workers": workers, "scheduler": scheduler}
    absolute = str(path.resolve())
    blocks = [ReadBlock(spec, absolute, first, min(spec.channels, first + READ_CHANNELS))
              for first in range(0, spec.channels, READ_CHANNELS)]
    acc = Accumulator(spec)
    for stats in parallel.run_ordered(read_block_stats, blocks, **backend):
        acc.merge(stats)
    compare = compare_tasks(shape, chunks, path, data_dir / layout.FLOAT32_NAME)
    # every row block is checked (a list of booleans): stopping early would tear the pool down
    matches = compare is not None and all(list(parallel.run_ordered(rows_match, compare, **backend)))
    metrics, curve = acc.result(band_hz)
    metrics["float32_matches_hdf5"] = matches
    metrics["cortex_spec_valid"] = not cortex.check(data_dir, spec.channels, spec.sample_rate_hz)
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


def validate(data_dir: Path, spec: SignalSpec, metrics_path: Path, report_dir: Path, bounds: Mapping[str, Any], *,
             workers: int = 1, scheduler: str | None = None) -> list[str]:
    """Write ``metrics_path`` and ``report_dir/psd.csv``; return the violated rules."""
    band = tuple(float(b) for b in bounds["psd_slope_band_hz"])
    metrics, curve = compute(data_dir, spec, band, workers=workers, scheduler=scheduler)
    failures = violations(metrics, spec, bounds)
    metrics["thresholds_met"] = not failures
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    write_file_atomic(report_dir / PSD_NAME, csv_text(curve).encode())
    return failures
