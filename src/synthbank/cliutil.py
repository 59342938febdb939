"""The shared pieces of the command line: the typer apps and option parsing.

:mod:`synthbank.commands` adds every family's ``generate|validate|estimate|finalize``
commands to the verb apps defined here; a family's own verbs (``families/<f>/cli.py``)
decorate a typer app of their own, added to the root ``app``. Nothing here imports numpy,
so the root command stays quick to start.
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from synthbank.errors import UsageError

def new_app(**settings: object) -> typer.Typer:
    """A typer app with click's plain help: no rich (its import alone is ~0.2 s of every ``--help``)."""
    return typer.Typer(rich_markup_mode=None, **settings)


app = new_app(
    name="synthbank",
    help="Deterministic synthetic datasets: generate, validate and verify them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
generate_app = new_app(help="Generate a dataset family (values from params.yaml unless given here).", no_args_is_help=True)
validate_app = new_app(help="Compute a family's metrics and report; exit 1 if a threshold is violated.", no_args_is_help=True)
estimate_app = new_app(help="Print the memory, disk and time a generation would need, and write nothing.", no_args_is_help=True)
finalize_app = new_app(help="Write a family's manifest over every item and its merged metrics.", no_args_is_help=True)
app.add_typer(generate_app, name="generate")
app.add_typer(validate_app, name="validate")
app.add_typer(estimate_app, name="estimate")
app.add_typer(finalize_app, name="finalize")

#: Ask before writing more than this on an interactive terminal (bytes).
CONFIRM_ABOVE = 1_000_000_000

ParamsOpt = Annotated[Path, typer.Option("--params", help="The params file to read every unspecified value from.")]
WorkersOpt = Annotated[str, typer.Option("--workers", metavar="N", help="Worker processes, 1 to 1024. Output bytes do not depend on it.")]
OverwriteOpt = Annotated[
    bool,
    typer.Option("--overwrite", help="Replace an existing output even if synthbank did not write it (its contents are lost)."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def info(message: str) -> None:
    typer.echo(message, err=True)


#: Inclusive bounds of the integer options that are no params key (those take the schema's).
WORKERS = (1, 1024)  # a fork pool starts every worker at once: a typo must not fork 10**6
BYTES = (0, 2**63 - 1)


def _rule(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum:g} to {maximum:g}" if kind == "a number" else f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return "a positive integer" if (kind, minimum) == ("an integer", 1) else f"{kind} >= {minimum}"
    return f"{kind} <= {maximum}" if maximum is not None else kind


def int_option(option: str, raw: str | None, minimum: int | None, maximum: int | None = None) -> int | None:
    """Parse an integer option ourselves so the error names the option, the value and the range.

    Parameters
    ----------
    option : str
        The option as typed, for example ``"--seed"``.
    raw : str or None
        Its text (``_`` separators allowed); None when the option was not given.
    minimum, maximum : int or None
        Inclusive bounds; None for no bound on that side.

    Returns
    -------
    int or None
        The value, or None if ``raw`` is None.

    Raises
    ------
    UsageError
        One line: ``--seed='-1' is invalid: allowed an integer from 0 to 9223372036854775807``.
    """
    if raw is None:
        return None
    try:
        value = int(raw.strip().replace("_", ""), 10)
    except ValueError:  # not an integer, or more than 4,300 digits
        value = None
    if value is None or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise UsageError(f"{option}={raw!r} is invalid: allowed {_rule('an integer', minimum, maximum)}")
    return value


def float_option(option: str, raw: str | None, minimum: float | None = None, maximum: float | None = None) -> float | None:
    """Parse a finite float option within inclusive bounds; the error names the option and the value.

    Parameters and result as :func:`int_option`, for a float (``nan`` and ``inf`` refused).
    """
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise UsageError(f"{option}={raw!r} is invalid: allowed {_rule('a number', minimum, maximum)}")
    return value


def seed_option(raw: str | None) -> int | None:
    """``--seed``: an integer within the bounds of params.yaml's ``seed`` (0 to 2**63 - 1).

    The seed feeds ``numpy.random.SeedSequence`` (any size would do) but is recorded as an
    int64 in HDF5 attributes and manifests, so params and option share the schema's bounds.
    """
    from synthbank.params import key_limits

    return int_option("--seed", raw, *key_limits("seed"))


def workers_option(raw: str) -> int:
    """``--workers``: an integer in :data:`WORKERS`."""
    value = int_option("--workers", raw, *WORKERS)
    assert value is not None
    return value


def date_option(option: str, raw: str) -> str:
    """A date option (``--release-date``): a real calendar date ``YYYY-MM-DD``, else one line."""
    from synthbank.params import is_calendar_date

    if not is_calendar_date(raw):
        raise UsageError(f"{option}={raw!r} is invalid: allowed a real calendar date YYYY-MM-DD")
    return raw


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


