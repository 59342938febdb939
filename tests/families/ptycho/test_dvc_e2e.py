"""Real dvc in a throwaway copy of the project at tiny params: repro, no-op, verify, add a dose."""

import json

import pytest
from conftest import make_project, tree_bytes
from families.ptycho.helpers import TINY_DOSES, tiny_section, write_params

pytestmark = pytest.mark.slow


def _ran(stdout):
    return sorted(line.split("'")[1] for line in stdout.splitlines() if line.startswith("Running stage"))


def test_dose_sweep_under_dvc(run, tmp_path, tiny_root):
    project = make_project(tmp_path, run)
    write_params(project.path / "params.yaml", tiny_section())
    project.commit("tiny ptycho params")

    first = project.run("dvc", "repro", "finalize_ptycho")
    per_dose = ("generate", "validate")  # generate: simulate, canonicalise, patch, split and views in one process
    assert _ran(first.stdout) == sorted([f"{s}_ptycho@{d}" for s in per_dose for d in TINY_DOSES] + ["finalize_ptycho"])
    for dose in TINY_DOSES:  # the same bytes as the in-process chain
        written = tree_bytes(project.path / f"data/ptycho/dose_{dose}")
        stage_dirs = ("simulate", "canonical", "patch", "split", "views", "validate")
        assert written.pop(".gitignore").decode().split() == [f"/{s}" for s in stage_dirs]
        assert written == tree_bytes(tiny_root / f"dose_{dose}")
    metrics = json.loads((project.path / "metrics/ptycho.json").read_text())
    assert sorted(metrics) == ["dose_1000", "dose_100000", "thresholds_met"] and metrics["thresholds_met"] is True
    verify = project.run("synthbank", "verify", "manifests/ptycho.json")
    assert verify.stdout.startswith("OK manifests/ptycho.json: 32 files"), verify.stdout

    second = project.run("dvc", "repro", "finalize_ptycho")
    assert "Running stage" not in second.stdout, second.stdout
    project.commit("tiny sweep")

    # Adding a dose is a params change: only that dose's stages and the final one run.
    section = tiny_section()
    section["doses"] = sorted([*TINY_DOSES, 5000])  # doses are strictly ascending (params schema)
    write_params(project.path / "params.yaml", section)
    third = project.run("dvc", "repro", "finalize_ptycho")
    assert _ran(third.stdout) == sorted([f"{s}_ptycho@5000" for s in per_dose] + ["finalize_ptycho"])
    diff = json.loads(project.run("dvc", "metrics", "diff", "--json").stdout)["metrics/ptycho.json"]
    assert "dose_5000.photons.mean_total" in diff and "dose_1000.photons.mean_total" not in diff
    assert project.run("synthbank", "verify", "manifests/ptycho.json").stdout.startswith("OK manifests/ptycho.json: 48 files")
