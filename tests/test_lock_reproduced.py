"""The determinism gate: the default pipeline, regenerated from nothing, gives the committed dvc.lock.

Once on this host and once under the determinism matrix's most different CPU. Each setting
is its own class, so that pytest-xdist's ``--dist loadscope`` can run the two full
pipelines (about two minutes each) on both workers at once; tests/conftest.py schedules
them first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import make_project

from synthbank import determinism

pytestmark = pytest.mark.slow


def _lock_entries(lock: dict, kind: str) -> dict[tuple[str, str], dict]:
    return {(stage, e["path"]): e for stage, s in lock["stages"].items() for e in s.get(kind, [])}


def _default_repro_reproduces_committed_lock(run, tmp_path: Path, cpu: str) -> None:
    project = make_project(tmp_path, run)  # default params, no data: every stage runs
    if cpu == "most different":
        # numpy at its baseline SIMD level, glibc's libm without FMA, another OpenBLAS
        # kernel, one thread: the matrix's farthest row, on the whole default pipeline.
        project.extra_env = determinism.most_different_env()
    lock_path = project.path / "dvc.lock"
    committed = lock_path.read_bytes()

    project.run("dvc", "repro")

    produced = lock_path.read_bytes()
    old, new = yaml.safe_load(committed), yaml.safe_load(produced)
    # Outputs first: different output hashes mean generation is not deterministic.
    out_old, out_new = _lock_entries(old, "outs"), _lock_entries(new, "outs")
    differing_outs = sorted(k for k in out_old.keys() | out_new.keys() if out_old.get(k) != out_new.get(k))
    assert not differing_outs, f"regenerated outputs differ from the committed dvc.lock: {differing_outs}"
    # Then deps and params: a difference means the committed dvc.lock is stale (code or
    # params changed without a `dvc repro` + commit), not that generation is random.
    dep_old, dep_new = _lock_entries(old, "deps"), _lock_entries(new, "deps")
    stale = sorted(k for k in dep_old.keys() | dep_new.keys() if dep_old.get(k) != dep_new.get(k))
    assert not stale, f"the committed dvc.lock is stale: these dependencies changed: {stale}"
    params_of = lambda lock: {stage: s.get("params") for stage, s in lock["stages"].items()}  # noqa: E731
    assert params_of(old) == params_of(new), "params recorded in the committed dvc.lock differ from params.yaml"
    assert produced == committed, "dvc.lock is not reproduced byte for byte"

    status = project.run("git", "status", "--porcelain", "--", "dvc.lock", "manifests", "metrics", "reports").stdout
    assert status == "", f"regeneration changed committed files:\n{status}"
    project.run("synthbank", "verify")


class TestOnThisHost:
    def test_default_repro_reproduces_committed_lock(self, run, tmp_path: Path) -> None:
        _default_repro_reproduces_committed_lock(run, tmp_path, "host")


class TestOnTheMostDifferentCpu:
    def test_default_repro_reproduces_committed_lock(self, run, tmp_path: Path) -> None:
        _default_repro_reproduces_committed_lock(run, tmp_path, "most different")
