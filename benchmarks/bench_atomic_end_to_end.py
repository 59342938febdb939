"""1,000,000 atomic images end to end: generate, split, write, metadata, manifest, verify.

Targets (issue 2): at most 20 s on this 2-core machine, peak memory at most 300 MB.
Peak memory is the summed RSS of the process and its workers (an upper bound: shared
library pages count once per process). Baseline, measured in the same run: the source document's
in-memory pipeline (generate everything, split, ``np.savez_compressed``) using our
vectorised generator, so the ratio shows what streaming and parallel deflate buy.

Usage: python benchmarks/bench_atomic_end_to_end.py [NUM_IMAGES]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import BIN, REPO, run_tree, table

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
SYNTHBANK = str(BIN / "synthbank")

BASELINE = f"""
import numpy as np, sys
from synthbank.families.atomic.api import generate_corpus, split_corpus
images, labels = generate_corpus({N}, show_progress=False)
for name, (im, lb) in split_corpus(images, labels).items():
    np.savez_compressed(sys.argv[1] + f"/{{name}}.npz", images=im, labels=lb)
"""

rows = []
with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    shutil.copy(REPO / "params.yaml", tmp / "params.yaml")
    for workers in (1, 2):
        out = tmp / f"w{workers}"
        gen_s, gen_mb = run_tree(
            [SYNTHBANK, "generate", "atomic", "--num-images", str(N), "--output-dir", str(out),
             "--workers", str(workers), "--yes"], cwd=tmp,
        )
        ver_s, ver_mb = run_tree([SYNTHBANK, "verify", str(out / "manifest.json"), "--no-check-params"], cwd=tmp)
        size = sum(p.stat().st_size for p in out.iterdir())
        rows.append((f"synthbank, {workers} worker(s)", gen_s + ver_s, gen_s, ver_s, max(gen_mb, ver_mb), size / 1e6))
        shutil.rmtree(out)
    (tmp / "base").mkdir()
    t = time.perf_counter()
    base_s, base_mb = run_tree([sys.executable, "-c", BASELINE, str(tmp / "base")], cwd=tmp)
    base_size = sum(p.stat().st_size for p in (tmp / "base").iterdir())
    rows.append(("seed-style in memory + savez_compressed (npz only)", base_s, base_s, 0.0, base_mb, base_size / 1e6))

table(
    f"atomic end to end, {N:,} images (target: <= 20 s, <= 300 MB)",
    ["pipeline", "total s", "generate s", "verify s", "peak MB", "output MB"],
    rows,
)
best = rows[1][1]
print(f"\nspeed-up of synthbank (2 workers, HDF5 + npz + manifest + verify) over the baseline (npz only): {base_s / best:.1f}x")
