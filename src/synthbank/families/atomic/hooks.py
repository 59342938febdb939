"""The atomic family's hooks: what ``synthbank estimate|generate|validate atomic`` run (see synthbank.family)."""

from __future__ import annotations

from pathlib import Path

from synthbank.family import Estimate, Output
from synthbank.run import Run

#: Images per second on one worker of a 2-core x86-64 host (for the rough time estimate only).
IMAGES_PER_SECOND = 150_000


def estimate(run: Run) -> Estimate:
    """Memory of the images (the source document's estimate), an upper bound on disk, and a rough time."""
    from synthbank.families.atomic.build import estimate as sizes

    cfg = run.config()
    e = sizes(cfg.num_images)
    return Estimate(items=cfg.num_images, unit="images", memory_bytes=e["bytes"], disk_bytes=e["disk_bytes"],
                    seconds=cfg.num_images / IMAGES_PER_SECOND, detail={"bytes_per_image": e["bytes_per_image"]})


def generate(run: Run, out: Path) -> Output:
    """train/val/test HDF5 + npz and metadata.json in ``out``."""
    from synthbank.families.atomic.build import build

    cfg = run.config()
    o = run.options
    sizes = build(cfg, out, workers=o["workers"], shard_blocks=o["shard_blocks"], progress=o["progress"])
    return Output(f"Wrote {sum(sizes.values()):,} images ({', '.join(f'{k} {v:,}' for k, v in sizes.items())}) to {out}",
                  params=cfg.params_record())


def validate(run: Run) -> list[str]:
    """Metrics, the PNG report and the label CSV; the violated thresholds."""
    from synthbank.families.atomic.validate import validate as compute

    return compute(run.data_dir(), run.metrics_path(), run.report_dir(), run.thresholds)
