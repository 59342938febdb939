"""Recovery of interrupted commits: the journal, and what the next run does with it.

A commit (:meth:`synthbank.io.staging.Transaction.commit`) writes a journal
``.<name>.commit.json`` beside each final path, listing every rename of the run. Once all
of them stand the new state is decided: the next run on any of those outputs finishes the
renames (roll forward). A run killed before that had decided nothing: its staged copies
and journals are removed (roll back). Either way the leftovers of killed runs, the hidden
siblings ``.<name>.synthbank-{stage,old,commit}.<random>.tmp``, are removed after.
``synthbank verify`` reports a journal it finds (:func:`pending_commit`) as an interrupted
commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from synthbank.errors import UsageError
from synthbank.io import guard
from synthbank.io.durable import _abs, _fsync, _remove
from synthbank.io.interrupts import step

JOURNAL_FORMAT = "synthbank-commit/1"


def _journal_path(final: Path) -> Path:
    return final.parent / f".{final.name}.commit.json"


def _hidden(final: Path, role: str) -> str:
    """The prefix of the hidden siblings of ``final``: ``.<name>.synthbank-<role>.``"""
    return f".{final.name}.synthbank-{role}."


def _leftover_pattern(final: Path) -> re.Pattern[str]:
    # mkdtemp/mkstemp add 8 characters from [a-z0-9_]; the role keeps them apart from the
    # siblings of another output (say one named "<name>.old")
    return re.compile(rf"^\.{re.escape(final.name)}\.synthbank-(stage|old|commit)\.[a-z0-9_]{{8}}\.tmp$")


#: The empty directory :func:`synthbank.io.staging` makes to probe that a directory is writable.
PROBE = re.compile(r"^\.synthbank-probe-[a-z0-9_]{8}$")


def recover(final: str | Path, held: Iterable[Path] = ()) -> bool:
    """Settle an interrupted commit of ``final``, then remove the leftovers of killed runs.

    A commit is decided once a journal stands beside every output it lists: then the
    renames are finished (roll forward). A run killed while writing those journals had
    decided nothing: its staged copies and journals are removed (roll back). Call with
    the lock of ``final`` held; the locks of the plan's other outputs are taken here
    (``held``: those the caller holds already).

    Returns
    -------
    bool
        True if an interrupted commit was finished.

    Raises
    ------
    UsageError
        If a journal cannot be read (then nothing is touched), or another run holds an
        output of the plan.
    """
    final = _abs(final)
    journal = _journal_path(final)
    finished = False
    if os.path.lexists(journal):
        plan = _read_journal(journal)
        finals = [Path(item["final"]) for item in plan]
        with contextlib.ExitStack() as locks:
            for other in finals:
                if other != final and other not in set(held):
                    locks.enter_context(guard.OutputLock(other))
            if all(os.path.lexists(_journal_path(f)) for f in finals):
                _roll_forward(plan)
                finished = True
            else:
                _roll_back(plan)
    pattern = _leftover_pattern(final)
    if final.parent.is_dir():
        for stale in final.parent.iterdir():
            if pattern.match(stale.name):
                _remove(stale)
            elif PROBE.match(stale.name):  # staging.check_writable's empty probe, killed before its rmdir
                with contextlib.suppress(OSError):  # not empty: not ours, leave it
                    stale.rmdir()
    return finished


def _read_journal(path: Path) -> list[dict[str, str]]:
    """The plan of a journal; UsageError if it is not one (the caller then touches nothing)."""
    try:
        data = json.loads(path.read_text("utf-8"))
        items = data["items"] if isinstance(data, dict) and data.get("format") == JOURNAL_FORMAT else None
        if not isinstance(items, list) or not items or not all(
            isinstance(i, dict) and i.get("kind") in ("dir", "file") and all(isinstance(i.get(k), str) for k in ("final", "tmp", "old"))
            for i in items
        ):
            raise ValueError(f"not a {JOURNAL_FORMAT} journal")
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(
            f"{path} is the journal of an interrupted commit but cannot be read ({exc}): nothing was touched; "
            f"allowed: restore it, or move the outputs and their hidden .synthbank-* siblings aside by hand"
        ) from None
    return items


def pending_commit(final: str | Path) -> Path | None:
    """The journal of an interrupted commit of ``final``, if there is one."""
    journal = _journal_path(_abs(final))
    return journal if os.path.lexists(journal) else None


def _roll_forward(items: list[dict[str, str]]) -> None:
    """Do every rename of a decided commit not done yet, then clean up (idempotent)."""
    for item in items:
        tmp, final, old = Path(item["tmp"]), Path(item["final"]), Path(item["old"])
        if not os.path.lexists(tmp):
            continue  # renamed already
        if item["kind"] == "dir" and os.path.lexists(final):
            os.replace(final, old)
            step(f"moved old {final.name} aside")
        os.replace(tmp, final)
        _fsync(final.parent)
        step(f"renamed {final.name} into place")
    for item in items:
        _remove(Path(item["old"]))
    step("removed old copies")
    _remove_journals(items)
    step("removed journals")


def _roll_back(items: list[dict[str, str]]) -> None:
    """Undo a commit that was not decided: no final path was touched yet."""
    for item in items:
        _remove(Path(item["tmp"]))
        _remove(Path(item["old"]))
    _remove_journals(items)


def _remove_journals(items: list[dict[str, str]]) -> None:
    for item in items:
        _journal_path(Path(item["final"])).unlink(missing_ok=True)
