"""Which compression for atomic images? Speed and ratio of candidate filters on real data.

Measured on 100,000 generated images (25.6 MB) on one core. The chosen level is
``layout.DEFLATE_LEVEL``; the npz needs deflate (zip), so HDF5 uses the same stream.
"""

from __future__ import annotations

import time
import zlib

from _common import table

import numpy as np

from synthbank.families.atomic.api import generate_corpus

images, _ = generate_corpus(100_000, show_progress=False)
raw = images.tobytes()
rows = []
for label, fn in [
    ("none", lambda b: b),
    ("deflate 1", lambda b: zlib.compress(b, 1)),
    ("deflate 3", lambda b: zlib.compress(b, 3)),
    ("deflate 6", lambda b: zlib.compress(b, 6)),
    ("deflate 9", lambda b: zlib.compress(b, 9)),
]:
    t = time.perf_counter()
    out = fn(raw)
    dt = time.perf_counter() - t
    rows.append((label, len(raw) / len(out), len(raw) / max(dt, 1e-9) / 1e6))
try:
    import h5py  # lzf ships with h5py
    import io

    for label, kw in [("hdf5 lzf", {"compression": "lzf"}), ("hdf5 shuffle+deflate 1", {"compression": "gzip", "compression_opts": 1, "shuffle": True})]:
        buf = io.BytesIO()
        t = time.perf_counter()
        with h5py.File(buf, "w") as f:
            f.create_dataset("x", data=images, chunks=(4000, 16, 16), **kw)
        dt = time.perf_counter() - t
        rows.append((label, len(raw) / len(buf.getvalue()), len(raw) / dt / 1e6))
except ImportError:  # pragma: no cover
    pass
table("atomic image compression, 100,000 images, one core", ["filter", "ratio", "MB/s"], rows)
print(f"\npixel entropy bound: ratio <= {8 / (-(np.bincount(images.ravel(), minlength=256) / images.size) @ np.log2(np.maximum(np.bincount(images.ravel(), minlength=256) / images.size, 1e-300))):.3f} (order-0)")
