"""One real file per family, read by HDF5's own command-line tools (Debian's hdf5-tools).

Each family's first ``generate`` command of the pipeline runs at the small configuration
of the determinism matrix (smaller still for atomic) in one subprocess; then ``h5ls -r``,
``h5dump -H`` and ``h5dump -B`` must exit 0, list the datasets h5py lists (and the ones
named here), and show superblock 0 (HDF5 1.8 readable). Skipped, with the reason printed,
where the tools are not installed (.ci/run installs them).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import yaml

from synthbank import determinism
from synthbank.io import hdf5compat

REPO = Path(__file__).resolve().parents[2]
#: family -> (glob of the file checked, datasets it must hold)
FILES = {
    "atomic": ("data/atomic/train.h5", {"/images", "/labels"}),
    "chromatic": ("data/chromatic/chromatic/*.h5", {"/chromatic", "/mask", "/region_hsl"}),
    "signals": ("data/signals/*/*.h5", {"/signal"}),
    "ptycho": ("data/ptycho/dose_*/simulate/*.h5", {"/counts", "/object", "/probe", "/positions"}),
    "energy": ("data/energy/**/*.h5", {"/t0_fields/energy", "/dimensions/time"}),
}
_RUN = """import json, sys
from synthbank import cli
for cmd in json.loads(sys.argv[1]):
    try:
        cli.main(cmd)
    except SystemExit as exc:
        if exc.code:
            sys.exit(f"synthbank {' '.join(cmd)}: exit {exc.code}")
"""
_H5LS_LINE = re.compile(r"^(/\S*)\s+(Group|Dataset)\b")


def _tools() -> None:
    missing = [t for t in ("h5dump", "h5ls") if shutil.which(t) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (Debian package hdf5-tools): the h5dump/h5ls checks are skipped"
        print(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A scratch project with the first file of each HDF5 family, written by the real CLI."""
    _tools()
    root = tmp_path_factory.mktemp("hdf5tools")
    p = determinism.small_params(REPO)
    p["atomic"]["num_images"] = 2000
    (root / "params.yaml").write_text(yaml.safe_dump(p, sort_keys=False), "utf-8")
    first: dict[str, list[str]] = {}
    for cmd in determinism.commands(p, 1):
        family = cmd[1] if cmd[0] == "generate" else None
        if family in FILES and family not in first:
            first[family] = cmd
    subprocess.run([sys.executable, "-c", _RUN, json.dumps(list(first.values()))], cwd=root, check=True,
                   capture_output=True, timeout=600)
    return root


def _one(root: Path, family: str) -> Path:
    pattern, _ = FILES[family]
    found = sorted(root.glob(pattern))
    assert found, f"{family} wrote no file matching {pattern}"
    return found[0]


def _h5py_datasets(path: Path) -> set[str]:
    names: list[str] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: names.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
    return set(names)


def _tool(*args: str | Path) -> str:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} exited {proc.returncode}: {proc.stderr.strip()}"
    return proc.stdout


@pytest.mark.parametrize("family", sorted(FILES))
def test_h5ls_and_h5dump_read_the_family_file(project, family):
    path = _one(project, family)
    listed = {m[1] for m in map(_H5LS_LINE.match, _tool("h5ls", "-r", path).splitlines()) if m and m[2] == "Dataset"}
    assert listed == _h5py_datasets(path)
    assert FILES[family][1] <= listed, f"{path.name} lacks {sorted(FILES[family][1] - listed)}"
    header = _tool("h5dump", "-H", path)
    for name in listed:
        assert f'DATASET "{name.rsplit("/", 1)[1]}"' in header
    assert "SUPERBLOCK_VERSION 0" in _tool("h5dump", "-B", "-H", path)
    rep = hdf5compat.check(path)
    assert (rep.superblock, rep.need, rep.blocking()) == (0, "1.8", [])
