"""The files a manifest covers: relative POSIX paths, digests, scans, ``exclude`` rules.

Shared by building manifests (:mod:`synthbank.manifest`) and verifying them
(:mod:`synthbank.verify`): both must see the same files below an output, name them the
same way and digest them the same way.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from synthbank import checksums

# hashlib releases the GIL on large buffers, so two threads hash two files at once.
HASH_THREADS = 2


def relative_posix(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` as a POSIX string (manifest entry paths, `base`)."""
    return Path(os.path.relpath(path.absolute(), start.absolute())).as_posix()


def digest_files(paths: Sequence[Path]) -> list[checksums.FileDigest]:
    """Digest files in parallel threads, results in the order given."""
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        return list(pool.map(checksums.digest_file, paths))


@functools.cache
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        else:
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(parts))


def glob_match(rel: str, pattern: str) -> bool:
    """Whether the POSIX path ``rel`` matches ``pattern`` (an ``exclude`` rule): ``*`` and
    ``?`` stay within one path component, ``**/`` stands for any number of leading ones."""
    return _glob_regex(pattern).fullmatch(rel) is not None


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
