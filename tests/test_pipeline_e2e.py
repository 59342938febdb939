"""End to end: real ``dvc`` and ``synthbank`` in throwaway git copies of the project.

Most tests shrink ``atomic.num_images`` for speed and run only the atomic stages (the
other families have their own end-to-end tests); the determinism gate, which runs every
stage with the committed params and must reproduce the committed ``dvc.lock`` byte for byte,
is tests/test_lock_reproduced.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from conftest import DATA_FILES, VENV_BIN, Blob, Project, make_project, tree_bytes


pytestmark = pytest.mark.slow

SMALL = 5000
#: The atomic part of the pipeline: `dvc repro ATOMIC` runs both of its stages.
ATOMIC = "validate_atomic"
ATOMIC_STAGES = ("generate_atomic", "validate_atomic")
SPLITS = ("train", "val", "test")
#: Files a pipeline run produces or rewrites (relative to the project).
PIPELINE_OUTPUTS = (
    *(f"data/atomic/{name}" for name in DATA_FILES),
    "manifests/atomic.json",
    "metrics/atomic.json",
    "reports/atomic/validation_report.png",
    "reports/atomic/label_distribution.csv",
)


def generate(run, params: Path, out: Path, *args: str) -> Path:
    """``synthbank generate atomic`` into ``out`` (manifest inside), with --yes."""
    run([VENV_BIN / "synthbank", "generate", "atomic", "--params", params, "--output-dir", out, "--yes", *args],
        out.parent)
    return out


def outputs_snapshot(project: Project) -> dict[str, bytes]:
    files = {rel: Blob((project.path / rel).read_bytes()) for rel in PIPELINE_OUTPUTS}
    files["dvc.lock"] = Blob((project.path / "dvc.lock").read_bytes())
    return files


# --- 1. repro from scratch, then a no-op repro ---------------------------------------------

def test_repro_from_scratch_then_nothing_to_do(run, tmp_path: Path) -> None:
    project = make_project(tmp_path, run, num_images=SMALL)
    assert not (project.path / "data" / "atomic").exists()

    first = project.run("dvc", "repro", ATOMIC)
    assert "Running stage 'generate_atomic'" in first.stdout
    assert "Running stage 'validate_atomic'" in first.stdout

    data = project.path / "data" / "atomic"
    assert sorted(p.name for p in data.iterdir()) == sorted(DATA_FILES)
    for rel in PIPELINE_OUTPUTS:
        assert (project.path / rel).is_file() and (project.path / rel).stat().st_size > 0, rel
    assert (project.path / "reports/atomic/validation_report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    csv = (project.path / "reports/atomic/label_distribution.csv").read_text("utf-8").splitlines()
    assert len(csv) == 1 + 5, csv  # header + one row per lattice class
    metrics = json.loads((project.path / "metrics/atomic.json").read_text("utf-8"))
    assert metrics["counts"]["total"] == SMALL
    assert metrics["thresholds_met"] is True
    manifest = json.loads((project.path / "manifests/atomic.json").read_text("utf-8"))
    assert sorted(e["path"] for e in manifest["entries"]) == sorted(f"data/atomic/{n}" for n in DATA_FILES)
    assert manifest["params"]["num_images"] == SMALL

    verify = project.run("synthbank", "verify", "manifests/atomic.json")
    assert verify.stdout.startswith("OK manifests/atomic.json: 8 files"), verify.stdout
    assert "MISMATCH" not in verify.stdout

    before = outputs_snapshot(project)
    second = project.run("dvc", "repro", ATOMIC)
    assert "Running stage" not in second.stdout, second.stdout
    assert "Data and pipelines are up to date." in second.stdout, second.stdout
    assert json.loads(project.run("dvc", "status", "--json", *ATOMIC_STAGES).stdout) == {}
    after = outputs_snapshot(project)
    changed = [rel for rel in before if before[rel] != after[rel]]
    assert not changed, f"a no-op dvc repro changed {changed}"

    # verify also holds the manifest to params.yaml: a changed param is reported.
    project.set_num_images(SMALL + 1)
    stale = project.run("synthbank", "verify", "manifests/atomic.json", check=False)
    assert stale.returncode == 1
    assert "MISMATCH manifests/atomic.json: params differs from params.yaml" in stale.stdout.splitlines()


# --- 2. determinism gate: tests/test_lock_reproduced.py (its own module, so xdist can
# run its two full pipelines on both workers at once).


# --- 3. worker count and shard size -------------------------------------------------------

def test_workers_and_shard_size_do_not_change_bytes(run, tmp_path: Path, params_snapshot: Path) -> None:
    variants = {
        "w1s1": ("--workers", "1", "--shard-blocks", "1"),
        "w2s1": ("--workers", "2", "--shard-blocks", "1"),
        "w2s3": ("--workers", "2", "--shard-blocks", "3"),
    }
    trees = {}
    for name, opts in variants.items():
        out = generate(run, params_snapshot, tmp_path / name, "--num-images", "23000", *opts)
        trees[name] = tree_bytes(out)
    reference = trees["w1s1"]
    assert sorted(reference) == sorted([*DATA_FILES, "manifest.json"])
    meta = json.loads(reference["metadata.json"])
    assert meta["dataset_info"]["total_count"] == 23000  # 4 full blocks of 5000 + a partial one
    for name, tree in trees.items():
        assert sorted(tree) == sorted(reference), name
        differing = [f for f in reference if tree[f] != reference[f]]
        assert not differing, f"{name} differs from --workers 1 --shard-blocks 1 in {differing}"


# --- 4. item i does not depend on the dataset size ---------------------------------------

def _items(out: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    items = {}
    for split in SPLITS:
        with h5py.File(out / f"{split}.h5", "r") as f:
            items[split] = (f["index"][()], f["images"][()], f["labels"][()])
    return items


def test_item_does_not_depend_on_dataset_size(run, tmp_path: Path, params_snapshot: Path) -> None:
    small = _items(generate(run, params_snapshot, tmp_path / "small", "--num-images", "6500", "--seed", "7"))
    large = _items(generate(run, params_snapshot, tmp_path / "large", "--num-images", "12000", "--seed", "7"))

    def by_index(items):
        table = {}
        for split, (index, images, labels) in items.items():
            assert images.shape == (len(index), 16, 16) and images.dtype == np.uint8
            assert len(labels) == len(index)
            for k, i in enumerate(index.tolist()):
                assert i not in table, f"index {i} appears twice"
                table[i] = (split, k)
        return table

    small_at, large_at = by_index(small), by_index(large)
    assert sorted(small_at) == list(range(6500))
    assert sorted(large_at) == list(range(12000))
    common = sorted(small_at.keys() & large_at.keys())
    assert len(common) == 6500
    moved = [i for i in common if small_at[i][0] != large_at[i][0]]
    assert not moved, f"{len(moved)} items change split with the dataset size, e.g. {moved[:5]}"
    for split in SPLITS:
        s_index, s_images, s_labels = small[split]
        l_index, l_images, l_labels = large[split]
        pos = {i: k for k, i in enumerate(l_index.tolist())}
        rows = np.array([pos[i] for i in s_index.tolist()], dtype=np.int64)
        np.testing.assert_array_equal(s_images, l_images[rows], err_msg=f"{split}: images differ")
        np.testing.assert_array_equal(s_labels, l_labels[rows], err_msg=f"{split}: labels differ")


# --- 5. and 6. releases, clone and pull, metrics and params diff between releases:
# tests/test_registry.py (two releases made by `synthbank release`, consumers in other repositories).


# --- 7. experiments -----------------------------------------------------------------------

def test_exp_run_with_set_param(run, tmp_path: Path) -> None:
    project = make_project(tmp_path, run, num_images=SMALL)
    project.run("dvc", "exp", "run", "-S", "atomic.num_images=3000", ATOMIC)

    metrics = json.loads((project.path / "metrics/atomic.json").read_text("utf-8"))
    assert metrics["counts"]["total"] == 3000
    assert sum(metrics["counts"][s] for s in SPLITS) == 3000
    assert yaml.safe_load((project.path / "params.yaml").read_text("utf-8"))["atomic"]["num_images"] == 3000

    shown = json.loads(project.run("dvc", "exp", "show", "--json").stdout)
    exps = [rev for row in shown for group in (row.get("experiments") or []) for rev in group["revs"]]
    assert len(exps) == 1, exps
    data = exps[0]["data"]
    assert data["params"]["params.yaml"]["data"]["atomic"]["num_images"] == 3000
    assert data["metrics"]["metrics/atomic.json"]["data"]["counts"]["total"] == 3000


# --- 8. verify names every damaged, missing or extra file --------------------------------

@pytest.fixture(scope="module")
def standalone(run, tmp_path_factory: pytest.TempPathFactory, params_snapshot: Path) -> Path:
    """One generated 3000-image dataset with its manifest inside; tests damage copies."""
    out = generate(run, params_snapshot, tmp_path_factory.mktemp("standalone") / "ds", "--num-images", "3000")
    assert sorted(p.name for p in out.iterdir()) == sorted([*DATA_FILES, "manifest.json"])
    return out


def test_npz_holds_the_same_items_as_hdf5(standalone: Path) -> None:
    total = 0
    for split in SPLITS:
        with np.load(standalone / f"{split}.npz", allow_pickle=False) as z, h5py.File(standalone / f"{split}.h5", "r") as f:
            assert sorted(z.files) == ["images", "labels"]
            np.testing.assert_array_equal(z["images"], f["images"][()])
            np.testing.assert_array_equal(z["labels"], f["labels"][()])
            assert f["images"].dtype == np.uint8 and f["index"].dtype == np.uint64
            assert np.all(np.diff(f["index"][()].astype(np.int64)) > 0)
            total += len(f["index"])
    assert total == 3000


def _copy(standalone: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "ds"
    shutil.copytree(standalone, dest)
    return dest


def _verify(run, ds: Path):
    proc = run([VENV_BIN / "synthbank", "verify", ds / "manifest.json", "--no-check-params"], ds.parent, check=False)
    mismatches = [line for line in proc.stdout.splitlines() if line.startswith("MISMATCH ")]
    return proc, mismatches


def test_verify_intact_copy_passes(run, tmp_path: Path, standalone: Path) -> None:
    proc, mismatches = _verify(run, _copy(standalone, tmp_path))
    assert proc.returncode == 0 and not mismatches, proc.stdout + proc.stderr
    assert "OK " in proc.stdout and ": 8 files" in proc.stdout


@pytest.mark.parametrize("name", DATA_FILES)
def test_verify_names_a_flipped_byte(run, tmp_path: Path, standalone: Path, name: str) -> None:
    ds = _copy(standalone, tmp_path)
    data = bytearray((ds / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (ds / name).write_bytes(bytes(data))
    proc, mismatches = _verify(run, ds)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert mismatches, proc.stdout
    assert all(line.startswith(f"MISMATCH {name}: ") for line in mismatches), mismatches
    assert any(f"{name}: crc64 is " in line for line in mismatches), mismatches
    assert any(f"{name}: sha256 is " in line for line in mismatches), mismatches


@pytest.mark.parametrize("name", DATA_FILES)
def test_verify_names_a_missing_file(run, tmp_path: Path, standalone: Path, name: str) -> None:
    ds = _copy(standalone, tmp_path)
    (ds / name).unlink()
    proc, mismatches = _verify(run, ds)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert len(mismatches) == 1, mismatches
    assert mismatches[0].startswith(f"MISMATCH {name}: ") and "missing" in mismatches[0], mismatches


@pytest.mark.parametrize("extra", ["extra.bin", "sub/notes.txt", ".hidden"])
def test_verify_names_an_extra_file(run, tmp_path: Path, standalone: Path, extra: str) -> None:
    ds = _copy(standalone, tmp_path)
    (ds / extra).parent.mkdir(parents=True, exist_ok=True)
    (ds / extra).write_bytes(b"not part of the dataset\n")
    proc, mismatches = _verify(run, ds)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert len(mismatches) == 1, mismatches
    assert mismatches[0].startswith(f"MISMATCH {extra}: ") and "extra" in mismatches[0], mismatches


def test_verify_names_all_three_problems(run, tmp_path: Path, standalone: Path) -> None:
    ds = _copy(standalone, tmp_path)
    data = bytearray((ds / "train.h5").read_bytes())
    data[len(data) // 2] ^= 0x01
    (ds / "train.h5").write_bytes(bytes(data))
    (ds / "val.npz").unlink()
    (ds / "stray.txt").write_text("stray\n")
    proc, mismatches = _verify(run, ds)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    named = {line.removeprefix("MISMATCH ").split(": ", 1)[0] for line in mismatches}
    assert named == {"train.h5", "val.npz", "stray.txt"}, mismatches
    assert any(line.startswith("MISMATCH val.npz: ") and "missing" in line for line in mismatches)
    assert any(line.startswith("MISMATCH stray.txt: ") and "extra" in line for line in mismatches)
    assert any(line.startswith("MISMATCH train.h5: sha256 is ") for line in mismatches)
    assert "OK " not in proc.stdout
