"""Path patterns of manifests' ``exclude`` rules and of record sets' files (no third-party import)."""

from __future__ import annotations

import functools
import re


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
    """Whether the POSIX path ``rel`` matches ``pattern`` (a manifest's ``exclude`` rule, a record set's files): ``*`` and
    ``?`` stay within one path component, ``**/`` stands for any number of leading ones."""
    return _glob_regex(pattern).fullmatch(rel) is not None
