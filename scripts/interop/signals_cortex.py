"""signals: read each signals dataset directory with CORTEX's own dataset reader (vendored, unchanged).

CORTEX (github:WestonVoglesonger/CORTEX) reads a dataset directory through its ``spec.yaml`` in
``cortex.commands.calibrate._read_dataset_spec`` (``format.channels``, ``format.sample_rate_hz``,
``format.window_length``, ``recordings[0].path``), and ``calibrate.execute`` derives the channel
count and the number of windows from it, falling back to C=64, W=160, Fs=160 for a bare
``.float32``. Both run here unchanged from ``vendor/cortex/calibrate.py``; only the C binary
``execute`` ends with (``sdk/kernel/tools/cortex_calibrate``) is a stub that records its
arguments. The counts CORTEX derives are then compared with what the dataset holds
(``signal.h5``), and the raw file is read with the layout the spec states.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import Report, find_signal_datasets, parse_args, rel  # noqa: E402

VENDORED = HERE / "vendor" / "cortex" / "calibrate.py"
READER = "CORTEX cortex.commands.calibrate (vendored unchanged, commit a58710625e21)"
# The stub for CORTEX's calibration binary: it records its arguments and writes the state file
# execute() checks for, so execute() runs to the end without the C SDK.
STUB = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/args.txt"
while [ $# -gt 0 ]; do [ "$1" = --output ] && : > "$2"; shift; done
"""


def load_calibrate():  # noqa: ANN201
    """Import the vendored calibrate.py as a module (its imports: subprocess, pathlib, yaml)."""
    spec = importlib.util.spec_from_file_location("cortex_calibrate", VENDORED)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def truth(d: Path) -> tuple[int, int, float | None] | None:
    """(channels, samples, sample rate in Hz) the dataset holds, from ``signal.h5``.

    The dataset ``signal`` is samples x channels float32; the rate is the ``sample_rate_hz`` of the
    root attribute ``params`` (JSON), None when absent.
    """
    h5 = d / "signal.h5"
    if not h5.is_file():
        return None
    with h5py.File(h5, "r") as f:
        n_samples, n_channels = f["signal"].shape
        try:
            rate = float(json.loads(f.attrs["params"])["sample_rate_hz"])
        except (KeyError, ValueError, TypeError):
            rate = None
    return int(n_channels), int(n_samples), rate


def run_execute(cal, target: Path) -> tuple[str, dict[str, str]]:  # noqa: ANN001
    """Run CORTEX's ``execute`` on ``target`` with the stub binary; return its stdout and the binary's args."""
    with tempfile.TemporaryDirectory() as tmp:
        tools = Path(tmp) / "sdk" / "kernel" / "tools"
        tools.mkdir(parents=True)
        stub = tools / "cortex_calibrate"
        stub.write_text(STUB)
        stub.chmod(0o755)
        args = argparse.Namespace(kernel="car", dataset=str(target.resolve()),
                                  output=str(Path(tmp) / "out.cortex_state"),
                                  labels=None, dtype="f32", verbose=False)
        out = io.StringIO()
        cwd = os.getcwd()
        try:
            os.chdir(tmp)  # execute() finds the binary relative to the working directory
            with contextlib.redirect_stdout(out):
                status = cal.execute(args)
        finally:
            os.chdir(cwd)
        argv = (tools / "args.txt").read_text().split("\n") if (tools / "args.txt").exists() else []
        passed = {argv[i].lstrip("-"): argv[i + 1] for i in range(0, len(argv) - 1, 2)
                  if argv[i].startswith("--")}
        if status != 0:
            last = [ln for ln in out.getvalue().splitlines() if ln.strip()][-1:]
            raise RuntimeError(f"execute() returned {status}: {' '.join(last)}")
        return out.getvalue(), passed


def derived(cal, rep: Report, d: Path, target: Path,  # noqa: ANN001
            expect: tuple[int, int, float | None] | None) -> None:
    """CORTEX's execute() on ``target`` (a directory or a .float32), checked against ``expect``."""
    def call() -> list[str]:
        text, passed = run_execute(cal, target)
        lines = [ln.strip() for ln in text.splitlines()
                 if ln.strip().startswith(("Config:", "Windows:", "Warning", "(from spec"))]
        channels = int(passed["channels"])
        data = Path(cal._read_dataset_spec(str(target))["data_path"])
        # execute()'s own rule (calibrate.py, "Compute from file size"): bytes // (channels * 4).
        per_channel = data.stat().st_size // (channels * 4)
        lines.append(f"binary args: channels={channels} windows={passed['windows']} "
                     f"window-length={passed['window-length']} sample-rate={passed['sample-rate']}")
        lines.append(f"samples per channel by execute()'s rule (bytes // (channels*4)): {per_channel}")
        rate = float(passed["sample-rate"])
        if expect is not None:
            lines.append(f"dataset holds (signal.h5): {expect[0]} channels x {expect[1]} samples "
                         f"at {expect[2]} Hz")
            if (channels, per_channel) != expect[:2] or (expect[2] is not None and rate != expect[2]):
                raise AssertionError(
                    f"CORTEX reads {channels} channels x {per_channel} samples at {rate:g} Hz, the "
                    f"dataset holds {expect[0]} x {expect[1]} at {expect[2]} Hz (a silent misread)")
        return lines
    rep.call(f"{READER}: execute (stub binary)",
             f"calibrate.execute(Namespace(kernel='car', dataset={rel(target)!r}, "
             f"output='<tmp>/out.cortex_state', dtype='f32'))", call)


def read_dataset(cal, rep: Report, d: Path) -> None:  # noqa: ANN001
    """The spec read, the derivation and a read of the raw file by the spec's layout."""
    expect = truth(d)
    spec: dict[str, object] = {}

    def read_spec() -> list[str]:
        spec.update(cal._read_dataset_spec(str(d)))
        return [f"{k}: {rel(v) if k == 'data_path' else v!r}" for k, v in sorted(spec.items())]
    ok = rep.call(f"{READER}: _read_dataset_spec", f"_read_dataset_spec({rel(d)!r})", read_spec)
    if ok:
        derived(cal, rep, d, d, expect)
        read_by_spec(rep, d, Path(str(spec["data_path"])), expect)
    else:
        # What a user falls back to without a spec.yaml: the bare recording.
        for f in sorted(d.glob("*.float32")):
            derived(cal, rep, d, f, expect)


def read_by_spec(rep: Report, d: Path, data: Path, expect: tuple[int, int, float | None] | None) -> None:
    """Read the raw file as the spec says (dtype, endianness, interleaved layout); compare with signal.h5."""
    import yaml

    def call() -> list[str]:
        fmt = yaml.safe_load((d / "spec.yaml").read_text()).get("format", {})
        kind, endian, layout = fmt.get("type"), fmt.get("endian"), fmt.get("layout")
        if (kind, endian, layout) != ("float32", "little", "interleaved"):
            raise AssertionError(f"spec format is type={kind!r} endian={endian!r} layout={layout!r}; "
                                 "CORTEX reads float32, little, interleaved")
        raw = np.fromfile(data, dtype="<f4").reshape(-1, int(fmt["channels"]))
        lines = [f"np.fromfile({rel(data)!r}, '<f4').reshape(-1, {fmt['channels']}): {raw.shape}"]
        if expect is not None:
            with h5py.File(d / "signal.h5", "r") as f:
                ref = f["signal"][...]
            same = np.array_equal(raw, ref, equal_nan=True)
            lines.append(f"equal to signal.h5 'signal' {ref.shape} (NaN = NaN): {same}; "
                         f"first row {np.round(raw[0, :3], 4).tolist()}")
            if not same:
                raise AssertionError("the raw file read by its spec differs from signal.h5")
        return lines
    rep.call("numpy.fromfile with the spec's format (as CORTEX's C loader reads it)",
             f"read {rel(data)} by {rel(d / 'spec.yaml')}", call)


def main(argv: list[str] | None = None) -> int:
    """Read every dataset directory under ``<data>/signals``; exit status 1 when one failed."""
    args = parse_args(__doc__.splitlines()[0], argv)
    rep = Report("signals", strict=args.strict)
    cal = load_calibrate()
    dirs = find_signal_datasets(args.data / "signals")
    rep.say(f"{READER} on {rel(args.data / 'signals')}: {[d.name for d in dirs] or 'no datasets'}")
    for d in dirs:
        read_dataset(cal, rep, d)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
