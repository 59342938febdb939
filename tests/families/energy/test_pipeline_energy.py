"""End to end: the energy stages under real dvc in a throwaway copy, at tiny params."""

import json
import re

import pytest
from conftest import make_project

pytestmark = pytest.mark.slow

DOMAINS = ["active_matter", "astrophysics", "fluid_dynamics", "plasma_physics", "turbulent_radiative_layer"]


def shrink(project):
    path = project.path / "params.yaml"
    text = path.read_text("utf-8")
    head, sep, block = text.partition("\nenergy:\n")
    for key, value in (("shape", "[64, 96]"), ("n_sequences", "2"), ("n_steps", "3"), ("scales", "[64]")):
        block, n = re.subn(rf"(?m)^(  {key}:[ \t]*)\S.*?(\s+#|$)", rf"\g<1>{value}\g<2>", block, count=1)
        assert n == 1, key
    path.write_text(head + sep + block, "utf-8")


def test_dvc_repro_catalog_then_noop_then_verify(run, tmp_path):
    project = make_project(tmp_path, run)
    shrink(project)
    project.commit("tiny energy params")

    first = project.run("dvc", "repro", "finalize_energy")
    for d in DOMAINS:
        assert f"Running stage 'generate_energy@{d}'" in first.stdout
    assert "Running stage 'validate_energy'" in first.stdout and "Running stage 'finalize_energy'" in first.stdout
    assert "generate_atomic" not in first.stdout

    metrics = json.loads((project.path / "metrics/energy.json").read_text())
    assert metrics["thresholds_met"] is True and metrics["maps_total"] == 5 * 2 * 3
    # 2 sequences per domain: train and valid one each, test empty (docs/families/energy.md).
    catalog = json.loads((project.path / "data/catalogs/catalog.json").read_text())
    assert catalog["stats"]["total_files"] == 10 and catalog["files"][0]["shape"] == [1, 3, 64, 96]
    manifest = json.loads((project.path / "manifests/energy.json").read_text())
    assert sorted(e["path"] for e in manifest["entries"]) == sorted([
        "data/catalogs/catalog.json",
        *(f"data/energy/{d}/synthbank_energy_{d}_64/{rest}" for d in DOMAINS for rest in (
            f"data/train/synthbank_energy_{d}_64_train.h5", f"data/valid/synthbank_energy_{d}_64_valid.h5", "stats.yaml")),
        *(f"data/energy/{d}/.synthbank-output.json" for d in DOMAINS),  # each domain directory's output marker
    ])
    for d in DOMAINS:
        assert (project.path / "reports/energy" / f"{d}.png").is_file()

    lock = (project.path / "dvc.lock").read_bytes()
    second = project.run("dvc", "repro", "finalize_energy")
    assert "Running stage" not in second.stdout, second.stdout
    assert (project.path / "dvc.lock").read_bytes() == lock

    verify = project.run("synthbank", "verify", "manifests/energy.json")
    assert verify.stdout.startswith("OK manifests/energy.json: 21 files"), verify.stdout  # 5 x (2 splits, stats), 5 markers, the catalog
    dag = project.run("dvc", "dag", "finalize_energy")
    assert "validate_energy" in dag.stdout and "generate_energy@plasma_physics" in dag.stdout
