"""A no-op `dvc repro` of the whole pipeline (target: at most 1.5 s on 2 cores).

Run in the repository after `make repro` (so every stage is up to date). Baseline in the
same run: `dvc --version`, the cost of starting dvc at all.
"""

from __future__ import annotations

import statistics
import subprocess
import time

from _common import BIN, REPO, table


def timed(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([str(BIN / "dvc"), *args], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - t


status = subprocess.run([str(BIN / "dvc"), "status", "--quiet"], cwd=REPO)
if status.returncode != 0:
    raise SystemExit("the pipeline is not up to date: run `make repro` first")
noop, start = [], []
for _ in range(7):  # interleaved, so a drifting machine affects both alike
    noop.append(timed(["repro"]))
    start.append(timed(["--version"]))
table(
    "no-op dvc repro of the whole pipeline (target <= 1.5 s), 7 interleaved runs",
    ["command", "median s", "max s"],
    [("dvc repro (nothing to do)", statistics.median(noop), max(noop)), ("dvc --version (startup)", statistics.median(start), max(start))],
)
print(f"\nno-op repro / dvc startup: {statistics.median(noop) / statistics.median(start):.1f}x")
