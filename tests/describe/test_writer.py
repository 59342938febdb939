"""``synthbank describe`` as a command, on the suite's toy family: bad input, the guard, re-runs, verify.

The toy family (tests/toy_family) is generated once per module, then each test works on a
copy, so every command runs on the files of a real generate/validate/finalize.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MAIN, MARKER, TOY, toy_params, tree_bytes

PARAMS = toy_params(samples=500, std_rel_error_max=0.2)


def synthbank(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SYNTHBANK_EXTRA_FAMILIES="toy", PYTHONPATH=str(TOY))
    return subprocess.run([sys.executable, "-m", "synthbank", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("toy")
    (repo / "params.yaml").write_text(PARAMS)
    for name in ("narrow", "wide"):
        assert synthbank(repo, "generate", "toy", "--set", name, "--yes").returncode == 0
        assert synthbank(repo, "validate", "toy", "--set", name).returncode == 0
    r = synthbank(repo, "finalize", "toy", "--reports-manifest", "manifests/toy.reports.json")
    assert r.returncode == 0, r.stderr
    return repo


@pytest.fixture()
def repo(generated: Path, tmp_path: Path) -> Path:
    shutil.copytree(generated, tmp_path / "repo")
    return tmp_path / "repo"


def _nothing_written(repo: Path) -> None:
    assert not (repo / "docs").exists() and not (repo / "manifests/describe.json").exists()
    assert not [p for p in repo.rglob(".*") if p.name != MARKER]  # no staging leftovers, locks or journals


def test_describe_writes_the_docs_and_their_manifest_and_verify_accounts_for_them(repo: Path) -> None:
    r = synthbank(repo, "describe")
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "describe: toy: Croissant files and dataset cards in docs/datasets; manifest manifests/describe.json"
    assert sorted(p.relative_to(repo).as_posix() for p in (repo / "docs").rglob("*") if p.is_file()) == [
        f"docs/datasets/{MARKER}", "docs/datasets/README.md", "docs/datasets/toy/README.md", "docs/datasets/toy/croissant.json"]
    manifest = json.loads((repo / "manifests/describe.json").read_text())
    assert (manifest["family"], manifest["role"], manifest["generator"], manifest["outputs"]) == (
        "describe", "docs", "synthbank.describe", ["docs/datasets"])
    assert manifest["params"] == {"toy": {"samples": 500, "sets": {"narrow": {"mean": 5.0, "std": 0.5}, "wide": {"mean": -3.0, "std": 4.0}},
                                          "thresholds": {"mean_z_max": 5.0, "std_rel_error_max": 0.2}}}
    doc = json.loads((repo / "docs/datasets/toy/croissant.json").read_text())
    field = next(f for rs in doc["recordSet"] if rs["@id"] == "wide" for f in rs["field"])
    assert (field["dataType"], field["arrayShape"], field["unitText"]) == ("cr:Float64", "500", "arbitrary")
    r = synthbank(repo, "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK manifests/describe.json: 4 files" in r.stdout


def test_a_rerun_is_byte_identical(repo: Path) -> None:
    assert synthbank(repo, "describe").returncode == 0
    first = tree_bytes(repo / "docs") | {"m": (repo / "manifests/describe.json").read_bytes()}
    assert synthbank(repo, "describe", "toy").returncode == 0
    assert tree_bytes(repo / "docs") | {"m": (repo / "manifests/describe.json").read_bytes()} == first


def test_verify_names_docs_made_from_other_params(repo: Path) -> None:
    assert synthbank(repo, "describe").returncode == 0
    (repo / "params.yaml").write_text(PARAMS.replace("std_rel_error_max: 0.2", "std_rel_error_max: 0.3"))
    r = synthbank(repo, "verify", "manifests/describe.json")
    assert r.returncode == 1 and "params of family 'toy' differ from params.yaml (run synthbank describe)" in r.stdout, r.stdout


@pytest.mark.parametrize(("args", "setup", "message"), [
    (("describe", "atomic"), None, "describe: unknown family 'atomic': allowed toy"),
    (("describe",), "no-manifest", "describe: manifests/toy.json does not exist: allowed the manifest synthbank wrote for toy (run its stages: dvc repro)"),
    (("describe",), "no-metrics", "describe: metrics/toy.json does not exist: allowed the metrics synthbank validate toy wrote (run its stages: dvc repro)"),
    (("describe",), "foreign-manifest", "describe: manifests/toy.json is not a synthbank manifest of toy: allowed the manifest its stages wrote"),
    (("describe",), "new-set", "describe: toy: record set 'extra' reads data/toy/extra/samples.h5, which no manifest of toy lists: allowed record sets whose files the manifests list (run its stages: dvc repro)"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(repo: Path, args: tuple[str, ...], setup: str | None, message: str) -> None:
    if setup == "no-manifest":
        (repo / "manifests/toy.json").unlink()
    elif setup == "no-metrics":
        (repo / "metrics/toy.json").unlink()
    elif setup == "foreign-manifest":
        (repo / "manifests/toy.json").write_text('{"family": "other", "entries": []}\n')
    elif setup == "new-set":
        (repo / "params.yaml").write_text(PARAMS.replace("    wide:", "    extra: {mean: 0.0, std: 1.0}\n    wide:"))
    r = synthbank(repo, *args)
    assert r.returncode == 2 and r.stderr.strip() == f"synthbank: error: {message}", r.stderr
    _nothing_written(repo)


def test_a_docs_directory_synthbank_did_not_write_is_refused_unless_overwrite(repo: Path) -> None:
    mine = repo / "docs/datasets/notes.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("mine\n")
    r = synthbank(repo, "describe")
    assert r.returncode == 2 and r.stderr.strip() == (
        "synthbank: error: describe: output='docs/datasets' exists and was not written by synthbank describe (no "
        ".synthbank-output.json): allowed a new or empty directory, a previous synthbank describe output, or --overwrite"), r.stderr
    assert mine.read_text() == "mine\n" and not (repo / "manifests/describe.json").exists()
    assert sorted(p.name for p in (repo / "docs/datasets").iterdir()) == ["notes.md"]
    r = synthbank(repo, "describe", "--overwrite")
    assert r.returncode == 0, r.stderr
    assert not mine.exists() and (repo / "docs/datasets/toy/croissant.json").is_file()


def test_the_registry_url_of_the_params_names_the_registry(repo: Path) -> None:
    """release.registry_url (params) fills the Croissant url and the cards' dvc lines; --registry-url wins over it."""
    url = "https://example.org/lab/synthbank.git"
    params = repo / "params.yaml"
    params.write_text(PARAMS.replace('  date: "2026-01-02"\n', f'  date: "2026-01-02"\n  registry_url: {url}\n'))
    assert synthbank(repo, "describe").returncode == 0
    assert json.loads((repo / "docs/datasets/toy/croissant.json").read_text())["url"] == url
    card = (repo / "docs/datasets/toy/README.md").read_text()
    assert f"dvc get {url} data/toy --rev <tag>" in card and "<registry-url>" not in card
    other = "git@example.org:lab/synthbank.git"
    assert synthbank(repo, "describe", "--registry-url", other).returncode == 0
    assert json.loads((repo / "docs/datasets/toy/croissant.json").read_text())["url"] == other


def test_the_describe_stage_sees_every_family_param_through_the_manifests():
    """dvc.yaml's describe stage lists no family section as params: each family's whole section
    reaches it through the manifests it depends on (data: all but the thresholds; reports: the
    thresholds), so a change to any key reruns it, without ~270 lines more in dvc.lock."""
    from synthbank import registry

    stage = yaml.safe_load((MAIN / "dvc.yaml").read_text("utf-8"))["stages"]["describe"]
    params = yaml.safe_load((MAIN / "params.yaml").read_text("utf-8"))
    assert not set(registry.names()) & {p if isinstance(p, str) else next(iter(p)) for p in stage["params"]}
    for family in registry.names():
        data, reports = (f"manifests/{family}.json", f"manifests/{family}.reports.json")
        assert {data, reports} <= set(stage["deps"]), family
        recorded = json.loads((MAIN / data).read_text("utf-8"))["params"] | json.loads((MAIN / reports).read_text("utf-8"))["params"]
        assert recorded == params[family], family
