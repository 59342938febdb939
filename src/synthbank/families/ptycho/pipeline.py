"""Whole-dose runs over the stages, and the aggregation of the per-dose metrics.

DVC runs two stages per dose: ``synthbank generate ptycho --dose D`` (:func:`synthbank.families.ptycho.stages.run_generate`:
simulate, canonicalise, patch, split and views) and ``synthbank validate ptycho --dose D``;
:func:`run_dose` runs both in one process for ``synthbank ptycho sweep``, tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthbank.families.ptycho import stages
from synthbank.families.ptycho.config import SweepConfig, ViewsConfig
from synthbank.families.ptycho.layout import STAGE_FILES, VIEWS, dose_dir
from synthbank.families.ptycho.validate import aggregate, validate_dose


def spacings(cfg: ViewsConfig) -> dict[str, float]:
    return {v: cfg.spacing(v) for v in VIEWS}


def run_dose(cfg: SweepConfig, dose: int, root: Path, thresholds: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Every stage of one dose into ``root/dose_<dose>``; returns (metrics, failures)."""
    d = dose_dir(root, dose)
    stages.run_generate(cfg, dose, d / "simulate")
    return validate_dose(d, d / "validate" / "metrics.json", dose, cfg.patch.group_size, spacings(cfg.views), thresholds)


def stage_dirs(root: Path, doses: Sequence[int]) -> list[Path]:
    """Every stage directory of every dose (what the manifest covers), sorted."""
    return sorted(dose_dir(root, d) / stage for d in doses for stage in STAGE_FILES)


def base_entry_fields(root: Path, doses: Sequence[int], relative_to: Path) -> dict[str, dict[str, Any]]:
    """Manifest fields of each dose's ``raw.h5`` simulated from a base NPZ: its path and sha256.

    Keyed by the path relative to ``relative_to`` (the manifest's root); doses without a
    base NPZ have no field.
    """
    from synthbank.families.ptycho.files import read_attrs

    fields = {}
    for d in doses:
        raw = dose_dir(root, d) / "simulate" / "raw.h5"
        base = read_attrs(raw)["params"].get("base_npz")
        if base:
            fields[raw.absolute().relative_to(relative_to.absolute()).as_posix()] = {"params": {"base_npz": base}}
    return fields


def write_metrics(root: Path, doses: Sequence[int], metrics_path: Path) -> dict[str, Any]:
    """Nest the per-dose metrics below ``root`` into ``metrics_path``; return them.

    ``thresholds_met`` is false if any dose failed its validation.
    """
    from synthbank import jsonio
    from synthbank.io.staging import write_file_atomic

    per_dose = {int(d): stages.load_json(dose_dir(root, d) / "validate" / "metrics.json") for d in doses}
    metrics = aggregate(per_dose)
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    return metrics
