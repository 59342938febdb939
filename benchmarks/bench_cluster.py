"""Dask's overhead: throughput on a cluster against the local pool, and the driver's peak memory.

Rows, in one run, for the atomic family and a float-heavy one (chromatic): 1 local
worker (the baseline), 2 local workers, a ``distributed.LocalCluster`` of 2 worker
processes, and a two-process cluster started as real ``dask scheduler`` / ``dask worker``
commands. Target on 2 cores: a cluster reaches >= 0.8x the local pool's throughput.
Then the driver's own peak RSS (the ``synthbank`` process alone; the cluster's workers are
other processes) at 1x and 10x the atomic size: it must not grow with the dataset.

    .venv/bin/python benchmarks/bench_cluster.py [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _common import BIN, REPO, table
from distributed import Client, LocalCluster

QUICK = "--quick" in sys.argv
ATOMIC = 100_000 if QUICK else 400_000
CHROMATIC = 8 if QUICK else 24


def generate(work: Path, family: str, n: int, backend: list[str]) -> tuple[float, float]:
    """Wall seconds and the driver's peak RSS (MB) of one ``synthbank generate``."""
    size = ["--num-images", str(n), "--shard-blocks", "1"] if family == "atomic" else ["--num-samples", str(n)]
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "synthbank"), "generate", family, *size, "--output-dir", str(out), "--yes", *backend],
                            cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    driver, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            peak = max(peak, driver.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.005)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"generate {family} {backend} failed: {proc.stderr.read().decode()}")
    return wall, peak / 1e6


def dask_processes(tmp: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """A ``dask scheduler`` and two one-thread ``dask worker`` processes on 127.0.0.1."""
    file = tmp / "scheduler.json"
    dask = str(BIN / "dask")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    while not file.exists():
        time.sleep(0.1)
    for i in range(2):
        procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(file), "--nthreads", "1", "--no-dashboard",
                                       "--host", "127.0.0.1", "--local-directory", str(tmp / f"w{i}")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    address = json.loads(file.read_text())["address"]
    with Client(address, set_as_default=False, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    return address, procs


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp_name:
        tmp = Path(tmp_name)
        shutil.copy(REPO / "params.yaml", tmp / "params.yaml")
        address, procs = dask_processes(tmp)
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1")
        backends = {
            "1 local worker (baseline)": ["--workers", "1"],
            "2 local workers": ["--workers", "2"],
            "LocalCluster, 2 workers": ["--scheduler", local.scheduler_address],
            "dask scheduler + 2 worker processes": ["--scheduler", address],
        }
        try:
            rows = []
            for family, n, unit in (("atomic", ATOMIC, "images"), ("chromatic", CHROMATIC, "samples")):
                generate(tmp, family, max(1, n // 10), ["--scheduler", address])  # warm: workers import synthbank
                best = {name: min(generate(tmp, family, n, args)[0] for _ in range(2)) for name, args in backends.items()}
                base, pool = best["1 local worker (baseline)"], best["2 local workers"]
                for name, wall in best.items():
                    rows.append((family, name, f"{n / wall:,.0f} {unit}/s", f"{base / wall:.2f}x", f"{pool / wall:.2f}x"))
            table(f"throughput on {os.cpu_count()} cores (best of 2; target: a cluster >= 0.8x the 2-worker pool)",
                  ["family", "backend", "throughput", "vs 1 worker", "vs 2-worker pool"], rows)
            memory = []
            for factor in (1, 10):
                n = ATOMIC // 4 * factor
                for name in ("2 local workers", "dask scheduler + 2 worker processes"):
                    wall, peak = generate(tmp, "atomic", n, backends[name])
                    memory.append((f"{n:,}", name, f"{peak:.0f}", f"{wall:.1f}"))
            table("driver peak RSS (the synthbank process only) at 1x and 10x the atomic size",
                  ["images", "backend", "driver peak MB", "wall s"], memory)
        finally:
            local.close()
            for proc in reversed(procs):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
