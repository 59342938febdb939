"""The determinism matrix: every family at a small configuration, under emulated CPUs.

One *run* generates (and validates) every family from a small params file in a scratch
directory, through the real ``synthbank`` commands in this process, and returns the
sha256 of every file written. The *matrix* repeats that run in fresh processes under
settings that change which machine code computes the numbers:

- numpy's SIMD dispatch (``NPY_DISABLE_CPU_FEATURES`` of each group above the baseline
  that the host has: ``X86_V3`` for AVX2/FMA, ``X86_V4`` for AVX-512);
- glibc's libm without its FMA/AVX2 variants (``GLIBC_TUNABLES``);
- OpenBLAS kernels (``OPENBLAS_CORETYPE``) and thread counts;
- one or two worker processes.

Every setting must give the same checksums, and these must equal the golden checksums
committed in ``tests/golden/determinism.json``, so one test compares any machine with
the same bytes. Command line::

    python -m synthbank.determinism matrix                # the table; exit 1 on a difference
    python -m synthbank.determinism run --out DIR         # one run, checksums as JSON
    python -m synthbank.determinism matrix --write-golden tests/golden/determinism.json
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Overrides of params.yaml that make every family small (seconds, not minutes) while
#: keeping each code path: atomic crosses a block boundary, ptycho keeps two doses, energy
#: every domain and every perturbation, signals every generator version and type.
SMALL: dict[str, Any] = {
    "atomic": {"num_images": 11000},
    "chromatic": {"num_samples": 2, "previews": 1},
    "signals": {"datasets": {
        "sine_64ch": {"channels": 4, "params": {"duration_s": 2}},
        "pink_1024ch": {"channels": 16, "params": {"duration_s": 20}},
        "white_128ch": {"channels": 8, "params": {"duration_s": 2}},
        "chirp_nan_64ch": {"channels": 4, "params": {"duration_s": 4}},
    }},
    "ptycho": {"doses": [1000, 100000], "object": {"size_px": 160}, "scan": {"step_px": 12}},
    "energy": {"shape": [128, 128], "n_sequences": 2, "n_steps": 5, "scales": [128, 64]},
}

#: The thread variables a BLAS or OpenMP runtime reads.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: glibc's libm as on a CPU without AVX2 and FMA (its multiarch variants are skipped).
NO_FMA_LIBM = "glibc.cpu.hwcaps=-AVX2,-FMA"  # glibc >= 2.33 spelling (Debian 12 has 2.36)


@dataclass(frozen=True)
class Setting:
    """One row of the matrix: environment variables and the worker count."""

    name: str
    env: Mapping[str, str] = field(default_factory=dict)
    workers: int = 2


def cpu_flags() -> set[str]:
    """The host CPU's feature flags (empty where /proc/cpuinfo has none)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return set(line.split(":", 1)[1].split())
    return set()


def settings(flags: set[str] | None = None) -> list[Setting]:
    """The matrix rows this host can emulate, the default first, the most different last."""
    flags = cpu_flags() if flags is None else flags
    x86 = platform.machine() in ("x86_64", "AMD64")
    rows = [Setting("default")]
    if x86 and "avx512f" in flags:
        rows.append(Setting("numpy without X86_V4 (as AVX2)", {"NPY_DISABLE_CPU_FEATURES": "X86_V4"}))
    if x86 and "avx2" in flags:
        rows.append(Setting("numpy without X86_V3 (as x86-64-v2)", {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4"}))
    rows.append(Setting("libm without FMA/AVX2", {"GLIBC_TUNABLES": NO_FMA_LIBM}))
    if x86:
        for core in ("Haswell", "Sandybridge", "Prescott"):
            rows.append(Setting(f"OpenBLAS {core}", {"OPENBLAS_CORETYPE": core}))
    rows.append(Setting("1 thread, 1 worker", {v: "1" for v in THREAD_VARS}, workers=1))
    rows.append(Setting("2 threads, 2 workers", {v: "2" for v in THREAD_VARS}, workers=2))
    rows.append(Setting("most different", most_different_env(flags), workers=1))
    return rows


def most_different_env(flags: set[str] | None = None) -> dict[str, str]:
    """Every knob at once, away from the host's default: the CI gate's second repro."""
    flags = cpu_flags() if flags is None else flags
    env = {"GLIBC_TUNABLES": NO_FMA_LIBM, **{v: "1" for v in THREAD_VARS}}
    if platform.machine() in ("x86_64", "AMD64"):
        env["OPENBLAS_CORETYPE"] = "Prescott"
        if "avx2" in flags:
            env["NPY_DISABLE_CPU_FEATURES"] = "X86_V3 X86_V4" if "avx512f" in flags else "X86_V3"
    return env


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def small_params(repo: Path) -> dict[str, Any]:
    """The repository's params.yaml with :data:`SMALL` applied."""
    raw = yaml.safe_load((repo / "params.yaml").read_text("utf-8"))
    return _merge(raw, SMALL)


def commands(p: Mapping[str, Any], workers: int) -> list[list[str]]:
    """The stages of dvc.yaml for params ``p``, as ``synthbank`` argument lists."""
    w = ["--workers", str(workers)]
    cmds = [
        ["generate", "atomic", "--output-dir", "data/atomic", "--manifest", "manifests/atomic.json", *w,
         "--shard-blocks", "1", "--yes"],
        ["validate", "atomic", "--data-dir", "data/atomic", "--metrics", "metrics/atomic.json",
         "--report-dir", "reports/atomic", "--reports-manifest", "manifests/atomic.reports.json"],
        ["generate", "chromatic", "--output-dir", "data/chromatic", "--preview-dir", "reports/chromatic/previews",
         "--manifest", "manifests/chromatic.json", *w, "--yes"],
        ["validate", "chromatic", "--data-dir", "data/chromatic", "--manifest", "manifests/chromatic.json",
         "--metrics", "metrics/chromatic.json", "--report-dir", "reports/chromatic", *w,
         "--reports-manifest", "manifests/chromatic.reports.json"],
        ["generate", "public", "--sources", "sources/public", "--licenses", "LICENSES", "--output-dir", "data/public",
         "--manifest", "manifests/public.json"],
        ["validate", "public", "--data-dir", "data/public", "--manifest", "manifests/public.json",
         "--metrics", "metrics/public.json", "--reports-manifest", "manifests/public.reports.json"],
    ]
    for name in sorted(p["signals"]["datasets"]):
        cmds.append(["generate", "signals", "--dataset", name, "--output-dir", f"data/signals/{name}", *w, "--yes"])
        cmds.append(["validate", "signals", "--dataset", name, "--data-dir", f"data/signals/{name}",
                     "--report-dir", f"reports/signals/{name}"])
    cmds.append(["finalize", "signals", "--data-dir", "data/signals", "--report-dir", "reports/signals",
                 "--manifest", "manifests/signals.json", "--metrics", "metrics/signals.json",
                 "--reports-manifest", "manifests/signals.reports.json"])
    for dose in p["ptycho"]["doses"]:
        cmds.append(["generate", "ptycho", "--dose", str(dose)])  # simulate, canonicalise, patch, split, views
        cmds.append(["validate", "ptycho", "--dose", str(dose)])
    cmds.append(["finalize", "ptycho", "--reports-manifest", "manifests/ptycho.reports.json"])
    for domain in sorted(p["energy"]["domains"]):
        cmds.append(["generate", "energy", "--domain", domain, "--output-dir", f"data/energy/{domain}"])
    cmds.append(["validate", "energy", "--data-dir", "data/energy", "--metrics", "metrics/energy.json",
                 "--report-dir", "reports/energy", "--reports-manifest", "manifests/energy.reports.json", *w])
    cmds.append(["finalize", "energy", "--data-dir", "data/energy", "--catalog", "data/catalogs/catalog.json",
                 "--manifest", "manifests/energy.json"])
    return cmds


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _family(cmd: list[str]) -> str:
    return cmd[1] if cmd[0] in ("generate", "validate", "finalize") else cmd[0]


def checksums(root: Path) -> dict[str, str]:
    """sha256 of every file under ``data/``, ``manifests/``, ``metrics/`` and ``reports/``."""
    out = {}
    for top in ("data", "manifests", "metrics", "reports"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file():
                out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run(repo: Path, work: Path, workers: int) -> dict[str, Any]:
    """Every family at the small configuration in ``work``; checksums, exit codes, seconds."""
    from synthbank import cli

    work.mkdir(parents=True, exist_ok=True)
    p = small_params(repo)
    (work / "params.yaml").write_text(yaml.safe_dump(p, sort_keys=False), "utf-8")
    for name in ("sources", "LICENSES"):
        shutil.copytree(repo / name, work / name, dirs_exist_ok=True)
    codes: dict[str, int] = {}
    seconds: dict[str, float] = {}
    with _cwd(work):
        for cmd in commands(p, workers):
            start = time.perf_counter()
            try:
                cli.main(cmd)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            family = _family(cmd)
            seconds[family] = seconds.get(family, 0.0) + time.perf_counter() - start
            if code == 2:  # bad input: the configuration itself is wrong, not the bytes
                raise RuntimeError(f"synthbank {' '.join(cmd)} refused its input (exit 2)")
            if code:
                codes[" ".join(cmd[:4])] = code
    return {"checksums": checksums(work), "exit_codes": codes, "seconds": seconds}


def family_of(path: str) -> str:
    """The family a written file belongs to (``data/catalogs`` is energy's)."""
    parts = path.split("/")
    if parts[0] in ("manifests", "metrics"):
        return parts[1].removesuffix(".json").removesuffix(".reports")  # <family>.reports.json too
    return "energy" if parts[1] == "catalogs" else parts[1]


FAMILIES = ("atomic", "chromatic", "public", "signals", "ptycho", "energy")


def run_setting(repo: Path, setting: Setting, scratch: Path) -> dict[str, Any]:
    """:func:`run` in a fresh interpreter with the setting's environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("NPY_DISABLE_CPU_FEATURES", "GLIBC_TUNABLES",
                                                              "OPENBLAS_CORETYPE", *THREAD_VARS)}
    env.update(setting.env)
    out = scratch / "result.json"
    proc = subprocess.run(
        [sys.executable, "-m", "synthbank.determinism", "run", "--repo", str(repo), "--out", str(scratch / "work"),
         "--workers", str(setting.workers), "--result", str(out)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{setting.name}: run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text("utf-8"))


def compare(golden: Mapping[str, str], got: Mapping[str, str]) -> dict[str, list[str]]:
    """Per family, the files whose checksum differs from golden (or is missing/extra)."""
    diff: dict[str, list[str]] = {f: [] for f in FAMILIES}
    for path in sorted(golden.keys() | got.keys()):
        if golden.get(path) != got.get(path):
            diff.setdefault(family_of(path), []).append(path)
    return diff


def matrix(repo: Path, golden: Mapping[str, str] | None, rows: list[Setting] | None = None) -> tuple[list[str], bool, dict[str, str]]:
    """Run every setting; the table lines, whether all match, and the first run's checksums."""
    rows = rows or settings()
    lines = [f"host: {platform.machine()} {platform.processor() or ''}".rstrip(),
             "flags: " + " ".join(sorted(f for f in cpu_flags() if f.startswith(("avx", "fma", "sse", "f16c")))),
             "", f"{'setting':40s} " + " ".join(f"{f:>9s}" for f in FAMILIES) + "  seconds"]
    ok, reference = True, None
    with tempfile.TemporaryDirectory(prefix="synthbank-matrix-") as tmp:
        for i, setting in enumerate(rows):
            result = run_setting(repo, setting, Path(tmp) / str(i))
            sums = result["checksums"]
            reference = reference or sums
            diff = compare(golden if golden is not None else reference, sums)
            cells = []
            for fam in FAMILIES:
                n = len(diff.get(fam, []))
                cells.append(f"{'ok' if n == 0 else f'{n} DIFF':>9s}")
                ok &= n == 0
            lines.append(f"{setting.name:40s} " + " ".join(cells) + f"  {sum(result['seconds'].values()):7.1f}")
            for fam in FAMILIES:
                for path in diff.get(fam, [])[:5]:
                    lines.append(f"    differs: {path}")
    return lines, ok, reference or {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthbank.determinism", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    one = sub.add_parser("run", help="one run at the small configuration")
    one.add_argument("--repo", type=Path, default=Path.cwd())
    one.add_argument("--out", type=Path, required=True)
    one.add_argument("--workers", type=int, default=2)
    one.add_argument("--result", type=Path)
    mat = sub.add_parser("matrix", help="every setting this host can emulate, against the golden checksums")
    mat.add_argument("--repo", type=Path, default=Path.cwd())
    mat.add_argument("--golden", type=Path, default=Path("tests/golden/determinism.json"))
    mat.add_argument("--write-golden", type=Path, help="write the default run's checksums here instead")
    args = parser.parse_args(argv)
    if args.verb == "run":
        result = run(args.repo.resolve(), args.out.resolve(), args.workers)
        text = json.dumps(result, indent=2, sort_keys=True) + "\n"
        if args.result:
            args.result.write_text(text, "utf-8")
        else:
            sys.stdout.write(text)
        return 0
    golden = None
    if args.write_golden is None:
        golden = json.loads(args.golden.read_text("utf-8"))["checksums"]
    lines, ok, reference = matrix(args.repo.resolve(), golden)
    print("\n".join(lines))
    if args.write_golden is not None:
        args.write_golden.parent.mkdir(parents=True, exist_ok=True)
        args.write_golden.write_text(json.dumps({"checksums": reference}, indent=2, sort_keys=True) + "\n", "utf-8")
        print(f"wrote {args.write_golden} ({len(reference)} files)")
    print("all settings give the golden checksums" if ok else "DIFFERENCES: see the table")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
