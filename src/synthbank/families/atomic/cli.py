"""``synthbank generate|estimate|validate atomic``."""

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
    ReportsManifestOpt,
    ParamsOpt,
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


def _config(params_file: Path, num_images: str | None, seed: str | None) -> Any:
    """The :class:`AtomicConfig` of the params file and options: generate's and estimate's one validation."""
    return family_config(params_file, "atomic", "synthbank.families.atomic.build:AtomicConfig", seed, num_images=num_images)


@generate_app.command("atomic")
def generate_atomic(
    num_images: Annotated[
        Optional[str], typer.Option("--num-images", metavar="N", help="Total number of images, a positive integer (default: atomic.num_images in params).")
    ] = None,
    output_dir: Annotated[
        Optional[Path], typer.Option("--output-dir", help="Output directory (default: datasets/YYYY-MM-DD-v1, today's date).")
    ] = None,
    seed: SeedOpt = None,
    manifest: Annotated[
        Optional[Path], typer.Option("--manifest", help="Manifest path (default: OUTPUT_DIR/manifest.json).")
    ] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    workers: WorkersOpt = "1",
    shard_blocks: Annotated[
        str, typer.Option("--shard-blocks", metavar="K", help="Blocks (of 5,000 images) per worker task (>= 1). Output bytes do not depend on it.")
    ] = "1",
    scheduler: SchedulerOpt = None,
    yes: YesOpt = False,
    confirm_above: ConfirmAboveOpt = str(CONFIRM_ABOVE),
    overwrite: OverwriteOpt = False,
) -> None:
    """Generate the atomic lattice images: train/val/test HDF5 + npz, metadata.json, manifest."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.atomic import VERSION
    from synthbank.families.atomic.build import build, estimate
    from synthbank.io.staging import check_manifest, check_output, transaction
    from synthbank.parallel import check_workers

    n_workers = workers_option(workers)
    n_shard = int_option("--shard-blocks", shard_blocks, *SHARD_BLOCKS)
    ask_above = int_option("--confirm-above", confirm_above, *BYTES)
    check_workers(n_workers, scheduler)
    cfg = _config(params_file, num_images, seed)
    out = output_dir or Path("datasets") / f"{_dt.date.today().isoformat()}-v1"
    manifest_path = manifest or out / "manifest.json"
    check_output(out, "atomic", overwrite=overwrite, manifest=manifest_path)
    check_manifest(manifest_path, "atomic", overwrite=overwrite)
    plan = estimate(cfg.num_images)
    info("\nDataset Generation Plan:")
    info(f"  Images: {plan['num_images']:,}")
    info(f"  Memory: {plan['readable']}")
    info(f"  Disk:   at most {plan['disk_readable']} (HDF5 + npz)")
    info(f"  Output: {out}")
    check_disk(out, plan["disk_bytes"])
    confirm_or_exit(plan["disk_bytes"], yes, ask_above)
    with transaction("atomic", overwrite=overwrite, manifest=manifest_path):
        sizes = build(cfg, out, workers=n_workers, shard_blocks=n_shard, progress=sys.stderr.isatty())
        inside = manifest_path.absolute().is_relative_to(out.absolute())
        record = manifest_mod.build(
            family="atomic", generator="synthbank.families.atomic", generator_version=VERSION,
            seed=cfg.seed, params=cfg.params_record(), release_date=cfg.release_date,
            root=out if inside else Path("."), manifest_path=manifest_path, outputs=[out],
        )
        manifest_mod.write(record, manifest_path)
    info(f"Wrote {sum(sizes.values()):,} images ({', '.join(f'{k} {v:,}' for k, v in sizes.items())}) to {out}")


@estimate_app.command("atomic")
def estimate_atomic(
    num_images: Annotated[Optional[str], typer.Option("--num-images", metavar="N", help="Total number of images (default: from params).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Print seed 001's memory estimate and the disk upper bound as JSON."""
    cfg = _config(params_file, num_images, None)  # exactly generate's validation
    from synthbank import jsonio
    from synthbank.families.atomic.build import estimate

    typer.echo(jsonio.dumps(estimate(cfg.num_images)), nl=False)


@validate_app.command("atomic")
def validate_atomic(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="The generated dataset directory.")] = Path("data/atomic"),
    metrics: MetricsOpt = Path("metrics/atomic.json"),
    report_dir: Annotated[Path, typer.Option("--report-dir", help="Directory for the PNG report and CSV curves.")] = Path("reports/atomic"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    reports_manifest: ReportsManifestOpt = None,
) -> None:
    """Compute metrics/atomic.json and the validation report; exit 1 on a violated threshold."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.atomic.validate import validate
    from synthbank.io.staging import transaction

    p = params_mod.load(params_file)
    with transaction("atomic", manifest=reports_manifest):  # metrics, reports and their manifest together
        failures = validate(data_dir, metrics, report_dir, p.family("atomic")["thresholds"])
        manifest_mod.write_reports(reports_manifest, "atomic", p, [report_dir, metrics])
    finish_validation(failures, f"atomic: all thresholds met; metrics in {metrics}")
