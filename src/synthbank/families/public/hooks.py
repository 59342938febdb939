"""The public family's hooks: what ``synthbank estimate|generate|validate public`` run (see synthbank.family)."""

from __future__ import annotations

from pathlib import Path

from synthbank.errors import UsageError
from synthbank.family import Estimate, Output
from synthbank.run import Run

#: Peak working memory per byte of the sources (the MRI volume decoded to float64 and its
#: slices): measured 35 (66 MB over 1.9 MB) on the three demos.
MEMORY_PER_SOURCE_BYTE = 40
#: Source bytes converted per second on one core of a 2-core x86-64 host (rough: 1.9 MB in 1.5 s).
SOURCE_BYTES_PER_SECOND = 1_000_000


def estimate(run: Run) -> Estimate:
    """Disk (an upper bound from the sources' size), memory and time of the chosen demos.

    ``synthbank generate public`` refuses a ``--sources`` that is no directory here, before
    the plan is printed.
    """
    from synthbank.families.public.build import estimate_bytes, source_bytes

    cfg = run.config()
    if run.verb == "generate" and not Path(run.options["sources"]).is_dir():
        raise UsageError(f"--sources={str(run.options['sources'])!r} is not a directory: "
                         "allowed the sources/public folder of the repository")
    total = source_bytes(cfg)
    return Estimate(items=len(cfg.demos), unit="demos", memory_bytes=MEMORY_PER_SOURCE_BYTE * total,
                    disk_bytes=estimate_bytes(cfg), seconds=total / SOURCE_BYTES_PER_SECOND,
                    detail={"source_bytes": total})


def generate(run: Run, out: Path) -> Output:
    """One folder per demo in ``out``: PNG/NIfTI, LICENSE.txt and provenance.json."""
    from synthbank.families.public.build import build

    written = build(run.config(), Path(run.options["sources"]), Path(run.options["licenses"]), out, **run.backend())
    return Output(f"public: wrote {sum(map(len, written.values()))} files for {', '.join(written)} to {out}")


def validate(run: Run) -> list[str]:
    """Checksums, licences, pixels and no PHI; metrics/public.json; the violated thresholds and failed checks."""
    from synthbank.families.public.validate import validate as compute

    return compute(run.data_dir(), Path(run.options["manifest"]), run.metrics_path(), run.thresholds, **run.backend())
