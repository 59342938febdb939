"""The determinism matrix: every family, small configuration, each emulated CPU setting.

Each setting runs ``python -m synthbank.determinism run`` in a fresh interpreter (numpy
reads ``NPY_DISABLE_CPU_FEATURES``, glibc ``GLIBC_TUNABLES`` and OpenBLAS its core type
only at start-up) and every file's sha256 must equal ``tests/golden/determinism.json``,
so this test holds any machine to the same bytes. A second test shows that the matrix
catches a non-portable change: numpy's float32 ``exp`` put in place of the portable one
gives different bytes with and without AVX2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthbank import depgraph, determinism

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
GOLDEN = json.loads((REPO / "tests" / "golden" / "determinism.json").read_text("utf-8"))["checksums"]


def test_golden_covers_every_family() -> None:
    families = {determinism.family_of(p) for p in GOLDEN}
    assert families == set(determinism.FAMILIES)
    assert len(GOLDEN) >= 90  # data, manifests, metrics and reports of all six


@pytest.mark.parametrize("setting", determinism.settings(), ids=lambda s: s.name)
def test_setting_gives_the_golden_checksums(setting: determinism.Setting, tmp_path: Path) -> None:
    result = determinism.run_setting(REPO, setting, tmp_path)
    diff = {fam: paths for fam, paths in determinism.compare(GOLDEN, result["checksums"]).items() if paths}
    assert not diff, f"{setting.name} ({dict(setting.env)}, {setting.workers} workers) differs from golden: {diff}"
    assert result["exit_codes"] == {}, result["exit_codes"]


# numpy's float32 exp, which runs different SIMD code per CPU level, standing in for the
# portable one: the kind of change the matrix exists to reject.
_NON_PORTABLE = """
import sys
import numpy as np
from synthbank import numerics
numerics.exp = lambda x: np.exp(np.asarray(x, dtype=np.float32)).astype(np.float64)
from synthbank.determinism import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif("avx2" not in determinism.cpu_flags(), reason="needs a CPU with AVX2 to emulate one without")
def test_matrix_catches_a_non_portable_change(tmp_path: Path) -> None:
    sums = {}
    for name, extra in (("default", {}), ("x86-64-v2", {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4"})):
        out = tmp_path / name
        env = {**os.environ, **extra}
        subprocess.run(
            [sys.executable, "-c", _NON_PORTABLE, "run", "--repo", str(REPO), "--out", str(out / "work"),
             "--result", str(out / "result.json")],
            env=env, stdin=subprocess.DEVNULL, capture_output=True, check=True, timeout=600,
        )
        sums[name] = json.loads((out / "result.json").read_text("utf-8"))["checksums"]
    diff = determinism.compare(sums["default"], sums["x86-64-v2"])
    assert diff["atomic"], "float32 np.exp on stored values should change atomic's bytes between CPU levels"
    assert any(diff.values())
    assert determinism.compare(GOLDEN, sums["default"])["atomic"], "and differ from the golden checksums"


def _verbs(cmd: str) -> tuple[str, ...]:
    """``synthbank generate atomic --x y`` -> ("generate", "atomic")."""
    words = depgraph.command_words(cmd)  # without the stage's NAME=value environment
    assert words[0] == "synthbank", cmd
    return tuple(w for w in words[1:3] if not w.startswith("-"))


def test_matrix_runs_every_stage_of_the_pipeline() -> None:
    """The matrix's commands are dvc.yaml's stages: a new stage cannot escape it."""
    import yaml

    stages = yaml.safe_load((REPO / "dvc.yaml").read_text("utf-8"))["stages"]
    # `sources` writes no data; `describe` writes text from the manifests and metrics the matrix
    # already pins, with no arithmetic (no numpy: test_the_builders_import_no_numpy in tests/describe/test_croissant.py), and the
    # determinism gate (tests/test_lock_reproduced.py) reproduces it under the most different CPU.
    in_pipeline = {_verbs(" ".join(str((s.get("do") or s)["cmd"]).split())) for name, s in stages.items()
                   if name not in ("sources", "describe")}
    p = determinism.small_params(REPO)
    in_matrix = {_verbs("synthbank " + " ".join(c)) for c in determinism.commands(p, 2)}
    assert in_pipeline == in_matrix
