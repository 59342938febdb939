"""Run the field's own readers on the data tree, one family per process; `make interop` calls this.

Each family script runs in its own process (TensorFlow and torch never share one, and one
reader's crash does not hide the others) with the same interpreter, ``--data`` and
``--sources``; their output is printed as it comes (and copied to ``--log``). Exit status 1 when
any family failed, 2 on bad arguments.

    python scripts/interop/run.py [--data DIR] [--sources DIR] [--only FAMILY ...] [--log FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import DEFAULT_DATA  # noqa: E402

#: family -> script, fast ones first.
FAMILIES = {
    "hdf5": "hdf5_tools.py",
    "public": "public_nifti.py",
    "signals": "signals_cortex.py",
    "energy": "energy_well.py",
    "ptycho": "ptycho_pinn.py",
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; exits 2 with one line on a bad value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data tree (default: %(default)s)")
    parser.add_argument("--sources", type=Path, default=None, help="raw sources (default: <data>/../sources)")
    parser.add_argument("--only", nargs="+", default=None, metavar="FAMILY",
                        help=f"run these only, of: {' '.join(FAMILIES)}")
    parser.add_argument("--log", type=Path, default=None, help="also write the whole output here")
    parser.add_argument("--strict", action="store_true",
                        help="count a reader's policy refusal (REFUSED) as a failure")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or []) - set(FAMILIES))
    if unknown:
        parser.exit(2, f"{parser.prog}: unknown family {', '.join(unknown)}; allowed: {' '.join(FAMILIES)}\n")
    if not args.data.is_dir():
        parser.exit(2, f"{parser.prog}: --data {args.data} is not a directory; give the data tree "
                       "(the one holding energy/, ptycho/, signals/, public/)\n")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen family scripts in order; print a summary line per family."""
    args = parse(argv)
    log = args.log.open("w", encoding="utf-8") if args.log else None

    def emit(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
        if log:
            log.write(text)

    results = {}
    for family in args.only or list(FAMILIES):
        cmd = [sys.executable, str(HERE / FAMILIES[family]), "--data", str(args.data)]
        if args.sources is not None:
            cmd += ["--sources", str(args.sources)]
        if args.strict:
            cmd.append("--strict")
        emit(f"\n{'=' * 100}\n== {family}: {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))}\n"
             f"{'=' * 100}\n")
        start = time.monotonic()
        # Merge stderr: the readers' warnings and logs belong beside the call that made them.
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              bufsize=1) as proc:
            for line in proc.stdout:  # type: ignore[union-attr]
                emit(line)
        results[family] = (proc.returncode, time.monotonic() - start)
    emit(f"\n{'=' * 100}\ninterop summary ({args.data}):\n")
    for family, (code, seconds) in results.items():
        emit(f"  {family:8s} {'ok' if code == 0 else f'FAILED (exit {code})':18s} {seconds:6.1f} s\n")
    if log:
        log.close()
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
