"""The family's final step: every dataset's files for the manifest, and the metrics nested by dataset."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthbank import jsonio, thresholds
from synthbank.errors import UsageError
from synthbank.family import Finalized
from synthbank.families.signals.spec import SignalSpec
from synthbank.families.signals.validate import METRICS_NAME
from synthbank.io.staging import write_file_atomic

#: The merged metrics pass when every dataset's validation passed.
MERGED_RULES = (thresholds.Rule("*.thresholds_met", "equals", bound=True, note="see the dataset's validation"),)


def collect(specs: Mapping[str, SignalSpec], data_root: Path, report_root: Path, metrics_path: Path) -> Finalized:
    """Write ``metrics_path`` (``{dataset: metrics, ..., "thresholds_met": all}``) and return
    what the family manifest covers: every dataset's directory, each file with its dataset's params."""
    outputs = []
    for name in specs:
        if not (data_root / name).is_dir():
            raise UsageError(f"{data_root / name} does not exist: run 'synthbank generate signals --dataset {name}' first")
        outputs.append(data_root / name)
    extra = {}
    for name, spec in specs.items():
        for path in sorted((data_root / name).iterdir()):
            extra[path.as_posix()] = {"params": spec.record()}
    metrics: dict[str, Any] = {}
    for name in specs:
        path = report_root / name / METRICS_NAME
        if not path.is_file():
            raise UsageError(f"{path} does not exist: run 'synthbank validate signals --dataset {name}' first")
        metrics[name] = json.loads(path.read_text("utf-8"))
    violations = thresholds.check(metrics, MERGED_RULES, {}, where="signals: ")
    metrics["thresholds_met"] = all(m.get("thresholds_met", False) for m in metrics.values())
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    return Finalized(outputs=tuple(outputs), violations=tuple(violations),
                     reports=(*(report_root / name for name in specs), metrics_path), entry_fields=extra)
