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
journal (:func:`recover`). Either way the outputs end complete and consistent.
``synthbank verify`` reports a journal it finds as an interrupted commit.

Every output is guarded first (:mod:`synthbank.io.guard`): never the home or repository
directory, never something synthbank did not write unless ``--overwrite``, and one run
per output at a time. :data:`KILL_ENV` makes a run ``kill -9`` itself at step boundary
``k``, for the tests that prove the above at every boundary.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from synthbank.errors import Terminated, UsageError
from synthbank.io import guard

#: ``SYNTHBANK_KILL_AT_STEP=k``: SIGKILL this process at the k-th step boundary (tests).
KILL_ENV = "SYNTHBANK_KILL_AT_STEP"
#: ``SYNTHBANK_KILL_SIGNAL=SIGTERM`` (or SIGINT): send that signal instead of SIGKILL.
KILL_SIGNAL_ENV = "SYNTHBANK_KILL_SIGNAL"
#: ``SYNTHBANK_TRACE_STEPS=1``: name each step boundary on stderr (tests, debugging).
TRACE_ENV = "SYNTHBANK_TRACE_STEPS"
JOURNAL_FORMAT = "synthbank-commit/1"

_CURRENT: ContextVar[Transaction | None] = ContextVar("synthbank_transaction", default=None)
_steps = 0


def step(name: str) -> None:
    """Mark a step boundary (see :data:`KILL_ENV`)."""
    global _steps
    _steps += 1
    if os.environ.get(TRACE_ENV):
        print(f"synthbank: step {_steps}: {name}", file=sys.stderr, flush=True)
    if os.environ.get(KILL_ENV, "") == str(_steps):
        os.kill(os.getpid(), signal.Signals[os.environ.get(KILL_SIGNAL_ENV, "SIGKILL")])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _abs(path: str | Path) -> Path:
    return Path(os.path.abspath(path))


def _writable_parent(final: Path) -> Path:
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"output directory {parent} cannot be created: {exc.strerror}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"output directory {parent} is not writable")
    return parent


def fsync_tree(root: Path) -> None:
    """Flush every file below ``root`` (and the directories) to disk."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            _fsync(Path(dirpath) / name)
        _fsync(Path(dirpath))


def _fsync(path: Path) -> None:
    """Flush one file or directory to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink(missing_ok=True)


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


def _journal_path(final: Path) -> Path:
    return final.parent / f".{final.name}.commit.json"


def _hidden(final: Path, role: str) -> str:
    """The prefix of the hidden siblings of ``final``: ``.<name>.synthbank-<role>.``"""
    return f".{final.name}.synthbank-{role}."


def _leftover_pattern(final: Path) -> re.Pattern[str]:
    # mkdtemp/mkstemp add 8 characters from [a-z0-9_]; the role keeps them apart from the
    # siblings of another output (say one named "<name>.old")
    return re.compile(rf"^\.{re.escape(final.name)}\.synthbank-(stage|old|commit)\.[a-z0-9_]{{8}}\.tmp$")


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


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then act on the first one.

    Done with Python-level handlers, not a thread signal mask: CPython runs every handler
    in the main thread, whichever thread the kernel delivered the signal to.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: pending.append(signum)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            handler = previous[signal.Signals(pending[0])]
            if callable(handler):
                handler(pending[0], None)  # Ctrl-C's KeyboardInterrupt, or our Terminated
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), pending[0])


def current() -> Transaction | None:
    """The transaction of this run, if one is open."""
    return _CURRENT.get()


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into :class:`~synthbank.errors.Terminated` while writing, so staged
    outputs and workers are cleaned up as after Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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


@contextmanager
def staged_dir(final: str | Path, family: str | None = None) -> Iterator[Path]:
    """Yield the staged directory of ``final``: committed with the open transaction, or
    (outside one) replacing ``final`` when the block ends normally."""
    with transaction(family) as tx:
        yield tx.stage_dir(final)


def _write_file(final: Path, data: bytes, prefix: str | None = None) -> None:
    """Write a flushed temporary sibling (named ``prefix``...) and rename it onto ``final``."""
    parent = _writable_parent(final)
    fd, tmp_name = tempfile.mkstemp(prefix=prefix or f".{final.name}.", suffix=".tmp", dir=parent)
    try:
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


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
