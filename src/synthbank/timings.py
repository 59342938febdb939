"""How long one ``synthbank`` process took, for ``benchmarks/bench_pipeline.py``.

With ``SYNTHBANK_TIMINGS=FILE`` in the environment, each ``synthbank`` process appends one
JSON line to FILE when it exits: its DVC stage (``DVC_STAGE``, which ``dvc repro`` sets),
the command line, its start (from ``/proc``, so the interpreter's own start counts; 10 ms
resolution) and its exit, in seconds since the epoch. Without the variable this module
is not imported.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time


def process_started() -> float | None:
    """This process's start, seconds since the epoch (None where /proc has no answer).

    /proc gives it in clock ticks since boot; its age on the boot clock, taken from now,
    avoids /proc/stat's boot time (whole seconds only).
    """
    try:
        with open("/proc/self/stat", "rb") as f:
            ticks = int(f.read().rsplit(b")", 1)[1].split()[19])  # field 22, counted after the command name
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return time.time() - age


def record(path: str) -> None:
    """Append this process's line to ``path`` when it exits."""
    line = {"stage": os.environ.get("DVC_STAGE"), "argv": sys.argv[1:], "started": process_started()}

    def write() -> None:
        line["exited"] = time.time()
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    atexit.register(write)
