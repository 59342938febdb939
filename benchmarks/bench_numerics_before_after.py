"""Generation speed of every family with the portable numerics, against the code before it.

Run: ``python benchmarks/bench_numerics_before_after.py [--ref 97e28e9] [--repeats 3]``

Each family's generation command (``synthbank generate ...`` or its ``simulate`` stage) is
run as a whole process on the default params, once with ``src/`` and params.yaml of this
checkout and once with those of ``--ref`` (extracted by ``git archive``/``git show``), alternating
A B A B so drift on a shared machine hits both. One worker, so the figure is compute, not
scheduling. Prints the median wall seconds of each side and the median of the paired
ratios (after / before; above 1 is slower).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from _common import table

REPO = Path(__file__).resolve().parents[1]
#: The last commit before synthbank.numerics (issue 11).
BASELINE_REF = "97e28e9"

#: (family, label, synthbank arguments); outputs go to a fresh directory per run.
JOBS: list[tuple[str, str, list[str]]] = [
    ("atomic", "200,000 images", ["generate", "atomic", "--output-dir", "{out}", "--workers", "1", "--yes"]),
    ("chromatic", "8 samples", ["generate", "chromatic", "--output-dir", "{out}", "--preview-dir", "{out}/previews",
                                "--workers", "1", "--yes"]),
    ("public", "3 demos", ["generate", "public", "--sources", "sources/public", "--licenses", "LICENSES",
                           "--output-dir", "{out}", "--manifest", "{out}/manifest.json"]),
    ("signals", "pink 1024 ch x 120 s (v1 -> v3)", ["generate", "signals", "--dataset", "pink_1024ch", "--output-dir", "{out}",
                                         "--workers", "1", "--yes"]),
    ("signals", "sine 64 ch x 10 s (v1 -> v3)", ["generate", "signals", "--dataset", "sine_64ch", "--output-dir", "{out}",
                                                 "--workers", "1", "--yes"]),
    ("signals", "white 128 ch x 10 s (v2 -> v3)", ["generate", "signals", "--dataset", "white_128ch", "--output-dir",
                                                   "{out}", "--workers", "1", "--yes"]),
    ("ptycho", "simulate, dose 10,000", ["ptycho", "simulate", "--dose", "10000", "--root", "{out}"]),
    ("energy", "fluid_dynamics (vortex)", ["generate", "energy", "--domain", "fluid_dynamics", "--output-dir", "{out}"]),
    ("energy", "plasma_physics (turbulent)", ["generate", "energy", "--domain", "plasma_physics", "--output-dir", "{out}"]),
]


def extract(ref: str, dest: Path) -> Path:
    """``src/`` of ``ref`` under ``dest``."""
    blob = subprocess.run(["git", "-C", str(REPO), "archive", ref, "src"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def timed(src: Path, work: Path, args: list[str]) -> float:
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "synthbank", *(a.replace("{out}", str(out)) for a in args)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", default=BASELINE_REF, help="the 'before' commit (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="synthbank-bench-") as tmp:
        tmp = Path(tmp)
        before = extract(args.ref, tmp / "before")
        after = REPO / "src"
        # Each side with its own params.yaml (the signals datasets moved from v1/v2 to v3).
        work_before, work_after = tmp / "work-before", tmp / "work-after"
        for work in (work_before, work_after):
            work.mkdir()
            for name in ("sources", "LICENSES"):
                shutil.copytree(REPO / name, work / name)
        shutil.copy2(REPO / "params.yaml", work_after / "params.yaml")
        (work_before / "params.yaml").write_bytes(subprocess.run(
            ["git", "-C", str(REPO), "show", f"{args.ref}:params.yaml"], check=True, capture_output=True).stdout)
        rows = []
        for family, label, cmd in JOBS:
            timed(after, work_after, cmd)  # warm-up: page cache, byte-code
            a, b = [], []
            for _ in range(args.repeats):
                b.append(timed(before, work_before, cmd))
                a.append(timed(after, work_after, cmd))
            ratios = [x / y for x, y in zip(a, b, strict=True)]
            rows.append([family, label, statistics.median(b), statistics.median(a), f"{statistics.median(ratios):.2f}x"])
        table(f"generation, whole process, one worker: before = {args.ref}, after = this checkout "
              f"(median of {args.repeats}, paired ratio after/before)",
              ["family", "job", "before s", "after s", "ratio"], rows)


if __name__ == "__main__":
    main()
