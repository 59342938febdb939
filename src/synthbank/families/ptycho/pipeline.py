"""Whole-dose and whole-sweep runs over the stages, and the final aggregation stage.

DVC runs the stages one by one (``synthbank ptycho <stage> --dose D``); these helpers run
the same functions in one process for ``synthbank generate ptycho``, tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthbank import manifest as manifest_mod
from synthbank.families.ptycho import VERSION, stages
from synthbank.families.ptycho.config import PatchConfig, SimulationConfig, ViewsConfig
from synthbank.families.ptycho.layout import FAMILY, STAGE_FILES, VIEWS, dose_dir
from synthbank.families.ptycho.validate import aggregate, validate_dose


def spacings(cfg: ViewsConfig) -> dict[str, float]:
    return {v: cfg.spacing(v) for v in VIEWS}


def run_dose(seed: int, section: Mapping[str, Any], dose: int, root: Path) -> tuple[dict[str, Any], list[str]]:
    """Every stage of one dose into ``root/dose_<dose>``; returns (metrics, failures)."""
    sim = SimulationConfig.from_params(seed, dose, section)
    pcfg = PatchConfig.from_params(seed, section)
    vcfg = ViewsConfig.from_params(seed, section)
    d = dose_dir(root, dose)
    stages.run_simulate(sim, d / "simulate")
    stages.run_canonicalise(d / "simulate" / "raw.h5", d / "canonical")
    stages.run_patch(pcfg, d / "canonical" / "canonical.h5", d / "patch")
    stages.run_split(d / "canonical" / "canonical.h5", d / "patch" / "groups.h5", d / "split")
    stages.run_views(vcfg, d / "split", d / "views")
    return validate_dose(d, d / "validate", dose, pcfg.group_size, spacings(vcfg), section["thresholds"])


def n_positions(section: Mapping[str, Any]) -> int:
    """Scan positions of the design (without drawing them)."""
    scan, n_obj, n_probe = section["scan"], section["object"]["size_px"], section["probe"]["size_px"]
    if scan["pattern"] == "random":
        return int(scan["n_positions"])
    per_axis = len(range(n_probe // 2, n_obj - n_probe // 2 + 1, scan["step_px"]))
    return per_axis * per_axis


def estimate_disk(section: Mapping[str, Any]) -> int:
    """Upper bound of the bytes the whole sweep writes (nothing compressed), per the layout.

    Per pattern: counts and expected intensity (4 + 4 bytes a pixel), canonical amplitude
    (4), and per split HDF5 + NPZ amplitude (2 x 4) and ground-truth patch (2 x 8); the
    object is stored six times (raw, canonical, two splits in HDF5 and NPZ).
    """
    n, pix = n_positions(section), section["probe"]["size_px"] ** 2
    per_dose = n * pix * (4 + 4 + 4 + 8 + 16) + 6 * 8 * section["object"]["size_px"] ** 2 + 1_000_000
    return len(section["doses"]) * per_dose


def stage_dirs(root: Path, doses: Sequence[int]) -> list[Path]:
    """Every stage directory of every dose (what the manifest covers), sorted."""
    return sorted(dose_dir(root, d) / stage for d in doses for stage in STAGE_FILES)


def finalize(
    *, root: Path, doses: Sequence[int], seed: int, params: Mapping[str, Any], release_date: str,
    metrics_path: Path, manifest_path: Path, repo_root: Path = Path("."),
) -> dict[str, Any]:
    """Aggregate the per-dose metrics into ``metrics_path`` and write the family manifest.

    Returns the aggregated metrics (``thresholds_met`` false if any dose failed).
    """
    from synthbank import jsonio
    from synthbank.io.staging import write_file_atomic

    per_dose = {int(d): stages.load_json(dose_dir(root, d) / "validate" / "metrics.json") for d in doses}
    metrics = aggregate(per_dose)
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    record = manifest_mod.build(
        family=FAMILY, generator=f"synthbank.families.{FAMILY}", generator_version=VERSION, seed=seed,
        params=params, release_date=release_date, root=repo_root, manifest_path=manifest_path,
        outputs=stage_dirs(root, doses),
    )
    manifest_mod.write(record, manifest_path)
    return metrics
