"""`synthbank verify` throughput on cached files (target: at least 1 GB/s).

Generates a 1,000,000-image dataset (about 480 MB in 7 files), warms the page cache, then
times the verification in-process. Baselines in the same run: a single sha256 pass over
the same files (hashlib, one thread) and the CRC-64 of crcmod's C extension.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from _common import BIN, REPO, best_of, run_tree, table

from synthbank import checksums, manifest

with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    shutil.copy(REPO / "params.yaml", tmp / "params.yaml")
    out = tmp / "ds"
    run_tree([str(BIN / "synthbank"), "generate", "atomic", "--num-images", "1000000", "--output-dir", str(out), "--workers", "2", "--yes"], cwd=tmp)
    files = sorted(p for p in out.iterdir() if p.name != "manifest.json")
    total = sum(p.stat().st_size for p in files)
    for p in files:  # warm the page cache
        p.read_bytes()

    def verify() -> None:
        assert manifest.verify(out / "manifest.json").ok

    def sha_only() -> None:
        for p in files:
            hashlib.sha256(p.read_bytes()).hexdigest()

    def crcmod_only() -> None:
        for p in files:
            checksums.crc64_reference(p.read_bytes())

    rows = []
    for label, fn in [("synthbank verify (CRC-64 + sha256, 2 threads)", verify), ("sha256 only, 1 thread", sha_only), ("crcmod CRC-64 only", crcmod_only)]:
        seconds = best_of(fn, 3)
        rows.append((label, seconds, total / seconds / 1e9))
table(f"verify throughput on cached files ({total / 1e6:,.0f} MB in {len(files)} files; target >= 1 GB/s)", ["what", "seconds", "GB/s"], rows)
print(f"\nverify / single sha256 pass: {rows[1][1] / rows[0][1]:.2f}x faster")
