"""The energy commands: one-line usage errors with nothing written, and the format checker."""

import shutil

import h5py
from conftest import VENV_BIN

SB = VENV_BIN / "synthbank"


def test_unknown_domain_is_refused_with_the_allowed_names_and_nothing_written(run, tmp_path, params_snapshot):
    proc = run([SB, "generate", "energy", "--domain", "weather", "--params", params_snapshot,
                "--output-dir", tmp_path / "out"], tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "synthbank: error: --domain='weather' is invalid: allowed one of plasma_physics, fluid_dynamics, "
        "astrophysics, turbulent_radiative_layer, active_matter"]
    assert not (tmp_path / "out").exists()


def test_check_command_names_the_hdf5_path_and_exits_1(run, tmp_path, atlas, split_files):
    good = split_files(atlas, "plasma_physics", 64)[0]
    bad = tmp_path / "bad.h5"
    shutil.copy(good, bad)
    with h5py.File(bad, "r+") as f:
        del f["dimensions/x"].attrs["time_varying"]
    ok = run([SB, "energy", "check", good], tmp_path)
    assert ok.stdout.strip() == f"OK {good}"
    proc = run([SB, "energy", "check", good, bad], tmp_path, check=False)
    assert proc.returncode == 1
    assert f"{bad}:/dimensions/x@time_varying: missing attribute" in proc.stdout
    assert "synthbank: error: 1 format problem(s)" in proc.stderr


def test_check_command_takes_dataset_directories_and_refuses_several_resolutions(run, tmp_path, atlas, split_files):
    domain = atlas / "plasma_physics"
    ok = run([SB, "energy", "check", domain, domain / "synthbank_energy_plasma_physics_64"], tmp_path)
    assert ok.stdout.splitlines() == [f"OK {domain}", f"OK {domain / 'synthbank_energy_plasma_physics_64'}"]
    old = tmp_path / "old"  # the 3.x layout: every scale's file side by side
    old.mkdir()
    for h in (128, 64):
        shutil.copy(split_files(atlas, "plasma_physics", h)[0], old / f"plasma_physics_{h}.h5")
    proc = run([SB, "energy", "check", old], tmp_path, check=False)
    assert proc.returncode == 1
    assert f"{old}: holds HDF5 files directly" in proc.stdout
    assert "Multiple resolutions found in specified path" in proc.stdout and f"{old}/plasma_physics_64.h5:/dimensions:" in proc.stdout


def test_generate_help_lists_every_shared_option(run, tmp_path):
    text = run([SB, "generate", "energy", "--help"], tmp_path).stdout
    for flag in ("--domain", "--params", "--output-dir", "--seed", "--workers", "--scheduler",
                 "--yes", "--confirm-above", "--overwrite"):
        assert flag in text, flag
    assert "--progress" not in text  # energy shows no progress bar: the option is not offered
    assert "--catalog" in run([SB, "finalize", "energy", "--help"], tmp_path).stdout


def test_estimate_prints_json_that_bounds_what_generate_writes(run, tmp_path, make_section, raw_params):
    import json

    import yaml

    data = raw_params()
    data["energy"] = make_section(shape=[64, 64], n_sequences=1, n_steps=3, scales=[64])
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(data))
    args = ["--domain", "fluid_dynamics", "--params", params_file]
    plan = json.loads(run([SB, "estimate", "energy", *args], tmp_path).stdout)
    assert (plan["items"], plan["unit"], plan["scales"]) == (3, "maps", [64])
    run([SB, "generate", "energy", *args, "--output-dir", tmp_path / "fd"], tmp_path)
    written = sum(p.stat().st_size for p in (tmp_path / "fd").rglob("*") if p.is_file())
    assert written <= plan["disk_bytes"] and plan["memory_bytes"] > 0
    every = json.loads(run([SB, "estimate", "energy", "--params", params_file], tmp_path).stdout)
    assert every["items"] == 3 * len(data["energy"]["domains"]) and every["disk_bytes"] == plan["disk_bytes"] * len(data["energy"]["domains"])
