"""``synthbank generate|estimate|validate chromatic``."""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from synthbank import params as params_mod
from synthbank.cliutil import (
    BYTES,
    CONFIRM_ABOVE,
    SHARD_BLOCKS,
    ConfirmAboveOpt,
    MetricsOpt,
    OverwriteOpt,
    ParamsOpt,
    ReportsManifestOpt,
    SchedulerOpt,
    SeedOpt,
    WorkersOpt,
    YesOpt,
    check_disk,
    confirm_or_exit,
    family_config,
    estimate_app,
    finish_validation,
    generate_app,
    info,
    int_option,
    validate_app,
    workers_option,
)

NumSamplesOpt = Annotated[
    Optional[str], typer.Option("--num-samples", metavar="N", help="Number of samples, a positive integer (default: chromatic.num_samples in params).")
]


def _config(params_file: Path, num_samples: str | None, seed: str | None) -> Any:
    """The :class:`ChromaticConfig` of the params file and options: generate's and estimate's one validation."""
    return family_config(params_file, "chromatic", "synthbank.families.chromatic.build:ChromaticConfig", seed,
                         num_samples=num_samples)


@generate_app.command("chromatic")
def generate_chromatic(
    num_samples: NumSamplesOpt = None,
    output_dir: Annotated[
        Optional[Path], typer.Option("--output-dir", help="Output directory (default: datasets/YYYY-MM-DD-chromatic, today's date).")
    ] = None,
    preview_dir: Annotated[
        Optional[Path], typer.Option("--preview-dir", help="Directory of the PNG previews (default: OUTPUT_DIR/previews).")
    ] = None,
    seed: SeedOpt = None,
    manifest: Annotated[Optional[Path], typer.Option("--manifest", help="Manifest path (default: OUTPUT_DIR/manifest.json).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    workers: WorkersOpt = "1",
    shard_blocks: Annotated[
        str, typer.Option("--shard-blocks", metavar="K", help="Blocks (of 4 samples) per worker task (>= 1). Output bytes do not depend on it.")
    ] = "1",
    scheduler: SchedulerOpt = None,
    yes: YesOpt = False,
    confirm_above: ConfirmAboveOpt = str(CONFIRM_ABOVE),
    overwrite: OverwriteOpt = False,
) -> None:
    """Generate chromatic tensors, masks, spectral pairs, PNG previews and the manifest."""
    from synthbank.families.chromatic.build import build, estimate, write_manifest
    from synthbank.families.chromatic.layout import PREVIEW_DIR
    from synthbank.io.staging import check_manifest, check_output, transaction
    from synthbank.parallel import check_workers

    n_workers = workers_option(workers)
    n_shard = int_option("--shard-blocks", shard_blocks, *SHARD_BLOCKS)
    ask_above = int_option("--confirm-above", confirm_above, *BYTES)
    check_workers(n_workers, scheduler)
    cfg = _config(params_file, num_samples, seed)
    out = output_dir or Path("datasets") / f"{_dt.date.today().isoformat()}-chromatic"
    previews = preview_dir or out / PREVIEW_DIR
    manifest_path = manifest or out / "manifest.json"
    for path, option in ((out, "--output-dir"), (previews, "--preview-dir")):
        check_output(path, "chromatic", overwrite=overwrite, manifest=manifest_path, option=option)
    check_manifest(manifest_path, "chromatic", overwrite=overwrite)
    plan = estimate(cfg, n_workers)
    info(f"chromatic: {cfg.num_samples:,} samples, about {plan['disk_bytes']:,} bytes on disk, "
         f"{plan['memory_bytes']:,} bytes of memory, into {out}")
    check_disk(out, plan["disk_bytes"])
    confirm_or_exit(plan["disk_bytes"], yes, ask_above)
    with transaction("chromatic", overwrite=overwrite, manifest=manifest_path):
        records = build(cfg, out, previews, workers=n_workers, shard_blocks=n_shard, progress=sys.stderr.isatty())
        write_manifest(cfg, records, out, previews, manifest_path)
    info(f"Wrote {len(records):,} chromatic/spectral pairs to {out}; manifest {manifest_path}")


@estimate_app.command("chromatic")
def estimate_chromatic(num_samples: NumSamplesOpt = None, params_file: ParamsOpt = params_mod.DEFAULT_PATH,
                       workers: WorkersOpt = "1") -> None:
    """Print the bytes per sample, the disk and the memory a generation needs, as JSON."""
    n_workers = workers_option(workers)
    cfg = _config(params_file, num_samples, None)  # exactly generate's validation
    from synthbank import jsonio
    from synthbank.families.chromatic.build import estimate

    typer.echo(jsonio.dumps(estimate(cfg, n_workers)), nl=False)


@validate_app.command("chromatic")
def validate_chromatic(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="The generated dataset directory.")] = Path("data/chromatic"),
    manifest: Annotated[Path, typer.Option("--manifest", help="The dataset's manifest.")] = Path("manifests/chromatic.json"),
    metrics: MetricsOpt = Path("metrics/chromatic.json"),
    report_dir: Annotated[Path, typer.Option("--report-dir", help="Directory for the spectral-profile CSV.")] = Path("reports/chromatic"),
    reseed_samples: Annotated[str, typer.Option("--reseed-samples", metavar="K", help="Samples regenerated to check reseed stability (>= 1).")] = "2",
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    workers: WorkersOpt = "1",
    reports_manifest: ReportsManifestOpt = None,
) -> None:
    """Compute metrics/chromatic.json and the CSV; exit 1 on a violated threshold."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.chromatic.validate import PROFILE_CSV, validate
    from synthbank.io.staging import transaction

    k = int_option("--reseed-samples", reseed_samples, *params_mod.key_limits("chromatic", "num_samples"))
    n_workers = workers_option(workers)
    p = params_mod.load(params_file)
    with transaction("chromatic", manifest=reports_manifest):  # metrics, reports and their manifest together
        failures = validate(data_dir, manifest, metrics, report_dir, p.family("chromatic")["thresholds"], reseed_samples=k, workers=n_workers)
        manifest_mod.write_reports(reports_manifest, "chromatic", p, [report_dir / PROFILE_CSV, metrics])
    finish_validation(failures, f"chromatic: all thresholds met; metrics in {metrics}")
