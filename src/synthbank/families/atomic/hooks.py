"""The atomic family's hooks: what ``synthbank estimate|generate|validate atomic`` run (see synthbank.family)."""

from __future__ import annotations

from pathlib import Path

from synthbank.family import Estimate, Output
from synthbank.run import Run

#: Images per second on one worker of a 2-core x86-64 host (for the rough time estimate only).
IMAGES_PER_SECOND = 150_000


def estimate(run: Run) -> Estimate:
    """Memory and an upper bound on disk, and a rough time.

    One file per split: the source document's memory estimate (the images' bytes). Shards:
    what the local workers hold, one block each; the driver's memory does not grow with
    the dataset.
    """
    from synthbank.families.atomic.build import estimate as sizes

    cfg = run.config()
    e = sizes(cfg.num_images)
    detail = {"bytes_per_image": e["bytes_per_image"]}
    memory, disk = e["bytes"], e["disk_bytes"]
    if cfg.shard_images:
        from synthbank.families.atomic.shard_writer import estimate as shard_sizes

        s = shard_sizes(cfg.num_images, cfg.shard_images, run.options.get("workers", 1))
        memory, disk = s["memory_bytes"], s["disk_bytes"]
        detail |= {"shard_images": cfg.shard_images, "files": s["files"]}
    return Estimate(items=cfg.num_images, unit="images", memory_bytes=memory, disk_bytes=disk,
                    seconds=cfg.num_images / IMAGES_PER_SECOND, detail=detail)


def generate(run: Run, out: Path) -> Output:
    """train/val/test HDF5 (+ npz, or HDF5 shards) and metadata.json in ``out``."""
    from synthbank.families.atomic.build import build

    cfg = run.config()
    o = run.options
    sizes = build(cfg, out, shard_blocks=o["shard_blocks"], progress=o["progress"], **run.backend())
    return Output(f"Wrote {sum(sizes.values()):,} images ({', '.join(f'{k} {v:,}' for k, v in sizes.items())}) to {out}",
                  params=cfg.manifest_params())


def validate(run: Run) -> list[str]:
    """Metrics, the PNG report and the label CSV; the violated thresholds."""
    from synthbank.families.atomic.validate import validate as compute

    return compute(run.data_dir(), run.metrics_path(), run.report_dir(), run.thresholds, run.backend())
