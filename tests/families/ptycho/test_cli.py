"""The commands in subprocesses: same bytes as in-process, clear errors, exit codes.

``synthbank generate ptycho --dose D`` runs simulate, canonicalise, patch, split and views
(the generate stage), ``synthbank ptycho canonicalise|patch|split|views`` one step each,
``synthbank validate ptycho`` and ``synthbank finalize ptycho`` the last ones;
``synthbank ptycho sweep`` runs them all in one process.
"""

import json
import shutil

import pytest
from conftest import VENV_BIN, listing, tree_bytes
from families.ptycho.helpers import TINY_DOSES, tiny_section, write_params

OWN_STAGES = ("canonicalise", "patch", "split", "views")
SYNTHBANK = VENV_BIN / "synthbank"


def _dose(run, tmp_path, params, dose, root, check=True):
    """The two stages of one dose, as dvc.yaml runs them (paths under ``root``)."""
    d = root / f"dose_{dose}"
    return [run([SYNTHBANK, "generate", "ptycho", "--dose", str(dose), "--output-dir", d / "simulate", "--params", params],
                tmp_path, check=check),
            run([SYNTHBANK, "validate", "ptycho", "--dose", str(dose), "--data-dir", d, "--params", params],
                tmp_path, check=check)]  # the metrics go to <data-dir>/validate, a stage output


def test_stage_commands_write_the_same_bytes_as_the_in_process_chain(run, tmp_path, tiny_root):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    root = tmp_path / "data" / "ptycho"
    _dose(run, tmp_path, params, TINY_DOSES[0], root)
    assert tree_bytes(root / f"dose_{TINY_DOSES[0]}") == tree_bytes(tiny_root / f"dose_{TINY_DOSES[0]}")
    _dose(run, tmp_path, params, TINY_DOSES[1], root)
    run([SYNTHBANK, "finalize", "ptycho", "--data-dir", root, "--params", params,
         "--metrics", "metrics/ptycho.json", "--manifest", "manifests/ptycho.json"], tmp_path)
    metrics = json.loads((tmp_path / "metrics" / "ptycho.json").read_text())
    assert sorted(metrics) == ["dose_1000", "dose_100000", "thresholds_met"] and metrics["thresholds_met"] is True
    verify = run([SYNTHBANK, "verify", "manifests/ptycho.json", "--params", params], tmp_path)
    assert verify.stdout.startswith("OK manifests/ptycho.json: 32 files"), verify.stdout


def test_each_step_alone_rewrites_the_bytes_generate_wrote(run, tmp_path, tiny_root):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    root = tmp_path / "data" / "ptycho"
    d = root / f"dose_{TINY_DOSES[0]}"
    run([SYNTHBANK, "generate", "ptycho", "--dose", str(TINY_DOSES[0]), "--output-dir", d / "simulate", "--params", params],
        tmp_path)
    for step, stage_dir in zip(OWN_STAGES, ("canonical", "patch", "split", "views"), strict=True):
        shutil.rmtree(d / stage_dir)
        extra = [] if step in ("canonicalise", "split") else ["--params", params]
        run([SYNTHBANK, "ptycho", step, "--dose", str(TINY_DOSES[0]), "--root", root, *extra], tmp_path)
        assert tree_bytes(d / stage_dir) == tree_bytes(tiny_root / f"dose_{TINY_DOSES[0]}" / stage_dir), step


def test_generate_refuses_a_later_steps_directory_it_did_not_write_and_writes_nothing(run, tmp_path):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    d = tmp_path / "data" / "ptycho" / f"dose_{TINY_DOSES[0]}"
    (d / "patch").mkdir(parents=True)
    (d / "patch" / "mine.txt").write_text("a user's file\n")
    before = listing(tmp_path / "data")
    proc = run([SYNTHBANK, "generate", "ptycho", "--dose", str(TINY_DOSES[0]), "--output-dir", d / "simulate",
                "--params", params], tmp_path, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f"synthbank: error: the directory beside --output-dir={str(d / 'patch')!r} exists and was not written by synthbank"), proc.stderr
    assert "--overwrite" in proc.stderr and "Traceback" not in proc.stderr
    assert listing(tmp_path / "data") == before and (d / "patch" / "mine.txt").read_text() == "a user's file\n"


def test_generate_wants_an_output_dir_named_simulate_for_the_steps_beside_it(run, tmp_path):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    proc = run([SYNTHBANK, "generate", "ptycho", "--dose", str(TINY_DOSES[0]), "--output-dir", tmp_path / "out" / "a",
                "--params", params], tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"synthbank: error: --output-dir={str(tmp_path / 'out' / 'a')!r} is invalid: allowed a directory named 'simulate' "
        "(generate ptycho writes canonical, patch, split, views beside it)"], proc.stderr
    assert not (tmp_path / "out").exists()


def test_sweep_writes_every_dose_the_metrics_and_a_manifest_in_one_directory(run, tmp_path, tiny_root):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    run([SYNTHBANK, "ptycho", "sweep", "--output-dir", "sweep", "--params", params], tmp_path)
    out = tmp_path / "sweep"
    for dose in TINY_DOSES:  # the stage directories inside the staged sweep carry no marker of their own
        written = {k: v for k, v in tree_bytes(out / f"dose_{dose}").items() if not k.endswith(".synthbank-output.json")}
        assert written == {k: v for k, v in tree_bytes(tiny_root / f"dose_{dose}").items() if not k.endswith(".synthbank-output.json")}
    assert json.loads((out / "metrics.json").read_text())["thresholds_met"] is True
    verify = run([SYNTHBANK, "verify", out / "manifest.json", "--params", params], tmp_path)
    assert verify.stdout.startswith("OK"), verify.stdout


def test_k_below_c_is_a_usage_error_and_writes_nothing(run, tmp_path):
    params = write_params(tmp_path / "params.yaml", tiny_section(patch={"neighbours": 3, "gridsize": 2}))
    for cmd in (["ptycho", "patch", "--dose", "1000", "--root", tmp_path / "data"],
                ["generate", "ptycho", "--dose", "1000", "--output-dir", tmp_path / "data" / "simulate"]):
        proc = run([SYNTHBANK, *cmd, "--params", params], tmp_path, check=False)
        assert proc.returncode == 2, proc.stderr
        assert "ptycho.patch.neighbours=3 is invalid: allowed K >= C = gridsize**2 = 4" in proc.stderr
        assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["generate", "ptycho", "--dose", "0"], "--dose='0' is invalid: allowed one of 1000, 10000, 100000"),
    (["generate", "ptycho", "--dose", "1e3"], "--dose='1e3' is invalid"),
    (["validate", "ptycho", "--dose", "500"], "--dose='500' is invalid"),
    (["estimate", "ptycho", "--dose", "x"], "--dose='x' is invalid"),
    (["ptycho", "patch", "--dose", "0"], "--dose='0' is invalid: allowed an integer from 1 to 1000000000000"),
    (["ptycho", "canonicalise"], "--dose is missing"),
    (["ptycho", "canonicalise", "--dose", "5", "--axes", "WHN"], "--axes='WHN' is invalid"),
])
def test_bad_options_exit_2_with_one_line(run, tmp_path, args, message):
    write_params(tmp_path / "params.yaml", dict(tiny_section(), doses=[1000, 10000, 100000]))
    proc = run([SYNTHBANK, *args], tmp_path, check=False)
    assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["params.yaml"]


def test_a_violated_threshold_exits_1_after_writing_metrics(run, tmp_path, tiny_root):
    section = tiny_section()
    section["thresholds"]["view_groups_min"] = 1000
    params = write_params(tmp_path / "params.yaml", section)
    validate = [SYNTHBANK, "validate", "ptycho", "--dose", "1000", "--params", params]
    proc = run([*validate, "--data-dir", tmp_path / "none"], tmp_path, check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr  # no data: a usage error
    proc = run([*validate, "--metrics", tmp_path / "m.json"], tmp_path, check=False)  # not offered: never ignored
    assert proc.returncode == 2 and "No such option: --metrics" in proc.stderr and not (tmp_path / "m.json").exists()
    shutil.copytree(tiny_root, tmp_path / "ptycho")
    d = tmp_path / "ptycho" / "dose_1000"
    proc = run([*validate, "--data-dir", d], tmp_path, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "ptycho: dose_1000: views.dense_test.groups = " in proc.stderr
    assert ": allowed >= 1000 (thresholds.view_groups_min)" in proc.stderr
    metrics = json.loads((d / "validate" / "metrics.json").read_text())
    assert metrics["thresholds_met"] is False and metrics["structure_ok"] is True
    proc = run([SYNTHBANK, "finalize", "ptycho", "--data-dir", tmp_path / "ptycho", "--params", params,
                "--metrics", "metrics/ptycho.json", "--manifest", "manifests/ptycho.json"], tmp_path, check=False)
    assert proc.returncode == 1 and "ptycho: dose_1000.thresholds_met = false: allowed true" in proc.stderr, proc.stderr
    assert json.loads((tmp_path / "metrics" / "ptycho.json").read_text())["thresholds_met"] is False
    assert (tmp_path / "manifests" / "ptycho.json").is_file()  # written, then exit 1


def test_generate_help_lists_every_shared_option(run, tmp_path):
    out = run([SYNTHBANK, "generate", "ptycho", "--help"], tmp_path, env={"COLUMNS": "200"}).stdout
    for flag in ("--dose", "--params", "--output-dir", "--seed", "--workers", "--scheduler", "--yes",
                 "--confirm-above", "--overwrite"):
        assert flag in out, flag
    assert "--progress" not in out  # no progress bar: not offered
    assert "--manifest" not in out  # finalize writes the family's manifest


def test_estimate_prints_json_that_bounds_what_the_stages_write(run, tmp_path, tiny_root):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    estimate = [SYNTHBANK, "estimate", "ptycho", "--params", params]
    total = json.loads(run(estimate, tmp_path).stdout)
    assert total["unit"] == "patterns" and total["items"] == 196 * len(TINY_DOSES)
    written = sum(p.stat().st_size for p in tiny_root.rglob("*") if p.is_file())
    assert written <= total["disk_bytes"] < 20 * written and total["memory_bytes"] > 0 and total["seconds"] > 0
    one = json.loads(run([*estimate, "--dose", "1000"], tmp_path).stdout)
    assert one["dose"] == 1000 and one["items"] == 196 and 2 * one["disk_bytes"] == total["disk_bytes"]
    run([SYNTHBANK, "generate", "ptycho", "--dose", "1000", "--output-dir", "dose/simulate", "--params", params], tmp_path)
    assert sum(p.stat().st_size for p in (tmp_path / "dose").rglob("*")) <= one["disk_bytes"]  # all five steps
