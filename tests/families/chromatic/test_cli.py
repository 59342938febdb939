"""The commands as users run them: real ``synthbank`` subprocesses in a scratch directory."""

import json

import pytest
import yaml

from conftest import MAIN, listing
from families.chromatic.helpers import section


def _project(tmp_path, **changes):
    data = yaml.safe_load((MAIN / "params.yaml").read_text())
    data["chromatic"] = section(**changes)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


GENERATE = ["synthbank", "generate", "chromatic", "--output-dir", "data/chromatic", "--preview-dir",
            "reports/chromatic/previews", "--manifest", "manifests/chromatic.json", "--yes"]
VALIDATE = ["synthbank", "validate", "chromatic"]


def test_generate_validate_verify_the_dvc_layout(run, tmp_path):
    cwd = _project(tmp_path)
    run([*GENERATE, "--workers", "2"], cwd)
    run(VALIDATE, cwd)
    metrics = json.loads((cwd / "metrics/chromatic.json").read_text())
    assert metrics["thresholds_met"] is True and metrics["samples"] == 6
    manifest = json.loads((cwd / "manifests/chromatic.json").read_text())
    assert manifest["outputs"] == ["data/chromatic", "reports/chromatic/previews"] and manifest["base"] == ".."
    verified = run(["synthbank", "verify", "manifests/chromatic.json"], cwd).stdout
    assert "OK manifests/chromatic.json: 20 files" in verified
    estimate = json.loads(run(["synthbank", "estimate", "chromatic", "--num-samples", "100"], cwd).stdout)
    assert (estimate["items"], estimate["unit"]) == (100, "samples")
    assert estimate["bytes_per_sample"] == 64 * 64 * 137 + 64 * 12


def test_estimate_bounds_what_generate_writes(run, tmp_path):
    cwd = _project(tmp_path)
    estimate = json.loads(run(["synthbank", "estimate", "chromatic"], cwd).stdout)
    assert listing(cwd) == {"params.yaml"}  # estimate writes nothing
    run(GENERATE, cwd)
    written = sum(p.stat().st_size for d in ("data/chromatic", "reports/chromatic/previews")
                  for p in (cwd / d).rglob("*") if p.is_file())
    assert estimate["items"] == 6 and estimate["disk_bytes"] >= written
    assert estimate["memory_bytes"] > 0 and estimate["seconds"] > 0


def test_help_lists_every_shared_and_own_option(run, tmp_path):
    shared = {
        "generate": ("--params", "--output-dir", "--seed", "--workers", "--scheduler", "--progress", "--no-progress",
                     "--yes", "--confirm-above", "--overwrite", "--manifest", "--num-samples", "--preview-dir", "--shard-blocks"),
        "validate": ("--params", "--data-dir", "--metrics", "--report-dir", "--reports-manifest", "--workers",
                     "--scheduler", "--manifest", "--reseed-samples"),
        "estimate": ("--params", "--seed", "--num-samples", "--workers"),
    }
    for verb, options in shared.items():
        out = run(["synthbank", verb, "chromatic", "--help"], tmp_path).stdout
        assert all(option in out for option in options), (verb, [o for o in options if o not in out])


def test_standalone_dataset_keeps_manifest_and_previews_inside(run, tmp_path):
    cwd = _project(tmp_path)
    run(["synthbank", "generate", "chromatic", "--output-dir", "ds", "--num-samples", "2", "--seed", "5"], cwd)
    assert sorted(p.name for p in (cwd / "ds").iterdir()) == [".synthbank-output.json", "chromatic", "manifest.json", "previews", "spectral"]
    assert (cwd / "ds/chromatic/synthetic_chromatic_5_00001.h5").is_file()
    run(["synthbank", "verify", "ds/manifest.json", "--no-check-params"], cwd)


@pytest.mark.parametrize(
    "args, changes, message",
    [
        (["--num-samples", "0"], {}, "--num-samples='0' is invalid"),
        (["--workers", "zero"], {}, "--workers='zero' is invalid"),
        ([], {"noise_level": 2}, "chromatic.noise_level=2 is invalid"),
        ([], {"regions.cells_per_side": 17}, "chromatic.regions.cells_per_side=17 is invalid"),
        ([], {"color_distribution.sampling": "sobol"}, "chromatic.color_distribution.sampling"),
        ([], {"spectral_profile.widths_nm": [35, 0, 30]}, "chromatic.spectral_profile.widths_nm.1=0 is invalid"),
        ([], {"regions.cells_per_side": 10, "shape": [8, 8, 3]}, "cells_per_side=10 is invalid"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(run, tmp_path, args, changes, message):
    cwd = _project(tmp_path, **changes)
    before = listing(cwd)
    proc = run([*GENERATE, *args], cwd, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert listing(cwd) == before


def test_violated_threshold_exits_1_after_writing_metrics(run, tmp_path):
    cwd = _project(tmp_path, **{"spectral_profile.centres_nm": [700, 545, 465]})
    run(GENERATE, cwd)
    proc = run(VALIDATE, cwd, check=False)
    assert proc.returncode == 1 and "fft_energy_balance_db" in proc.stderr
    assert json.loads((cwd / "metrics/chromatic.json").read_text())["thresholds_met"] is False
