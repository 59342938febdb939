"""The writer's file-system primitives: flush to disk, write by rename, remove.

Used by :mod:`synthbank.io.staging` (the transaction) and :mod:`synthbank.io.recovery`
(settling an interrupted commit). Each does one step; what the steps add up to is said in
docs/writing.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthbank.errors import UsageError


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


#: sync_file_range(2) flag: start writing the range's dirty pages, do not wait for them.
_SYNC_FILE_RANGE_WRITE = 2


@functools.cache
def _sync_file_range() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # not Linux (glibc or musl)
        return None


def start_flush(file: int | str | Path) -> None:
    """Ask the kernel to start writing a file's data to disk now, without waiting.

    ``file``: an open descriptor, or the path of a closed file. The commit's ``fsync``
    (step 1 of docs/writing.md) still flushes every file; started while the run computes
    the next files, most of that writing is done by then. A no-op where Linux's
    ``sync_file_range`` is missing.
    """
    call = _sync_file_range()
    if call is None:
        return
    if not isinstance(file, int):
        fd = os.open(file, os.O_RDONLY)
        try:
            start_flush(fd)
        finally:
            os.close(fd)
        return
    call(file, ctypes.c_int64(0), ctypes.c_int64(0), _SYNC_FILE_RANGE_WRITE)  # failure only loses the head start


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


#: The infix of :func:`written_whole`'s private names (``.train-00000-of-00004.h5.part-1a2b...``).
PART = ".part-"


def remove_parts(directory: Path) -> None:
    """Remove what workers killed mid-write left under :func:`written_whole`'s private names."""
    for part in Path(directory).rglob(f".*{PART}*"):
        part.unlink(missing_ok=True)


def write_whole(final: Path, data: bytes | memoryview) -> None:
    """Write ``data`` to ``final`` under :func:`written_whole`, its writing to disk started
    (:func:`start_flush`)."""
    with written_whole(final) as part, open(part, "wb", buffering=0) as f:
        write_all(f, data)
        start_flush(f.fileno())


def write_all(f: Any, data: bytes | memoryview) -> None:
    """Write all of ``data`` to the unbuffered (raw) file ``f``, whose writes may be short."""
    view = memoryview(data)
    while view:
        view = view[f.write(view):]


@contextlib.contextmanager
def written_whole(final: Path) -> Iterator[Path]:
    """Yield a private sibling name to write ``final`` under; rename it into place on success.

    For files a cluster worker writes into a staging directory: should the scheduler
    run the same task twice (a worker it wrongly declared dead), each copy writes its own
    file and the last rename wins with complete, identical bytes; never two writers
    interleaved in one file. On an error the private file is removed.
    """
    part = final.with_name(f".{final.name}{PART}{uuid.uuid4().hex[:12]}")
    try:
        yield part
        os.replace(part, final)
    finally:
        if part.exists():
            part.unlink()
