"""Throughput of chromatic + spectral generation and writing, beside a plain h5py write.

Run: ``PYTHONPATH=src python benchmarks/bench_chromatic_generate.py [--samples 48] [--repeats 2]``

Prints, for the default params (256 x 256 x 3 chromatic, 31-band spectral, ~9 MB a sample):

* MB/s of ``build`` (generate, quantise, write one HDF5 file per sample and kind, previews)
  with 1 and 2 workers, and of build + manifest (CRC-64 and sha256 of every file);
* MB/s of a plain ``h5py`` write of the same arrays (already in memory: no generation) into
  one file, measured in the same run, and the ratio;
* the validation stage's time on the dataset next to the generation time (target: not slower).

Target: >= 200 MB/s of output for generation and writing.
"""

from __future__ import annotations

import _common  # noqa: F401  (pins BLAS threads before numpy)

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from synthbank import params  # noqa: E402
from synthbank.families.chromatic.build import ChromaticConfig, block_samples, build, write_manifest  # noqa: E402
from synthbank.families.chromatic.layout import BLOCK_SIZE, n_blocks  # noqa: E402
from synthbank.families.chromatic.validate import validate  # noqa: E402

TARGET_MB_S = 200.0


def tree_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()
    p = params.load(_common.REPO / "params.yaml")
    section = dict(params.thaw(p.family("chromatic")), num_samples=args.samples)
    cfg = ChromaticConfig.from_params(p.seed, p.release_date, section)
    thresholds = p.family("chromatic")["thresholds"]
    scratch = Path(tempfile.mkdtemp(prefix="bench-chromatic-"))
    rows = []
    try:
        out = scratch / "data"
        gen_time = {}
        for workers in (1, 2):
            best_build = best_all = float("inf")
            for _ in range(args.repeats):
                shutil.rmtree(out, ignore_errors=True)
                t0 = time.perf_counter()
                records = build(cfg, out, workers=workers)
                t1 = time.perf_counter()
                write_manifest(cfg, records, out, out / "previews", out / "manifest.json")
                t2 = time.perf_counter()
                best_build, best_all = min(best_build, t1 - t0), min(best_all, t2 - t0)
            mb = tree_mb(out)
            gen_time[workers] = best_all
            rows.append((f"build, {workers} worker(s)", mb, best_build, mb / best_build))
            rows.append((f"build + manifest, {workers} worker(s)", mb, best_all, mb / best_all))

        # Baseline: the same arrays, already generated, written plainly with h5py.
        blocks = [block_samples(cfg.seed, b, cfg.params) for b in range(n_blocks(args.samples))]
        arrays = {
            name: np.concatenate([getattr(b, name) for b in blocks])[: args.samples]
            for name in ("chromatic", "mask", "region_hsl", "spectral")
        }
        best = float("inf")
        for _ in range(args.repeats):
            target = scratch / "plain.h5"
            t0 = time.perf_counter()
            with h5py.File(target, "w") as f:
                for name, a in arrays.items():
                    f.create_dataset(name, data=a)
            best = min(best, time.perf_counter() - t0)
        plain_mb = target.stat().st_size / 1e6
        rows.append(("plain h5py write (no generation)", plain_mb, best, plain_mb / best))

        best_val = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            validate(out, out / "manifest.json", scratch / "metrics.json", scratch / "reports", thresholds, workers=2)
            best_val = min(best_val, time.perf_counter() - t0)
        rows.append(("validate, 2 workers (reads it all)", tree_mb(out), best_val, tree_mb(out) / best_val))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    _common.table(
        f"chromatic: {args.samples} samples of {cfg.params.height}x{cfg.params.width}x3 + {cfg.params.bands} bands "
        f"(block {BLOCK_SIZE}), best of {args.repeats}; target >= {TARGET_MB_S:.0f} MB/s",
        ["what", "MB", "seconds", "MB/s"],
        rows,
    )
    fastest = max(r[3] for r in rows if r[0].startswith("build + manifest"))
    print(f"\nbuild + manifest / plain h5py write: {fastest / rows[-2][3]:.2f}x "
          f"({'meets' if fastest >= TARGET_MB_S else 'misses'} the {TARGET_MB_S:.0f} MB/s target)")
    print(f"validation / generation (2 workers): {best_val / gen_time[2]:.2f}x")


if __name__ == "__main__":
    main()
