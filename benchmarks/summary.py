"""``make bench-summary``: every issue-17 target in one table, each measured by its benchmark now.

Runs the headline benchmarks one after another (each a whole process, as you would run it
alone), collects the ``SUMMARY`` lines they print (:func:`_common.summary`) and prints one
table: what, the figure, its baseline from the same run, the target and whether it is met.
Their full tables go to ``benchmarks/summary.log``. Takes about five minutes on 2 cores;
run it on a quiet machine. ``--only NAME`` runs the benchmarks whose file name contains it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _common import BIN, REPO, SUMMARY, table

HERE = Path(__file__).resolve().parent
#: (script, arguments): the figures of issue 17's targets.
BENCHMARKS = (
    ("bench_pipeline.py", ()),
    ("bench_cli_start.py", ("11",)),
    ("bench_signals_whole.py", ("--pairs", "3")),
    ("bench_ptycho_simulate.py", ("--repeats", "5")),
    ("bench_energy_generate.py", ("--repeats", "5")),
    ("bench_chromatic_generate.py", ("--repeats", "3")),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the benchmarks whose file name contains this")
    parser.add_argument("--log", type=Path, default=HERE / "summary.log")
    args = parser.parse_args()
    rows, failed = [], []
    with args.log.open("w", encoding="utf-8") as log:
        for script, extra in BENCHMARKS:
            if args.only not in script:
                continue
            start = time.perf_counter()
            proc = subprocess.run([str(BIN / "python"), str(HERE / script), *extra], cwd=REPO, capture_output=True,
                                  text=True, stdin=subprocess.DEVNULL)
            seconds = time.perf_counter() - start
            log.write(f"$ python benchmarks/{script} {' '.join(extra)}   ({seconds:.0f} s, exit {proc.returncode})\n")
            log.write(proc.stdout + proc.stderr + "\n")
            lines = [line[len(SUMMARY):].split("\t") for line in proc.stdout.splitlines() if line.startswith(SUMMARY)]
            if proc.returncode != 0 or not lines:
                failed.append(f"{script} (exit {proc.returncode}, see {args.log})")
            rows += [[script.removeprefix("bench_").removesuffix(".py"), *line] for line in lines]
            print(f"{script}: {seconds:.0f} s", file=sys.stderr, flush=True)
    table("issue 17 targets, measured now (full tables in " + str(args.log.relative_to(REPO) if args.log.is_relative_to(REPO) else args.log) + ")",
          ["benchmark", "what", "figure", "baseline (same run)", "target", "met"], rows)
    if failed:
        raise SystemExit("failed: " + "; ".join(failed))


if __name__ == "__main__":
    main()
