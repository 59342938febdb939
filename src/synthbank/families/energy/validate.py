"""Read every domain's files, compute metrics/energy.json and the montages, check the family's rules.

Per domain (all from the written files): the Well-format problems of every dataset directory
and file (welldataset.check_directory: what The Well's loaders refuse); negative
and non-finite cells; the largest conservation error of each perturbation kind (from the
per-kind energy ratios recorded at each step; scaling against its factor) and of each step
recomputed from the stored maps; the fraction of blur applications, of noise applications and of
whole steps that diffuse (apply blur, with whatever else the step applies: noise, rotation
...) whose entropy does not fall, the last recomputed from the stored maps; the pyramid's conservation
error (each level's map totals against the full-resolution ones); energy and entropy
statistics. The metrics file is written with its ``thresholds_met`` even when a rule
(``FAMILY.rules``) is violated.

Entropy rules, and why they differ from the wording of the energy source document
(docs/families/energy.md). The entropy here is the Shannon
entropy of the normalised map, H = log N - <d^2>/2 + ... for relative fluctuations d.

* Blur (heat kernel) is a doubly stochastic operator, so H cannot fall: checked per
  application against ``blur_entropy_rise_fraction_min`` (the source document's "< 1% violations").
* Noise gets no entropy threshold on purpose. Added noise of relative std sigma raises <d^2>
  by about sigma^2, so on near-uniform maps (turbulent: H within 0.05 of log N) it lowers H
  by about sigma^2 / 2; only concentrated maps (vortex) gain entropy as noise fills empty
  cells. Injected fluctuations are not a relaxation, so the second law says nothing about
  them; the source document's "+0.145" was one example map. The fraction is reported, not enforced.
* Steps that blur are checked as a whole (rotation, noise, blur ... in that order) against
  ``step_entropy_rise_fraction_min``. Rotation (three periodic shears) and blur never lower
  H and translation and scaling leave it unchanged, so only noise can, and the blur that
  follows it in the step removes most of it. The source document's "96% of transformations show
  dS >= 0" is an outcome it reported, not a target; with about 22 blur steps per domain a
  0.96 minimum allows no miss at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import jsonio, parallel, thresholds
from synthbank.errors import UsageError
from synthbank.families.energy import FAMILY, layout, report, welldataset
from synthbank.families.energy.perturb import KINDS
from synthbank.families.energy.thermo import ENTROPY_ATOL, entropy
from synthbank.io.staging import write_file_atomic


def _stats(x: np.ndarray) -> dict[str, float]:
    return {"mean": float(x.mean()), "std": float(x.std()), "min": float(x.min()), "max": float(x.max())}


def _fraction(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 1.0


def domain_files(data_dir: Path, domain: str) -> dict[int, list[Path]]:
    """The domain's split files per scale ``{h: [train, valid, test files]}``, largest scale first
    (UsageError if there are none)."""
    found = {s: layout.split_files(d) for s, d in layout.scale_datasets(data_dir / domain, domain).items()}
    found = {s: f for s, f in found.items() if f}
    if not found:
        raise UsageError(f"{data_dir / domain} holds no {layout.PREFIX}{domain}_<scale>/data/<split>/*.h5 files: "
                         f"run 'synthbank generate energy --domain {domain}' first")
    return found


def domain_metrics(data_dir: Path, domain: str) -> tuple[dict[str, Any], tuple[np.ndarray, list[str]]]:
    """Metrics of one domain, with its full-resolution maps (B, T, h, w) for the montage and its format problems.

    Rows of every array are the domain's sequences in order, put back together from the split files.
    """
    files = domain_files(data_dir, domain)
    problems = welldataset.check_directory(data_dir / domain)
    negative = nonfinite = 0
    totals: dict[int, np.ndarray] = {}
    full_paths = files[max(files)]
    maps = layout.read_rows(full_paths, "t0_fields/energy")
    with h5py.File(full_paths[0], "r") as f:
        names = [str(n) for n in f["scalars"].attrs["field_names"] if f[f"scalars/{n}"].attrs["time_varying"]]
    rec = {name: layout.read_rows(full_paths, f"scalars/{name}").astype(np.float64) for name in names}
    for scale, paths in files.items():
        e = maps if scale == max(files) else layout.read_rows(paths, "t0_fields/energy")
        g = layout.read_rows(paths, "t1_fields/energy_gradient")
        negative += int(np.count_nonzero(e < 0))
        nonfinite += int(np.count_nonzero(~np.isfinite(e))) + int(np.count_nonzero(~np.isfinite(g)))
        totals[scale] = np.nansum(e, axis=(2, 3), dtype=np.float64)
    full = totals[max(totals)]
    h_maps = entropy(np.where(np.isfinite(maps) & (maps >= 0), maps, 0.0))

    conservation = {}
    for k in KINDS:
        applied = rec[f"{k}_applied"] > 0
        expected = np.where(applied, rec["scaling_factor"], 1.0) if k == "scaling" else 1.0
        err = np.abs(rec[f"{k}_energy_ratio"] / expected - 1.0)
        conservation[k] = float(err[applied].max()) if applied.any() else 0.0
    factor = np.where(rec["scaling_applied"] > 0, rec["scaling_factor"], 1.0)
    step_err = np.abs(full[:, 1:] / (full[:, :-1] * factor[:, 1:]) - 1.0)
    conservation["step_from_maps"] = float(step_err.max()) if step_err.size else 0.0

    rises = {k: rec[f"{k}_entropy_change"][rec[f"{k}_applied"] > 0] >= -ENTROPY_ATOL for k in ("blur", "noise")}
    step_dh = np.diff(h_maps, axis=1)
    step_rise = step_dh[rec["blur_applied"][:, 1:] > 0] >= -1e-6  # float32 storage: a micro-nat tolerance
    pyramid_err = max((float(np.abs(t / full - 1.0).max()) for s, t in totals.items() if s != max(totals)), default=0.0)
    metrics = {
        "maps": int(maps.shape[0] * maps.shape[1]),
        "scales": sorted(totals, reverse=True),
        "format_problems": len(problems),
        "negative_cells": negative,
        "nonfinite_cells": nonfinite,
        "conservation_error_max": conservation,
        "entropy_rise_fraction": {
            "blur": _fraction(rises["blur"]), "noise": _fraction(rises["noise"]), "blur_steps": _fraction(step_rise),
        },
        "applications": {k: int((rec[f"{k}_applied"] > 0).sum()) for k in KINDS},
        "pyramid_conservation_error_max": pyramid_err,
        "energy": _stats(full),
        "entropy": _stats(h_maps),
    }
    return metrics, (maps, problems)


@dataclass(frozen=True)
class DomainTask:
    """One worker task: every statistic of one domain's files (``data_dir`` absolute, for any worker's cwd)."""

    data_dir: str
    domain: str


def domain_result(task: DomainTask) -> tuple[dict[str, Any], list[str], bytes]:
    """One domain's metrics, its format problems and its montage PNG (small: the maps stay in the task)."""
    metrics, (maps, problems) = domain_metrics(Path(task.data_dir), task.domain)
    return metrics, problems, report.montage(maps)


def validate(data_dir: Path, domains: Sequence[str], metrics_path: Path, report_dir: Path, bounds: Mapping[str, Any],
             backend: Mapping[str, Any] | None = None) -> list[str]:
    """Write metrics and one montage per domain; return the violated rules (empty: all pass),
    followed by the first format problems of each domain.

    Each domain is a task (:func:`synthbank.parallel.run_ordered` with ``backend``); a
    domain's statistics are computed whole in its task, so the metrics do not depend on the workers.
    """
    metrics: dict[str, Any] = {"domains": {}}
    problem_lines: list[str] = []
    montages = {}
    order = sorted(domains)
    tasks = (DomainTask(str(Path(data_dir).resolve()), d) for d in order)
    for domain, (m, problems, png) in zip(order, parallel.run_ordered(domain_result, tasks, **dict(backend or {})), strict=True):
        metrics["domains"][domain] = m
        problem_lines += [f"energy: {domain}: {p}" for p in problems[:5]]
        montages[domain] = png
    metrics["maps_total"] = sum(m["maps"] for m in metrics["domains"].values())
    failures = thresholds.check(metrics, FAMILY.rules, bounds, where="energy: ") + problem_lines
    metrics["thresholds_met"] = not failures
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    for domain, png in montages.items():
        write_file_atomic(Path(report_dir) / f"{domain}.png", png)
    return failures
