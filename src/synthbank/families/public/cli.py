"""The root command ``synthbank verify-no-phi`` (public's own verb; generate and validate are the core's)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthbank.cliutil import app
from synthbank.errors import UsageError, ValidationFailed

#: What ``verify-no-phi`` scans when given no paths (those that exist).
DEFAULT_PHI_PATHS = (Path("data"), Path("manifests"), Path("metrics"), Path("reports"))  # every output


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
