"""``synthbank generate|validate public`` as subprocesses, and one real ``dvc repro`` (slow)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import VENV_BIN, make_project, tree_bytes

MAIN = Path(__file__).resolve().parents[3]


@pytest.fixture
def workdir(tmp_path: Path, params_snapshot: Path) -> Path:
    """A folder with params.yaml, sources/public and LICENSES (the CLI's cwd)."""
    shutil.copy2(params_snapshot, tmp_path / "params.yaml")
    shutil.copytree(MAIN / "sources/public", tmp_path / "sources/public")
    shutil.copytree(MAIN / "LICENSES", tmp_path / "LICENSES")
    return tmp_path


def synthbank(run, cwd: Path, *args: str):
    return run([VENV_BIN / "synthbank", *args], cwd, check=False)


def edit_params(workdir: Path, old: str, new: str) -> None:
    path = workdir / "params.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_generate_validate_verify(run, workdir: Path) -> None:
    gen = synthbank(run, workdir, "generate", "public")
    assert gen.returncode == 0, gen.stderr
    assert sorted(p.name for p in (workdir / "data/public").iterdir()) == [".synthbank-output.json", "mri_brain_demo", "retina_example", "xray_chest_demo"]
    val = synthbank(run, workdir, "validate", "public")
    assert val.returncode == 0, val.stderr
    metrics = json.loads((workdir / "metrics/public.json").read_text("utf-8"))
    assert metrics["thresholds_met"] is True and metrics["phi_findings"] == 0
    ver = synthbank(run, workdir, "verify", "manifests/public.json")
    assert ver.returncode == 0 and ver.stdout.startswith("OK manifests/public.json: 14 files"), ver.stdout + ver.stderr
    phi = synthbank(run, workdir, "verify-no-phi")
    assert phi.returncode == 0 and phi.stdout.startswith("OK no PHI found in 16 file(s)"), phi.stdout  # + metrics/public.json
    sources = synthbank(run, workdir, "verify-no-phi", "sources/public")  # the raw DICOM keeps its header
    assert sources.returncode == 1 and "PatientName: person_name" in sources.stdout


def test_estimate_bounds_what_generate_writes(run, workdir: Path) -> None:
    proc = synthbank(run, workdir, "estimate", "public")
    assert proc.returncode == 0, proc.stderr
    estimate = json.loads(proc.stdout)
    assert not (workdir / "data").exists()  # estimate writes nothing
    assert synthbank(run, workdir, "generate", "public").returncode == 0
    written = sum(p.stat().st_size for p in (workdir / "data/public").rglob("*") if p.is_file())
    assert (estimate["items"], estimate["unit"]) == (3, "demos") and estimate["disk_bytes"] >= written
    assert estimate["memory_bytes"] > estimate["source_bytes"] > 0 and estimate["seconds"] > 0
    missing = synthbank(run, workdir, "generate", "public", "--sources", "nowhere", "--output-dir", "elsewhere")
    assert missing.returncode == 2 and missing.stderr == (
        "synthbank: error: --sources='nowhere' is not a directory: allowed the sources/public folder of the repository\n")
    assert not (workdir / "elsewhere").exists()


def test_help_lists_every_shared_and_own_option(run, workdir: Path) -> None:
    options = {
        "generate": ("--params", "--output-dir", "--seed", "--workers", "--scheduler",
                     "--yes", "--confirm-above", "--overwrite", "--manifest", "--sources", "--licenses"),
        "validate": ("--params", "--data-dir", "--metrics", "--reports-manifest", "--workers", "--manifest"),
        "estimate": ("--params", "--seed"),
    }
    for verb, names in options.items():
        proc = synthbank(run, workdir, verb, "public", "--help")
        assert proc.returncode == 0 and all(n in proc.stdout for n in names), (verb, [n for n in names if n not in proc.stdout])


def test_bad_param_is_one_line_exit_2_nothing_written(run, workdir: Path) -> None:
    edit_params(workdir, "demos: [mri_brain_demo, retina_example, xray_chest_demo]", "demos: [brain_demo]")
    proc = synthbank(run, workdir, "generate", "public")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "public.demos.0" in proc.stderr and "brain_demo" in proc.stderr
    assert not (workdir / "data").exists() and not (workdir / "manifests").exists()


def test_violated_threshold_exits_1_after_writing_metrics(run, workdir: Path) -> None:
    assert synthbank(run, workdir, "generate", "public").returncode == 0
    edit_params(workdir, "image_std_min: 5.0", "image_std_min: 500.0")
    proc = synthbank(run, workdir, "validate", "public")
    assert proc.returncode == 1 and "image_std_min" in proc.stderr
    assert json.loads((workdir / "metrics/public.json").read_text("utf-8"))["thresholds_met"] is False


@pytest.mark.slow
def test_dvc_repro_public_stages(run, tmp_path: Path, built: Path) -> None:
    project = make_project(tmp_path, run)
    # --force: the committed dvc.lock already matches, so dvc would skip validate_public.
    first = project.run("dvc", "repro", "--force", "validate_public")
    assert "Running stage 'generate_public'" in first.stdout and "Running stage 'validate_public'" in first.stdout
    assert "Running stage 'generate_atomic'" not in first.stdout
    # the pipeline's bytes are the library's bytes
    assert tree_bytes(project.path / "data/public") == tree_bytes(built / "data/public")
    metrics = json.loads((project.path / "metrics/public.json").read_text("utf-8"))
    assert metrics["thresholds_met"] is True and metrics["phi_findings"] == 0 and metrics["checksums_verified"] is True
    verify = project.run("synthbank", "verify", "manifests/public.json")
    assert verify.stdout.startswith("OK manifests/public.json: 14 files"), verify.stdout
    project.run("synthbank", "verify-no-phi", "data/public", "manifests/public.json")
    before = (project.path / "dvc.lock").read_text("utf-8")
    second = project.run("dvc", "repro", "validate_public")
    assert "Running stage" not in second.stdout, second.stdout
    assert (project.path / "dvc.lock").read_text("utf-8") == before
    assert re.search(r"generate_public:\n", before) and "sources/public" in before
