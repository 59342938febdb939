"""HDF5: the HDF5 command-line tools (Debian's hdf5-tools) on one file per family.

Per family directory under ``<data>`` that holds an HDF5 file: ``h5dump -H -B`` (header and
superblock) and ``h5ls -r`` on its first file in path order. The superblock version says which
library can open the file at all: 0/1 any HDF5, 2 HDF5 1.8 or later, 3 HDF5 1.10 or later.
Skipped, with the reason printed, where the tools are absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Report, parse_args, rel  # noqa: E402

SHOWN = 14  # lines of each tool's output printed
# The superblock alone: the objects inside may need more (python -m synthbank.io.hdf5compat says).
MIN_LIBRARY = {0: "HDF5 1.6 or later", 1: "HDF5 1.6 or later", 2: "HDF5 1.8 or later", 3: "HDF5 1.10 or later"}


def first_hdf5(family: Path) -> Path | None:
    """The family's first HDF5 file in path order (``*.h5``, ``*.hdf5``)."""
    files = sorted(p for p in family.rglob("*") if p.suffix in {".h5", ".hdf5"} and p.is_file())
    return files[0] if files else None


def run(argv: list[str]) -> str:
    """Run a tool; its stdout, or an error carrying its stderr."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} exit {done.returncode}: {done.stderr.strip()[:300]}")
    return done.stdout


def dump(path: Path) -> list[str]:
    """h5dump -H -B: superblock version and the first header lines."""
    out = run(["h5dump", "-H", "-B", str(path)])
    match = re.search(r"SUPERBLOCK_VERSION\s+(\d+)", out)
    version = int(match.group(1)) if match else None
    lines = out.splitlines()
    # The SUPER_BLOCK block is summarised by its version above; show the objects after it.
    if len(lines) > 1 and lines[1].strip() == "SUPER_BLOCK {":
        closing = lines[1].replace("SUPER_BLOCK {", "}")  # same indent as the opening line
        end = next((i for i in range(2, len(lines)) if lines[i] == closing), 1)
        lines = lines[:1] + lines[end + 1:]
    head = [f"superblock version {version}: the superblock is read by {MIN_LIBRARY.get(version, '?')}",
            f"{len(lines)} header lines (superblock block left out); first {SHOWN}:"]
    return head + lines[:SHOWN]


def listing(path: Path) -> list[str]:
    """h5ls -r: the object count and the first lines."""
    lines = run(["h5ls", "-r", str(path)]).splitlines()
    return [f"{len(lines)} objects; first {SHOWN}:"] + lines[:SHOWN]


def main(argv: list[str] | None = None) -> int:
    """Run both tools on one file per family; exit status 1 when a tool failed."""
    args = parse_args(__doc__.splitlines()[0], argv)
    rep = Report("hdf5", strict=args.strict)
    missing = [t for t in ("h5dump", "h5ls") if shutil.which(t) is None]
    if missing:
        rep.say(f"SKIPPED: {', '.join(missing)} not on PATH (Debian/Ubuntu: apt-get install hdf5-tools)")
        return 0
    version = run(["h5dump", "-V"]).strip()
    rep.say(f"{version} ({shutil.which('h5dump')})")
    for family in sorted(p for p in args.data.iterdir() if p.is_dir()):
        path = first_hdf5(family)
        if path is None:
            continue
        rep.call("h5dump (hdf5-tools)", f"h5dump -H -B {rel(path)}", lambda p=path: dump(p))
        rep.call("h5ls (hdf5-tools)", f"h5ls -r {rel(path)}", lambda p=path: listing(p))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
