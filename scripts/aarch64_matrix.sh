#!/usr/bin/env bash
# The determinism run on aarch64 (arm64) under qemu-user, against the golden checksums.
#
# Builds, in the git-ignored scratch directory .aarch64/ at the repository root:
#   .aarch64/root   an arm64 Debian 12 root with python3.11 and the shared libraries it and
#                   the wheels need, extracted from arm64 .debs (no target binary is run,
#                   so no binfmt_misc, chroot or debootstrap second stage is needed);
#   .aarch64/site   the aarch64 wheels of the versions pinned in requirements.lock, for the
#                   packages the `synthbank` CLI imports (not dvc), installed by the host pip;
# then runs `python -m synthbank.determinism run --workers 1` with the arm64 interpreter
# under qemu-aarch64-static (-L .aarch64/root) into .aarch64/work, and the same natively
# (host venv) into .aarch64/x86, and prints, family by family, how many files of the
# aarch64 run differ from tests/golden/determinism.json (and, for context, x86 vs golden
# and aarch64 vs x86, which tells an aarch64 difference from a golden file not current).
#
# Usage: scripts/aarch64_matrix.sh [--rerun]
#   --rerun   run both generations again even if their results are current.
#   QEMU_CPU=neoverse-n1 (or cortex-a53, a64fx, ...; default "max") emulates another core:
#   numpy's SIMD dispatch and OpenBLAS's kernel follow it; use it with --rerun.
# Exit 0 if every file matches the golden checksums, 1 if any differs, 2 on a setup error.
#
# Idempotent: each step is skipped when its output is already there and up to date (the
# emulated run is redone when anything under src/, params.yaml, sources/ or the wheels is
# newer than its result). Needs root (apt-get) and the Debian and PyPI registries.
# Slow: the emulated run takes ~8 minutes on a 2-core x86-64 host (native: ~12 s; atomic
# alone is 7 of the 8 minutes); `make aarch64` runs it, `make test` and CI never do.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
A="$REPO/.aarch64"
ROOT="$A/root"
SITE="$A/site"
DEBS="$A/debs"
RESULT="$A/result.json"
HOSTPY="$REPO/.venv/bin/python"
GOLDEN="$REPO/tests/golden/determinism.json"
RERUN=0
[[ "${1:-}" == "--rerun" ]] && RERUN=1

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

[[ -x "$HOSTPY" ]] || die "no host venv at $REPO/.venv (run 'make venv' first)"
mkdir -p "$A"

# --- 1. qemu-user ------------------------------------------------------------------------
if ! command -v qemu-aarch64-static >/dev/null; then
    log "installing qemu-user-static"
    apt-get install -y qemu-user-static >&2
fi
QEMU="$(command -v qemu-aarch64-static)"

# --- 2. the arm64 root -------------------------------------------------------------------
# python3.11 (Debian 12: 3.11.2) and its run-time dependencies (apt-cache depends --recurse
# python3.11:arm64, less dpkg/perl/tar/install-info which only maintainer scripts use), plus
# libstdc++6 for the wheels' C++ extensions. Arch-independent ones are downloaded as _all.
ARM64_DEBS=(
    python3.11 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
    libc6 libgcc-s1 gcc-12-base libstdc++6 zlib1g libssl3 libffi8 libexpat1 libbz2-1.0
    liblzma5 libzstd1 libsqlite3-0 libncursesw6 libtinfo6 libreadline8 libuuid1 libcrypt1
    libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1
    libcom-err2 libdb5.3 libmd0 libselinux1 libpcre2-8-0 libacl1
)
ALL_DEBS=(media-types tzdata readline-common libtirpc-common)

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding the arm64 architecture to apt"
    dpkg --add-architecture arm64
    apt-get update >&2
fi
mkdir -p "$DEBS"
missing=()
for p in "${ARM64_DEBS[@]}"; do compgen -G "$DEBS/${p}_*_arm64.deb" >/dev/null || missing+=("$p:arm64"); done
for p in "${ALL_DEBS[@]}"; do compgen -G "$DEBS/${p}_*_all.deb" >/dev/null || missing+=("$p"); done
if ((${#missing[@]})); then
    log "downloading ${#missing[@]} .debs"
    # apt-get download writes to the current directory; as root it warns that the _apt
    # sandbox user cannot write there, so let _apt own the directory.
    chown _apt "$DEBS" 2>/dev/null || true
    (cd "$DEBS" && apt-get download "${missing[@]}" >&2)
fi
# Extract every .deb (dpkg-deb -x runs no maintainer script); redo from scratch when the
# set of .debs changed.
DEBLIST="$(cd "$DEBS" && find . -maxdepth 1 -name "*.deb" | LC_ALL=C sort)"
if [[ ! -f "$A/root.stamp" || "$(cat "$A/root.stamp")" != "$DEBLIST" || ! -x "$ROOT/usr/bin/python3.11" ]]; then
    log "extracting the .debs into $ROOT"
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    # No ld.so.cache is built (that needs the arm64 ldconfig): the arm64 loader finds the
    # libraries in its default directories, and ignores the x86-64 entries of the host's
    # cache, which qemu's -L falls back to.
    for deb in "$DEBS"/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
    printf '%s\n' "$DEBLIST" >"$A/root.stamp"
fi

# --- 3. the aarch64 wheels, at the versions of requirements.lock -------------------------
# Every distribution a native determinism run imports (the top-level modules it loads
# from site-packages), dvc excluded: typer (which bundles click) parses its options with
# pydantic; jsonschema loads idna for its formats; numpy.f2py, which something touches,
# loads charset-normalizer. rich, click and markdown-it-py are for typer's help output.
PKGS=(numpy scipy h5py pillow jsonschema jsonschema-specifications referencing rpds-py attrs
      typer pydantic pydantic-core annotated-types typing-inspection click rich shellingham
      typing-extensions markdown-it-py mdurl pygments annotated-doc crcmod-plus anycrc tqdm
      pyyaml idna charset-normalizer)
# name==version from requirements.lock, matched by normalised name (PEP 503).
PINS="$("$HOSTPY" - "$REPO/requirements.lock" "${PKGS[@]}" <<'EOF'
import re, sys
norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
pins = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if "==" in line:
        name, version = line.split("==", 1)
        pins[norm(name)] = f"{name.strip()}=={version.strip()}"
missing = [p for p in sys.argv[2:] if norm(p) not in pins]
if missing:
    sys.exit(f"not pinned in requirements.lock: {missing}")
print("\n".join(pins[norm(p)] for p in sys.argv[2:]))
EOF
)"
if [[ ! -f "$A/site.stamp" || "$(cat "$A/site.stamp")" != "$PINS" ]]; then
    log "installing the aarch64 wheels into $SITE"
    rm -rf "$SITE"
    # Every manylinux tag Debian 12's glibc 2.36 accepts (pip does not widen --platform).
    plats=(--platform manylinux2014_aarch64)
    for v in $(seq 17 36); do plats+=(--platform "manylinux_2_${v}_aarch64"); done
    # shellcheck disable=SC2086
    "$HOSTPY" -m pip install --disable-pip-version-check --quiet --target "$SITE" "${plats[@]}" \
        --implementation cp --python-version 3.11 --abi cp311 --abi abi3 --abi none \
        --only-binary=:all: --no-deps $PINS >&2 ||
        die "pip could not install every pinned version for aarch64 (see above: a pin without an aarch64 wheel?)"
    printf '%s\n' "$PINS" >"$A/site.stamp"
fi

# --- 4. the emulated run -----------------------------------------------------------------
# -s: no user site-packages (the host's ~/.local would be x86-64); sys.prefix is
# .aarch64/root/usr since the interpreter is started by its host path.
arm_python() {
    PYTHONPATH="$SITE:$REPO/src" "$QEMU" -L "$ROOT" "$ROOT/usr/bin/python3.11" -s "$@"
}
# A check that the interpreter is the arm64 one, sees none of the host's packages, and can
# import and parse the CLI.
arm_python -c 'import platform, sys, numpy, scipy, h5py, PIL
print("emulated:", platform.machine(), "Python", platform.python_version(), "numpy", numpy.__version__,
      "scipy", scipy.__version__, "h5py", h5py.__version__, "HDF5", h5py.version.hdf5_version, "Pillow", PIL.__version__)
assert platform.machine() == "aarch64", platform.machine()
assert all(not p.startswith(("/usr/lib/python3", "/usr/local/lib")) for p in sys.path), sys.path
import ctypes, glob, os
from numpy._core._multiarray_umath import __cpu_features__ as feats
blas = ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "libscipy_openblas64_*.so"))[0])
blas.scipy_openblas_get_corename64_.restype = ctypes.c_char_p
print("emulated CPU:", os.environ.get("QEMU_CPU", "max"), "| numpy SIMD:", " ".join(k for k, v in feats.items() if v),
      "| OpenBLAS core:", blas.scipy_openblas_get_corename64_().decode())
from synthbank import cli
try:
    cli.main(["families"])
except SystemExit as exc:
    assert not exc.code, exc.code' >&2

# The same run natively (x86-64, host venv, ~10 s) into .aarch64/x86, redone with the
# emulated one: it tells an aarch64 difference from a golden file that is not current.
NATIVE="$A/x86.json"
is_stale() {  # is_stale RESULT: missing, --rerun, or older than its inputs
    [[ $RERUN == 1 || ! -f "$1" ]] && return 0
    [[ -n "$(find "$REPO/src" "$REPO/params.yaml" "$REPO/sources" "$REPO/LICENSES" "$A/site.stamp" \
                  "$A/root.stamp" -newer "$1" -not -name '*.pyc' -print -quit)" ]]
}
if is_stale "$NATIVE"; then
    log "running the determinism configuration natively (x86-64 reference)"
    rm -rf "$A/x86" "$NATIVE"
    start=$EPOCHREALTIME
    "$HOSTPY" -m synthbank.determinism run --repo "$REPO" --out "$A/x86" --workers 1 --result "$NATIVE.tmp"
    mv "$NATIVE.tmp" "$NATIVE"
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }' >"$A/x86.seconds"
fi

if is_stale "$RESULT"; then
    log "running the determinism configuration under qemu-aarch64 (slow: ~8 minutes)"
    rm -rf "$A/work" "$RESULT"
    start=$EPOCHREALTIME
    arm_python -m synthbank.determinism run --repo "$REPO" --out "$A/work" --workers 1 --result "$RESULT.tmp"
    mv "$RESULT.tmp" "$RESULT"
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }' >"$A/run.seconds"
fi
log "wall time: emulated $(cat "$A/run.seconds" 2>/dev/null || echo '?') s, native $(cat "$A/x86.seconds" 2>/dev/null || echo '?') s"

# --- 5. against the golden checksums -----------------------------------------------------
# Per family: files compared, aarch64 files differing from the golden file (what the exit
# status says), and for context the native x86-64 run against the golden file and aarch64
# against that native run (a golden file that is not current shows in the x86 column).
PYTHONPATH="$REPO/src" "$HOSTPY" - "$GOLDEN" "$RESULT" "$NATIVE" <<'EOF'
import json, sys
from synthbank.determinism import FAMILIES, compare, family_of

golden = json.load(open(sys.argv[1], encoding="utf-8"))["checksums"]
arm = json.load(open(sys.argv[2], encoding="utf-8"))
x86 = json.load(open(sys.argv[3], encoding="utf-8"))
for name, r in (("aarch64", arm), ("x86-64", x86)):
    if r.get("exit_codes"):
        print(f"non-zero exit codes ({name}):", r["exit_codes"])
d_arm = compare(golden, arm["checksums"])
d_x86 = compare(golden, x86["checksums"])
d_ax = compare(x86["checksums"], arm["checksums"])
print(f"golden: {sys.argv[1]}")
print(f"{'family':10s} {'files':>5s} {'aarch64!=golden':>15s} {'x86!=golden':>11s} {'aarch64!=x86':>12s}")
every = golden.keys() | arm["checksums"].keys() | x86["checksums"].keys()
fams = (*FAMILIES, *sorted((set(d_arm) | set(d_x86)) - set(FAMILIES)))
for fam in fams:
    n = sum(1 for p in every if family_of(p) == fam)
    print(f"{fam:10s} {n:5d} {len(d_arm.get(fam, [])):15d} {len(d_x86.get(fam, [])):11d} {len(d_ax.get(fam, [])):12d}")
tot = lambda d: sum(len(v) for v in d.values())
print(f"{'total':10s} {len(every):5d} {tot(d_arm):15d} {tot(d_x86):11d} {tot(d_ax):12d}")
print()
for fam in fams:
    for p in sorted(set(d_arm.get(fam, [])) | set(d_ax.get(fam, []))):
        why = "missing" if p not in arm["checksums"] else "extra" if p not in golden else "differs"
        x = "   (x86 differs too)" if p in d_x86.get(fam, []) else ""
        ax = "" if p in d_ax.get(fam, []) else "   (aarch64 == x86)"
        print(f"  {fam:9s} {why:8s} {p}{x}{ax}")
print()
if tot(d_x86):
    print(f"NOTE: the native x86-64 run differs from the golden file in {tot(d_x86)} files: "
          "the golden checksums are not those of this tree")
print("aarch64 gives the golden checksums" if not tot(d_arm) else
      f"aarch64 DIFFERS from the golden checksums in {tot(d_arm)} files "
      f"(from the native x86-64 run of this tree in {tot(d_ax)})")
sys.exit(1 if tot(d_arm) else 0)
EOF
