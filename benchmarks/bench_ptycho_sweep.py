"""The full default ptycho sweep (three doses, every stage and view): under a minute.

Run: ``python benchmarks/bench_ptycho_sweep.py`` (from the repository, project venv).

Two measurements in the same run, each from scratch in a temporary directory:

- ``dvc repro finalize_ptycho`` in a throwaway git copy of the project (19 stages: six
  per dose and the final one), the target being < 60 s on 2 cores;
- ``synthbank ptycho sweep`` (the same functions in one process, no dvc), the
  baseline: what the stages cost without process start-ups and dvc's hashing/caching.

Both report wall seconds and the peak summed RSS of the process tree; the outputs are
checked byte-identical (the manifests' sha256 per file).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from _common import BIN, REPO, run_tree, table

sys.path.insert(0, str(REPO / "tests"))
from conftest import Runner, make_project  # noqa: E402  (the tests' project-copy helper)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-ptycho-") as tmp:
        tmp = Path(tmp)
        (tmp / "site").mkdir()
        project = make_project(tmp, Runner(tmp / "site"))
        dvc_wall, dvc_mb = run_tree([str(BIN / "dvc"), "repro", "finalize_ptycho"], cwd=project.path)
        out = tmp / "direct"
        gen_wall, gen_mb = run_tree([str(BIN / "synthbank"), "ptycho", "sweep", "--output-dir", str(out)], cwd=REPO)
        a = {e["path"].removeprefix("data/ptycho/"): e["sha256"] for e in json.loads((project.path / "manifests/ptycho.json").read_text())["entries"]}
        b = {e["path"]: e["sha256"] for e in json.loads((out / "manifest.json").read_text())["entries"]}
        size = sum(e["bytes"] for e in json.loads((out / "manifest.json").read_text())["entries"])
    table(
        "ptycho default sweep from scratch (3 doses x 6 stages + final), 2-core machine",
        ["run", "wall s", "peak RSS MB", "target"],
        [("dvc repro finalize_ptycho", dvc_wall, dvc_mb, "< 60 s"), ("synthbank ptycho sweep (baseline)", gen_wall, gen_mb, "-")],
    )
    print(f"\ndvc / in-process: {dvc_wall / gen_wall:.1f}x; outputs {size / 1e6:.0f} MB; identical bytes: {a == b}")


if __name__ == "__main__":
    main()
