"""generate and validate ptycho spread their tasks over workers: the same files for 1 and 2 workers."""

import shutil

from conftest import VENV_BIN, tree_bytes
from families.ptycho.helpers import TINY_DOSES, tiny_section, write_params

from synthbank.families.ptycho.layout import NOISE_BLOCK

SB = VENV_BIN / "synthbank"


def test_generate_one_task_per_noise_block_gives_the_same_files_for_1_and_2_workers(run, tmp_path):
    section = tiny_section()
    section["scan"].update(pattern="random", n_positions=2 * NOISE_BLOCK + 10)  # three blocks, the last partial
    params = write_params(tmp_path / "params.yaml", section)
    for workers in ("1", "2"):
        run([SB, "generate", "ptycho", "--dose", "1000", "--params", params, "--workers", workers,
             "--output-dir", f"w{workers}/simulate"], tmp_path)
    one = tree_bytes(tmp_path / "w1")
    assert one == tree_bytes(tmp_path / "w2") and "simulate/raw.h5" in one


def test_validate_one_task_per_split_gives_the_same_metrics_for_1_and_2_workers(run, tmp_path, tiny_root):
    params = write_params(tmp_path / "params.yaml", tiny_section())
    dose = TINY_DOSES[0]
    for workers in ("1", "2"):
        d = tmp_path / f"w{workers}"
        shutil.copytree(tiny_root / f"dose_{dose}", d)
        shutil.rmtree(d / "validate")
        run([SB, "validate", "ptycho", "--dose", str(dose), "--data-dir", d, "--params", params, "--workers", workers], tmp_path)
        assert tree_bytes(d / "validate") == tree_bytes(tiny_root / f"dose_{dose}" / "validate")
