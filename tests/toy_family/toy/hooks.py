"""The toy family's hooks (see synthbank.family)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import jsonio, seeding, thresholds
from synthbank.family import Estimate, Finalized, Output
from synthbank.run import Run
from synthbank.io import hdf5
from synthbank.io.staging import staged_dir, write_file_atomic

from toy import FAMILY, VERSION
from toy.generate import samples


@dataclass(frozen=True)
class ToyConfig:
    seed: int
    release_date: str
    samples: int
    sets: Mapping[str, Any]

    @classmethod
    def from_params(cls, seed: int, release_date: str, section: Mapping[str, Any]) -> ToyConfig:
        return cls(int(seed), release_date, int(section["samples"]), section["sets"])


def estimate(run: Run) -> Estimate:
    n = run.config().samples
    return Estimate(items=n, unit="samples", memory_bytes=8 * n, disk_bytes=8 * n + 100_000, seconds=n / 5e7)


def generate(run: Run, out: Path) -> Output:
    cfg = run.config()
    spec = cfg.sets[run.item]
    index = sorted(cfg.sets).index(run.item)  # the set's stable key: its rank by name
    values = samples(seeding.stream(cfg.seed, "toy", index), cfg.samples, float(spec["mean"]), float(spec["std"]))
    with staged_dir(out, "toy") as tmp, hdf5.create_file(tmp / "samples.h5", {"family": "toy", "generator_version": VERSION, "seed": cfg.seed}) as f:
        hdf5.create_dataset(f, "values", shape=values.shape, dtype=values.dtype, data=values, attrs={"units": "arbitrary"})
    return Output(f"toy: {run.item}: wrote {cfg.samples:,} samples to {out}")


def validate(run: Run) -> list[str]:
    spec = run.section["sets"][run.item]
    with h5py.File(run.data_dir() / "samples.h5", "r") as f:
        x = f["values"][...]
    metrics = {
        "mean": round(float(x.mean()), 6),
        "mean_z": round(float((x.mean() - spec["mean"]) / (spec["std"] / np.sqrt(x.size))), 6),
        "std_rel_error": round(float(abs(x.std(ddof=1) / spec["std"] - 1)), 6),
        "finite": bool(np.isfinite(x).all()),
    }
    violations = thresholds.check(metrics, FAMILY.rules, run.thresholds, where=f"toy: {run.item}: ")
    metrics["thresholds_met"] = not violations
    write_file_atomic(run.metrics_path(), jsonio.dumps(metrics).encode())
    return violations


def finalize(run: Run) -> Finalized:
    names = run.item_names()
    merged = {name: json.loads((Path("reports/toy") / name / "metrics.json").read_text()) for name in names}
    merged["thresholds_met"] = all(m["thresholds_met"] for m in merged.values())
    write_file_atomic(run.metrics_path(), jsonio.dumps(merged).encode())
    violations = tuple(f"toy: {n}: thresholds violated" for n in names if not merged[n]["thresholds_met"])
    return Finalized(outputs=tuple(run.data_dir() / n for n in names), violations=violations,
                     reports=(Path("reports/toy"), run.metrics_path()))
