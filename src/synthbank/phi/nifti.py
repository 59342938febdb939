"""NIfTI-1/2 as a PHI carrier: the header's text fields and the header extensions.

Read: ``db_name`` (NIfTI-1), ``descrip``, ``aux_file``, ``intent_name`` (location
``header.descrip``) and every extension (``extension[0] code 6``; a DICOM extension,
code 2, element by element). The header is checked first (sizeof_hdr, magic,
dimensions, bits per voxel, vox_offset, complete extensions and voxels).

Hand-written, not nibabel: nibabel 5.4.2 loads the header of a file whose voxels are
missing or whose dim[0] is 0 (it fixes or warns instead of failing), so a broken file
would pass the scanner; the checks here fail closed.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from synthbank.io.dicom import DicomError
from synthbank.phi.dicom import dicom_findings, parse
from synthbank.phi.rules import scan_field, scan_text

#: NIfTI-1 header text fields: name -> (byte offset, length).
NIFTI_TEXT_FIELDS: Mapping[str, tuple[int, int]] = {
    "db_name": (14, 18), "descrip": (148, 80), "aux_file": (228, 24), "intent_name": (328, 16),
}
#: NIfTI-2 header text fields (it has no db_name).
NIFTI2_TEXT_FIELDS: Mapping[str, tuple[int, int]] = {
    "descrip": (240, 80), "aux_file": (320, 24), "intent_name": (508, 16),
}
NIFTI_HEADER_SIZE = 348
NIFTI2_HEADER_SIZE = 540
#: Extensions beyond this many bytes of header are not read (the file is unscannable).
MAX_NIFTI_HEADER = 16 << 20
# NIfTI-2's magic is followed by an end-of-line check; nibabel also accepts zeros there.
_NIFTI2_EOL = (b"\r\n\x1a\n", b"\x00\x00\x00\x00")


@dataclass(frozen=True)
class NiftiLayout:
    """Where things are in a NIfTI file, from its header.

    Attributes
    ----------
    header_size : 348 (NIfTI-1) or 540 (NIfTI-2).
    endian : ``"<"`` or ``">"``.
    single_file : True for ``n+1``/``n+2`` (voxels in the same file), False for a pair header.
    vox_offset : where the voxels start (single file); extensions lie before.
    voxel_bytes : the voxel data the header announces (0 for a pair header).
    """

    header_size: int
    endian: str
    single_file: bool
    vox_offset: int
    voxel_bytes: int

    @property
    def text_fields(self) -> Mapping[str, tuple[int, int]]:
        return NIFTI_TEXT_FIELDS if self.header_size == NIFTI_HEADER_SIZE else NIFTI2_TEXT_FIELDS


def _nifti_magic(head: bytes) -> tuple[int, str, bytes]:
    """(sizeof_hdr, byte order, magic) of a NIfTI-1/2 header; ValueError if they are not."""
    if len(head) < 4:
        raise ValueError(f"NIfTI header: {len(head)} bytes, no sizeof_hdr")
    sizes = {struct.unpack_from(f"{e}i", head)[0]: e for e in "><"}
    size = next((n for n in (NIFTI_HEADER_SIZE, NIFTI2_HEADER_SIZE) if n in sizes), None)
    if size is None:
        raise ValueError(f"NIfTI header: sizeof_hdr is {struct.unpack_from('<i', head)[0]}, not 348 or 540")
    if len(head) < size:
        raise ValueError(f"NIfTI header: {len(head)} bytes, shorter than its {size}")
    v1 = size == NIFTI_HEADER_SIZE
    magic = head[344:348] if v1 else head[4:8]
    allowed = (b"n+1\x00", b"ni1\x00") if v1 else (b"n+2\x00", b"ni2\x00")
    if magic not in allowed or (not v1 and head[8:12] not in _NIFTI2_EOL):
        found = magic if v1 else head[4:12]
        raise ValueError(f"NIfTI-{1 if v1 else 2} header: magic {found!r} is not {allowed[0]!r} or {allowed[1]!r}")
    return size, sizes[size], magic


def nifti_layout(head: bytes) -> NiftiLayout:
    """The layout of the NIfTI-1 or NIfTI-2 header at the start of ``head``, checked.

    Raises
    ------
    ValueError
        Naming what is wrong: sizeof_hdr, magic, dimensions, bits per voxel, vox_offset.
    """
    size, endian, magic = _nifti_magic(head)
    if size == NIFTI_HEADER_SIZE:
        dims = struct.unpack_from(f"{endian}8h", head, 40)
        bitpix = struct.unpack_from(f"{endian}h", head, 72)[0]
        vox_offset = struct.unpack_from(f"{endian}f", head, 108)[0]
    else:
        dims = struct.unpack_from(f"{endian}8q", head, 16)
        bitpix = struct.unpack_from(f"{endian}h", head, 14)[0]
        vox_offset = struct.unpack_from(f"{endian}q", head, 168)[0]
    ndim = dims[0]
    if not 1 <= ndim <= 7 or min(dims[1: ndim + 1]) < 1:
        raise ValueError(f"NIfTI header: dim {list(dims)} is invalid (dim[0] 1..7, sizes at least 1)")
    if bitpix < 1:
        raise ValueError(f"NIfTI header: bitpix {bitpix} is invalid")
    single = magic[1:2] == b"+"
    if single and not (math.isfinite(vox_offset) and vox_offset >= size + 4):
        raise ValueError(f"NIfTI header: vox_offset {vox_offset} lies inside the {size + 4}-byte header")
    voxel_bytes = -(-math.prod(dims[1: ndim + 1]) * bitpix // 8) if single else 0
    return NiftiLayout(size, endian, single, int(vox_offset) if single else 0, voxel_bytes)


def is_nifti(head: bytes) -> bool:
    """True if ``head`` starts with a NIfTI-1 or NIfTI-2 sizeof_hdr and magic (single file or
    pair, either byte order); the rest of the header is checked by :func:`nifti_layout`."""
    try:
        _nifti_magic(head)
    except ValueError:
        return False
    return True


def _nifti_extensions(head: bytes, layout: NiftiLayout, end: int) -> Iterator[tuple[int, int, bytes]]:
    """(index, code, body) of each header extension before byte ``end``; zero padding may
    follow the last (anything else there is an error, not skipped)."""
    pos, n = layout.header_size + 4, 0
    while pos < end and any(head[pos:end]):
        if pos + 8 > end:
            raise ValueError(f"NIfTI extension {n} at byte {pos} is truncated")
        esize, ecode = struct.unpack_from(f"{layout.endian}ii", head, pos)
        if esize < 8 or pos + esize > end:
            raise ValueError(f"NIfTI extension {n} at byte {pos} has size {esize}: outside the {end}-byte header")
        yield n, ecode, head[pos + 8: pos + esize]
        pos += esize
        n += 1


def nifti_header_bytes(head: bytes, size: int) -> int:
    """How many bytes of a NIfTI file of ``size`` bytes to read: header and extensions.

    ``head`` is the file's start (at least the header). Raises ValueError as
    :func:`nifti_layout`, or if the extensions are larger than :data:`MAX_NIFTI_HEADER`.
    """
    layout = nifti_layout(head)
    end = layout.vox_offset if layout.single_file else size
    if end > MAX_NIFTI_HEADER:
        raise ValueError(f"NIfTI header and extensions are {end} bytes, more than {MAX_NIFTI_HEADER}: not read")
    return end


def nifti_findings(head: bytes, size: int) -> list[tuple[str, str, str]]:
    """Findings of a NIfTI file of ``size`` bytes whose start is ``head`` (at least
    :func:`nifti_header_bytes` of it)."""
    layout = nifti_layout(head)
    if layout.single_file and size < layout.vox_offset + layout.voxel_bytes:
        raise ValueError(f"NIfTI file is {size} bytes; its header announces {layout.vox_offset + layout.voxel_bytes}")
    hits = []
    for name, (offset, length) in layout.text_fields.items():
        text = head[offset: offset + length].split(b"\x00", 1)[0].decode("latin-1")
        hits += [(f"header.{name}", k, t) for k, t in scan_field(name, text)]
    if len(head) <= layout.header_size or head[layout.header_size] == 0:
        return hits  # no extension flag: no extensions
    for n, ecode, body in _nifti_extensions(head, layout, nifti_header_bytes(head, size)):
        where = f"extension[{n}] code {ecode}"
        if ecode == 2:  # DICOM
            try:
                hits += [(f"{where} {loc}", k, t) for loc, k, t in dicom_findings(parse(body))]
            except DicomError:
                hits.append((where, "dicom_header", "DICOM extension"))
        else:
            hits += [(where, k, t) for k, t in scan_text(body.decode("latin-1").replace("\x00", " "))]
    return hits
