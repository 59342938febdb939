"""Throughput of chromatic generation, writing and manifest, beside a plain h5py write.

Run: ``PYTHONPATH=src python benchmarks/bench_chromatic_generate.py [--samples 64] [--repeats 3]``

Prints, for the default params (256 x 256 x 3 chromatic, 31-band spectral, ~9 MB a sample):

* MB/s of what ``synthbank generate chromatic`` does after its start-up, with 1 and 2
  workers: generate, quantise, write one HDF5 file per sample and kind, previews, the
  manifest (size, CRC-64 and sha256 of every file) and the commit (every file flushed to
  disk, journal, renames), in one transaction as the command runs it;
* the arrays alone (generation, no writing) on one worker, for where the time goes;
* MB/s of a plain ``h5py`` write of the same arrays (already in memory: no generation)
  into the same files: one chromatic file (chromatic, mask, region_hsl) and one spectral
  file per sample, contiguous and uncompressed like synthbank's (h5py's defaults), no
  attributes, no hashing, no fsync. This is the baseline of the ratio. It is measured in
  the same run, interleaved with the runs above so drift cancels; beside it, for
  reference, the same write followed by an ``fsync`` of every file (what durability
  costs), and the arrays written into ONE file (the baseline before issue 17's session 3:
  it skips the 2 x samples file creations the job has to make);
* the ratio of the fastest generate to the plain write, as times (the plain write's seconds over
  the build's; issue 17: target >= 0.5x), and to the write + fsync;
* with ``--validate``, the validation stage's time on the dataset next to generation.

Figures are medians of ``--repeats`` runs.
"""

from __future__ import annotations

import _common  # noqa: F401  (pins BLAS threads before numpy)

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from synthbank import manifest, params  # noqa: E402
from synthbank.families.chromatic import VERSION  # noqa: E402
from synthbank.families.chromatic.build import ChromaticConfig, block_samples, build, manifest_entry_fields  # noqa: E402
from synthbank.families.chromatic.layout import BLOCK_SIZE, n_blocks  # noqa: E402
from synthbank.families.chromatic.validate import validate  # noqa: E402
from synthbank.io import durable, staging  # noqa: E402

TARGET_RATIO = 0.5
BASELINE = "plain h5py write, same files (baseline)"
#: The same write made durable, as the writing contract requires of the build (for reference).
DURABLE = "plain h5py write, same files + fsync"


def tree_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def generate_with_manifest(cfg: ChromaticConfig, out: Path, workers: int) -> None:
    """What ``synthbank generate chromatic --output-dir out`` runs after its start-up."""
    target = out / "manifest.json"
    with staging.transaction("chromatic", manifest=target):
        records = build(cfg, out, workers=workers)
        record = manifest.build(
            family="chromatic", generator="synthbank.families.chromatic", generator_version=VERSION, seed=cfg.seed,
            params=cfg.section, release_date=cfg.release_date, root=out, manifest_path=target, outputs=[out],
            extra_entry_fields=manifest_entry_fields(cfg, records, out, out / "previews", out),
        )
        manifest.write(record, target)


def plain_write(arrays: dict[str, np.ndarray], target: Path) -> None:
    """The arrays into one HDF5 file with h5py's defaults (the old baseline, for reference)."""
    with h5py.File(target, "w") as f:
        for name, a in arrays.items():
            f.create_dataset(name, data=a)


def plain_write_files(arrays: dict[str, np.ndarray], target: Path, flush: bool) -> None:
    """The baseline: the arrays into the files synthbank writes, one chromatic and one
    spectral file per sample, with h5py's defaults (contiguous, uncompressed, as synthbank
    stores them), and then, if ``flush``, an fsync of every file and directory as the commit does."""
    (target / "chromatic").mkdir(parents=True)
    (target / "spectral").mkdir()
    for i in range(len(arrays["chromatic"])):
        for path, names in ((target / "chromatic" / f"{i:05d}.h5", ("chromatic", "mask", "region_hsl")),
                            (target / "spectral" / f"{i:05d}.h5", ("spectral",))):
            with h5py.File(path, "w") as f:
                for name in names:
                    f.create_dataset(name, data=arrays[name][i])
    if flush:
        durable.fsync_tree(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="median of this many runs")
    parser.add_argument("--validate", action="store_true", help="also time the validation stage")
    args = parser.parse_args()
    p = params.load(_common.REPO / "params.yaml")
    section = dict(params.thaw(p.family("chromatic")), num_samples=args.samples)
    cfg = ChromaticConfig.from_params(p.seed, p.release_date, section)
    scratch = Path(tempfile.mkdtemp(prefix="bench-chromatic-"))
    times: dict[str, list[float]] = {}
    sizes: dict[str, float] = {}

    def timed(label: str, fn) -> None:
        t0 = time.perf_counter()
        fn()
        times.setdefault(label, []).append(time.perf_counter() - t0)

    try:
        blocks = [block_samples(cfg.seed, b, cfg.params) for b in range(n_blocks(args.samples))]
        arrays = {
            name: np.concatenate([getattr(b, name) for b in blocks])[: args.samples]
            for name in ("chromatic", "mask", "region_hsl", "spectral")
        }
        del blocks
        out, plain, plain_dir = scratch / "data", scratch / "plain.h5", scratch / "plain"
        gen = {w: f"generate + manifest + commit, {w} worker(s)" for w in (1, 2)}
        for _ in range(args.repeats):  # interleaved: A B C A B C ...
            for flush, label in ((False, BASELINE), (True, DURABLE)):
                shutil.rmtree(plain_dir, ignore_errors=True)
                timed(label, lambda flush=flush: plain_write_files(arrays, plain_dir, flush))
                sizes[label] = tree_mb(plain_dir)
            label = "plain h5py write, ONE file (reference)"
            plain.unlink(missing_ok=True)
            timed(label, lambda: plain_write(arrays, plain))
            sizes[label] = plain.stat().st_size / 1e6
            for w, label in gen.items():
                shutil.rmtree(out, ignore_errors=True)
                timed(label, lambda w=w: generate_with_manifest(cfg, out, w))
                sizes[label] = tree_mb(out)
            label = "arrays only (generation, no writing), 1 worker"
            timed(label, lambda: [block_samples(cfg.seed, b, cfg.params) for b in range(n_blocks(args.samples))])
            sizes[label] = sizes[gen[1]]
        if args.validate:
            thresholds = p.family("chromatic")["thresholds"]
            label = "validate, 2 workers (reads it all)"
            timed(label, lambda: validate(out, out / "manifest.json", scratch / "metrics.json", scratch / "reports",
                                          thresholds, workers=2))
            sizes[label] = tree_mb(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    median = {label: statistics.median(t) for label, t in times.items()}
    rate = {label: sizes[label] / median[label] for label in median}
    baseline = rate[BASELINE]
    # speed against the baseline as a time ratio: the same arrays, same files (the build's few
    # extra MB, previews and manifest, are its own work, not a larger output to credit)
    speed = {label: median[BASELINE] / median[label] for label in median}
    rows = [(label, sizes[label], median[label], rate[label], speed[label]) for label in median]
    _common.table(
        f"chromatic {VERSION}: {args.samples} samples of {cfg.params.height}x{cfg.params.width}x3 + {cfg.params.bands} "
        f"bands (block {BLOCK_SIZE}), median of {args.repeats}",
        ["what", "MB", "seconds", "MB/s", "x plain h5py"],
        rows,
    )
    best = max(gen.values(), key=lambda label: speed[label])
    ratio, durable_ratio = speed[best], median[DURABLE] / median[best]
    _common.summary("chromatic build (generate + manifest + commit)", f"{rate[best]:,.0f} MB/s",
                    f"plain h5py write {baseline:,.0f} MB/s: {ratio:.2f}x "
                    f"(with fsync {rate[DURABLE]:,.0f} MB/s: {durable_ratio:.2f}x)", f">= {TARGET_RATIO}x",
                    ratio >= TARGET_RATIO)
    print(f"\ngenerate + manifest + commit / plain h5py write: {ratio:.2f}x "
          f"({'meets' if ratio >= TARGET_RATIO else 'misses'} the {TARGET_RATIO}x target)")
    if args.validate:
        print(f"validation / generation (2 workers): {median['validate, 2 workers (reads it all)'] / median[gen[2]]:.2f}x")


if __name__ == "__main__":
    main()
