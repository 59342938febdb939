"""``synthbank generate|validate public`` and the root ``synthbank verify-no-phi``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthbank import params as params_mod
from synthbank.cliutil import (
    MetricsOpt,
    OverwriteOpt,
    ParamsOpt,
    ReportsManifestOpt,
    app,
    finish_validation,
    generate_app,
    info,
    validate_app,
)
from synthbank.errors import UsageError, ValidationFailed

#: What ``verify-no-phi`` scans when given no paths (those that exist).
DEFAULT_PHI_PATHS = (Path("data"), Path("manifests"), Path("metrics"), Path("reports"))  # every output


@generate_app.command("public")
def generate_public(
    sources: Annotated[Path, typer.Option("--sources", help="The raw source files and their provenance.json records.")] = Path("sources/public"),
    licenses: Annotated[Path, typer.Option("--licenses", help="Directory of SPDX licence texts (<id>.txt).")] = Path("LICENSES"),
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Output directory, one subdirectory per demo.")] = Path("data/public"),
    manifest: Annotated[Path | None, typer.Option("--manifest", help="Manifest path (default: manifests/public.json).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    overwrite: OverwriteOpt = False,
) -> None:
    """Convert the public example sources into PNG/NIfTI with licences, provenance and a manifest."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.public import VERSION
    from synthbank.families.public.build import GENERATOR, PublicConfig, build
    from synthbank.cliutil import check_disk
    from synthbank.families.public.build import estimate_bytes
    from synthbank.io.staging import check_manifest, check_output, transaction

    p = params_mod.load(params_file)
    cfg = PublicConfig.from_params(p.family("public"))
    manifest_path = manifest or Path("manifests/public.json")
    if not sources.is_dir():
        raise UsageError(f"--sources={str(sources)!r} is not a directory: allowed the sources/public folder of the repository")
    check_output(output_dir, "public", overwrite=overwrite, manifest=manifest_path)
    check_manifest(manifest_path, "public", overwrite=overwrite)
    check_disk(output_dir, estimate_bytes(cfg, sources))
    with transaction("public", overwrite=overwrite, manifest=manifest_path):
        written = build(cfg, sources, licenses, output_dir)
        inside = manifest_path.absolute().is_relative_to(output_dir.absolute())
        record = manifest_mod.build(
            family="public", generator=GENERATOR, generator_version=VERSION, seed=p.seed,
            params=p.generation_params("public"), release_date=p.release_date,
            root=output_dir if inside else Path("."), manifest_path=manifest_path, outputs=[output_dir],
        )
        manifest_mod.write(record, manifest_path)
    info(f"public: wrote {sum(map(len, written.values()))} files for {', '.join(written)} to {output_dir}")


@validate_app.command("public")
def validate_public(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="The generated public directory.")] = Path("data/public"),
    manifest: Annotated[Path, typer.Option("--manifest", help="Its manifest.")] = Path("manifests/public.json"),
    metrics: MetricsOpt = Path("metrics/public.json"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    reports_manifest: ReportsManifestOpt = None,
) -> None:
    """Verify checksums, licences, pixels and no PHI; write metrics/public.json; exit 1 on failure."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.public.validate import validate
    from synthbank.io.staging import transaction

    p = params_mod.load(params_file)
    with transaction("public", manifest=reports_manifest):  # metrics and their manifest together
        failures = validate(data_dir, manifest, metrics, p.family("public")["thresholds"])
        manifest_mod.write_reports(reports_manifest, "public", p, [metrics])
    finish_validation(failures, f"public: all checks passed; metrics in {metrics}")


def _redact(text: str) -> str:
    return f"{text[:1]}*** ({len(text)} chars)" if text else ""


@app.command("verify-no-phi")
def verify_no_phi(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories (default: data/, manifests/, metrics/ and reports/).")] = None,
    show_text: Annotated[bool, typer.Option("--show-text", help="Print the matching text (default: redacted).")] = False,
) -> None:
    """Scan metadata (PNG text, HDF5 attributes, JSON, NIfTI header, DICOM tags) for identifiers.

    Prints one line per finding (file, location, kind, text) and exits 1 if there is any.
    """
    from synthbank import phi

    if paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise UsageError(f"verify-no-phi: path {missing[0]!r} does not exist: allowed existing files or directories")
    else:
        paths = [p for p in DEFAULT_PHI_PATHS if p.exists()]
        if not paths:
            raise UsageError("verify-no-phi: nothing to scan: allowed paths, or a data/ or manifests/ directory here")
    findings = phi.scan(paths)
    for f in findings:
        # The scanner's own messages (parse errors, DICOM remnants) hold no matched text: shown.
        own = f.kind in ("unscannable", "dicom_header")
        typer.echo(f"PHI {f.path}: {f.location}: {f.kind}: {f.text if show_text or own else _redact(f.text)}")
    files = sum(1 for _ in phi.iter_files(paths))
    if findings:
        raise ValidationFailed(f"verify-no-phi found {len(findings)} identifier(s) in {len({f.path for f in findings})} of {files} file(s)")
    typer.echo(f"OK no PHI found in {files} file(s)")
