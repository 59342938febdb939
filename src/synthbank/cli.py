"""The ``synthbank`` command line (typer). The only place that reads params.yaml.

Every error is one line on stderr, ``synthbank: error: ...``, with exit code 2 for bad
input (nothing written) and 1 for a failed validation or verification. Each family adds
its commands from ``families/<family>/cli.py``; this module imports them all.
"""

from __future__ import annotations

from synthbank.parallel import pin_blas_threads

pin_blas_threads()  # before numpy is imported anywhere

import importlib  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402

from synthbank import params as params_mod  # noqa: E402
from synthbank.cliutil import ParamsOpt, app, info  # noqa: E402
from synthbank.errors import SynthbankError, UsageError, ValidationFailed  # noqa: E402
from synthbank.families import AVAILABLE  # noqa: E402

for _family in AVAILABLE:  # each registers its commands on the shared apps
    importlib.import_module(f"synthbank.families.{_family}.cli")


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
        info("synthbank: error: aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # typer's (vendored click) usage errors
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(2)  # the help text was printed already
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)
        if message.startswith("No such command") and ctx is not None and ctx.info_name in ("generate", "validate", "estimate"):
            message = f"unknown family {message.split('No such command ')[-1].rstrip('.')}: allowed {', '.join(AVAILABLE)}"
        info(f"synthbank: error: {message}")
        sys.exit(getattr(exc, "exit_code", 2))
    except SynthbankError as exc:
        info(f"synthbank: error: {exc}")
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
