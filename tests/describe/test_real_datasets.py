"""``synthbank describe`` on real datasets of all six families, generated small in a temporary directory.

The module generates every family once (the determinism matrix's small configuration:
its shapes differ from params.yaml's, so shapes that follow the config are tested), runs
``synthbank describe``, and checks the outputs against the files: the real
``mlcroissant validate`` on every croissant.json, records loaded with mlcroissant equal
to the files (sha256 of every listed file, PNG pixels, CSV and JSON values), every
declared field's dtype and shape equal to what its HDF5/NPZ/PNG/NIfTI/raw file holds (and
every HDF5 dataset and NPZ member declared), the card's numbers equal to the manifests'
and metrics', a byte-identical re-run, and ``synthbank verify`` covering the outputs.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from PIL import Image

from conftest import MAIN, Runner, tree_bytes
from synthbank.describe.inputs import glob_match
from synthbank.recordsets import Field, RecordSet

pytestmark = pytest.mark.slow

FAMILIES = ("atomic", "chromatic", "public", "signals", "ptycho", "energy")
PROBE = Path(__file__).with_name("croissant_probe.py")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, run: Runner) -> Path:
    """Every family at the determinism matrix's small configuration, described."""
    tmp = tmp_path_factory.mktemp("describe")
    run([sys.executable, "-m", "synthbank.determinism", "run", "--repo", MAIN, "--out", tmp / "work", "--workers", "2",
         "--result", tmp / "result.json"], tmp)
    work = tmp / "work"
    run(["synthbank", "describe"], work)
    return work


def _croissant_env(project: Path) -> dict[str, str]:
    return {"CROISSANT_CACHE": str(project.parent / "croissant-cache")}


def _records(project: Path) -> dict[str, Any]:
    """Each family's declared records, rebuilt from the project's params (the objects describe used)."""
    from synthbank import params as params_mod
    from synthbank import registry

    p = params_mod.load(project / "params.yaml")
    read = lambda rel: json.loads((project / rel).read_text())  # noqa: E731
    return {f: registry.get(f).declared_records(params_mod.thaw(p.family(f)), read) for f in FAMILIES}


def _manifest_files(project: Path, family: str, suffix: str = "") -> dict[str, dict[str, Any]]:
    data = json.loads((project / f"manifests/{family}{suffix}.json").read_text())
    return {e["path"]: e for e in data["entries"]}


def _files(project: Path, family: str, rs: RecordSet) -> list[Path]:
    listed = {**_manifest_files(project, family), **_manifest_files(project, family, ".reports")}
    found = sorted(p for p in listed if any(glob_match(p, pattern) for pattern in rs.files))
    assert found, f"{family}: record set {rs.name} matches no file"
    return [project / p for p in found]


def test_describe_writes_a_card_and_a_croissant_file_per_family(project: Path) -> None:
    docs = project / "docs/datasets"
    assert sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()) == sorted(
        [".synthbank-output.json", "README.md"] + [f"{f}/{name}" for f in FAMILIES for name in ("README.md", "croissant.json")])
    index = (docs / "README.md").read_text()
    for family in FAMILIES:
        doc = json.loads((docs / family / "croissant.json").read_text())
        manifest = json.loads((project / f"manifests/{family}.json").read_text())
        assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
        assert doc["version"] == manifest["generator_version"] and doc["datePublished"] == manifest["release_date"] == "2026-11-22"
        assert f"[{family}]({family}/README.md)" in index


@pytest.mark.parametrize("family", FAMILIES)
def test_mlcroissant_validate_passes(project: Path, run: Runner, family: str) -> None:
    r = run(["mlcroissant", "validate", "--jsonld", f"docs/datasets/{family}/croissant.json"], project, check=False,
            env=_croissant_env(project))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "error" not in r.stderr.lower() and "warning" not in r.stderr.lower(), r.stderr


@pytest.mark.parametrize("family", FAMILIES)
def test_the_committed_croissant_files_validate(run: Runner, tmp_path: Path, family: str) -> None:
    """What the registry publishes (docs/datasets, written by the describe stage from the default data)."""
    path = MAIN / "docs" / "datasets" / family / "croissant.json"
    r = run(["mlcroissant", "validate", "--jsonld", path], tmp_path, check=False, env={"CROISSANT_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "error" not in r.stderr.lower() and "warning" not in r.stderr.lower(), r.stderr


def _probe(project: Path, run: Runner, wanted: dict[str, tuple[str, ...]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """family -> record set -> its records as mlcroissant loads them from docs/datasets/<family>/croissant.json."""
    specs = [f"docs/datasets/{family}/croissant.json#{name}" for family, names in wanted.items() for name in names]
    r = run([sys.executable, PROBE, *specs], project, env=_croissant_env(project))
    got = json.loads(r.stdout.strip().splitlines()[-1])
    return {family: {name: got[f"docs/datasets/{family}/croissant.json#{name}"] for name in names} for family, names in wanted.items()}


def _pixels(path: Path, rgb: bool = False) -> dict[str, Any]:
    """What the probe reports of an image (mlcroissant converts a single PNG FileObject to RGB; a FileSet's keeps its mode)."""
    with Image.open(path) as im:
        im = im.convert("RGB") if rgb else im
        return {"mode": im.mode, "size": list(im.size), "sha256": hashlib.sha256(np.asarray(im).tobytes()).hexdigest()}


def test_records_load_with_mlcroissant_and_equal_the_files(project: Path, run: Runner) -> None:
    """Relative contentUrls resolve from the Croissant file's folder: mlcroissant fetches each file and checks its sha256."""
    got = _probe(project, run, {**{f: ("files", "report_files") for f in FAMILIES},
                                "public": ("files", "report_files", "xray_chest_demo", "retina_example", "mri_brain_demo_axial"),
                                "chromatic": ("files", "report_files", "previews_chromatic", "previews_mask", "previews_spectral"),
                                "atomic": ("files", "report_files", "label_distribution", "metadata"),
                                "signals": ("files", "report_files", "sine_64ch/psd"), "energy": ("files", "report_files", "catalog")})
    for family in FAMILIES:
        for name, suffix in (("files", ""), ("report_files", ".reports")):
            listed = _manifest_files(project, family, suffix)
            assert sorted(r["path"] for r in got[family][name]) == sorted(listed)
            for record in got[family][name]:  # what mlcroissant read is each real file's digest and size
                data = (project / record["path"]).read_bytes()
                assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["bytes"] == len(data)
    # PNG images: the public demos (one FileObject each) and the chromatic previews (a FileSet)
    for name, path in (("xray_chest_demo", "xray_chest_demo/xray_chest_demo_001.png"),
                       ("retina_example", "retina_example/retina_example_001.png"),
                       ("mri_brain_demo_axial", "mri_brain_demo/mri_brain_demo_001_axial.png")):
        assert [r["image"] for r in got["public"][name]] == [_pixels(project / "data/public" / path, rgb=True)]
    for kind in ("chromatic", "mask", "spectral"):
        files = sorted((project / "reports/chromatic/previews").glob(f"synthetic_{kind}_*.png"))
        assert files and [(r["uid"], r["image"]) for r in got["chromatic"][f"previews_{kind}"]] == [(f.stem, _pixels(f)) for f in files]
    # CSV reports and JSON values
    with open(project / "reports/atomic/label_distribution.csv", newline="") as f:
        assert [(r["class"], r["count"]) for r in got["atomic"]["label_distribution"]] == [
            (row["class"], int(row["count"])) for row in csv.DictReader(f)]
    info = json.loads((project / "data/atomic/metadata.json").read_text())["dataset_info"]
    assert got["atomic"]["metadata"] == [{"grid_size": 16, **{k: info[k] for k in ("train_count", "val_count", "test_count", "total_count")}}]
    psd = got["signals"]["sine_64ch/psd"]
    with open(project / "reports/signals/sine_64ch/psd.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(psd) == len(rows) > 0 and all(
        r["frequency_hz"] == float(row["frequency_hz"]) and r["psd_uv2_per_hz"] == float(row["psd_uv2_per_hz"]) for r, row in zip(psd, rows))
    catalog = json.loads((project / "data/catalogs/catalog.json").read_text())["domains"]
    assert got["energy"]["catalog"] == [{k: d[k] for k in ("pattern", "n_maps", "n_files", "bytes")} for d in catalog.values()]


def _check_hdf5(path: Path, fields: list[Field]) -> None:
    with h5py.File(path, "r") as f:
        held: dict[str, h5py.Dataset] = {}
        f.visititems(lambda name, obj: held.__setitem__(f"/{name}", obj) if isinstance(obj, h5py.Dataset) else None)
        declared = {fd.key for fd in fields if fd.key.startswith("/")}
        assert set(held) == declared, f"{path}: in the file, not declared: {sorted(set(held) - declared)}; declared, absent: {sorted(declared - set(held))}"
        for fd in fields:
            if fd.key.startswith("/"):
                _check_array(path, fd, held[fd.key].dtype, held[fd.key].shape)


def _check_array(path: Path, fd: Field, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    want = "str" if dtype.kind in "USO" else dtype.name
    assert want == fd.dtype, f"{path}: {fd.name} is {dtype}, declared {fd.dtype}"
    assert len(shape) == len(fd.shape) and all(d == w or isinstance(w, str) for d, w in zip(shape, fd.shape)), (
        f"{path}: {fd.name} has shape {shape}, declared {fd.shape}")


def _sizes_agree(files: dict[Path, dict[str, tuple[int, ...]]], fields: list[Field]) -> None:
    """A named size (n, m, t...) has one value within a file."""
    for path, shapes in files.items():
        seen: dict[str, int] = {}
        for fd in fields:
            for d, w in zip(shapes.get(fd.name, ()), fd.shape):
                if isinstance(w, str):
                    assert seen.setdefault(w, d) == d, f"{path}: size {w} is {seen[w]} and {d}"


def _check_record_set(project: Path, family: str, rs: RecordSet) -> int:
    checked = 0
    for path in _files(project, family, rs):
        shapes: dict[str, tuple[int, ...]] = {}
        for fd in rs.fields:
            if fd.key == "filename":
                assert re.match(fd.regex, path.name), f"{path.name} !~ {fd.regex}"
        if rs.format == "hdf5":
            _check_hdf5(path, list(rs.fields))
            with h5py.File(path, "r") as f:
                shapes = {fd.name: f[fd.key].shape for fd in rs.fields if fd.key.startswith("/")}
        elif rs.format == "npz":
            with np.load(path) as z:
                declared = {fd.key for fd in rs.fields if fd.key != "filename"}
                assert set(z.files) == declared, f"{path}: members {sorted(z.files)}, declared {sorted(declared)}"
                for fd in rs.fields:
                    if fd.key in z.files:
                        _check_array(path, fd, z[fd.key].dtype, z[fd.key].shape)
                        shapes[fd.name] = z[fd.key].shape
        elif rs.format == "png":
            (fd,) = [fd for fd in rs.fields if fd.key == "content"]
            with Image.open(path) as im:
                assert fd.dtype == "image" and np.asarray(im).dtype == np.uint8 and np.asarray(im).shape == fd.shape, (
                    f"{path}: {np.asarray(im).shape}, declared {fd.shape}")
        elif rs.format == "nifti":
            import nibabel

            (fd,) = rs.fields
            img = nibabel.load(path)
            _check_array(path, fd, img.get_data_dtype(), img.shape)
        elif rs.format == "float32":
            (fd,) = rs.fields
            assert fd.dtype == "float32" and path.stat().st_size == 4 * int(np.prod(fd.shape))
        elif rs.format == "json":
            data = json.loads(path.read_text())
            for fd in rs.fields:
                found = _jsonpath(data, fd.key)
                assert found, f"{path}: {fd.key} finds nothing"
                kinds = {"str": str, "int64": int, "float64": (int, float), "bool": bool}
                assert all(isinstance(v, kinds[fd.dtype]) for v in found), f"{path}: {fd.key} = {found[:3]} is no {fd.dtype}"
        elif rs.format == "csv":
            with open(path, newline="") as f:
                header = next(csv.reader(f))
            assert [fd.key for fd in rs.fields] == header
        _sizes_agree({path: shapes}, list(rs.fields))
        checked += 1
    return checked


def _jsonpath(data: Any, path: str) -> list[Any]:
    """The values of a JSONPath of the forms the declarations use: $.a.b, $.a[*].b, $.a.*.b."""
    nodes = [data]
    for part in re.findall(r"\[\*\]|[^.\[\]$]+", path):
        nxt = []
        for node in nodes:
            if part in ("[*]", "*"):
                nxt += list(node) if isinstance(node, list) else list(node.values())
            elif isinstance(node, dict) and part in node:
                nxt.append(node[part])
        nodes = nxt
    return nodes


def test_declared_fields_match_the_files(project: Path) -> None:
    """Every declared field's dtype and shape, against what each file holds; every HDF5 dataset and NPZ member is declared."""
    checked = {f: sum(_check_record_set(project, f, rs) for rs in records.record_sets) for f, records in _records(project).items()}
    # every file of a kind the declarations describe was checked: atomic 3 HDF5 + 3 NPZ + metadata + CSV; ptycho 2
    # doses x 10; energy 5 domains x 2 scales x 2 splits (2 sequences: train 1, valid 1, no test) + the catalog
    assert checked == {"atomic": 8, "chromatic": 8, "public": 7, "signals": 12, "ptycho": 20, "energy": 21}, checked


def test_shapes_follow_the_config(project: Path) -> None:
    """The small configuration's sizes, not params.yaml's: energy at 128 and 64, a 160-pixel ptycho object, 81 positions."""
    records = _records(project)
    energy = {rs.name: rs for rs in records["energy"].record_sets}
    assert sorted(energy) == ["catalog", "maps_128", "maps_64"]
    assert {f.name: f.shape for f in energy["maps_64"].fields}["energy"] == ("t", 5, 64, 64)
    simulate = {f.name: f.shape for f in next(rs for rs in records["ptycho"].record_sets if rs.name == "dose_1000/simulate").fields}
    assert simulate["object"] == (160, 160) and simulate["counts"] == (64, 64, 81)
    doc = json.loads((project / "docs/datasets/ptycho/croissant.json").read_text())
    field = next(f for rs in doc["recordSet"] if rs["@id"] == "dose_1000/split" for f in rs["field"] if f["name"] == "Y")
    assert field["arrayShape"] == "-1,64,64" and field["dataType"] == ["cr:Float32", "https://www.wikidata.org/wiki/Q11567"]


def _table(card: str, header: str) -> list[list[str]]:
    lines = card.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows


def test_card_numbers_equal_the_manifests_and_metrics(project: Path) -> None:
    records = _records(project)
    for family in FAMILIES:
        card = (project / f"docs/datasets/{family}/README.md").read_text()
        data, reports = _manifest_files(project, family), _manifest_files(project, family, ".reports")
        total = sum(e["bytes"] for e in data.values())
        assert f"| data | {len(data)} files, {total:,} bytes" in card
        sizes = {row[0]: (int(row[1]), int(row[2].replace(",", ""))) for row in _table(card, "| record set | files | bytes |")}
        assert sizes[f"all data files (`manifests/{family}.json`)"] == (len(data), total)
        assert sizes[f"all report files (`manifests/{family}.reports.json`)"] == (len(reports), sum(e["bytes"] for e in reports.values()))
        listed = {**data, **reports}
        for rs in records[family].record_sets:
            mine = [p for p in listed if any(glob_match(p, pattern) for pattern in rs.files)]
            assert sizes[f"`{rs.name}`"] == (len(mine), sum(listed[p]["bytes"] for p in mine)), (family, rs.name)
        metrics = json.loads((project / f"metrics/{family}.json").read_text())
        for name, path in records[family].counts.items():
            value = metrics
            for part in path.split("."):
                value = value[part]
            assert f"| {name} | {value:,} | `{path}` |" in card
        outcomes = _table(card, "| metric | value | allowed | bound from | holds | note |")
        assert outcomes and all(row[4] in ("yes", "n/a (not computed for this item)") for row in outcomes), family
    atomic = (project / "docs/datasets/atomic/README.md").read_text()
    assert "| `labels.chi2_p` | " in atomic and "| >= 0.001 | `thresholds.label_chi2_p_min` | yes |" in atomic


def test_a_rerun_gives_identical_bytes_and_a_subset_keeps_the_others(project: Path, run: Runner) -> None:
    before = tree_bytes(project / "docs") | {"describe.json": (project / "manifests/describe.json").read_bytes()}
    run(["synthbank", "describe"], project)
    run(["synthbank", "describe", "atomic", "energy"], project)
    after = tree_bytes(project / "docs") | {"describe.json": (project / "manifests/describe.json").read_bytes()}
    assert after == before


def test_verify_covers_the_outputs(project: Path, run: Runner, tmp_path: Path) -> None:
    """With the stage's outputs in dvc.lock, every file describe wrote is accounted for, and a stray one is named."""
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, symlinks=True)
    (copy / "dvc.lock").write_text("schema: '2.0'\nstages:\n  describe:\n    cmd: synthbank describe\n    outs:\n"
                                   "    - path: docs/datasets\n    - path: manifests/describe.json\n")
    r = run(["synthbank", "verify"], copy, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK manifests/describe.json: 14 files" in r.stdout
    (copy / "docs/datasets/notes.md").write_text("by hand\n")
    r = run(["synthbank", "verify"], copy, check=False)
    assert r.returncode == 1 and "MISMATCH docs/datasets/notes.md: extra file not in describe.json" in r.stdout, r.stdout
    (copy / "docs/datasets/notes.md").unlink()
    (copy / "manifests/describe.json").unlink()
    r = run(["synthbank", "verify"], copy, check=False)
    assert r.returncode == 2, r.stdout
    assert "UNREADABLE manifests/describe.json: does not exist: required, an output of stage describe in dvc.lock" in r.stdout
    assert "MISMATCH docs/datasets/atomic/README.md: in no manifest (an output of stage describe in dvc.lock)" in r.stdout
