"""`synthbank verify-no-phi` throughput (phi.scan): files/s on many small metadata files,
MB/s on large binary files.

Corpus, built in a temporary folder: the `public` dataset (13 files, 3 MB), 2,000 small
files of the carriers the scanner parses (PNG with text chunks, JSON, HDF5 with attributes,
NIfTI headers) and four 64 MB HDF5 files of random data (the DICOM-signature search on
their bytes dominates). Baselines in the same run: reading the same bytes (page cache),
and sha256 over them. Targets: >= 500 small files/s, >= 500 MB/s on large files (two 6-byte searches per file).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from _common import REPO, best_of, table
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from synthbank import phi
from synthbank.families.public.build import PublicConfig, build
from synthbank.families.public.nifti import NiftiImage, encode_nifti
from synthbank.io import hdf5
from synthbank.params import load

N_SMALL = 2000
BIG_FILES, BIG_MB = 4, 64


def small_corpus(root: Path) -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    nii = encode_nifti(NiftiImage(data=img[:, :, None], pixdim=(1.0, 1.0, 1.0)))
    for i in range(N_SMALL):
        kind = i % 4
        path = root / f"small/{i % 20:02d}/f{i:05d}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == 0:
            info = PngInfo()
            info.add_text("Software", "synthbank")
            info.add_text("Comment", f"sample {i}", zip=True)
            Image.fromarray(img).save(path.with_suffix(".png"), pnginfo=info, compress_level=1)
        elif kind == 1:
            path.with_suffix(".json").write_text(json.dumps({"uid": f"s{i}", "params": {"noise_level": 0.05, "shape": [256, 256, 3]}, "entries": list(range(50))}))
        elif kind == 2:
            with hdf5.create_file(path.with_suffix(".h5"), {"family": "bench", "seed": 42, "params": {"a": 1}}) as f:
                hdf5.create_dataset(f, "x", shape=(64, 64), dtype="u1", data=img, attrs={"units": "counts", "axes": ["y", "x"]})
        else:
            path.with_suffix(".nii").write_bytes(nii)


def big_corpus(root: Path) -> None:
    (root / "big").mkdir()
    for i in range(BIG_FILES):
        data = np.random.default_rng(i).integers(0, 256, BIG_MB * 2**20, dtype=np.uint8)
        with hdf5.create_file(root / f"big/b{i}.h5", {"family": "bench"}) as f:
            hdf5.create_dataset(f, "data", shape=data.shape, dtype="u1", data=data, attrs={"units": "counts"})


def rate(paths: list[Path]) -> tuple[int, int]:
    files = [p for p in phi.iter_files(paths)]
    return len(files), sum(p.stat().st_size for p in files)


with tempfile.TemporaryDirectory() as tmp:
    root = Path(tmp)
    section = load(REPO / "params.yaml").family("public")
    build(PublicConfig.from_params(section), REPO / "sources/public", REPO / "LICENSES", root / "public")
    small_corpus(root)
    big_corpus(root)
    rows = []
    for label, paths in [("public dataset", [root / "public"]), ("small carriers", [root / "small"]), ("large HDF5", [root / "big"])]:
        n, size = rate(paths)
        for p in phi.iter_files(paths):  # warm the page cache
            p.read_bytes()
        t_scan = best_of(lambda paths=paths: phi.scan(paths), 3)
        assert phi.scan(paths) == []
        t_read = best_of(lambda paths=paths: [p.read_bytes() for p in phi.iter_files(paths)], 3)
        t_sha = best_of(lambda paths=paths: [hashlib.sha256(p.read_bytes()).digest() for p in phi.iter_files(paths)], 3)
        rows.append((label, n, size / 1e6, t_scan, n / t_scan, size / t_scan / 1e6, t_read / t_scan, t_sha / t_scan))
    shutil.rmtree(root / "big")
table(
    "phi.scan throughput (targets: >= 500 small files/s, >= 500 MB/s on large files)",
    ["corpus", "files", "MB", "scan s", "files/s", "MB/s", "read/scan", "sha256/scan"],
    rows,
)
print("\nread/scan and sha256/scan: time of a plain read (or a sha256 pass) of the same files over the scan time;")
print("above 1 means the scan is faster than that baseline.")
