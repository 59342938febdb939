"""The whole default pipeline: ``dvc repro -f`` in a fresh clone, and where each stage's time goes.

Run: ``python benchmarks/bench_pipeline.py [--repo PATH] [--rev REV] [--keep DIR]``

Clones the repository at ``--rev`` (default HEAD: params, code, dvc.yaml as committed)
into a temporary directory and runs ``dvc repro -f`` there with the clone's own code
(``PYTHONPATH``), with ``SYNTHBANK_TIMINGS`` set so that every
``synthbank`` process records its start, its imports and its exit (:mod:`synthbank.timings`).
Per stage, in pipeline order:

- ``wall``: from DVC's ``Running stage`` line to the next one (the stage's whole cost);
- ``python``: a bare interpreter's start (``python -c pass``, best of 5);
- ``imports``: importing every module of the stage's source list
  (``pipeline/sources/<list>.txt``: what its command imports, numpy, h5py, typer... with
  them), in a fresh interpreter, best of 3;
- ``run``: the rest of the command's own wall (``synthbank.timings``): compute, writing,
  its manifest's hashing;
- ``dvc``: the rest of the stage's wall: DVC's own work per stage (hashing the outputs,
  copying them into the cache, the run-cache, dvc.lock);
- ``out MB``: the bytes of the stage's outputs (dvc.lock), which DVC hashes and caches;
- ``peak MB``: the peak summed RSS of the process tree (dvc, synthbank, its workers)
  while the stage ran.

A revision older than :mod:`synthbank.timings` gives the stages' wall only ("-" elsewhere).
Then the totals, the peak summed RSS of the process tree (dvc, synthbank and its
workers) with the stage running at that moment, and the targets of issue 17 (<= 60 s,
<= 600 MB). The machine's other load shows in the figures: run it on a quiet host.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, REPO, compile_sources, summary, table, tree_rss  # noqa: E402

TARGET_S = 60.0
TARGET_MB = 600.0
RUNNING = re.compile(r"^Running stage '([^']+)'")


def repro(clone: Path, timings: Path) -> tuple[float, list[tuple[str, float]], dict[str, float]]:
    """Run ``dvc repro -f``; return (wall s, [(stage, start s)], {stage: peak summed RSS MB})."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1",
               SYNTHBANK_TIMINGS=str(timings))
    env["PYTHONPATH"] = str(clone / "src")
    starts: list[tuple[str, float]] = []
    start = time.time()
    proc = subprocess.Popen(["dvc", "repro", "-f"], cwd=clone, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    output: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            output.append(line)
            m = RUNNING.match(line)
            if m:
                starts.append((m.group(1), time.time()))

    reader = threading.Thread(target=read)
    reader.start()
    root = psutil.Process(proc.pid)
    peaks: dict[str, float] = {}
    while proc.poll() is None:
        rss = tree_rss(root)
        stage = starts[-1][0] if starts else "(start)"
        peaks[stage] = max(peaks.get(stage, 0.0), rss / 1e6)
        time.sleep(0.05)  # a sample costs ~1.5 ms of CPU: more often would load the run it measures
    end = time.time()
    reader.join()
    if proc.returncode != 0:
        raise SystemExit("dvc repro -f failed:\n" + "".join(output[-30:]))
    return end - start, [(s, t - start) for s, t in starts] + [("(end)", end - start)], peaks


def lock_facts(clone: Path) -> tuple[dict[str, int], dict[str, str]]:
    """From dvc.lock: each stage's output bytes, and the name of its source list (``pipeline/sources/<name>.txt``)."""
    lock = yaml.safe_load((clone / "dvc.lock").read_text("utf-8"))["stages"]
    sizes = {name: sum(o.get("size", 0) for o in stage.get("outs", [])) for name, stage in lock.items()}
    lists = {name: Path(dep["path"]).stem for name, stage in lock.items()
             for dep in stage.get("deps", []) if dep["path"].startswith("pipeline/sources/")}
    return sizes, lists


def best_process(code: str, clone: Path, repeat: int) -> float:
    """Fastest wall of ``python -c code`` (its own figure if it prints one), seconds."""
    env = dict(os.environ, PYTHONPATH=str(clone / "src"))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run([str(BIN / "python"), "-c", code], cwd=clone, env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        best = min(best, float(out) if out else time.perf_counter() - start)
    return best


def import_costs(clone: Path) -> dict[str, float]:
    """Per source list of pipeline/sources: seconds to import all its modules in a fresh interpreter."""
    costs = {}
    for path in sorted((clone / "pipeline" / "sources").glob("*.txt")):
        files = [line.split()[1] for line in path.read_text("utf-8").splitlines() if line and not line.startswith("#")]
        modules = [f[len("src/"):-len(".py")].replace("/", ".").removesuffix(".__init__") for f in files if f.endswith(".py")]
        code = ("import time; t = time.perf_counter()\n" + "".join(f"import {m}\n" for m in modules)
                + "print(time.perf_counter() - t)")
        costs[path.stem] = best_process(code, clone, 3)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="the repository to clone (its committed state)")
    parser.add_argument("--rev", default="HEAD", help="the revision to check out in the clone")
    parser.add_argument("--keep", type=Path, help="clone here and keep it (default: a temporary directory)")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    clone = base / "repo"
    try:
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(args.repo), str(clone)], check=True)
        subprocess.run(["git", "-c", "advice.detachedHead=false", "checkout", "-q", args.rev], cwd=clone, check=True)
        compile_sources(clone / "src")
        timings = base / "timings.jsonl"
        wall, starts, peaks = repro(clone, timings)
        peak_stage = max(peaks, key=peaks.get)
        peak = peaks[peak_stage]
        lines = {}
        for raw in (timings.read_text("utf-8").splitlines() if timings.exists() else []):
            rec = json.loads(raw)
            lines[rec["stage"]] = rec
        sizes, lists = lock_facts(clone)
        python = best_process("pass", clone, 5)
        imports = import_costs(clone)
        rows, totals = [], [0.0] * 5
        for (stage, t0), (_, t1) in zip(starts, starts[1:]):
            rec = lines.get(stage)
            stage_wall = t1 - t0
            if rec is None:  # a revision without synthbank.timings
                totals[0] += stage_wall
                rows.append([stage, stage_wall, "-", "-", "-", "-", f"{sizes.get(stage, 0) / 1e6:,.1f}", f"{peaks.get(stage, 0):,.0f}"])
                continue
            command = rec["exited"] - rec["started"]
            parts = [python, imports.get(lists.get(stage, ""), 0.0)]
            parts.append(command - sum(parts))
            dvc = stage_wall - command
            for i, v in enumerate([stage_wall, *parts, dvc]):
                totals[i] += v
            rows.append([stage, stage_wall, *parts, dvc, f"{sizes.get(stage, 0) / 1e6:,.1f}", f"{peaks.get(stage, 0):,.0f}"])
        rows.append(["TOTAL (stages)", *totals, f"{sum(sizes.values()) / 1e6:,.1f}", f"{peak:,.0f}"])
        before = starts[0][1]
        table(f"dvc repro -f, {len(starts) - 1} stages, {os.cpu_count()} cores (seconds)",
              ["stage", "wall", "python", "imports", "run", "dvc", "out MB", "peak MB"], rows)
        print(f"\nbefore the first stage (dvc start, graph, params): {before:.2f} s")
        print(f"whole dvc repro -f: {wall:.1f} s (target <= {TARGET_S:.0f} s: {'met' if wall <= TARGET_S else 'NOT met'})")
        summary("dvc repro -f, default pipeline", f"{wall:.1f} s ({len(starts) - 1} stages)", "-", f"<= {TARGET_S:.0f} s",
                wall <= TARGET_S)
        summary("dvc repro -f, peak RSS of the process tree", f"{peak:.0f} MB", f"during {peak_stage}",
                f"<= {TARGET_MB:.0f} MB", peak <= TARGET_MB)
        print(f"peak RSS of the process tree: {peak:.0f} MB during {peak_stage} "
              f"(target <= {TARGET_MB:.0f} MB: {'met' if peak <= TARGET_MB else 'NOT met'})")
        if lines:
            share = {k: v / totals[0] for k, v in zip(("python", "imports", "run", "dvc"), totals[1:])}
            print("shares of the stages' wall: " + ", ".join(f"{k} {v:.0%}" for k, v in share.items()))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
