"""Deterministic HDF5 through h5py, readable by HDF5 1.8.

Same inputs give the same file bytes: a fixed file-format version, no object timestamps
on groups or datasets, fixed chunk shapes and filters, and attributes written in sorted
name order.

The format version is the oldest that holds what the file uses (docs/hdf5.md):
:data:`LIBVER` (``earliest`` .. ``v108``) writes superblock 0, version 1 object headers
and v1 B-tree chunk indexes, which every HDF5 since 1.8 (and older) reads. The upper
bound ``v108`` makes HDF5 refuse, rather than silently write, a structure 1.8 cannot
read. One thing the oldest format cannot hold is an attribute message over 64 KiB (for
example ``channel_names`` of 4096 channels, 16 bytes a name): such a file is written
with :data:`LIBVER_DENSE` (``v108`` .. ``v108``: superblock 2, version 2 object headers,
dense attribute storage), still 1.8. :func:`create_file` picks it when told of such an
attribute; :func:`set_attrs` refuses one it was not told of, with a message saying so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

#: Library version bounds of every file: the 1.8-readable formats, oldest first.
LIBVER = ("earliest", "v108")
#: Bounds of a file with an attribute too large for an object header message (still 1.8).
LIBVER_DENSE = ("v108", "v108")
#: An object header message has a 16-bit size; the rest of an attribute message (name,
#: datatype and dataspace encodings) is kept under this margin.
MESSAGE_LIMIT = 65535
_MESSAGE_MARGIN = 512
#: Bytes one variable-length string takes in an attribute (length + global heap id).
_VLEN_BYTES = 16


def _attr_value(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)) and not isinstance(value, np.ndarray):
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
            return np.array(value, dtype=h5py.string_dtype())
        return json.dumps(value, sort_keys=True)
    return value


def attr_message_bytes(name: str, value: Any) -> int:
    """Upper estimate of the attribute message ``name`` = ``value`` takes in the file (bytes).

    Strings (Python ``str`` and string arrays) are variable-length: 16 bytes each, their
    text lives in the global heap. Other values count their array bytes.
    """
    v = _attr_value(value)
    if isinstance(v, str):
        data = _VLEN_BYTES
    else:
        a = np.asarray(v)
        data = a.size * _VLEN_BYTES if a.dtype.kind in "OU" else a.nbytes
    return data + len(name.encode()) + _MESSAGE_MARGIN


def needs_dense(*attr_sets: Mapping[str, Any]) -> bool:
    """True when an attribute of ``attr_sets`` is too large for the oldest format."""
    return any(attr_message_bytes(k, v) > MESSAGE_LIMIT for attrs in attr_sets for k, v in attrs.items())


def set_attrs(obj: h5py.HLObject, attrs: Mapping[str, Any]) -> None:
    """Write attributes in sorted name order; dicts and mixed lists become JSON text.

    Raises
    ------
    ValueError : an attribute is over 64 KiB in a file created without :data:`LIBVER_DENSE`
        (HDF5's own error would only say "object header message is too large").
    """
    dense = obj.file.libver[0] != "earliest"  # a v1 object header holds no dense attributes
    for name in sorted(attrs):
        if not dense and attr_message_bytes(name, attrs[name]) > MESSAGE_LIMIT:
            raise ValueError(f"attribute {name!r} of {obj.name} is over {MESSAGE_LIMIT} bytes: pass it in "
                             "create_file(..., object_attrs=...) so the file uses dense attribute storage")
        obj.attrs[name] = _attr_value(attrs[name])


def create_file(path: str | Path, attrs: Mapping[str, Any], *, object_attrs: Iterable[Mapping[str, Any]] = ()) -> h5py.File:
    """Create (truncate) an HDF5 file with deterministic settings and root attributes.

    Parameters
    ----------
    path : the file to write.
    attrs : attributes of the root group, written in sorted order.
    object_attrs : attributes the file's other objects will carry; only looked at to pick
        the format before the first object exists (:data:`LIBVER`, or :data:`LIBVER_DENSE`
        when one attribute is over 64 KiB).
    """
    libver = LIBVER_DENSE if needs_dense(attrs, *object_attrs) else LIBVER
    f = h5py.File(path, "w", libver=libver)
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
    if data is not None:
        # Its chunks reach the file now, as when the dataset closes at once: otherwise they
        # wait until the last reference goes, and a profiler holding a frame for a moment
        # (Dask's workers sample theirs) lets the next dataset's blocks go first: another
        # layout of the same data, other bytes.
        ds.flush()
    return ds


def write_chunk(ds: h5py.Dataset, offset: tuple[int, ...], payload: bytes) -> None:
    """Write one already-filtered (deflated) chunk straight to the file."""
    ds.id.write_direct_chunk(offset, payload, filter_mask=0)


def raw_offset(ds: h5py.Dataset, data: np.ndarray) -> int | None:
    """File offset where ``ds`` (just written from ``data``) holds ``data``'s C-order bytes, or None.

    Only for contiguous (so unfiltered) storage of exactly ``data.nbytes`` bytes in ``data``'s
    own type, byte order included: then HDF5 copied the bytes unchanged, and a
    writer can hash them from memory instead of reading them back
    (:func:`synthbank.checksums.digest_file_spliced`).

    Parameters
    ----------
    ds : h5py.Dataset
        The dataset, written from ``data`` (its storage allocated).
    data : numpy.ndarray
        Any shape and dtype.

    Returns
    -------
    int or None
        The byte offset of the dataset's raw data in the file (a userblock included), or
        None when the file's bytes there may differ from ``data``'s (chunked, filtered,
        converted, unallocated).
    """
    # Filters need a chunked layout; a dataset of data's own dtype (either byte order) is
    # written without conversion.
    if ds.chunks is not None or ds.dtype != data.dtype or ds.shape != data.shape:
        return None
    if ds.id.get_storage_size() != data.nbytes:  # not yet written
        return None
    offset = ds.id.get_offset()
    return None if offset is None else int(offset)
