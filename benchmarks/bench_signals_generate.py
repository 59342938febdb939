"""Speed and memory of the signals generator (issue 4 targets), with a colorednoise baseline.

Run: ``PYTHONPATH=src[:/path/to/colorednoise] python benchmarks/bench_signals_generate.py``
(``pip install -r benchmarks/requirements.txt`` provides colorednoise 2.2.0, used only here).

Prints three tables:

1. pink noise, 1024 channels x 120 s at 160 Hz, generated and written to HDF5 (target
   <= 0.35 s), best of N, with 1 and 2 worker threads; the full dataset build (HDF5 +
   interleaved .float32 + generation manifest with checksums); and
   ``colorednoise.powerlaw_psd_gaussian(1, (1024, 19200))`` (generation only, in memory)
   measured in the same run, with the ratio.
2. peak memory (summed RSS of the process, Python and imports included) of
   ``synthbank signals generate pink_noise`` at 1024, 2048 and 4096 channels (target
   <= 100 MB each).
3. validation (all metrics, reading the files back) against generation of the same dataset.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import BIN, best_of, run_tree, table

import numpy as np  # noqa: E402

from synthbank.families.signals.build import build, write_hdf5  # noqa: E402
from synthbank.families.signals.spec import make_spec  # noqa: E402
from synthbank.families.signals.validate import compute  # noqa: E402

TARGET_S = 0.35
TARGET_MB = 100.0
PINK = {"signal_type": "pink_noise", "duration_s": 120, "amplitude_uv_rms": 100.0}


def speed(tmp: Path, repeat: int) -> None:
    spec = make_spec("bench_pink", "v1", 1024, 160, PINK, 42)
    rows = []
    times = {}
    for workers in (1, 2):
        times[workers] = best_of(lambda: write_hdf5(tmp / "s.h5", spec, "2026-11-22", workers=workers), repeat)
        rows.append([f"generate + HDF5, {workers} worker(s)", times[workers], f"<= {TARGET_S}", "yes" if times[workers] <= TARGET_S else "NO"])
    full = best_of(lambda: build(spec, tmp / "full", "2026-11-22", workers=2), repeat)
    rows.append(["full build (HDF5 + .float32 + manifest)", full, "-", "-"])
    try:
        import colorednoise
    except ImportError:
        rows.append(["colorednoise.powerlaw_psd_gaussian", "not installed", "-", "-"])
    else:
        base = best_of(lambda: colorednoise.powerlaw_psd_gaussian(1, (1024, spec.n_samples), random_state=42), repeat)
        best = min(times.values())
        rows.append(["colorednoise.powerlaw_psd_gaussian (memory only)", base, "-", "-"])
        rows.append(["ratio colorednoise / ours (generate + HDF5)", base / best, "> 1 = ours faster", "-"])
    table(f"pink noise 1024 ch x 120 s at 160 Hz ({spec.channels * spec.n_samples * 4 / 1e6:.1f} MB float32), best of {repeat}",
          ["figure", "seconds", "target", "met"], rows)


def memory(tmp: Path) -> None:
    rows = []
    for channels in (1024, 2048, 4096):
        out = tmp / f"mem{channels}"
        wall, peak = run_tree([str(BIN / "synthbank"), "signals", "generate", "pink_noise", "--channels", str(channels),
                               "--sample-rate", "160", "--duration", "120", "--output-dir", str(out), "--yes", "--workers", "2"])
        rows.append([channels, peak, wall, f"<= {TARGET_MB:.0f}", "yes" if peak <= TARGET_MB else "NO"])
        shutil.rmtree(out)
    baseline_wall, baseline = run_tree([sys.executable, "-c", "import numpy, h5py, yaml, synthbank.families.signals.build"])
    rows.append(["imports only", baseline, baseline_wall, "-", "-"])
    table("peak memory of `synthbank signals generate pink_noise` (120 s at 160 Hz, 2 workers), process RSS",
          ["channels", "peak MB", "wall s", "target", "met"], rows)


def validation(tmp: Path, repeat: int) -> None:
    rows = []
    for name, version, channels, rate, params in (
        ("bench_pink", "v1", 1024, 160, PINK),
        ("bench_chirp", "v2", 64, 500, {"signal_type": "chirp", "duration_s": 10, "nan_rate": 0.01, "dc_offset_uv": 25.0}),
    ):
        spec = make_spec(name, version, channels, rate, params, 42)
        gen = best_of(lambda: build(spec, tmp / name, "2026-11-22", workers=2), repeat)
        val = best_of(lambda: compute(tmp / name, spec, (0.5, 40.0)), repeat)
        rows.append([f"{name} ({channels} ch)", gen, val, val / gen, "<= 1", "yes" if val <= gen else "NO"])
    table(f"validation vs generation (full build incl. .float32 and checksums), best of {repeat}",
          ["dataset", "generate s", "validate s", "ratio", "target", "met"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    print(f"numpy {np.__version__}; machine shared with other jobs: figures are provisional")
    with tempfile.TemporaryDirectory(prefix="bench-signals-") as tmp:
        t = time.perf_counter()
        speed(Path(tmp), args.repeat)
        memory(Path(tmp))
        validation(Path(tmp), args.repeat)
        print(f"\n(total {time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
