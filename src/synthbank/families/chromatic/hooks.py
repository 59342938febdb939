"""The chromatic family's hooks: what ``synthbank estimate|generate|validate chromatic`` run (see synthbank.family)."""

from __future__ import annotations

from pathlib import Path

from synthbank.family import Estimate, Output
from synthbank.run import Run

#: Samples (256 x 256, 31 bands: two HDF5 files of ~9 MB) per second on one worker of a
#: 2-core x86-64 host, previews included (measured 16 in 2.1 s; for the rough time estimate only).
SAMPLES_PER_SECOND = 8


def estimate(run: Run) -> Estimate:
    """Memory (per process, with ``--workers``), an upper bound on disk, and a rough time."""
    from synthbank.families.chromatic.build import estimate as sizes

    cfg = run.config()
    e = sizes(cfg, run.options.get("workers", 1))
    return Estimate(items=cfg.num_samples, unit="samples", memory_bytes=e["memory_bytes"], disk_bytes=e["disk_bytes"],
                    seconds=cfg.num_samples / SAMPLES_PER_SECOND, detail={"bytes_per_sample": e["bytes_per_sample"]})


def generate(run: Run, out: Path) -> Output:
    """The chromatic and spectral HDF5 files in ``out``, the PNG previews (``--preview-dir``), and
    the manifest's per-file fields (uid, paired_with, index, content CRC-64)."""
    from synthbank.families.chromatic.build import build, manifest_entry_fields
    from synthbank.families.chromatic.layout import PREVIEW_DIR

    cfg, o = run.config(), run.options
    previews = Path(o["preview_dir"]) if o["preview_dir"] is not None else out / PREVIEW_DIR  # checked by the core
    records = build(cfg, out, previews, shard_blocks=o["shard_blocks"], progress=o["progress"], **run.backend())
    extra = () if previews.absolute().is_relative_to(out.absolute()) else (previews,)
    root = run.manifest_root(out, extra)
    return Output(f"Wrote {len(records):,} chromatic/spectral pairs to {out}; manifest {run.manifest_path(out)}",
                  params=cfg.section, extra_outputs=extra,
                  entry_fields=manifest_entry_fields(cfg, records, out, previews, root))


def validate(run: Run) -> list[str]:
    """Metrics and the spectral-profile CSV from the data and its manifest; the violated thresholds."""
    from synthbank.families.chromatic.validate import validate as compute

    o = run.options
    return compute(run.data_dir(), Path(o["manifest"]), run.metrics_path(), run.report_dir(), run.thresholds,
                   reseed_samples=o["reseed_samples"], **run.backend())
