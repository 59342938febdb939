"""``synthbank energy check``: the verb only the energy family has (the generic ones are built from ``FAMILY``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthbank.cliutil import app, new_app
from synthbank.errors import UsageError, ValidationFailed

energy_app = new_app(help="Energy atlas: Well-format checks.", no_args_is_help=True)
app.add_typer(energy_app, name="energy")


@energy_app.command("check")
def check_energy(paths: Annotated[list[Path], typer.Argument(
        help="HDF5 files, Well dataset directories (stats.yaml, data/train|valid|test/) or directories of them.")]) -> None:
    """Check files and datasets against what The Well's loaders accept; one line per problem naming the file and HDF5 path."""
    from synthbank.families.energy import welldataset, wellformat

    bad = 0
    for path in paths:
        if path.is_dir():
            problems = welldataset.check_directory(path)
        elif path.is_file():
            problems = [f"{path}:{line}" for line in wellformat.check(path)]
        else:
            raise UsageError(f"{path} does not exist: allowed existing HDF5 files or Well dataset directories")
        bad += len(problems)
        for line in problems:
            typer.echo(line)
        if not problems:
            typer.echo(f"OK {path}")
    if bad:
        raise ValidationFailed(f"{bad} format problem(s)")
