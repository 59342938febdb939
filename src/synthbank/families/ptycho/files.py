"""HDF5 and NPZ files of the ptycho stages, through the deterministic core writers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import jsonio
from synthbank.errors import UsageError
from synthbank.families.ptycho import VERSION
from synthbank.families.ptycho.layout import CHUNK_ROWS, DEFLATE_LEVEL, FAMILY
from synthbank.io import hdf5
from synthbank.io.npz import NpzWriter

#: Datasets worth deflating, measured at level 1 on the default sweep: photon counts shrink
#: to ~13 % and amplitudes to ~3 % of their size; float intensities (~90 %) and complex
#: patches (~66 %) are stored raw, since deflating them cost most of a stage's time.
DEFLATED = frozenset({"counts", "diffraction", "diff3d"})

#: name -> (array, attributes such as units and axes)
Datasets = Mapping[str, tuple[np.ndarray, Mapping[str, Any]]]


def root_attrs(stage: str, dose: int, params: Mapping[str, Any], description: str) -> dict[str, Any]:
    """Root attributes of every ptycho HDF5 file: who wrote it and every parameter behind it."""
    return {
        "family": FAMILY,
        "generator_version": VERSION,
        "stage": stage,
        "dose": int(dose),
        "params": jsonio.dumps(params).strip(),
        "description": description,
    }


def _chunks(array: np.ndarray, frame_axis: int | None) -> tuple[int, ...] | None:
    if array.ndim < 3 or frame_axis is None:
        return None
    chunks = list(array.shape)
    chunks[frame_axis] = CHUNK_ROWS
    return tuple(chunks)


def write_h5(path: Path, attrs: Mapping[str, Any], datasets: Datasets, groups: Mapping[str, Datasets] | None = None) -> None:
    """One HDF5 file: root attributes, datasets (3-D stacks chunked and deflated), subgroups.

    A 3-D stack is chunked ``CHUNK_ROWS`` frames at a time along the axis its ``axes``
    attribute names ``frame`` (axis 0 otherwise).
    """
    with hdf5.create_file(path, attrs) as f:
        _write_datasets(f, datasets)
        for name in sorted(groups or {}):
            _write_datasets(hdf5.create_group(f, name), groups[name])


def _write_datasets(parent: h5py.Group, datasets: Datasets) -> None:
    for name in sorted(datasets):
        array, attrs = datasets[name]
        array = np.ascontiguousarray(array)
        axes = list(attrs.get("axes", []))
        frame_axis = axes.index("frame") if "frame" in axes else 0
        chunks = _chunks(array, frame_axis) if array.size else None
        hdf5.create_dataset(
            parent, name, shape=array.shape, dtype=array.dtype, chunks=chunks,
            deflate=DEFLATE_LEVEL if chunks and name in DEFLATED else None, data=array, attrs=attrs,
        )


def read_h5(path: Path, names: Sequence[str], group: str | None = None) -> dict[str, np.ndarray]:
    """The named datasets of a file (or of one of its groups) as arrays."""
    if not path.is_file():
        raise UsageError(f"{path} does not exist: run the ptycho stage that writes it first")
    with h5py.File(path, "r") as f:
        node = f if group is None else f[group]
        missing = [n for n in names if n not in node]
        if missing:
            raise UsageError(f"{path}: dataset(s) {missing} missing{'' if group is None else f' in group {group}'}")
        return {n: node[n][...] for n in names}


def read_attrs(path: Path) -> dict[str, Any]:
    """Root attributes of a file; ``params`` parsed from its JSON text."""
    import json

    with h5py.File(path, "r") as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    if "params" in attrs:
        attrs["params"] = json.loads(attrs["params"])
    return attrs


def write_npz(path: Path, arrays: Mapping[str, np.ndarray], order: Sequence[str]) -> None:
    """An NPZ (no pickles, fixed timestamps) with the members in ``order``.

    Members in :data:`DEFLATED` use level DEFLATE_LEVEL, the others level 0 (stored).
    """
    with NpzWriter(path, level=DEFLATE_LEVEL) as npz:
        for name in order:
            npz.level = DEFLATE_LEVEL if name in DEFLATED else 0  # read when the member begins
            array = np.asarray(arrays[name])
            if array.ndim == 0:  # add_array would make it (1,): _metadata stays 0-d, as numpy.savez writes it
                member = npz.begin_array(name, array.dtype, ())
                member.write(array.tobytes())
                npz.end_array(member)
            else:
                npz.add_array(name, np.ascontiguousarray(array))
