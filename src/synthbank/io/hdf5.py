"""Deterministic HDF5 through h5py.

Same inputs give the same file bytes: a fixed file-format version (libver v110 for both
bounds), no object timestamps on groups or datasets, fixed chunk shapes and filters, and
attributes written in sorted name order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

LIBVER = ("v110", "v110")


def _attr_value(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)) and not isinstance(value, np.ndarray):
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
            return np.array(value, dtype=h5py.string_dtype())
        return json.dumps(value, sort_keys=True)
    return value


def set_attrs(obj: h5py.HLObject, attrs: Mapping[str, Any]) -> None:
    """Write attributes in sorted name order; dicts and mixed lists become JSON text."""
    for name in sorted(attrs):
        obj.attrs[name] = _attr_value(attrs[name])


def create_file(path: str | Path, attrs: Mapping[str, Any]) -> h5py.File:
    """Create (truncate) an HDF5 file with deterministic settings and root attributes."""
    f = h5py.File(path, "w", libver=LIBVER)
    set_attrs(f, attrs)
    return f


def create_group(parent: h5py.Group, name: str, attrs: Mapping[str, Any] | None = None) -> h5py.Group:
    """A group whose object header carries no creation/modification times."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    group = h5py.Group(h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl))
    set_attrs(group, attrs or {})
    return group


def create_dataset(
    parent: h5py.Group,
    name: str,
    *,
    shape: tuple[int, ...],
    dtype: Any,
    chunks: tuple[int, ...] | None = None,
    deflate: int | None = None,
    data: np.ndarray | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> h5py.Dataset:
    """A dataset with fixed chunks/filters, fill value 0 and no timestamps.

    Parameters
    ----------
    shape, dtype : the dataset's shape and element type.
    chunks : fixed chunk shape (None for contiguous storage).
    deflate : zlib level 1-9 for the deflate filter, or None for no filter.
    data : optional array to write at creation.
    attrs : attributes, written in sorted order (``units``, ``axes`` ...).
    """
    # HDF5 refuses a chunk longer than a fixed dimension; a small dataset whose chunk
    # shape is fixed by the format gets a maximum extent of one chunk instead.
    maxshape = None
    if chunks is not None and any(c > n for c, n in zip(chunks, shape, strict=True)):
        maxshape = tuple(max(c, n) for c, n in zip(chunks, shape, strict=True))
    ds = parent.create_dataset(
        name,
        shape=shape,
        dtype=dtype,
        chunks=chunks,
        maxshape=maxshape,
        compression="gzip" if deflate is not None else None,
        compression_opts=deflate,
        fillvalue=np.zeros((), dtype=dtype) if np.dtype(dtype).kind in "biuf" else None,
        track_times=False,
        data=data,
    )
    set_attrs(ds, attrs or {})
    return ds


def write_chunk(ds: h5py.Dataset, offset: tuple[int, ...], payload: bytes) -> None:
    """Write one already-filtered (deflated) chunk straight to the file."""
    ds.id.write_direct_chunk(offset, payload, filter_mask=0)
