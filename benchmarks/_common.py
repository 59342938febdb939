"""Shared helpers for the benchmark scripts: timing, peak memory of a process tree, tables."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import psutil  # noqa: E402  (installed with dvc)

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def compile_sources(src: Path = REPO / "src") -> None:
    """Write the byte-code of ``src`` (as ``make test``/``make repro`` do).

    An installed package ships its .pyc files; an editable install's are written on first
    import, unless PYTHONDONTWRITEBYTECODE is set: then every process would compile the
    synthbank modules it imports again (50-200 ms) while numpy, h5py and the baselines
    come compiled.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True, stdout=subprocess.DEVNULL)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Fastest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run_tree(cmd: Sequence[str], cwd: Path | None = None) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak summed RSS of it and its children in MB)."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(root))
        time.sleep(0.01)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()}")
    return wall, peak / 1e6


def maxrss_mb(usage: os.struct_rusage) -> float:  # also resource.struct_rusage
    """A finished child's peak RSS (``ru_maxrss``, KiB on Linux) in MB, 10**6 bytes as the targets are stated."""
    return usage.ru_maxrss * 1024 / 1e6


def tree_rss(root: psutil.Process) -> int:
    """Summed RSS of ``root`` and its children now, bytes (0 once it is gone)."""
    try:
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain fixed-width table."""
    cells = [list(map(str, header))] + [[f"{c:,.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for i, r in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


#: The prefix of a headline line, which ``benchmarks/summary.py`` (``make bench-summary``) collects.
SUMMARY = "SUMMARY\t"


def summary(what: str, figure: str, baseline: str, target: str, met: bool) -> None:
    """Print one headline line: what was measured, the figure, its baseline (measured in the
    same run) or ratio, the target, and whether it is met (tab-separated, machine-readable)."""
    print(SUMMARY + "\t".join((what, figure, baseline, target, "yes" if met else "NO")), flush=True)
