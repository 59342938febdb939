import json
from pathlib import Path

import pytest

from synthbank import manifest
from synthbank.numerics import NUMERICS_VERSION


def _dataset(root: Path) -> Path:
    out = root / "data" / "fam"
    (out / "sub").mkdir(parents=True)
    (out / "a.bin").write_bytes(bytes(range(256)) * 100)
    (out / "sub" / "b.txt").write_text("hello\n")
    return out


def _build(root: Path, out: Path) -> Path:
    path = root / "manifests" / "fam.json"
    record = manifest.build(
        family="atomic", generator="g", generator_version="1.0.0", seed=42, params={"n": 1},
        release_date="2026-11-22", root=root, manifest_path=path, outputs=[out],
    )
    manifest.write(record, path)
    return path


def test_build_lists_sorted_relative_paths_with_checksums(tmp_path):
    out = _dataset(tmp_path)
    path = _build(tmp_path, out)
    m = json.loads(path.read_text())
    assert m["base"] == ".."
    assert [e["path"] for e in m["entries"]] == ["data/fam/a.bin", "data/fam/sub/b.txt"]
    assert m["entries"][1]["bytes"] == 6 and len(m["entries"][1]["crc64"]) == 16
    assert set(m["software"]) >= {"numpy", "scipy", "h5py", "hdf5", "pillow", "zlib", "synthbank", "numerics"}
    assert m["software"]["numerics"] == NUMERICS_VERSION
    assert manifest.verify(path, {"atomic": {"seed": 42, "params": {"n": 1}}}).ok


def test_verify_names_each_problem(tmp_path):
    out = _dataset(tmp_path)
    path = _build(tmp_path, out)
    data = bytearray((out / "a.bin").read_bytes())
    data[1234] ^= 0x01
    (out / "a.bin").write_bytes(bytes(data))
    (out / "sub" / "b.txt").unlink()
    (out / "extra.bin").write_bytes(b"x")
    problems = manifest.verify(path, {"atomic": {"seed": 7, "params": {"n": 1}}}).problems
    text = "\n".join(problems)
    assert "data/fam/a.bin: crc64 is" in text and "data/fam/a.bin: sha256 is" in text
    assert "data/fam/sub/b.txt: missing" in text
    assert "data/fam/extra.bin: extra file" in text
    assert "seed differs from params.yaml" in text
    assert len(problems) == 5


def test_family_missing_from_params_is_a_problem(tmp_path):
    path = _build(tmp_path, _dataset(tmp_path))
    problems = manifest.verify(path, {"signals": {"seed": 42, "params": {}}}).problems
    assert problems == [f"{path}: family 'atomic' has no section in params.yaml"]
    assert manifest.verify(path, None).ok  # comparison skipped, files still checked


def test_schema_problems_name_the_json_path(tmp_path):
    out = _dataset(tmp_path)
    path = _build(tmp_path, out)
    m = json.loads(path.read_text())
    m["entries"][0]["crc64"] = "XYZ"
    path.write_text(json.dumps(m))
    report = manifest.verify(path)
    assert not report.ok and "entries/0/crc64" in report.problems[0]


def test_write_refuses_an_invalid_manifest(tmp_path):
    with pytest.raises(ValueError, match="invalid manifest"):
        manifest.write({"family": "x"}, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_absolute_or_parent_paths_are_invalid():
    base = {"uid": "u", "bytes": 1, "crc64": "0" * 16, "sha256": "0" * 64}
    for bad in ("/etc/passwd", "../x", "a/../../x"):
        m = {"family": "a", "generator": "g", "generator_version": "1.0.0", "seed": 1, "params": {},
             "release_date": "d", "software": dict.fromkeys(["synthbank", "numerics", "numpy", "scipy", "h5py", "hdf5", "pillow", "zlib"], "1"),
             "base": ".", "outputs": [], "entries": [dict(base, path=bad)]}
        assert manifest.schema_problems(m), bad
