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

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml
from _common import BIN, REPO, maxrss_mb, table
from distributed import Client, LocalCluster

QUICK = "--quick" in sys.argv
ATOMIC = 100_000 if QUICK else 400_000
CHROMATIC = 8 if QUICK else 24


def generate(work: Path, family: str, n: int, backend: list[str], params: str = "params.yaml") -> tuple[float, float, float]:
    """Wall seconds, the driver's peak RSS (MB) and its CPU seconds for one ``synthbank generate``."""
    size = ["--num-images", str(n), "--shard-blocks", "1"] if family == "atomic" else ["--num-samples", str(n)]
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "synthbank"), "generate", family, "--params", params, *size, "--output-dir", str(out),
                             "--yes", *backend],
                            cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver, peak = psutil.Process(proc.pid), 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            peak = max(peak, driver.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.005)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"generate {family} {backend} failed with exit {proc.returncode}")
    # the driver alone on a cluster; with a local pool its waited-for workers are included
    return wall, max(peak / 1e6, maxrss_mb(usage)), usage.ru_utime + usage.ru_stime


def dask_processes(tmp: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """A ``dask scheduler`` and two one-thread ``dask worker`` processes on 127.0.0.1."""
    file = tmp / "scheduler.json"
    dask = str(BIN / "dask")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    for i in range(2):
        procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(file), "--nthreads", "1", "--no-dashboard",
                                       "--host", "127.0.0.1", "--local-directory", str(tmp / f"w{i}")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    with Client(scheduler_file=str(file), set_as_default=False, timeout="120s") as client:  # waits for the file
        client.wait_for_workers(2, timeout=120)
        return client.scheduler.address, procs


def task_count(address: str) -> int:
    """Tasks the scheduler has finished and forgotten so far (its state counts are cumulative transitions)."""
    def count(dask_scheduler) -> int:  # noqa: ANN001 - runs on the scheduler
        return sum(p.state_counts.get("forgotten", 0) for p in dask_scheduler.task_prefixes.values())
    with Client(address, set_as_default=False) as client:
        return client.run_on_scheduler(count)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp_name:
        tmp = Path(tmp_name)
        shutil.copy(REPO / "params.yaml", tmp / "params.yaml")
        address, procs = dask_processes(tmp)
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1")
        backends = {
            "1 local worker (baseline)": ["--workers", "1"],
            "2 local workers": ["--workers", "2"],
            "LocalCluster, 2 workers": ["--scheduler", local.scheduler_address],
            "dask scheduler + 2 worker processes": ["--scheduler", address],
        }
        try:
            rows, model = [], []
            for family, n, unit in (("atomic", ATOMIC, "images"), ("chromatic", CHROMATIC, "samples")):
                small = max(1, n // 10)
                generate(tmp, family, small, ["--scheduler", address])  # warm: workers import synthbank
                runs = {name: min((generate(tmp, family, n, args) for _ in range(2)), key=lambda r: r[0])
                        for name, args in backends.items()}
                base, pool = runs["1 local worker (baseline)"][0], runs["2 local workers"][0]
                for name, (wall, _, _) in runs.items():
                    rows.append((family, name, f"{n / wall:,.0f} {unit}/s", f"{base / wall:.2f}x", f"{pool / wall:.2f}x"))
                # per-task costs from the difference between n and n/10 items, so start-up cancels:
                # a worker's (wall of 1 local worker) and the driver's (its CPU on the cluster)
                tasks = {}
                for size in (small, n):
                    before = task_count(address)
                    tasks[size] = (generate(tmp, family, size, ["--scheduler", address]), task_count(address) - before)
                one = {size: generate(tmp, family, size, ["--workers", "1"])[0] for size in (small, n)}
                extra = tasks[n][1] - tasks[small][1]
                t_task = (one[n] - one[small]) / extra
                t_drv = (tasks[n][0][2] - tasks[small][0][2]) / extra
                per_task = n / tasks[n][1]
                for w in (8, 64, 512):
                    rate = min(w / t_task, 1 / t_drv) * per_task
                    model.append((family, w, f"{per_task:,.0f}", f"{t_task * 1e3:.0f}", f"{t_drv * 1e3:.1f}", f"{t_task / t_drv:.0f}",
                                  f"{rate:,.0f} {unit}/s", "driver" if w / t_task > 1 / t_drv else "workers"))
            table(f"throughput on {os.cpu_count()} cores (best of 2; target: a cluster >= 0.8x the 2-worker pool)",
                  ["family", "backend", "throughput", "vs 1 worker", "vs 2-worker pool"], rows)
            table("expected throughput at W workers: min(W / t_task, 1 / t_driver) tasks/s (driver writes every byte)",
                  ["family", "W", "items/task", "t_task ms", "t_driver ms", "W* = t_task/t_driver", "expected", "limited by"], model)
            sharded = yaml.safe_load((REPO / "params.yaml").read_text("utf-8"))
            sharded["atomic"]["shard_images"] = 20000
            (tmp / "sharded.yaml").write_text(yaml.safe_dump(sharded, sort_keys=False), "utf-8")
            memory = []
            for factor in (1, 10):
                n = ATOMIC // 4 * factor
                for layout, params in (("one file per split", "params.yaml"), ("shards of 20,000", "sharded.yaml")):
                    for name in ("2 local workers", "dask scheduler + 2 worker processes"):
                        wall, peak, _ = generate(tmp, "atomic", n, backends[name], params)
                        memory.append((f"{n:,}", layout, name, f"{peak:.0f}", f"{wall:.1f}"))
            table("driver peak RSS at 1x and 10x the atomic size (local pool: largest of driver and workers)",
                  ["images", "layout", "backend", "driver peak MB", "wall s"], memory)
        finally:
            local.close()
            for proc in reversed(procs):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
