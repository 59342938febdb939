"""End to end with real dvc in a throwaway git copy of the project: the chromatic stages."""

import json

import pytest

from conftest import make_project, tree_bytes

pytestmark = pytest.mark.slow

STAGES = ("generate_chromatic", "validate_chromatic")


def test_repro_noop_repro_verify_and_plots(run, tmp_path):
    project = make_project(tmp_path, run)
    # --force: the committed dvc.lock already matches, so dvc would skip validate_chromatic.
    first = project.run("dvc", "repro", "--force", "validate_chromatic")
    for stage in STAGES:
        assert f"Running stage '{stage}'" in first.stdout
    data = project.path / "data" / "chromatic"
    before = tree_bytes(data) | {"manifest": (project.path / "manifests/chromatic.json").read_bytes()}

    second = project.run("dvc", "repro", "validate_chromatic")
    assert "Running stage" not in second.stdout
    assert json.loads(project.run("dvc", "status", "--json", *STAGES).stdout) == {}
    assert tree_bytes(data) | {"manifest": (project.path / "manifests/chromatic.json").read_bytes()} == before

    metrics = json.loads((project.path / "metrics/chromatic.json").read_text())
    assert metrics["thresholds_met"] is True and metrics["phi_findings"] == 0
    assert "OK manifests/chromatic.json" in project.run("synthbank", "verify", "manifests/chromatic.json").stdout
    shown = json.loads(project.run("dvc", "metrics", "show", "--json").stdout)
    assert "metrics/chromatic.json" in json.dumps(shown)
    plots = project.run("dvc", "plots", "show", "--json").stdout
    assert "spectral_profile.csv" in plots and "synthetic_spectral_42_00000.png" in plots
    # Regenerating from scratch with another worker count gives the same bytes.
    project.run("synthbank", "generate", "chromatic", "--output-dir", "data/chromatic", "--preview-dir",
                "reports/chromatic/previews", "--manifest", "manifests/chromatic.json", "--workers", "1", "--yes")
    assert tree_bytes(data) | {"manifest": (project.path / "manifests/chromatic.json").read_bytes()} == before
