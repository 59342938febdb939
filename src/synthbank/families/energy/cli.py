"""``synthbank generate|validate energy`` and ``synthbank energy catalog|check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from synthbank import params as params_mod
from synthbank.cliutil import (
    MetricsOpt,
    OverwriteOpt,
    ReportsManifestOpt,
    ParamsOpt,
    app,
    check_disk,
    checked,
    finish_validation,
    generate_app,
    info,
    validate_app,
)
from synthbank.errors import UsageError, ValidationFailed

energy_app = typer.Typer(help="Energy atlas: catalog and manifest, Well-format checks.", no_args_is_help=True)
app.add_typer(energy_app, name="energy")

DataDirOpt = Annotated[Path, typer.Option("--data-dir", help="Directory with one folder per domain.")]


def _section(params_file: Path):
    p = params_mod.load(params_file)
    return p, p.family("energy")


def estimate_bytes(cfg) -> int:
    """Upper bound of one domain's files: energy + 2 gradient components, float32, every scale."""
    aspect = cfg.shape[1] / cfg.shape[0]
    cells = sum(int(s * s * aspect) for s in cfg.scales)
    return cfg.n_sequences * cfg.n_steps * cells * 4 * 3 + 1_000_000


@generate_app.command("energy")
def generate_energy(
    domain: Annotated[str, typer.Option("--domain", help="The domain to generate (a key of energy.domains in params).")],
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", help="Output directory (default: data/energy/DOMAIN).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    overwrite: OverwriteOpt = False,
) -> None:
    """Generate one domain: <domain>_<scale>.h5 in The Well's format, one per pyramid scale."""
    from synthbank.families.energy.build import DomainConfig, build
    from synthbank.io.staging import check_output, transaction

    p, section = _section(params_file)
    if domain not in section["domains"]:
        raise UsageError(f"--domain={domain!r} is invalid: allowed one of {sorted(section['domains'])}")
    cfg = checked(DomainConfig.from_params, p.seed, p.release_date, section, domain, where=f"{p.source}: energy: ")
    out = output_dir or Path("data/energy") / domain
    check_output(out, "energy", overwrite=overwrite)
    check_disk(out, estimate_bytes(cfg))
    with transaction("energy", overwrite=overwrite):
        files = build(cfg, out)
    info(f"energy: wrote {cfg.n_sequences * cfg.n_steps} maps of {domain} at scales {list(cfg.scales)} to {out} ({len(files)} files)")


@validate_app.command("energy")
def validate_energy(
    data_dir: DataDirOpt = Path("data/energy"),
    metrics: MetricsOpt = Path("metrics/energy.json"),
    report_dir: Annotated[Path, typer.Option("--report-dir", help="Directory for the PNG montages.")] = Path("reports/energy"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    reports_manifest: ReportsManifestOpt = None,
) -> None:
    """Compute metrics/energy.json and one montage per domain; exit 1 on a violated threshold."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.energy.validate import validate
    from synthbank.io.staging import transaction

    p, section = _section(params_file)
    with transaction("energy", manifest=reports_manifest):  # metrics, reports and their manifest together
        failures = validate(data_dir, list(section["domains"]), metrics, report_dir, section["thresholds"])
        manifest_mod.write_reports(reports_manifest, "energy", p, [report_dir, metrics])
    finish_validation(failures, f"energy: all thresholds met; metrics in {metrics}")


@energy_app.command("catalog")
def catalog_energy(
    data_dir: DataDirOpt = Path("data/energy"),
    catalog: Annotated[Path, typer.Option("--catalog", help="Catalog JSON to write.")] = Path("data/catalogs/catalog.json"),
    manifest: Annotated[Path, typer.Option("--manifest", help="Manifest of every domain's files.")] = Path("manifests/energy.json"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Write the catalog (every map file, sha256, energy statistics) and manifests/energy.json
    (every domain's files and the catalog)."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.energy import VERSION
    from synthbank.families.energy.catalog import build_catalog, write_catalog
    from synthbank.io import guard
    from synthbank.io.staging import check_manifest, transaction

    p, section = _section(params_file)
    if catalog.exists() and guard.json_family(catalog, "files") != "energy":
        raise UsageError(f"--catalog={str(catalog)!r} exists and is not an energy catalog synthbank wrote: allowed a new path or a previous catalog")
    check_manifest(manifest, "energy")
    domains = sorted(section["domains"])
    record = build_catalog(Path("."), data_dir, domains, p.seed, p.release_date)
    with transaction("energy", manifest=manifest):  # the catalog and the manifest appear together
        write_catalog(record, catalog)
        m = manifest_mod.build(
            family="energy", generator="synthbank.families.energy", generator_version=VERSION, seed=p.seed,
            params=p.generation_params("energy"), release_date=p.release_date, root=Path("."),
            manifest_path=manifest, outputs=[data_dir / d for d in domains],
        )
        manifest_mod.add_files(m, [catalog], root=Path("."))  # read where the transaction staged it
        manifest_mod.write(m, manifest)
    info(f"energy: catalogued {record['stats']['total_maps']} maps in {record['stats']['total_files']} files; manifest {manifest}")


@energy_app.command("check")
def check_energy(files: Annotated[list[Path], typer.Argument(help="HDF5 files to check against The Well's format.")]) -> None:
    """Check files against The Well's HDF5 format; one line per problem naming the HDF5 path."""
    from synthbank.families.energy import wellformat

    bad = 0
    for path in files:
        if not path.is_file():
            raise UsageError(f"{path} does not exist: allowed existing HDF5 files")
        problems = wellformat.check(path)
        bad += len(problems)
        for line in problems:
            typer.echo(f"{path}:{line}")
        if not problems:
            typer.echo(f"OK {path}")
    if bad:
        raise ValidationFailed(f"{bad} format problem(s)")
