"""The shared pieces of the command line: the typer apps and option parsing.

Family packages add their commands in ``families/<family>/cli.py`` by decorating the apps
defined here (``generate_app``, ``validate_app``, ``estimate_app`` or the root ``app``);
``synthbank.cli`` imports those modules. Nothing here imports numpy, so the root command
stays quick to start.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from synthbank.errors import UsageError, ValidationFailed

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
SeedOpt = Annotated[
    Optional[str], typer.Option("--seed", metavar="S", help="Root random seed, an integer >= 0 (default: seed in params, 42).")
]
MetricsOpt = Annotated[Path, typer.Option("--metrics", help="Metrics JSON to write.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ConfirmAboveOpt = Annotated[
    str, typer.Option("--confirm-above", metavar="BYTES", help="Ask y/n on a terminal above this many bytes on disk.")
]


def info(message: str) -> None:
    typer.echo(message, err=True)


def finish_validation(failures: list[str], passed: str) -> None:
    """End a ``validate`` command: exit 1 naming every violated check, else say ``passed``."""
    if failures:
        raise ValidationFailed("; ".join(failures))
    info(passed)


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


