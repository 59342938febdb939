"""hdf5.create_image: the bytes create_file writes, built in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthbank.io import hdf5


def _fill(f) -> None:
    rng = np.random.default_rng(3)
    hdf5.create_dataset(f, "a", shape=(64, 64, 3), dtype=np.float32, data=rng.random((64, 64, 3), dtype=np.float32),
                        attrs={"axes": ["y", "x", "c"], "crc64": "0123"})
    hdf5.create_dataset(f, "m", shape=(64, 64), dtype=np.uint8, data=rng.integers(0, 9, (64, 64), dtype=np.uint8))


def test_image_bytes_equal_the_file_create_file_writes(tmp_path: Path) -> None:
    attrs = {"family": "x", "index": 3, "params": {"k": 1}}
    with hdf5.create_file(tmp_path / "f.h5", attrs) as f:
        _fill(f)
    with hdf5.create_image(attrs) as f:
        _fill(f)
        data = hdf5.image(f)
    assert data == (tmp_path / "f.h5").read_bytes()
    assert list(tmp_path.iterdir()) == [tmp_path / "f.h5"]  # the image wrote nothing to disk

