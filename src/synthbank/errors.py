"""Errors that the CLI turns into one clear line and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SynthbankError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(SynthbankError):
    """Bad input: a parameter, option or file the user gave. Nothing was written."""

    exit_code = 2


class Terminated(BaseException):
    """SIGTERM arrived while writing: unwinds like Ctrl-C so staged outputs are cleaned up."""

    exit_code = 143  # 128 + SIGTERM, what a shell reports for a terminated process


class ValidationFailed(SynthbankError):
    """A dataset was written but violates a threshold or fails verification."""

    exit_code = 1


def checked(factory: Callable[..., T], *args: Any, where: str = "") -> T:
    """``factory(*args)``, a validating config constructor, with its ``ValueError`` (one line
    naming the key, the value and what is allowed) turned into a :class:`UsageError` (exit 2,
    nothing written), prefixed by ``where`` (``"params.yaml: ptycho."``)."""
    try:
        return factory(*args)
    except ValueError as exc:
        raise UsageError(f"{where}{exc}") from None
