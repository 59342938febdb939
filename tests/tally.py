"""Counts of the reliability suite (tried / handled per category), printed at the end.

A test records what it tried and how many were handled as required (refused cleanly,
caught, survived) with ``tally.record(category, tried, handled)``; ``conftest.py``
prints one table after the run, so a reader sees e.g. "bad input: 64 tried, 64 refused".
The test itself still asserts: the table is a summary, never the check.
"""

from __future__ import annotations

import json
from collections import defaultdict

#: category -> [tried, handled, what "handled" means]
COUNTS: dict[str, list] = defaultdict(lambda: [0, 0, ""])


def record(category: str, tried: int, handled: int, meaning: str = "handled") -> None:
    """Add ``tried`` cases of which ``handled`` behaved as required to ``category``."""
    row = COUNTS[category]
    row[0] += tried
    row[1] += handled
    row[2] = meaning


def dumps() -> str:
    """The counts as JSON (an xdist worker sends them to the controller)."""
    return json.dumps(COUNTS)


def merge(text: str) -> None:
    """Add counts sent by :func:`dumps`."""
    for category, (tried, handled, meaning) in json.loads(text).items():
        record(category, tried, handled, meaning)


def table() -> list[str]:
    """The summary lines, one per category, sorted by name."""
    if not COUNTS:
        return []
    width = max(len(c) for c in COUNTS)
    lines = [f"{'category':<{width}}  {'tried':>6}  {'handled':>7}  meaning"]
    for category in sorted(COUNTS):
        tried, handled, meaning = COUNTS[category]
        lines.append(f"{category:<{width}}  {tried:>6}  {handled:>7}  {meaning}")
    return lines
