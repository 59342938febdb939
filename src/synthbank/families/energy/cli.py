"""``synthbank energy check``: the verb only the energy family has (the generic ones are built from ``FAMILY``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthbank.cliutil import app
from synthbank.errors import UsageError, ValidationFailed

energy_app = typer.Typer(help="Energy atlas: Well-format checks.", no_args_is_help=True)
app.add_typer(energy_app, name="energy")


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
