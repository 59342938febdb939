"""All-or-nothing outputs: data and manifest become visible together or not at all.

A run writes inside a :class:`Transaction`. Each output directory is built in a hidden
sibling ``.<name>.synthbank-stage.<random>.tmp`` (with the :data:`~synthbank.io.guard.MARKER` that says
synthbank wrote it); a file such as a manifest is written inside a staged directory when
it belongs there, or beside its final path otherwise. Nothing at a final path changes
until :meth:`Transaction.commit`:

1. every staged file is flushed to disk;
2. a journal ``.<name>.commit.json`` listing every rename is written beside each final
   path: once all of them stand, the new state is decided;
3. the renames (an old directory moves aside first), then the old copies and the
   journals are removed. SIGINT and SIGTERM wait until this step is over.

A run killed before every journal stands leaves the old state (and hidden leftovers);
killed after, the next run on any of those outputs first finishes the renames from the
journal (:func:`~synthbank.io.recovery.recover`). Either way the outputs end complete and
consistent. ``synthbank verify`` reports a journal it finds as an interrupted commit.

Every output is guarded first (:mod:`synthbank.io.guard`): never the home or repository
directory, never something synthbank did not write unless ``--overwrite``, and one run
per output at a time. The step boundaries and signal handling are in
:mod:`synthbank.io.interrupts` (:data:`~synthbank.io.interrupts.KILL_ENV` makes a run
``kill -9`` itself at step boundary ``k``, for the tests that prove the above at every
boundary); the file-system primitives in :mod:`synthbank.io.durable`.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from synthbank.errors import UsageError
from synthbank.io import guard
from synthbank.io.durable import _abs, _fsync, _remove, _umask, _writable_parent, _write_file, fsync_tree
from synthbank.io.interrupts import _signals_deferred, _sigterm_unwinds, step
from synthbank.io.recovery import JOURNAL_FORMAT, _hidden, _journal_path, _roll_forward, recover

_CURRENT: ContextVar[Transaction | None] = ContextVar("synthbank_transaction", default=None)


def check_writable(final: str | Path) -> None:
    """Raise UsageError now if ``final`` could not be written later; create nothing.

    The nearest existing ancestor must be a directory in which a directory can be made
    (probed with a temporary directory removed at once: ``os.access`` says yes to root
    even where the kernel says no, as under /proc).
    """
    ancestor = _abs(final).parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"output directory {_abs(final).parent} cannot be created: {ancestor} is not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".synthbank-probe-", dir=ancestor))
    except OSError as exc:
        raise UsageError(f"output directory {_abs(final).parent} cannot be created: {ancestor} is not writable ({exc.strerror})") from None


def check_output(
    final: str | Path, family: str | None, *, overwrite: bool = False, manifest: str | Path | None = None,
    option: str = "--output-dir",
) -> None:
    """Raise UsageError (nothing created) if a ``family`` run may not write the directory ``final``.

    Refused: a dangerous path (:func:`~synthbank.io.guard.refuse_dangerous`), the manifest
    path itself, an existing directory synthbank did not write (unless ``overwrite``), a
    place where nothing can be created. The transaction checks again when it stages.
    """
    guard.refuse_dangerous(Path(final), option)
    if manifest is not None and _abs(manifest) == _abs(final):
        raise UsageError(f"--manifest={str(manifest)!r} is the output directory itself: allowed a JSON file path inside it or elsewhere")
    guard.check_owned(Path(final), family, overwrite, None if manifest is None else Path(manifest), option)
    check_writable(final)


def check_manifest(manifest: str | Path, family: str | None, *, overwrite: bool = False) -> None:
    """Raise UsageError (nothing created) if ``manifest`` may not be written: a directory,
    or an existing file that is not a synthbank manifest (unless ``overwrite``)."""
    if Path(manifest).is_dir():
        raise UsageError(f"--manifest={str(manifest)!r} is a directory: allowed a JSON file path")
    guard.check_owned(Path(manifest), family, overwrite, option="--manifest")
    check_writable(manifest)



@dataclass
class _Item:
    """One output of a transaction: where it is staged, where it goes, where an old copy waits."""

    final: Path
    tmp: Path
    kind: str  # "dir" or "file"

    @property
    def old(self) -> Path:
        random_part = self.tmp.name[len(_hidden(self.final, "stage")) : -len(".tmp")]
        return self.final.parent / f"{_hidden(self.final, 'old')}{random_part}.tmp"

    def plan(self) -> dict[str, str]:
        return {"kind": self.kind, "final": str(self.final), "tmp": str(self.tmp), "old": str(self.old)}


@dataclass
class Transaction:
    """One run's outputs, committed together (see the module docstring).

    Parameters
    ----------
    family : str or None
        The family writing; its marker goes into every staged directory.
    overwrite : bool
        Replace outputs synthbank did not write (``--overwrite``).
    manifest : Path or None
        This run's manifest: it recognises older outputs, and outside the outputs it is
        locked as soon as the first output is staged.
    """

    family: str | None
    overwrite: bool = False
    manifest: Path | None = None
    items: list[_Item] = field(default_factory=list)
    locks: dict[Path, guard.OutputLock] = field(default_factory=dict)
    #: A journal was written: from then on the run's outputs are never removed.
    decided: bool = False

    def staged(self, path: str | Path) -> Path | None:
        """Where ``path`` (a final path, or one inside a staged directory) is being written."""
        path = _abs(path)
        staged_file = next((item.tmp for item in self.items if item.kind == "file" and item.final == path), None)
        return staged_file or self._in_staged_dir(path)

    def _in_staged_dir(self, path: Path) -> Path | None:
        """``path`` inside the staged directory of an output it lies in, if there is one."""
        for item in self.items:
            if item.kind == "dir":
                for base in (item.final, item.tmp):
                    if path == base or base in path.parents:
                        return item.tmp / path.relative_to(base)
        return None

    def own_hidden(self) -> set[Path]:
        """This run's staged copies and lock files (hidden siblings, never outputs)."""
        return {item.tmp for item in self.items} | {lock.path for lock in self.locks.values()}

    def staged_files(self, under: str | Path) -> list[Path]:
        """Final paths of the files staged at or below ``under`` (not visible there yet)."""
        under = _abs(under)
        return [it.final for it in self.items if it.kind == "file" and (it.final == under or under in it.final.parents)]

    def _claim(self, final: Path) -> None:
        """Lock ``final`` (once) and settle what a killed run left there."""
        if final in self.locks:
            return
        _writable_parent(final)
        lock = guard.OutputLock(final)
        lock.acquire()
        self.locks[final] = lock
        recover(final, held=self.locks)

    def stage_dir(self, final: str | Path) -> Path:
        """An empty staged directory (holding the marker) that becomes ``final`` at commit."""
        given, final = final, _abs(final)
        inner = self._in_staged_dir(final)
        if inner is not None:  # inside an output staged already: it is committed with it
            inner.mkdir(parents=True, exist_ok=True)
            return inner
        check_output(given, self.family, overwrite=self.overwrite, manifest=self.manifest)
        self._claim(final)
        tmp = Path(tempfile.mkdtemp(prefix=_hidden(final, "stage"), suffix=".tmp", dir=final.parent))
        self.items.append(_Item(final, tmp, "dir"))
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs get the usual mode
        if self.family is not None:
            (tmp / guard.MARKER).write_bytes(guard.marker_bytes(self.family))
        if self.manifest is not None and self._in_staged_dir(self.manifest) is None:
            self._claim(self.manifest)  # a second run sharing the manifest stops now, not at the end
        step(f"staged {final.name}")
        return tmp

    def stage_file(self, final: str | Path, data: bytes) -> None:
        """Write ``data`` so that it appears at ``final`` at commit."""
        final = _abs(final)
        inner = self._in_staged_dir(final)
        if inner is not None:  # committed with the directory it lies in
            inner.parent.mkdir(parents=True, exist_ok=True)
            inner.write_bytes(data)
            return
        if final == self.manifest:
            check_manifest(final, self.family, overwrite=self.overwrite)
        self._claim(final)
        fd, name = tempfile.mkstemp(prefix=_hidden(final, "stage"), suffix=".tmp", dir=final.parent)
        self.items.append(_Item(final, Path(name), "file"))
        os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        step(f"staged {final.name}")

    def commit(self) -> None:
        """Flush, journal, rename: the outputs switch to the new state together.

        SIGINT and SIGTERM wait until the commit is over: an interrupt between two renames
        would otherwise leave the outputs half switched until the next run.
        """
        step("outputs complete")
        for item in self.items:
            if item.kind == "dir":
                fsync_tree(item.tmp)
            else:
                _fsync(item.tmp)
        step("flushed")
        plan = [item.plan() for item in self.items]
        journal = (json.dumps({"format": JOURNAL_FORMAT, "items": plan}, indent=1) + "\n").encode()
        with _signals_deferred():
            for item in self.items:
                _write_file(_journal_path(item.final), journal, prefix=_hidden(item.final, "commit"))
                self.decided = True
                step(f"journal beside {item.final.name}")
            _roll_forward(plan)
        self.items = []

    def abort(self) -> None:
        """Remove every staged output, unless the commit was decided (then the next run
        finishes it from the journal: nothing of it may be lost)."""
        if not self.decided:
            for item in self.items:
                _remove(item.tmp)
        self.items = []

    def release(self) -> None:
        """Drop every lock this transaction holds."""
        for lock in reversed(self.locks.values()):
            lock.release()
        self.locks = {}


def current() -> Transaction | None:
    """The transaction of this run, if one is open."""
    return _CURRENT.get()


@contextmanager
def transaction(family: str | None, *, overwrite: bool = False, manifest: str | Path | None = None) -> Iterator[Transaction]:
    """Open a :class:`Transaction` for this run; commit it when the block ends normally.

    Inside an open transaction this joins it (so library calls compose).
    """
    open_tx = _CURRENT.get()
    if open_tx is not None:
        yield open_tx
        return
    tx = Transaction(family, overwrite, None if manifest is None else _abs(manifest))
    token = _CURRENT.set(tx)
    try:
        with _sigterm_unwinds():
            try:
                yield tx
                tx.commit()
            except BaseException:
                tx.abort()
                raise
    finally:
        tx.release()
        _CURRENT.reset(token)


def visible(final: str | Path) -> Path:
    """Where ``final`` can be read now: its staged copy while the open transaction stages it
    (a later step of the same run reads what an earlier step wrote), else ``final`` itself."""
    tx = _CURRENT.get()
    return (tx.staged(final) if tx is not None else None) or Path(final)


@contextmanager
def staged_dir(final: str | Path, family: str | None = None) -> Iterator[Path]:
    """Yield the staged directory of ``final``: committed with the open transaction, or
    (outside one) replacing ``final`` when the block ends normally."""
    with transaction(family) as tx:
        yield tx.stage_dir(final)


def write_file_atomic(final: str | Path, data: bytes) -> None:
    """Write ``data`` at ``final``: with the open transaction's commit if there is one,
    else at once (a flushed temporary sibling renamed onto ``final``)."""
    tx = _CURRENT.get()
    if tx is not None:
        tx.stage_file(final, data)
    else:
        _write_file(_abs(final), data)


def is_disk_full(exc: BaseException) -> bool:
    """True for an error that means the file system is full (also h5py's wrapped errors)."""
    text = str(exc)
    full = (errno.ENOSPC, errno.EDQUOT)
    return getattr(exc, "errno", None) in full or "No space left on device" in text or f"errno = {errno.ENOSPC}" in text
