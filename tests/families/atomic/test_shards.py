"""Sharded outputs (atomic.shard_images): same items whatever the shard size, read transparently,
verified, validated to the same metrics; workers 1 and 2 write the same files."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from synthbank.families.atomic.api import load_corpus

ROOT = Path(__file__).resolve().parents[3]
N = 23_000  # five blocks, the last one partial


def _params(tmp: Path, shard_images: int) -> Path:
    p = yaml.safe_load((ROOT / "params.yaml").read_text())
    p["atomic"]["num_images"] = N
    p["atomic"]["shard_images"] = shard_images
    path = tmp / f"params-{shard_images}.yaml"
    path.write_text(yaml.safe_dump(p))
    return path


def _synthbank(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthbank", *args], cwd=cwd, capture_output=True, text=True)


def _generate(tmp: Path, shard_images: int, workers: int) -> Path:
    out = tmp / f"s{shard_images}-w{workers}"
    r = _synthbank("generate", "atomic", "--params", str(_params(tmp, shard_images)), "--output-dir", str(out / "data"),
                   "--manifest", str(out / "manifest.json"), "--workers", str(workers), "--yes", "--no-progress", cwd=tmp)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    return tmp, {(s, w): _generate(tmp, s, w) for s, w in ((0, 1), (5000, 1), (10000, 1), (10000, 2))}


def test_shard_files_are_named_and_sized(outputs):
    _, out = outputs
    names = sorted(p.name for p in (out[10000, 1] / "data").glob("*.h5"))
    assert names == [f"{s}-{k:05d}-of-00003.h5" for s in ("test", "train", "val") for k in range(3)]
    assert not list((out[10000, 1] / "data").glob("*.npz"))  # no npz in the shard layout
    meta = json.loads((out[10000, 1] / "data" / "metadata.json").read_text())
    assert [f["count"] for f in meta["shards"]["train"]] == [8000, 8000, 2383]
    assert meta["file_format"]["hdf5"]["shard_images"] == 10000


@pytest.mark.parametrize("lazy", [False, True])
def test_every_item_is_the_same_whatever_the_shard_size(outputs, lazy):
    _, out = outputs
    flat = load_corpus(out[0, 1] / "data")
    for s in (5000, 10000):
        sharded = load_corpus(out[s, 1] / "data", lazy=lazy)
        assert list(sharded) == list(flat)
        for split, (images, labels) in flat.items():
            got_images, got_labels = sharded[split]
            assert np.array_equal(np.asarray(got_images), images) and np.array_equal(np.asarray(got_labels), labels)
            if lazy:  # indexing reads the same rows
                rows = np.array([len(labels) - 1, 0, 4321 % len(labels)])
                assert np.array_equal(got_images[rows], images[rows]) and np.array_equal(got_images[7:19], images[7:19])


def test_workers_write_identical_shards(outputs):
    _, out = outputs
    one, two = out[10000, 1], out[10000, 2]
    assert sorted(p.name for p in (one / "data").iterdir()) == sorted(p.name for p in (two / "data").iterdir())
    for p in (one / "data").iterdir():
        assert (two / "data" / p.name).read_bytes() == p.read_bytes(), p.name


def test_verify_passes_on_a_sharded_output(outputs):
    tmp, out = outputs
    manifest = json.loads((out[5000, 1] / "manifest.json").read_text())
    assert sum(e["path"].endswith(".h5") for e in manifest["entries"]) == 15
    assert manifest["params"]["shard_images"] == 5000
    r = _synthbank("verify", str(out[5000, 1] / "manifest.json"), "--params", str(_params(tmp, 5000)), cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr


def test_validate_gives_the_same_metrics_and_reports_on_both_layouts(outputs):
    tmp, out = outputs
    got = {}
    for key, workers in (((0, 1), 1), ((10000, 1), 2), ((5000, 1), 1)):
        v = tmp / f"validate-{key[0]}-{workers}"
        r = _synthbank("validate", "atomic", "--params", str(_params(tmp, key[0])), "--data-dir", str(out[key] / "data"),
                       "--metrics", str(v / "metrics.json"), "--report-dir", str(v / "reports"), "--workers", str(workers), cwd=tmp)
        assert r.returncode in (0, 1), r.stderr
        got[key] = [(v / f).read_bytes() for f in ("metrics.json", "reports/validation_report.png", "reports/label_distribution.csv")]
    assert got[0, 1] == got[10000, 1] == got[5000, 1]


def test_a_shard_size_off_the_blocks_is_refused(tmp_path):
    r = _synthbank("generate", "atomic", "--params", str(_params(tmp_path, 7000)), "--output-dir", str(tmp_path / "out"), "--yes",
                   cwd=tmp_path)
    assert r.returncode == 2 and "shard_images=7000" in r.stderr and "5000" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
