"""All-or-nothing outputs: write into a temporary sibling, rename into place when complete.

A killed run leaves at most a hidden ``.<name>.*.tmp`` sibling, never a partial output
at the final path; the next run removes such leftovers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthbank.errors import UsageError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _writable_parent(final: Path) -> Path:
    parent = final.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"output directory {parent} cannot be created: {exc.strerror}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"output directory {parent} is not writable")
    return parent


def _remove_leftovers(parent: Path, name: str) -> None:
    for stale in parent.glob(f".{name}.*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def fsync_tree(root: Path) -> None:
    """Flush every file below ``root`` (and the directories) to disk."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_writable(final: str | Path) -> None:
    """Raise UsageError now if ``final`` could not be written later; create nothing.

    The nearest existing ancestor must be a directory in which a directory can be made
    (probed with a temporary directory removed at once: ``os.access`` says yes to root
    even where the kernel says no, as under /proc).
    """
    ancestor = Path(final).absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"output directory {Path(final).absolute().parent} cannot be created: {ancestor} is not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".synthbank-probe-", dir=ancestor))
    except OSError as exc:
        raise UsageError(f"output directory {Path(final).absolute().parent} cannot be created: {ancestor} is not writable ({exc.strerror})") from None


@contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Yield an empty temporary directory that replaces ``final`` on success.

    On an exception the temporary directory is removed and ``final`` is untouched.
    """
    final = Path(final)
    parent = _writable_parent(final)
    _remove_leftovers(parent, final.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs get the usual mode
    try:
        yield tmp
        fsync_tree(tmp)
        _replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(tmp: Path, final: Path) -> None:
    old = None
    if final.exists() or final.is_symlink():
        # A leftover of this name was removed by staged_dir's _remove_leftovers.
        old = final.parent / f".{final.name}.old.tmp"
        os.replace(final, old)
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    if old is not None and old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    elif old is not None:
        old.unlink(missing_ok=True)


def write_file_atomic(final: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary sibling, flush it and rename it onto ``final``."""
    final = Path(final)
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
