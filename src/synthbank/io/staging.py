"""All-or-nothing outputs: data and manifest become visible together or not at all.

A run writes inside a :class:`Transaction`. Each output directory is built in a hidden
sibling ``.<name>.<random>.tmp`` (with the :data:`~synthbank.io.guard.MARKER` that says
synthbank wrote it); a file such as a manifest is written inside a staged directory when
it belongs there, or beside its final path otherwise. Nothing at a final path changes
until :meth:`Transaction.commit`:

1. every staged file is flushed to disk;
2. a journal ``.<name>.commit.json`` listing every rename is written beside each final
   path: from here on the new state is decided;
3. the renames (an old directory moves aside first), then the old copies and the
   journals are removed.

A run killed before step 2 leaves the old state (and hidden leftovers); killed after it,
the next run on any of those outputs finishes the renames from the journal before doing
anything else (:func:`recover`). Either way the outputs end complete and consistent.
``synthbank verify`` reports a journal it finds as an interrupted commit.

Every output is guarded first (:mod:`synthbank.io.guard`): never the home or repository
directory, never something synthbank did not write unless ``--overwrite``, and one run
per output at a time. :data:`KILL_ENV` makes a run ``kill -9`` itself at step boundary
``k``, for the tests that prove the above at every boundary.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from synthbank.errors import UsageError
from synthbank.io import guard

#: ``SYNTHBANK_KILL_AT_STEP=k``: SIGKILL this process at the k-th step boundary (tests).
KILL_ENV = "SYNTHBANK_KILL_AT_STEP"
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
        os.kill(os.getpid(), signal.SIGKILL)


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
    if str(final) == "":
        raise UsageError("an output path is '': allowed a file or directory path")
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
    """Raise UsageError now (nothing created) if a ``family`` run may not write ``final``:
    a dangerous path, an existing output synthbank did not write (without ``overwrite``),
    or a place where nothing can be created. The transaction checks again when it stages."""
    guard.refuse_dangerous(Path(final), option)
    if option != "--manifest" and manifest is not None and _abs(manifest) == _abs(final):
        raise UsageError(f"--manifest={str(manifest)!r} is the output directory itself: allowed a JSON file path inside it or elsewhere")
    if option == "--manifest" and Path(final).is_dir():
        raise UsageError(f"--manifest={str(final)!r} is a directory: allowed a JSON file path")
    guard.check_owned(Path(final), family, overwrite, None if manifest is None else Path(manifest), option)
    check_writable(final)


def _journal_path(final: Path) -> Path:
    return final.parent / f".{final.name}.commit.json"


def _leftover_pattern(final: Path) -> re.Pattern[str]:
    # mkdtemp/mkstemp names: .<name>.<8 random chars>.tmp; old copies: .<name>.old.<8>.tmp;
    # a journal's own temporary file: .<name>.commit.json.<8>.tmp
    return re.compile(rf"^\.{re.escape(final.name)}\.(old\.|commit\.json\.)?[a-z0-9_]{{8}}\.tmp$")


def recover(final: str | Path) -> bool:
    """Finish a commit of ``final`` interrupted after its journal was written, then remove
    the hidden leftovers of killed runs. Call with the output's lock held.

    Returns
    -------
    bool
        True if an interrupted commit was completed.
    """
    final = _abs(final)
    journal = _journal_path(final)
    finished = False
    plan = _read_journal(journal)
    if plan is not None:
        _roll_forward(plan)
        finished = True
    elif os.path.lexists(journal):
        journal.unlink()  # written by write_file_atomic, so a present journal is complete
    pattern = _leftover_pattern(final)
    if final.parent.is_dir():
        for stale in final.parent.iterdir():
            if pattern.match(stale.name):
                _remove(stale)
    return finished


def _read_journal(path: Path) -> list[dict[str, str]] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
        return None
    return list(data["items"])


def pending_commit(final: str | Path) -> Path | None:
    """The journal of an interrupted commit of ``final``, if there is one."""
    journal = _journal_path(_abs(final))
    return journal if os.path.lexists(journal) else None


def _roll_forward(items: list[dict[str, str]]) -> None:
    """Do every rename of a commit that has not happened yet, then clean up (idempotent)."""
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
    for item in items:
        _journal_path(Path(item["final"])).unlink(missing_ok=True)
    step("removed journals")


@dataclass
class _Item:
    final: Path
    tmp: Path
    kind: str  # "dir" or "file"


@dataclass
class Transaction:
    """One run's outputs, committed together (see the module docstring).

    Parameters
    ----------
    family : the family writing (its marker goes into every staged directory).
    overwrite : replace outputs synthbank did not write (``--overwrite``).
    manifest : the manifest path of this run, used to recognise older outputs.
    """

    family: str | None
    overwrite: bool = False
    manifest: Path | None = None
    items: list[_Item] = field(default_factory=list)
    locks: list[guard.OutputLock] = field(default_factory=list)

    def staged(self, path: str | Path) -> Path | None:
        """Where ``path`` (a final path, or one inside a staged directory) is being written."""
        path = _abs(path)
        for item in self.items:
            if item.kind != "dir":
                continue
            for base, onto in ((item.final, item.tmp), (item.tmp, item.tmp)):
                if path == base or base in path.parents:
                    return onto / path.relative_to(base)
        return None

    def _claim(self, final: Path, check_owner: bool, given: str | Path) -> None:
        if check_owner:
            check_output(given, self.family, overwrite=self.overwrite, manifest=self.manifest)
        _writable_parent(final)
        lock = guard.OutputLock(final)
        lock.acquire()
        self.locks.append(lock)
        recover(final)

    def stage_dir(self, final: str | Path) -> Path:
        """An empty staged directory (holding the marker) that becomes ``final`` at commit."""
        given, final = final, _abs(final)
        inner = self.staged(final)
        if inner is not None:  # inside an output staged already: it is committed with it
            inner.mkdir(parents=True, exist_ok=True)
            return inner
        self._claim(final, check_owner=True, given=given)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
        self.items.append(_Item(final, tmp, "dir"))
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs get the usual mode
        if self.family is not None:
            (tmp / guard.MARKER).write_bytes(guard.marker_bytes(self.family))
        step(f"staged {final.name}")
        return tmp

    def stage_file(self, final: str | Path, data: bytes) -> None:
        """Write ``data`` so that it appears at ``final`` at commit."""
        final = _abs(final)
        inner = self.staged(final)
        if inner is not None:
            inner.parent.mkdir(parents=True, exist_ok=True)
            inner.write_bytes(data)
            return
        is_manifest = self.manifest is not None and final == _abs(self.manifest)
        if is_manifest and not self.overwrite and os.path.lexists(final) and guard.manifest_family(final) is None:
            guard.check_owned(final, self.family, False, option="--manifest")
        self._claim(final, check_owner=False, given=final)  # a manifest was checked above
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        self.items.append(_Item(final, Path(name), "file"))
        os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        step(f"staged {final.name}")

    def commit(self) -> None:
        """Flush, journal, rename: the outputs switch to the new state together."""
        step("outputs complete")
        for item in self.items:
            if item.kind == "dir":
                fsync_tree(item.tmp)
            else:
                _fsync(item.tmp)
        step("flushed")
        plan = [
            {"kind": it.kind, "final": str(it.final), "tmp": str(it.tmp),
             "old": str(it.final.parent / f".{it.final.name}.old.{it.tmp.name[len(it.final.name) + 2:-4]}.tmp")}
            for it in self.items
        ]
        journal = (json.dumps({"format": JOURNAL_FORMAT, "items": plan}, indent=1) + "\n").encode()
        for item in self.items:
            _write_file(_journal_path(item.final), journal)
            step(f"journal beside {item.final.name}")
        _roll_forward(plan)
        self.items = []

    def abort(self) -> None:
        """Remove every staged output (final paths were never touched)."""
        for item in self.items:
            _remove(item.tmp)
        self.items = []

    def release(self) -> None:
        for lock in reversed(self.locks):
            lock.release()
        self.locks = []


def current() -> Transaction | None:
    """The transaction of this run, if one is open."""
    return _CURRENT.get()


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while writing, so staged outputs and workers are cleaned up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

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


def _write_file(final: Path, data: bytes) -> None:
    parent = _writable_parent(final)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=parent)
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
    return getattr(exc, "errno", None) in (28, 122) or "No space left on device" in text or "errno = 28" in text
