"""How long ``synthbank`` takes to start (target: ``synthbank --help`` <= 0.12 s on 2 cores).

Every DVC stage pays this start before any work, so it is timed as a whole process: the
root help, ``synthbank families`` (a command that runs: typer parses and coerces its
parameters), a family command's help and the import of ``synthbank.cli`` alone. The
baseline, measured in the same run and interleaved with each command, is a bare
``python -c pass``. Usage: ``python benchmarks/bench_cli_start.py [RUNS]`` (default 21).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from _common import BIN, REPO, compile_sources, summary, table

PYTHON = str(BIN / "python")
SYNTHBANK = str(BIN / "synthbank")
BASELINE = (PYTHON, "-c", "pass")
COMMANDS: dict[str, tuple[str, ...]] = {
    "synthbank --help": (SYNTHBANK, "--help"),
    "synthbank families": (SYNTHBANK, "families"),
    "synthbank generate atomic --help": (SYNTHBANK, "generate", "atomic", "--help"),
    "import synthbank.cli": (PYTHON, "-c", "import synthbank.cli"),
}


def wall(cmd: Sequence[str]) -> float:
    """Wall seconds of one run, its output read and dropped (as a stage's log would be)."""
    t = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(runs: int) -> None:
    compile_sources()
    rows = []
    for name, cmd in COMMANDS.items():
        wall(cmd), wall(BASELINE)  # warm the page cache and the .pyc files
        times, base, ratios = [], [], []
        for _ in range(runs):  # A B A B ...: a drifting machine moves both alike; the ratio is taken pair by pair
            a, b = wall(cmd), wall(BASELINE)
            times.append(a)
            base.append(b)
            ratios.append(a / b)
        rows.append((name, statistics.median(times), min(times), statistics.median(base), f"{statistics.median(ratios):.1f}x"))
        if name == "synthbank --help":
            helped = (statistics.median(times), statistics.median(base))
    table(
        f"synthbank start, whole process, median of {runs} interleaved runs (target: --help <= 0.120 s)",
        ["command", "median s", "min s", "python -c pass s", "ratio to python -c pass"],
        rows,
    )
    summary("synthbank --help, whole process", f"{helped[0]:.3f} s", f"python -c pass {helped[1]:.3f} s", "<= 0.120 s",
            helped[0] <= 0.120)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
