"""Tasks that can travel to another process or machine (absolute paths, no shared state), and
the same files from the commands for 1 and 2 workers."""

import os
import pickle

import yaml

from conftest import MAIN, tree_bytes
from families.chromatic.helpers import config, make_dataset, section
from synthbank import parallel
from synthbank.families.chromatic.build import plan_shards
from synthbank.families.chromatic.validate import file_stats, file_tasks

OUTPUTS = ("data/chromatic", "reports/chromatic", "manifests", "metrics")


def test_generate_and_validate_give_the_same_files_for_1_and_2_workers(run, tmp_path):
    outputs = []
    for workers in ("1", "2"):
        cwd = tmp_path / f"w{workers}"
        cwd.mkdir()
        data = yaml.safe_load((MAIN / "params.yaml").read_text())
        data["chromatic"] = section()
        (cwd / "params.yaml").write_text(yaml.safe_dump(data))
        run(["synthbank", "generate", "chromatic", "--output-dir", "data/chromatic", "--preview-dir",
             "reports/chromatic/previews", "--manifest", "manifests/chromatic.json", "--yes", "--workers", workers], cwd)
        run(["synthbank", "validate", "chromatic", "--workers", workers], cwd)
        outputs.append({d: tree_bytes(cwd / d) for d in OUTPUTS})
    assert len(outputs[0]["data/chromatic"]) == 13 and "spectral_profile.csv" in outputs[0]["reports/chromatic"]
    assert outputs[0] == outputs[1]


def test_tasks_carry_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shards = plan_shards(config(), tmp_path.relative_to(tmp_path) / "data", tmp_path.relative_to(tmp_path) / "previews")
    for task in (t for shard in shards for t in shard):
        assert os.path.isabs(task.data_dir) and os.path.isabs(task.preview_dir)
        assert pickle.loads(pickle.dumps(task)) == task


def test_file_stats_on_concurrent_threads_equal_one_by_one(tmp_path):
    # a Dask worker runs several tasks at once on threads of one process: no shared buffer
    data, _ = make_dataset(tmp_path, config())
    tasks = file_tasks(data, config()) * 4
    serial = [file_stats(t) for t in tasks]
    threaded = list(parallel.run_ordered(file_stats, tasks, workers=4, backend="threads"))
    for a, b in zip(serial, threaded, strict=True):
        assert (a.roundtrip, a.pixels) == (b.roundtrip, b.pixels)
        assert (a.spectrum_sum == b.spectrum_sum).all() and (a.total_sq == b.total_sq).all()
