"""The energy family's hooks: what ``synthbank estimate|generate|validate|finalize energy`` run (see synthbank.family)."""

from __future__ import annotations

from pathlib import Path

from synthbank.errors import UsageError
from synthbank.family import Estimate, Finalized, Output
from synthbank.run import Run

#: Full-resolution map cells generated and written (with their pyramid and gradients) per second
#: on one core of a 2-core x86-64 host (measured: 50 maps of 256 x 256 in about 8 s); for the
#: rough time estimate only.
CELLS_PER_SECOND = 400_000
#: Peak working bytes per full-resolution map cell: the float64 sequence maps, the float32
#: pyramid levels, one level's gradients, and the train split in float64 with its deltas for
#: stats.yaml (measured: 240 MB above the interpreter for 50 maps of 256 x 256, 73 B a cell).
WORK_BYTES_PER_CELL = 80


def estimate(run: Run) -> Estimate:
    """One domain: working memory, an upper bound of its files, a rough time."""
    from synthbank.families.energy.build import estimate_bytes

    cfg = run.config(run.item)
    maps = cfg.n_sequences * cfg.n_steps
    cells = maps * cfg.shape[0] * cfg.shape[1]
    return Estimate(items=maps, unit="maps", memory_bytes=cells * WORK_BYTES_PER_CELL, disk_bytes=estimate_bytes(cfg),
                    seconds=cells / CELLS_PER_SECOND, detail={"scales": list(cfg.scales), "shape": list(cfg.shape)})


def generate(run: Run, out: Path) -> Output:
    """One Well dataset per pyramid scale, ``synthbank_energy_<domain>_<scale>/`` with stats.yaml and
    data/{train,valid,test}/ (the manifest comes at finalize)."""
    from synthbank.families.energy.build import build

    cfg = run.config(run.item)
    files = build(cfg, out, run.backend())  # one task per sequence
    return Output(f"energy: wrote {cfg.n_sequences * cfg.n_steps} maps of {run.item} at scales {list(cfg.scales)} "
                  f"to {out} ({len(cfg.scales)} Well datasets, {len(files)} files)")


def validate(run: Run) -> list[str]:
    """metrics/energy.json over every domain and one montage per domain; the violated rules."""
    from synthbank.families.energy.validate import validate as compute

    return compute(run.data_dir(), run.item_names(), run.metrics_path(), run.report_dir(), run.thresholds,
                   run.backend())  # one task per domain


def finalize(run: Run) -> Finalized:
    """The catalog (every map file, sha256, energy statistics); the manifest lists every domain and the catalog."""
    from synthbank.families.energy.catalog import build_catalog, write_catalog
    from synthbank.io import guard

    catalog = run.options["catalog"]
    if catalog.exists() and guard.json_family(catalog, "files") != "energy":
        raise UsageError(f"--catalog={str(catalog)!r} exists and is not an energy catalog synthbank wrote: "
                         "allowed a new path or a previous catalog")
    domains = sorted(run.item_names())
    write_catalog(build_catalog(Path("."), run.data_dir(), domains, run.seed, run.params.release_date), catalog)
    return Finalized(outputs=tuple(run.data_dir() / d for d in domains), files=(catalog,))
