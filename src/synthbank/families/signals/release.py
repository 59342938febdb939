"""The family's final step: one manifest over every dataset and the metrics nested by dataset."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthbank import jsonio, manifest
from synthbank.errors import UsageError
from synthbank.families.signals import VERSION
from synthbank.families.signals.spec import SignalSpec
from synthbank.families.signals.validate import METRICS_NAME
from synthbank.io.staging import write_file_atomic


def collect(
    specs: Mapping[str, SignalSpec],
    params: Mapping[str, Any],
    seed: int,
    release_date: str,
    data_root: Path,
    report_root: Path,
    manifest_path: Path,
    metrics_path: Path,
) -> dict[str, Any]:
    """Write ``manifest_path`` (every file of every dataset) and ``metrics_path``
    (``{dataset: metrics, ..., "thresholds_met": all}``); return the metrics."""
    outputs = []
    for name in specs:
        if not (data_root / name).is_dir():
            raise UsageError(f"{data_root / name} does not exist: run 'synthbank generate signals --dataset {name}' first")
        outputs.append(data_root / name)
    extra = {}
    for name, spec in specs.items():
        for path in sorted((data_root / name).iterdir()):
            extra[path.as_posix()] = {"params": spec.record()}
    record = manifest.build(
        family="signals", generator="synthbank.families.signals", generator_version=VERSION,
        seed=seed, params=params, release_date=release_date, root=Path("."),
        manifest_path=manifest_path, outputs=outputs, extra_entry_fields=extra,
    )
    manifest.write(record, manifest_path)
    metrics: dict[str, Any] = {}
    for name in specs:
        path = report_root / name / METRICS_NAME
        if not path.is_file():
            raise UsageError(f"{path} does not exist: run 'synthbank validate signals --dataset {name}' first")
        metrics[name] = json.loads(path.read_text("utf-8"))
    metrics["thresholds_met"] = all(m.get("thresholds_met", False) for m in metrics.values())
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    return metrics
