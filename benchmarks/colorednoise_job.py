"""The baseline job of bench_signals_whole.py: pink noise with colorednoise, written as a signals dataset.

Run: ``python benchmarks/colorednoise_job.py OUT_DIR --channels 1024 --samples 19200``
(colorednoise 2.2.0 from benchmarks/requirements.txt; used only by the benchmarks).

Does what ``synthbank generate signals`` does for a pink dataset, the plain way a user
would: ``colorednoise.powerlaw_psd_gaussian(1, (channels, samples))``, each channel
scaled to the same RMS (100 uV), then the same two files (``signal.h5``: dataset
``/signal`` (samples, channels) float32 in (1024, 16) chunks; ``signal.float32``:
interleaved little-endian, sample-major) and a manifest of their sizes and sha256;
with ``--fsync``, every file and the directory made durable too, as synthbank's commit does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

import colorednoise
import h5py
import numpy as np

RMS_UV = 100.0
SEED = 42


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--channels", type=int, default=1024)
    parser.add_argument("--samples", type=int, default=19200)
    parser.add_argument("--fsync", action="store_true",
                        help="also fsync the files and the directory, as synthbank's commit does before the rename")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    x = colorednoise.powerlaw_psd_gaussian(1, (args.channels, args.samples), random_state=SEED)
    x *= RMS_UV / np.sqrt(np.mean(np.square(x), axis=1, keepdims=True))
    samples = np.ascontiguousarray(x.T, dtype="<f4")  # (samples, channels), as both files store it
    del x
    with h5py.File(args.out / "signal.h5", "w") as f:
        f.create_dataset("signal", data=samples, chunks=(min(1024, args.samples), min(16, args.channels)))
    samples.tofile(args.out / "signal.float32")
    files = {}
    for name in ("signal.h5", "signal.float32"):
        with open(args.out / name, "rb") as fh:
            files[name] = {"bytes": (args.out / name).stat().st_size, "sha256": hashlib.file_digest(fh, "sha256").hexdigest()}
    (args.out / "manifest.json").write_text(json.dumps({"files": files}, indent=1) + "\n", "utf-8")
    if args.fsync:  # by hand, not synthbank.io.durable: the baseline imports nothing of synthbank
        for path in (*(args.out / name for name in files), args.out / "manifest.json", args.out):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


if __name__ == "__main__":
    main()
