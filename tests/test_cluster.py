"""Shards on a real Dask cluster give the bytes of a local run (synthbank.cluster).

The clusters are real: a ``dask scheduler`` and two ``dask worker`` processes started on
127.0.0.1 (free ports, a scheduler file, torn down after), and ``distributed.LocalCluster``.
Every family's small configuration (the determinism matrix's) must give the golden
checksums with the cluster running its generate and validate shards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import MAIN, VENV_BIN, make_project, tree_bytes
from distributed import Client, LocalCluster

from synthbank import cluster, determinism

pytestmark = pytest.mark.slow

GOLDEN = json.loads((MAIN / "tests/golden/determinism.json").read_text("utf-8"))["checksums"]
#: Quick failure when nothing listens (Dask's own setting, read by synthbank.cluster.connect).
FAST_CONNECT = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}


class DaskProcesses:
    """A ``dask scheduler`` and ``n`` ``dask worker`` processes (one thread each) on 127.0.0.1."""

    def __init__(self, tmp: Path, n: int = 2) -> None:
        self.tmp = tmp
        self.file = tmp / "scheduler.json"
        env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        env.pop(cluster.ADDRESS_ENV, None)
        self.procs: list[subprocess.Popen[bytes]] = []
        self._start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(self.file)], env, "scheduler")
        self.address = scheduler_address(self.file)
        for i in range(n):
            self._start(["worker", "--scheduler-file", str(self.file), "--nthreads", "1", "--no-dashboard",
                         "--host", "127.0.0.1", "--name", f"w{i}", "--local-directory", str(tmp / f"w{i}")], env, f"w{i}")
        self.client = Client(self.address, set_as_default=False, timeout="60s")
        self.client.wait_for_workers(n, timeout=120)

    def _start(self, args: list[str], env: dict[str, str], log: str) -> None:
        with (self.tmp / f"{log}.log").open("wb") as out:
            self.procs.append(subprocess.Popen([str(VENV_BIN / "dask"), *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, start_new_session=True))

    def task_counts(self) -> dict[str, int]:
        return task_counts(self.client)

    def worker_pids(self) -> dict[str, int]:
        return self.client.run(os.getpid)

    def close(self) -> None:
        self.client.close()
        for proc in reversed(self.procs):
            with_pgid_kill(proc)


def scheduler_address(file: Path, timeout: float = 120) -> str:
    """The address ``dask scheduler --scheduler-file`` writes (read again until it is whole JSON)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return json.loads(file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            if time.monotonic() > deadline:
                raise AssertionError(f"the scheduler wrote no address to {file} in {timeout} s") from None
            time.sleep(0.1)


def task_counts(client: Client) -> dict[str, int]:
    """Task state transitions the scheduler has counted, by key prefix (``<verb>_<family>.<module>.<function>``)."""
    def counts(dask_scheduler):  # noqa: ANN001, ANN202 - runs on the scheduler
        return {name: sum(p.state_counts.values()) for name, p in dask_scheduler.task_prefixes.items()}
    return client.run_on_scheduler(counts)


def with_pgid_kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process and everything it started (a worker's nanny starts the worker)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    procs = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        yield procs
    finally:
        procs.close()


def _commands_seen(before: dict[str, int], after: dict[str, int]) -> set[str]:
    """``generate_atomic``, ``validate_energy``...: the commands whose tasks ran between two counts."""
    return {name.split(".")[0] for name, n in after.items() if n > before.get(name, 0)}


EVERY_COMMAND = {f"{verb}_{family}" for verb in ("generate", "validate") for family in determinism.FAMILIES}


def _matrix_row(tmp: Path, name: str, env: dict[str, str]) -> dict[str, list[str]]:
    result = determinism.run_setting(MAIN, determinism.Setting(name, env, workers=1), tmp)
    return {f: paths for f, paths in determinism.compare(GOLDEN, result["checksums"]).items() if paths}


def test_every_family_on_the_two_process_cluster_gives_the_golden_bytes(dask_processes: DaskProcesses, tmp_path: Path) -> None:
    before = dask_processes.task_counts()
    differ = _matrix_row(tmp_path, "dask scheduler + 2 workers", {cluster.ADDRESS_ENV: dask_processes.address})
    assert differ == {}, differ
    # every family's generate and validate shards ran as cluster tasks
    assert _commands_seen(before, dask_processes.task_counts()) == EVERY_COMMAND


def test_every_family_on_a_one_worker_local_cluster_gives_the_golden_bytes(tmp_path: Path) -> None:
    # one worker process running two tasks at a time on threads: shared state in a worker shows here
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0",
                      host="127.0.0.1") as local:
        differ = _matrix_row(tmp_path, "LocalCluster of 1 worker, 2 threads", {cluster.ADDRESS_ENV: local.scheduler_address})
        with Client(local.scheduler_address, set_as_default=False) as client:
            seen = _commands_seen({}, task_counts(client))
    assert differ == {}, differ
    assert seen == EVERY_COMMAND


def _synthbank(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **FAST_CONNECT, **(env or {})}
    if env is None or cluster.ADDRESS_ENV not in env:
        full.pop(cluster.ADDRESS_ENV, None)
    return subprocess.run([str(VENV_BIN / "synthbank"), *args], cwd=cwd, env=full, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600, **kw)


def test_a_worker_killed_mid_run_changes_no_byte(dask_processes: DaskProcesses, tmp_path: Path) -> None:
    # the sharded layout: the workers write the shard files themselves, so a kill lands mid-write
    params = yaml.safe_load((MAIN / "params.yaml").read_text("utf-8"))
    params["atomic"]["shard_images"] = 10000
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), "utf-8")
    args = ["generate", "atomic", "--num-images", "120000", "--yes"]
    assert _synthbank([*args, "--output-dir", "local"], tmp_path).returncode == 0
    proc = subprocess.Popen([str(VENV_BIN / "synthbank"), *args, "--output-dir", "remote", "--scheduler", dask_processes.address],
                            cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != cluster.ADDRESS_ENV},
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # kill the worker process (SIGKILL: no goodbye to the scheduler) while it holds tasks of this run
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        busy = [w for w, tasks in dask_processes.client.processing().items() if any("atomic" in str(t) for t in tasks)]
        if busy:
            victim = dask_processes.worker_pids()[busy[0]]
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.02)
    out, err = proc.communicate(timeout=600)
    assert victim is not None, "the run ended before a worker held one of its tasks"
    assert proc.returncode == 0, err
    remote = tree_bytes(tmp_path / "remote")
    assert remote == tree_bytes(tmp_path / "local")
    assert len([name for name in remote if name.startswith("train-")]) == 12  # and no private leftovers
    dask_processes.client.wait_for_workers(2, timeout=120)  # the nanny restarts the worker for the next test


@pytest.mark.parametrize("how", ["option", "environment"])
def test_an_unreachable_scheduler_is_one_line_exit_2_and_nothing_written(tmp_path: Path, how: str) -> None:
    (tmp_path / "params.yaml").write_bytes((MAIN / "params.yaml").read_bytes())
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    args = ["generate", "atomic", "--num-images", "1000", "--output-dir", "out", "--yes"]
    start = time.monotonic()
    if how == "option":
        proc = _synthbank([*args, "--scheduler", address], tmp_path)
        named = f"--scheduler={address}"
    else:
        proc = _synthbank(args, tmp_path, env={cluster.ADDRESS_ENV: address})
        named = f"{cluster.ADDRESS_ENV}={address}"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith(f"synthbank: error: {named} is unreachable"), proc.stderr
    assert "allowed the address of a running Dask scheduler" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]
    assert time.monotonic() - start < 30  # Dask's connect timeout (3 s here) bounds the wait


def test_a_malformed_address_is_refused(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_bytes((MAIN / "params.yaml").read_bytes())
    proc = _synthbank(["validate", "atomic", "--scheduler", "nonsense://x"], tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("synthbank: error: --scheduler=nonsense://x is invalid (unknown address scheme"), proc.stderr


def test_scheduler_local_overrides_the_environment(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_bytes((MAIN / "params.yaml").read_bytes())
    proc = _synthbank(["generate", "atomic", "--num-images", "500", "--output-dir", "out", "--yes", "--scheduler", "local"],
                      tmp_path, env={cluster.ADDRESS_ENV: "tcp://127.0.0.1:9"})
    assert proc.returncode == 0, proc.stderr


def test_a_dvc_stage_on_the_cluster_leaves_the_lock_unchanged(dask_processes: DaskProcesses, run, tmp_path: Path) -> None:
    project = make_project(tmp_path, run, num_images=20000)
    project.run("dvc", "repro", "validate_atomic")
    project.commit("local run")
    lock = (project.path / "dvc.lock").read_bytes()
    before = dask_processes.task_counts()
    project.extra_env[cluster.ADDRESS_ENV] = dask_processes.address
    status = project.run("dvc", "status", "validate_atomic")
    assert "changed" not in status.stdout, status.stdout  # the address is not a dependency
    forced = project.run("dvc", "repro", "-f", "validate_atomic")
    assert "Running stage 'generate_atomic'" in forced.stdout
    assert (project.path / "dvc.lock").read_bytes() == lock
    assert project.run("git", "status", "--porcelain").stdout == ""
    # both stages' shards ran on the cluster
    assert _commands_seen(before, dask_processes.task_counts()) == {"generate_atomic", "validate_atomic"}


# --- the backend itself --------------------------------------------------------------------

def _slower_first(i: int) -> int:
    time.sleep(0.02 * (10 - i))  # the last task finishes first
    return i * i


def test_results_come_back_in_task_order_whatever_order_tasks_finish() -> None:
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False, dashboard_address=":0") as local:
        got = list(cluster.run_ordered(_slower_first, range(10), address=local.scheduler_address, window=10))
        cluster.close()
    assert got == [i * i for i in range(10)]


def _fails_on_three(i: int) -> int:
    if i == 3:
        raise ValueError(f"task {i} cannot be computed")
    return i


def test_a_task_that_raises_on_a_worker_raises_in_the_driver_and_cancels_the_rest() -> None:
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as local:
        got = []
        with pytest.raises(ValueError, match="task 3 cannot be computed"):
            for value in cluster.run_ordered(_fails_on_three, range(50), address=local.scheduler_address, window=4):
                got.append(value)
        with Client(local.scheduler_address, set_as_default=False) as client:
            deadline = time.monotonic() + 30
            while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) and time.monotonic() < deadline:
                time.sleep(0.05)
            left = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
        cluster.close()
    assert got == [0, 1, 2]  # in order, up to the failing task
    assert left == 0  # nothing of the run left on the cluster


def test_a_worker_with_other_code_refuses_the_task() -> None:
    with pytest.raises(cluster.WorkerMismatch, match="a Dask worker runs synthbank .*this run needs other"):
        cluster.checked_call(_slower_first, "other", 9)
    assert cluster.checked_call(_slower_first, cluster.environment_digest(), 9) == 81


def test_resolve_prefers_the_option_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cluster.ADDRESS_ENV, "tcp://env:1")
    assert cluster.resolve(None) == ("tcp://env:1", cluster.ADDRESS_ENV)
    assert cluster.resolve("tcp://opt:2") == ("tcp://opt:2", "--scheduler")
    assert cluster.resolve("local") == (None, "--scheduler")
    monkeypatch.delenv(cluster.ADDRESS_ENV)
    assert cluster.resolve(None) == (None, cluster.ADDRESS_ENV)

