"""Whole process, pink noise: ``synthbank generate signals`` against colorednoise doing the same job (issue 17).

Run: ``python benchmarks/bench_signals_whole.py [--pairs 5]`` with colorednoise 2.2.0
installed (``pip install -r benchmarks/requirements.txt``; used only here).

A is the pipeline's command, ``synthbank generate signals --dataset pink_<C>ch --workers 2``,
on a params file holding params.yaml's ``pink_1024ch`` entry (v3, 120 s at 160 Hz,
100 uV RMS) at C = 1024 and 4096 channels: interpreter start, imports, params checks,
generation, ``signal.h5``, ``signal.float32``, ``spec.yaml``, the generation manifest
with checksums, and the commit's fsync, with synthbank's sources byte-compiled first
(as an installed package's are). B is ``benchmarks/colorednoise_job.py``:
``powerlaw_psd_gaussian(1, (C, 19200))`` scaled to the same RMS, written as the same
HDF5 dataset and interleaved .float32, with a sha256 manifest (no fsync). C is B with
``--fsync``: the files made durable as synthbank's writing contract requires (docs/writing.md),
for reference; the target is stated against B.

A, B and C run in turn (A B C A B C ...), each a fresh process; the ratios B/A and C/A are
taken round by round and their medians printed, with each side's median wall time and its peak RSS
(the kernel's ``ru_maxrss`` of the finished child, from ``os.wait4``). Targets: ratio
>= 2.4 at 1024 channels, peak <= 64 MB at 1024 and 4096.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import BIN, REPO, compile_sources, maxrss_mb, summary, table

TARGET_RATIO = 2.4
TARGET_MB = 64.0
SAMPLE_RATE_HZ = 160
DURATION_S = 120


def params_file(directory: Path, channel_counts: list[int]) -> Path:
    """params.yaml with only ``pink_<C>ch`` datasets (params.yaml's pink_1024ch entry at each count)."""
    params = yaml.safe_load((REPO / "params.yaml").read_text("utf-8"))
    pink = params["signals"]["datasets"]["pink_1024ch"]
    params["signals"]["datasets"] = {f"pink_{c}ch": dict(pink, channels=c) for c in channel_counts}
    path = directory / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), "utf-8")
    return path


def run(cmd: list[str], out: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one run of ``cmd`` writing ``out`` (removed before and after)."""
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr.decode()}")
    shutil.rmtree(out, ignore_errors=True)
    return wall, maxrss_mb(usage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="A/B pairs per channel count")
    parser.add_argument("--channels", type=int, nargs="+", default=[1024, 4096])
    args = parser.parse_args()
    try:
        import colorednoise  # noqa: F401
    except ImportError:
        raise SystemExit("colorednoise is not installed: pip install -r benchmarks/requirements.txt") from None
    print(f"{os.cpu_count()} cores, shared with other jobs: quote the medians of the paired ratios")
    compile_sources()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-signals-whole-") as tmp:
        tmp_path = Path(tmp)
        params = params_file(tmp_path, args.channels)
        for channels in args.channels:
            a_cmd = [str(BIN / "synthbank"), "generate", "signals", "--params", str(params), "--dataset",
                     f"pink_{channels}ch", "--output-dir", str(tmp_path / "a"), "--workers", "2", "--yes"]
            b_cmd = [sys.executable, str(REPO / "benchmarks" / "colorednoise_job.py"), str(tmp_path / "b"),
                     "--channels", str(channels), "--samples", str(SAMPLE_RATE_HZ * DURATION_S)]
            c_cmd = [*b_cmd, "--fsync"]
            a_runs, b_runs, c_runs = [], [], []
            run(a_cmd, tmp_path / "a")  # warm-up: page cache, .pyc files
            run(b_cmd, tmp_path / "b")
            for _ in range(args.pairs):
                a_runs.append(run(a_cmd, tmp_path / "a"))
                b_runs.append(run(b_cmd, tmp_path / "b"))
                c_runs.append(run(c_cmd, tmp_path / "b"))
            ratio, ratio_fsync = (statistics.median(x[0] / a[0] for a, x in zip(a_runs, runs, strict=True))
                                  for runs in (b_runs, c_runs))
            a_wall, b_wall, c_wall = (statistics.median(r[0] for r in runs) for runs in (a_runs, b_runs, c_runs))
            a_peak, b_peak = (max(r[1] for r in runs) for runs in (a_runs, b_runs))
            rows.append([channels, a_wall, a_peak, b_wall, b_peak, ratio, c_wall, ratio_fsync,
                         "yes" if a_peak <= TARGET_MB and (channels != 1024 or ratio >= TARGET_RATIO) else "NO"])
    for r in rows:
        summary(f"pink {r[0]} ch x {DURATION_S} s, whole process", f"{r[1]:.2f} s, peak {r[2]:.0f} MB",
                f"colorednoise {r[3]:.2f} s: {r[5]:.2f}x (with fsync {r[6]:.2f} s: {r[7]:.2f}x)",
                f">= {TARGET_RATIO}x at 1024 ch, <= {TARGET_MB:.0f} MB", r[8] == "yes")
    table(f"pink noise {DURATION_S} s at {SAMPLE_RATE_HZ} Hz, whole process, median of {args.pairs} A/B/C rounds "
          f"(targets: colorednoise/synthbank >= {TARGET_RATIO} at 1024 ch, synthbank peak <= {TARGET_MB:.0f} MB)",
          ["channels", "synthbank s", "synthbank peak MB", "colorednoise s", "colorednoise peak MB",
           "ratio colorednoise/synthbank", "colorednoise + fsync s", "ratio (+ fsync)", "met"], rows)


if __name__ == "__main__":
    main()
