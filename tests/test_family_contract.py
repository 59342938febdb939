"""A seventh family, ``toy`` (tests/toy_family/toy), plugged in as one folder: every step through the core."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TOY, toy_params

PARAMS = toy_params(samples=20000, std_rel_error_max=0.05)


def _env() -> dict[str, str]:
    env = dict(os.environ, SYNTHBANK_EXTRA_FAMILIES="toy")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TOY), env.get("PYTHONPATH", "")]))
    return env


def synthbank(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "synthbank", *args], cwd=cwd, env=_env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / "params.yaml").write_text(PARAMS)
    return tmp_path


def test_toy_runs_generate_validate_finalize_verify(repo: Path) -> None:
    for name in ("narrow", "wide"):
        r = synthbank(repo, "generate", "toy", "--set", name, "--yes")
        assert r.returncode == 0, r.stderr
        assert (repo / "data/toy" / name / "samples.h5").is_file()
        r = synthbank(repo, "validate", "toy", "--set", name)
        assert r.returncode == 0, r.stderr
        metrics = json.loads((repo / "reports/toy" / name / "metrics.json").read_text())
        # the generating parameters come back from the written file: mean within 5 standard errors, std within 5 %
        assert abs(metrics["mean_z"]) < 5 and metrics["std_rel_error"] < 0.05 and metrics["thresholds_met"] is True
    r = synthbank(repo, "finalize", "toy", "--reports-manifest", "manifests/toy.reports.json")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((repo / "manifests/toy.json").read_text())
    assert manifest["family"] == "toy" and manifest["generator"] == "toy" and manifest["seed"] == 7
    paths = {e["path"] for e in manifest["entries"]}
    assert {"data/toy/narrow/samples.h5", "data/toy/wide/samples.h5"} <= paths
    r = synthbank(repo, "verify", "manifests/toy.json", "manifests/toy.reports.json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("OK ") == 2
    # verify notices a changed byte in the toy family's data, like any family's
    data = repo / "data/toy/wide/samples.h5"
    blob = bytearray(data.read_bytes())
    blob[-1] ^= 1
    data.write_bytes(bytes(blob))
    r = synthbank(repo, "verify", "manifests/toy.json")
    assert r.returncode == 1 and "data/toy/wide/samples.h5" in r.stdout


def test_toy_gets_the_shared_options_and_commands(repo: Path) -> None:
    r = synthbank(repo, "generate", "toy", "--help")
    assert r.returncode == 0
    for option in ("--params", "--output-dir", "--seed", "--workers", "--yes", "--overwrite", "--scheduler",
                   "--progress", "--no-progress", "--confirm-above", "--set", "--samples"):
        assert option in r.stdout, option
    r = synthbank(repo, "families")
    assert r.stdout.splitlines()[-1].startswith("toy\t1.0.0\t")
    r = synthbank(repo, "estimate", "toy", "--samples", "1000")
    assert r.returncode == 0, r.stderr
    estimate = json.loads(r.stdout)
    assert estimate["items"] == 2000 and estimate["unit"] == "samples"  # both sets, summed


def test_toy_bad_input_is_one_line_and_writes_nothing(repo: Path) -> None:
    r = synthbank(repo, "generate", "toy", "--set", "medium", "--yes")
    assert r.returncode == 2 and r.stderr.strip() == "synthbank: error: --set='medium' is invalid: allowed one of narrow, wide"
    r = synthbank(repo, "generate", "toy", "--set", "wide", "--samples", "0")
    assert r.returncode == 2 and "--samples='0' is invalid: allowed an integer from 1 to 10000000" in r.stderr
    assert not (repo / "data").exists()


def test_toy_violated_threshold_is_one_message_and_exit_1(repo: Path) -> None:
    (repo / "params.yaml").write_text(PARAMS.replace("std_rel_error_max: 0.05", "std_rel_error_max: 0.000001"))
    assert synthbank(repo, "generate", "toy", "--set", "wide", "--yes").returncode == 0
    r = synthbank(repo, "validate", "toy", "--set", "wide")
    assert r.returncode == 1
    line = r.stderr.strip()
    assert line.startswith("synthbank: error: toy: wide: std_rel_error = ") and line.endswith(
        ": allowed <= 1e-06 (thresholds.std_rel_error_max)"), line
    assert json.loads((repo / "reports/toy/wide/metrics.json").read_text())["thresholds_met"] is False


def test_without_registration_the_toy_section_is_refused(repo: Path) -> None:
    env = {k: v for k, v in _env().items() if k != "SYNTHBANK_EXTRA_FAMILIES"}
    r = subprocess.run([sys.executable, "-m", "synthbank", "generate", "toy", "--set", "wide"], cwd=repo, env=env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 2 and "unknown family 'toy'" in r.stderr


BUILTIN = ("atomic", "chromatic", "public", "signals", "ptycho", "energy")
SHARED = {
    "generate": ("--params", "--output-dir", "--seed", "--workers", "--yes", "--overwrite", "--scheduler", "--progress",
                 "--confirm-above"),
    "validate": ("--params", "--data-dir", "--metrics", "--report-dir", "--reports-manifest", "--workers", "--scheduler"),
    "estimate": ("--params", "--seed"),
}
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("family", BUILTIN)
@pytest.mark.parametrize("verb", sorted(SHARED))
def test_every_family_answers_every_shared_verb_with_the_shared_options(family: str, verb: str) -> None:
    """Every shared option is offered, except those a family declares do not apply (never accepted and ignored)."""
    from synthbank import registry

    omitted = {"--" + dest.replace("_", "-") for dest in registry.get(family).omit.get(verb, ())}
    r = synthbank(ROOT, verb, family, "--help")
    assert r.returncode == 0, r.stderr
    missing = [option for option in SHARED[verb] if option not in r.stdout and option not in omitted]
    assert not missing, f"synthbank {verb} {family} --help lacks {missing}"
    for option in omitted:
        assert f"{option} " not in r.stdout, f"synthbank {verb} {family} offers {option}, which it would ignore"


@pytest.mark.parametrize("family", BUILTIN)
def test_every_family_estimates_from_the_params_file(family: str, tmp_path: Path) -> None:
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    r = synthbank(tmp_path, "estimate", family)
    assert r.returncode == 0, r.stderr
    estimate = json.loads(r.stdout)
    assert estimate["items"] > 0 and estimate["disk_bytes"] > 0 and estimate["memory_bytes"] > 0 and estimate["seconds"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]  # estimate writes nothing


def test_registry_lists_the_six_in_release_order_with_unique_stream_ids() -> None:
    from synthbank import registry, seeding

    assert registry.names() == BUILTIN
    ids = {f.name: f.stream_id for f in registry.all_families()}
    assert ids == seeding.FAMILY_IDS


def test_workers_on_a_verb_that_runs_in_one_process_says_so(repo: Path) -> None:
    r = synthbank(repo, "generate", "toy", "--set", "wide", "--yes", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "toy: generate runs in one process: --workers 2 changes nothing" in r.stderr.splitlines()
    r = synthbank(repo, "generate", "toy", "--set", "narrow", "--yes")
    assert "changes nothing" not in r.stderr


def test_a_family_command_imports_no_other_family(tmp_path: Path) -> None:
    """The source lists say a stage depends on its own family's code only: the command agrees."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    code = ("import sys\nfrom synthbank.cli import main\ntry:\n    main(['estimate', 'atomic', '--num-images', '10'])\n"
            "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('synthbank.families.'))))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = r.stdout.strip().splitlines()[-1].split()
    assert loaded and all(m.startswith("synthbank.families.atomic") for m in loaded), loaded


@pytest.mark.parametrize("family", BUILTIN)
def test_every_family_declares_what_its_files_hold(family: str) -> None:
    """The contract's records (synthbank describe): each family's declaration builds from params.yaml alone."""
    from synthbank import params as params_mod
    from synthbank import recordsets, registry

    p = params_mod.load(ROOT / "params.yaml")
    records = recordsets.check(registry.get(family).declared_records(
        params_mod.thaw(p.family(family)), lambda rel: json.loads((ROOT / rel).read_text())))
    assert records.record_sets and records.license and all(rs.fields for rs in records.record_sets)
