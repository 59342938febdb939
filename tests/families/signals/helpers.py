"""Small helpers shared by the signals tests (imported as ``helpers`` via conftest's path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthbank.families.signals import cortex, layout
from synthbank.families.signals.build import root_attrs, signal_attrs, write_float32
from synthbank.families.signals.spec import SignalSpec, make_spec
from synthbank.io import hdf5

REPO = Path(__file__).resolve().parents[3]


def spec(name="t", version="v1", channels=8, rate=160, **params) -> SignalSpec:
    params.setdefault("signal_type", "pink_noise")
    params.setdefault("duration_s", 10)
    return make_spec(name, version, channels, rate, params, 42)


def write_dataset(directory: Path, s: SignalSpec, data: np.ndarray) -> None:
    """Write (n_channels, n_samples) ``data`` in the dataset layout (HDF5 + .float32 + spec.yaml), for tests."""
    directory.mkdir(parents=True, exist_ok=True)
    with hdf5.create_file(directory / layout.HDF5_NAME, root_attrs(s, "2026-11-22")) as f:
        hdf5.create_dataset(
            f, layout.DATASET, shape=(s.n_samples, s.channels), dtype=np.float32,
            chunks=layout.chunk_shape(s.n_samples, s.channels), data=np.ascontiguousarray(data.T, dtype=np.float32),
            attrs=signal_attrs(s),
        )
    digest = write_float32(directory / layout.HDF5_NAME, directory / layout.FLOAT32_NAME)
    (directory / cortex.SPEC_NAME).write_text(cortex.dumps(cortex.generated_spec(s, digest.sha256)), "utf-8")
