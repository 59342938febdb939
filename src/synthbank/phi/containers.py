"""HDF5 and npz as PHI carriers: attributes, names, string and record arrays.

HDF5 (read with h5py): every attribute of every group and dataset, object names and
string datasets. npz (a zip of ``.npy`` members, read with numpy's header reader and
never with pickle): string, bytes and structured members element by element, the first
numbers of a numeric member named like an identifier field, and DICOM signatures in the
raw member bytes. numpy and h5py are imported when a file needs them.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthbank.phi.dicom import SignatureReader
from synthbank.phi.rules import scan_field, scan_text

#: Numbers of a numeric array attribute that the field rules look at.
MAX_NUMBERS = 16


def _field_value(value: Any) -> Any:
    """An HDF5 attribute's or npz element's value as :func:`scan_field` reads it (None: skip)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SOU":
            return [_field_value(v) for v in value.ravel().tolist()]
        if value.dtype.kind in "iuf":  # for the field rules (patient_id = [12345]): a few suffice
            return value.ravel()[:MAX_NUMBERS].tolist()
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "iuf":
        return value.item()
    return None


#: String datasets larger than this many elements are not read (attributes always are).
MAX_STRING_DATASET = 1_000_000


def hdf5_findings(path: Path) -> list[tuple[str, str, str]]:
    """Findings of an HDF5 file: every object name, every attribute (name and value) of
    every group and dataset (``/group/dataset@attr``), and string datasets."""
    import h5py

    hits: list[tuple[str, str, str]] = []

    def attrs_of(name: str, obj: Any) -> None:
        where = obj.name if obj.name else "/"
        if name:
            leaf = name.rsplit("/", 1)[-1]
            hits.extend((where, k, t) for k, t in scan_text(leaf))
        for attr in obj.attrs:
            value = _field_value(obj.attrs[attr])
            loc = f"{where}@{attr}"
            hits.extend((loc, k, t) for k, t in scan_text(attr))
            if value is not None:
                hits.extend((loc, k, t) for k, t in scan_field(attr, value))
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "SOU" and obj.size <= MAX_STRING_DATASET:
            hits.extend((where, k, t) for k, t in scan_field(name.rsplit("/", 1)[-1], _field_value(obj[()])))

    with h5py.File(path, "r") as f:
        attrs_of("", f)
        f.visititems(attrs_of)
    return hits


# --- npz -------------------------------------------------------------------------------------

#: Bytes read at a time from a numeric npz member (only searched for DICOM signatures).
_NPZ_CHUNK = 1 << 20


def _npy_header(stream: SignatureReader) -> tuple[tuple[int, ...], bool, Any]:
    """(shape, fortran_order, dtype) of an .npy stream, read by numpy."""
    import numpy as np

    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    if version in ((2, 0), (3, 0)):  # 3.0 differs from 2.0 only in spelling field names in UTF-8
        return np.lib.format.read_array_header_2_0(stream)
    raise ValueError(f"npy format version {version} is not supported")


def _element_findings(where: str, label: str, value: Any) -> Iterator[tuple[str, str, str]]:
    """Findings of one array element: a record field by field, a sub-array item by item."""
    import numpy as np

    if isinstance(value, np.void) and value.dtype.names:
        for field in value.dtype.names:
            yield from _element_findings(f"{where}.{field}", field, value[field])
    elif isinstance(value, np.ndarray):
        for index in np.ndindex(value.shape):
            yield from _element_findings(f"{where}[{','.join(map(str, index))}]", label, value[index])
    elif (plain := _field_value(value)) is not None:
        yield from ((where, k, t) for k, t in scan_field(label, plain))


def _npy_text_findings(name: str, data: bytes, shape: tuple[int, ...], fortran: bool, dtype: Any) -> list[tuple[str, str, str]]:
    """A string, bytes or structured member: every element read as a field named ``name``."""
    import numpy as np

    if not dtype.itemsize:
        return []
    array = np.frombuffer(data, dtype, math.prod(shape)).reshape(shape, order="F" if fortran else "C")
    return [hit for index in np.ndindex(shape)
            for hit in _element_findings(f"{name}[{','.join(map(str, index))}]" if index else name, name, array[index])]


def _npy_number_findings(name: str, first: bytes, dtype: Any) -> list[tuple[str, str, str]]:
    """A numeric member: its first numbers, for the field rules (``patient_id = [12345]``)."""
    import numpy as np

    if dtype.kind not in "iuf":
        return []
    numbers = np.frombuffer(first, dtype, min(MAX_NUMBERS, len(first) // dtype.itemsize))
    return [(name, k, t) for k, t in scan_field(name, _field_value(numbers))]


def _npy_member_findings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[tuple[str, str, str]]:
    """Findings of one ``.npy`` member, every byte read (so zip checks its CRC and length)."""
    name = info.filename[: -len(".npy")]
    with archive.open(info) as raw:
        stream = SignatureReader(raw)
        shape, fortran, dtype = _npy_header(stream)
        if dtype.hasobject:
            raise ValueError(f"npz member {info.filename!r} holds Python objects: not read (it needs pickle)")
        text = bool(dtype.names) or dtype.kind in "SU"
        count = math.prod(shape)
        if text and count > MAX_STRING_DATASET:
            raise ValueError(f"npz member {info.filename!r} has {count} text elements, more than {MAX_STRING_DATASET}: not read")
        nbytes, start = count * dtype.itemsize, stream.offset
        data = stream.read(nbytes if text else min(nbytes, _NPZ_CHUNK))  # numbers: the first few suffice
        while stream.read(_NPZ_CHUNK):  # the rest only passes the signature search
            pass
        if stream.offset - start != nbytes:
            raise ValueError(f"npz member {info.filename!r} holds {stream.offset - start} data bytes; its header announces {nbytes}")
    found = _npy_text_findings(name, data, shape, fortran, dtype) if text else _npy_number_findings(name, data, dtype)
    return [(name, k, t) for k, t in scan_text(name)] + found + stream.hits(name)


def npz_findings(source: Path | io.BytesIO) -> list[tuple[str, str, str]]:
    """Every member of an ``.npz`` (a zip of ``.npy`` arrays); its comments as text."""
    hits: list[tuple[str, str, str]] = []
    with zipfile.ZipFile(source) as archive:
        hits += [("zip comment", k, t) for k, t in scan_text(archive.comment.decode("utf-8", "replace"))]
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"npz member {info.filename!r} is not a .npy array")
            hits += [(f"{info.filename} comment", k, t) for k, t in scan_text(info.comment.decode("utf-8", "replace"))]
            hits += _npy_member_findings(archive, info)
    return hits
