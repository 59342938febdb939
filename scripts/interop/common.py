"""Shared plumbing for the interop scripts: argument parsing, one printed record per call.

Standard library only, so the discovery helpers can be imported (and tested) from the project's
own venv; the family scripts import the third-party readers themselves.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO / "data"

OK = "OK"
FAIL = "FAIL"
# A refusal that is the reader's policy, not the data's fault (e.g. The Well's list of dataset
# names); printed and counted, but it fails the run only with --strict.
REFUSED = "REFUSED"


def parse_args(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options every interop script takes.

    Parameters
    ----------
    description : str
        One line for ``--help``.
    argv : list of str, optional
        Arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    argparse.Namespace
        ``data`` (Path, the tree to read), ``sources`` (Path, raw inputs such as the DICOM) and
        ``strict`` (bool, count REFUSED as a failure).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="data tree to read (default: %(default)s)")
    parser.add_argument("--sources", type=Path, default=None,
                        help="raw sources (default: <data>/../sources)")
    parser.add_argument("--strict", action="store_true",
                        help="count a reader's policy refusal (REFUSED) as a failure")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.exit(2, f"{parser.prog}: --data {args.data} is not a directory; give the data tree "
                       f"(the one holding energy/, ptycho/, signals/, public/)\n")
    if args.sources is None:
        args.sources = args.data.resolve().parent / "sources"
    return args


def rel(path: str | os.PathLike[str]) -> str:
    """Show a path relative to the working directory when it lies below it."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def where_raised(exc: BaseException) -> str:
    """Return ``file:line in function`` of the innermost frame of ``exc`` (the reader's code)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    f = frames[-1]
    parts = Path(f.filename).parts
    # Show site-packages paths from the package name on, e.g. the_well/data/datasets.py.
    for anchor in ("site-packages", "interop"):
        if anchor in parts:
            parts = parts[parts.index(anchor) + 1:]
            break
    return f"{'/'.join(parts)}:{f.lineno} in {f.name}"


class Report:
    """Print one block per reader call and keep the tally.

    Parameters
    ----------
    family : str
        Family name, printed on every header line.
    strict : bool
        Count REFUSED as a failure.
    """

    def __init__(self, family: str, strict: bool = False) -> None:
        self.family = family
        self.strict = strict
        self.counts = {OK: 0, FAIL: 0, REFUSED: 0}

    def say(self, text: str) -> None:
        """Print a free line (context, not a call)."""
        print(f"[{self.family}] {text}", flush=True)

    def call(self, reader: str, call: str, fn: Callable[[], Iterable[str] | None],
             refused_if: Callable[[BaseException], bool] | None = None) -> bool:
        """Run one reader call and print what it returned or raised.

        Parameters
        ----------
        reader : str
            The third-party code called, e.g. ``the_well.data.WellDataset``.
        call : str
            The call as a user would type it.
        fn : callable
            Makes the call; returns lines describing the output (shapes, keys, values).
        refused_if : callable, optional
            Classifies an exception as the reader's policy refusal (REFUSED) instead of FAIL.

        Returns
        -------
        bool
            True when the call returned.
        """
        print(f"\n[{self.family}] reader: {reader}\n  call:   {call}", flush=True)
        try:
            lines = list(fn() or [])
        except Exception as exc:  # every failure is the result we report
            status = REFUSED if refused_if is not None and refused_if(exc) else FAIL
            self.counts[status] += 1
            msg = str(exc).strip().splitlines()
            first = msg[0] if msg else ""
            if len(first) > 240:  # The Well's name refusal prints its whole list
                first = first[:240] + " ..."
            print(f"  result: {status} {type(exc).__name__}: {first}")
            for extra in msg[1:4]:
                print(f"          {extra}")
            print(f"          raised at {where_raised(exc)}", flush=True)
            return False
        self.counts[OK] += 1
        print(f"  result: {OK}")
        for line in lines:
            print(f"    {line}")
        sys.stdout.flush()
        return True

    def finish(self) -> int:
        """Print the tally and return the exit status (1 on any failure)."""
        failed = self.counts[FAIL] + (self.counts[REFUSED] if self.strict else 0)
        total = sum(self.counts.values())
        if total == 0:
            print(f"\n[{self.family}] nothing to read: no calls were made")
            return 1
        print(f"\n[{self.family}] summary: {self.counts[OK]} ok, {self.counts[FAIL]} failed, "
              f"{self.counts[REFUSED]} refused by reader policy"
              f"{' (counted as failures: --strict)' if self.strict and self.counts[REFUSED] else ''}")
        return 1 if failed else 0


def find_well_datasets(energy: Path) -> list[Path]:
    """Directories laid out as a Well dataset: they hold ``data/train``.

    Parameters
    ----------
    energy : Path
        The energy family's output tree (``<data>/energy``).

    Returns
    -------
    list of Path
        Sorted; empty on a tree without the Well's layout.
    """
    found = []
    for root, dirs, _files in os.walk(energy):
        here = Path(root)
        if here.name == "data" and "train" in dirs:
            found.append(here.parent)
            dirs[:] = []  # the splits below are not datasets themselves
    return sorted(found)


def find_flat_hdf5_dirs(energy: Path) -> list[Path]:
    """Directories holding ``*.h5``/``*.hdf5`` directly and not inside a Well split directory.

    This is the pre-Well layout (``<domain>/<domain>_<res>.h5``) that the runner passes to
    ``WellDataset(path=...)`` to show what the Well does with it.
    """
    found = []
    for root, _dirs, files in os.walk(energy):
        here = Path(root)
        if here.parent.name == "data" and here.name in {"train", "valid", "test"}:
            continue
        if any(f.endswith((".h5", ".hdf5")) for f in files):
            found.append(here)
    return sorted(found)


def find_signal_datasets(signals: Path) -> list[Path]:
    """Signals dataset directories: each one holding a ``*.float32`` recording or a spec.yaml."""
    if not signals.is_dir():
        return []
    return sorted(d for d in signals.iterdir()
                  if d.is_dir() and ((d / "spec.yaml").is_file() or any(d.glob("*.float32"))))
