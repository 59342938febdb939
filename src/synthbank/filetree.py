"""The files a manifest covers: relative POSIX paths, digests, scans, ``exclude`` rules.

Shared by building manifests (:mod:`synthbank.manifest`) and verifying them
(:mod:`synthbank.verify`): both must see the same files below an output, name them the
same way and digest them the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from synthbank import checksums
from synthbank.globs import glob_match  # noqa: F401  (re-exported: manifests and verify match exclude rules)

# hashlib releases the GIL on large buffers, so two threads hash two files at once.
HASH_THREADS = 2


def relative_posix(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` as a POSIX string (manifest entry paths, `base`)."""
    return Path(os.path.relpath(path.absolute(), start.absolute())).as_posix()


def digest_files(paths: Sequence[Path]) -> list[checksums.FileDigest]:
    """Digest files in parallel threads, results in the order given."""
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        return list(pool.map(checksums.digest_file, paths))


#: The state of a file that says it is unchanged: (size, mtime_ns, ctime_ns). Any write,
#: truncation or replacement changes the ctime (or the inode), so a digest taken with one
#: state holds while the file still has it.
FileState = tuple[int, int, int]
#: Digests writers took of the bytes they wrote (:func:`remember`), by (device, inode).
_WRITTEN: dict[tuple[int, int], tuple[FileState, checksums.FileDigest]] = {}


def file_key(path: str | Path) -> tuple[tuple[int, int], FileState]:
    """(device, inode) and state of a file, for :func:`remember`."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino), (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def remember(key: tuple[tuple[int, int], FileState], digest: checksums.FileDigest) -> None:
    """Record the digest a writer took of the bytes it wrote (``key`` from :func:`file_key`
    once the file was complete, in any process of this machine), for :func:`digest_written`."""
    inode, state = key
    _WRITTEN[inode] = (state, digest)


def digest_written(paths: Sequence[Path]) -> list[checksums.FileDigest]:
    """Digests of files this run wrote, results in the order given.

    A file whose digest was :func:`remember`-ed and whose inode, size, mtime and ctime are
    still those of that moment is not read again (it holds the bytes that were hashed; a
    rename of its directory changes none of these); every other file is read
    (:func:`digest_files`). For manifests of what a run just wrote; verification always reads.
    """
    known: list[checksums.FileDigest | None] = []
    for p in paths:
        inode, state = file_key(p)
        entry = _WRITTEN.get(inode)
        known.append(entry[1] if entry is not None and entry[0] == state and entry[1].bytes == state[0] else None)
    read = iter(digest_files([p for p, k in zip(paths, known, strict=True) if k is None]))
    return [k if k is not None else next(read) for k in known]


@dataclass
class Tree:
    """What lies at and below a path, symbolic links not followed (see :func:`scan`)."""

    files: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)
    empty_dirs: list[Path] = field(default_factory=list)
    others: list[Path] = field(default_factory=list)  # sockets, FIFOs, devices


def scan(path: Path, prune: frozenset[Path] = frozenset()) -> Tree:
    """Regular files, symbolic links, empty directories and anything else at or below
    ``path`` (absolute), without entering ``prune`` or following a link. Nothing if
    ``path`` does not exist."""
    tree = Tree()

    def walk(p: Path) -> None:
        if p in prune:
            return
        if p.is_symlink():
            tree.links.append(p)
        elif p.is_dir():
            children = sorted(p.iterdir())
            if not children:
                tree.empty_dirs.append(p)
            for child in children:
                walk(child)
        elif p.is_file():
            tree.files.append(p)
        elif os.path.lexists(p):
            tree.others.append(p)

    walk(path)
    return tree
