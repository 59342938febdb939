"""The ``synthbank`` command line (typer). The only place that reads params.yaml.

Every error is one line on stderr, ``synthbank: error: ...``, with exit code 2 for bad
input (nothing written) and 1 for a failed validation or verification.
"""

from __future__ import annotations

from synthbank.parallel import pin_blas_threads

pin_blas_threads()  # before numpy is imported anywhere

import datetime as _dt  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402

from synthbank import params as params_mod  # noqa: E402
from synthbank.errors import SynthbankError, UsageError, ValidationFailed  # noqa: E402
from synthbank.families import AVAILABLE  # noqa: E402

app = typer.Typer(
    name="synthbank",
    help="Deterministic synthetic datasets: generate, validate and verify them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
generate_app = typer.Typer(help="Generate a dataset family (values from params.yaml unless given here).", no_args_is_help=True)
validate_app = typer.Typer(help="Compute a family's metrics and report; exit 1 if a threshold is violated.", no_args_is_help=True)
estimate_app = typer.Typer(help="Print the memory and disk a generation would need, and write nothing.", no_args_is_help=True)
app.add_typer(generate_app, name="generate")
app.add_typer(validate_app, name="validate")
app.add_typer(estimate_app, name="estimate")

#: Ask before writing more than this on an interactive terminal (bytes).
CONFIRM_ABOVE = 1_000_000_000

ParamsOpt = Annotated[Path, typer.Option("--params", help="The params file to read every unspecified value from.")]
WorkersOpt = Annotated[str, typer.Option("--workers", metavar="N", help="Worker processes (>= 1). Output bytes do not depend on it.")]
SchedulerOpt = Annotated[
    Optional[str], typer.Option("--scheduler", help="Dask scheduler address (reserved; not available yet).")
]


def _info(message: str) -> None:
    typer.echo(message, err=True)


def int_option(option: str, raw: str | None, minimum: int) -> int | None:
    """Parse an integer option ourselves so the error names the option, the value and the rule."""
    if raw is None:
        return None
    try:
        value = int(raw.strip().replace("_", ""), 10)
    except ValueError:
        value = None
    if value is None or value < minimum:
        rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise UsageError(f"{option}={raw!r} is invalid: allowed {rule}")
    return value


def _free_space_at(path: Path) -> int:
    probe = path.absolute()
    while not probe.exists():
        probe = probe.parent
    return shutil.disk_usage(probe).free


def check_disk(output: Path, needed: int) -> None:
    """Refuse (UsageError) if the file system of ``output`` has less than ``needed`` free."""
    free = _free_space_at(output)
    if free < needed:
        raise UsageError(
            f"not enough free disk space for {output}: needs about {needed:,} bytes, {free:,} free"
        )


def confirm_or_exit(disk_bytes: int, yes: bool, confirm_above: int) -> None:
    """Ask y/n on an interactive terminal above ``confirm_above``; never wait otherwise."""
    if yes or disk_bytes <= confirm_above or not sys.stdin.isatty():
        return
    answer = input("\nProceed with generation? (y/n): ")
    if answer.strip().lower() not in ("y", "yes"):
        typer.echo("Generation cancelled.")
        raise typer.Exit(0)


@generate_app.command("atomic")
def generate_atomic(
    num_images: Annotated[
        Optional[str], typer.Option("--num-images", metavar="N", help="Total number of images, a positive integer (default: atomic.num_images in params).")
    ] = None,
    output_dir: Annotated[
        Optional[Path], typer.Option("--output-dir", help="Output directory (default: datasets/YYYY-MM-DD-v1, today's date).")
    ] = None,
    seed: Annotated[Optional[str], typer.Option("--seed", metavar="S", help="Root random seed, an integer >= 0 (default: seed in params, 42).")] = None,
    manifest: Annotated[
        Optional[Path], typer.Option("--manifest", help="Manifest path (default: OUTPUT_DIR/manifest.json).")
    ] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    workers: WorkersOpt = "1",
    shard_blocks: Annotated[
        str, typer.Option("--shard-blocks", metavar="K", help="Blocks (of 5,000 images) per worker task (>= 1). Output bytes do not depend on it.")
    ] = "1",
    scheduler: SchedulerOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    confirm_above: Annotated[str, typer.Option("--confirm-above", metavar="BYTES", help="Ask y/n on a terminal above this many bytes on disk.")] = str(CONFIRM_ABOVE),
) -> None:
    """Generate the atomic lattice images: train/val/test HDF5 + npz, metadata.json, manifest."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.atomic import VERSION
    from synthbank.families.atomic.build import AtomicConfig, build, estimate
    from synthbank.io.staging import check_writable
    from synthbank.parallel import check_workers

    n_images = int_option("--num-images", num_images, 1)
    seed_value = int_option("--seed", seed, 0)
    n_workers = int_option("--workers", workers, 1)
    n_shard = int_option("--shard-blocks", shard_blocks, 1)
    ask_above = int_option("--confirm-above", confirm_above, 0)
    check_workers(n_workers, scheduler)
    p = params_mod.load(params_file)
    section = dict(p.family("atomic"))
    if n_images is not None:
        section["num_images"] = n_images
    cfg = AtomicConfig.from_params(p.seed if seed_value is None else seed_value, p.release_date, section)
    out = output_dir or Path("datasets") / f"{_dt.date.today().isoformat()}-v1"
    manifest_path = manifest or out / "manifest.json"
    check_writable(out)
    check_writable(manifest_path)
    plan = estimate(cfg.num_images)
    _info("\nDataset Generation Plan:")
    _info(f"  Images: {plan['num_images']:,}")
    _info(f"  Memory: {plan['readable']}")
    _info(f"  Disk:   at most {plan['disk_readable']} (HDF5 + npz)")
    _info(f"  Output: {out}")
    check_disk(out, plan["disk_bytes"])
    confirm_or_exit(plan["disk_bytes"], yes, ask_above)
    sizes = build(cfg, out, workers=n_workers, shard_blocks=n_shard, progress=sys.stderr.isatty())
    inside = manifest_path.absolute().is_relative_to(out.absolute())
    record = manifest_mod.build(
        family="atomic", generator="synthbank.families.atomic", generator_version=VERSION,
        seed=cfg.seed, params=cfg.params_record(), release_date=cfg.release_date,
        root=out if inside else Path("."), manifest_path=manifest_path, outputs=[out],
    )
    manifest_mod.write(record, manifest_path)
    _info(f"Wrote {sum(sizes.values()):,} images ({', '.join(f'{k} {v:,}' for k, v in sizes.items())}) to {out}")


@estimate_app.command("atomic")
def estimate_atomic(
    num_images: Annotated[Optional[str], typer.Option("--num-images", metavar="N", help="Total number of images (default: from params).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Print seed 001's memory estimate and the disk upper bound as JSON."""
    from synthbank import jsonio
    from synthbank.families.atomic.build import estimate

    num_images = int_option("--num-images", num_images, 1)
    if num_images is None:
        num_images = int(params_mod.load(params_file).family("atomic")["num_images"])
    typer.echo(jsonio.dumps(estimate(num_images)), nl=False)


@validate_app.command("atomic")
def validate_atomic(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="The generated dataset directory.")] = Path("data/atomic"),
    metrics: Annotated[Path, typer.Option("--metrics", help="Metrics JSON to write.")] = Path("metrics/atomic.json"),
    report_dir: Annotated[Path, typer.Option("--report-dir", help="Directory for the PNG report and CSV curves.")] = Path("reports/atomic"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Compute metrics/atomic.json and the validation report; exit 1 on a violated threshold."""
    from synthbank.families.atomic.validate import validate

    p = params_mod.load(params_file)
    failures = validate(data_dir, metrics, report_dir, p.family("atomic")["thresholds"])
    if failures:
        raise ValidationFailed("; ".join(failures))
    _info(f"atomic: all thresholds met; metrics in {metrics}")


@app.command("verify")
def verify(
    manifests: Annotated[Optional[list[Path]], typer.Argument(help="Manifest files (default: manifests/*.json).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    check_params: Annotated[bool, typer.Option("--check-params/--no-check-params", help="Also require seed and params equal to the params file.")] = True,
) -> None:
    """Check every manifest: schema, files present and no extra, CRC-64 and sha256, seed/params."""
    from synthbank import manifest as manifest_mod

    paths = manifests or sorted(Path("manifests").glob("*.json"))
    if not paths:
        raise UsageError("no manifests to verify: allowed manifest paths, or a manifests/ directory with *.json")
    expected = None
    if check_params:
        p = params_mod.load(params_file)
        expected = {name: {"seed": p.seed, "params": p.generation_params(name)} for name in p.sections}
    reports = manifest_mod.verify_all(paths, expected)
    for r in reports:
        for problem in r.problems:
            typer.echo(f"MISMATCH {problem}")
        if r.ok:
            typer.echo(f"OK {r.manifest}: {r.files} files, {r.bytes:,} bytes")
    bad = sum(len(r.problems) for r in reports)
    if bad:
        raise ValidationFailed(f"verify found {bad} problem(s) in {sum(not r.ok for r in reports)} manifest(s)")


@app.command("families")
def families() -> None:
    """List the dataset families this version can generate."""
    for name in AVAILABLE:
        typer.echo(name)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every error into one line and an exit code."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="synthbank", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _info("synthbank: error: aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # typer's (vendored click) usage errors
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(2)  # the help text was printed already
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)
        if message.startswith("No such command") and ctx is not None and ctx.info_name in ("generate", "validate", "estimate"):
            message = f"unknown family {message.split('No such command ')[-1].rstrip('.')}: allowed {', '.join(AVAILABLE)}"
        _info(f"synthbank: error: {message}")
        sys.exit(getattr(exc, "exit_code", 2))
    except SynthbankError as exc:
        _info(f"synthbank: error: {exc}")
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
