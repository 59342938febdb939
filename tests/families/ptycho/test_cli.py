"""The stage commands in subprocesses: same bytes as in-process, clear errors, exit codes."""

import json

import pytest
from conftest import VENV_BIN, tree_bytes
from families.ptycho.helpers import TINY_DOSES, tiny_section, write_params

STAGES = ("simulate", "canonicalise", "patch", "split", "views", "validate")


def _stage(run, tmp_path, params, stage, dose, root, check=True):
    cmd = [VENV_BIN / "synthbank", "ptycho", stage, "--dose", str(dose), "--root", root]
    if stage != "canonicalise" and stage != "split":
        cmd += ["--params", params]
    return run(cmd, tmp_path, check=check)


def test_stage_commands_write_the_same_bytes_as_the_in_process_chain(run, tmp_path, tiny_root):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    root = tmp_path / "data" / "ptycho"
    dose = TINY_DOSES[0]
    for stage in STAGES:
        _stage(run, tmp_path, params, stage, dose, root)
    assert tree_bytes(root / f"dose_{dose}") == tree_bytes(tiny_root / f"dose_{dose}")
    _ = [_stage(run, tmp_path, params, s, TINY_DOSES[1], root) for s in STAGES]
    run([VENV_BIN / "synthbank", "ptycho", "finalize", "--root", root, "--params", params,
         "--metrics", "metrics/ptycho.json", "--manifest", "manifests/ptycho.json"], tmp_path)
    metrics = json.loads((tmp_path / "metrics" / "ptycho.json").read_text())
    assert sorted(metrics) == ["dose_1000", "dose_100000", "thresholds_met"] and metrics["thresholds_met"] is True
    verify = run([VENV_BIN / "synthbank", "verify", "manifests/ptycho.json", "--params", params], tmp_path)
    assert verify.stdout.startswith("OK manifests/ptycho.json: 32 files"), verify.stdout


def test_k_below_c_is_a_usage_error_and_writes_nothing(run, tmp_path):
    params = write_params(tmp_path / "params.yaml", tiny_section(patch={"neighbours": 3, "gridsize": 2}))
    proc = _stage(run, tmp_path, params, "patch", 1000, tmp_path / "data", check=False)
    assert proc.returncode == 2
    assert "ptycho.patch.neighbours=3 is invalid: allowed K >= C = gridsize**2 = 4" in proc.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["simulate", "--dose", "0"], "--dose='0' is invalid: allowed an integer from 1 to 1000000000000"),
    (["simulate", "--dose", "1e3"], "--dose='1e3' is invalid"),
    (["canonicalise"], "--dose is missing"),
    (["canonicalise", "--dose", "5", "--axes", "WHN"], "--axes='WHN' is invalid"),
])
def test_bad_options_exit_2_with_one_line(run, tmp_path, args, message):
    proc = run([VENV_BIN / "synthbank", "ptycho", *args, "--root", tmp_path / "d"], tmp_path, check=False)
    assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_a_violated_threshold_exits_1_after_writing_metrics(run, tmp_path, tiny_root):
    section = tiny_section()
    section["thresholds"]["view_groups_min"] = 1000
    params = write_params(tmp_path / "params.yaml", section)
    proc = run([VENV_BIN / "synthbank", "ptycho", "validate", "--dose", "1000", "--root", tiny_root.parent / "copy",
                "--params", params], tmp_path, check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr  # no data: a usage error
    import shutil

    shutil.copytree(tiny_root, tmp_path / "ptycho")
    proc = _stage(run, tmp_path, params, "validate", 1000, tmp_path / "ptycho", check=False)
    assert proc.returncode == 1 and "groups (allowed >= 1000)" in proc.stderr
    metrics = json.loads((tmp_path / "ptycho" / "dose_1000" / "validate" / "metrics.json").read_text())
    assert metrics["thresholds_met"] is False and metrics["structure_ok"] is True


def test_estimate_prints_json(run, tmp_path):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    out = json.loads(run([VENV_BIN / "synthbank", "estimate", "ptycho", "--params", params], tmp_path).stdout)
    assert out["doses"] == TINY_DOSES and out["patterns_per_dose"] == 196 and out["disk_bytes"] > 0
