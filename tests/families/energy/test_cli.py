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
        "synthbank: error: --domain='weather' is invalid: allowed one of ['active_matter', 'astrophysics', "
        "'fluid_dynamics', 'plasma_physics', 'turbulent_radiative_layer']"]
    assert not (tmp_path / "out").exists()


def test_check_command_names_the_hdf5_path_and_exits_1(run, tmp_path, atlas):
    good = atlas / "plasma_physics" / "plasma_physics_64.h5"
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
