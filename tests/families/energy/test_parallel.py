"""generate and validate energy spread their tasks over workers: the same files for 1 and 2 workers."""

import yaml
from conftest import VENV_BIN, tree_bytes

SB = VENV_BIN / "synthbank"


def _params(tmp_path, raw_params, make_section):
    data = raw_params()
    data["energy"] = make_section(shape=[64, 64], n_sequences=3, n_steps=4, scales=[64])
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_generate_one_task_per_sequence_gives_the_same_files_for_1_and_2_workers(run, tmp_path, raw_params, make_section):
    params = _params(tmp_path, raw_params, make_section)
    for workers in ("1", "2"):
        run([SB, "generate", "energy", "--domain", "fluid_dynamics", "--params", params, "--workers", workers,
             "--output-dir", f"w{workers}/fluid_dynamics"], tmp_path)
    one, two = tree_bytes(tmp_path / "w1"), tree_bytes(tmp_path / "w2")
    assert one == two and "fluid_dynamics/synthbank_energy_fluid_dynamics_64/stats.yaml" in one
    assert sorted(k for k in one if k.endswith(".h5")) == [
        f"fluid_dynamics/synthbank_energy_fluid_dynamics_64/data/{s}/synthbank_energy_fluid_dynamics_64_{s}.h5" for s in ("test", "train", "valid")]


def test_sequences_are_the_same_maps_whatever_batch_computes_them(atlas, raw_params, make_section, where):
    """A sequence generated alone (a worker's task) equals its row of the stored domain."""
    import h5py
    import numpy as np

    from synthbank.families.energy.build import DomainConfig, SequenceTask, generate_sequence

    raw = raw_params()
    cfg = DomainConfig.from_params(raw["seed"], raw["release"]["date"], make_section(), "plasma_physics")
    levels, records = generate_sequence(SequenceTask(cfg, 2))
    path, row = where(atlas, "plasma_physics", 64, 2)
    with h5py.File(path, "r") as f:
        assert np.array_equal(f["t0_fields/energy"][row], levels[64].maps[0])
        assert np.array_equal(f["t1_fields/energy_gradient"][row], levels[64].grad[0])
        assert np.array_equal(f["scalars/noise_applied"][row], records["noise_applied"][0].astype(np.float32))


def test_validate_one_task_per_domain_gives_the_same_files_for_1_and_2_workers(run, tmp_path, atlas, raw_params, make_section):
    data = raw_params()
    data["energy"] = make_section()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(data))
    for workers in ("1", "2"):
        run([SB, "validate", "energy", "--data-dir", atlas, "--workers", workers, "--metrics", f"w{workers}/metrics.json",
             "--report-dir", f"w{workers}/reports", "--reports-manifest", f"w{workers}/reports.json"], tmp_path)
    one = {k: v for k, v in tree_bytes(tmp_path / "w1").items() if k != "reports.json"}
    assert one == {k: v for k, v in tree_bytes(tmp_path / "w2").items() if k != "reports.json"}
    assert sorted(one) == ["metrics.json", *(f"reports/{d}.png" for d in sorted(data["energy"]["domains"]))]
