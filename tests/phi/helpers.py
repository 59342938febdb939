"""Builders of PHI carriers for the scanner tests: DICOM, NIfTI, PNG, HDF5, npz and zip files in memory."""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from synthbank import phi
from synthbank.io.npz import NpzWriter


def dicom_element(group: int, elem: int, vr: str, value: bytes) -> bytes:
    """One explicit-VR little-endian element (values padded to even length)."""
    if len(value) % 2:
        value += b"\x00" if vr in ("UI", "OB") else b" "
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value


def dicom_file(elements: bytes, syntax: bytes = b"1.2.840.10008.1.2.1") -> bytes:
    """A Part-10 file: 128-byte preamble, DICM, a meta group naming ``syntax``, then ``elements``."""
    meta = dicom_element(0x0002, 0x0010, "UI", syntax)
    return b"\x00" * 128 + b"DICM" + dicom_element(0x0002, 0x0000, "UL", struct.pack("<I", len(meta))) + meta + elements


def nifti_header(descrip: bytes = b"", aux_file: bytes = b"", intent_name: bytes = b"", db_name: bytes = b"") -> bytes:
    """A 2 x 2 x 1 uint8 NIfTI-1 image with the given header text fields."""
    h = bytearray(352)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, 3, 2, 2, 1, 1, 1, 1, 1)
    struct.pack_into("<hh", h, 70, 2, 8)
    struct.pack_into("<f", h, 108, 352.0)
    h[14:14 + len(db_name)] = db_name
    h[148:148 + len(descrip)] = descrip
    h[228:228 + len(aux_file)] = aux_file
    h[328:328 + len(intent_name)] = intent_name
    h[344:348] = b"n+1\x00"
    return bytes(h)  # 348-byte header + 4-byte extension flag


def kinds(findings: list[phi.Finding]) -> set[str]:
    return {f.kind for f in findings}


def nifti2_header(descrip: bytes = b"", aux_file: bytes = b"", intent_name: bytes = b"") -> bytes:
    """A 2 x 2 x 1 uint8 NIfTI-2 image header (540 bytes + 4-byte extension flag)."""
    h = bytearray(544)
    struct.pack_into("<i", h, 0, 540)
    h[4:12] = b"n+2\x00\r\n\x1a\n"
    struct.pack_into("<hh", h, 12, 2, 8)
    struct.pack_into("<8q", h, 16, 3, 2, 2, 1, 1, 1, 1, 1)
    struct.pack_into("<q", h, 168, 544)
    h[240:240 + len(descrip)] = descrip
    h[320:320 + len(aux_file)] = aux_file
    h[508:508 + len(intent_name)] = intent_name
    return bytes(h)


def png_with(chunk: str, key: str, text: str) -> bytes:
    """A small PNG (Pillow) carrying one tEXt, zTXt or iTXt chunk."""
    info = PngInfo()
    if chunk == "iTXt":
        info.add_itxt(key, text, zip=False)
    else:
        info.add_text(key, text, zip=chunk == "zTXt")
    buf = io.BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def hdf5_bytes(build: Any) -> bytes:
    """The bytes of an HDF5 file that ``build(f)`` fills."""
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)
    return buf.getvalue()


def npz_bytes(compressed: bool = False, **arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def npz_project_writer(**arrays: np.ndarray) -> bytes:
    """An npz from the project's own streaming writer (synthbank.io.npz)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.npz"
        with NpzWriter(path) as npz:
            for name, array in arrays.items():
                npz.add_array(name, array)
        return path.read_bytes()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def nifti_with_extension(text: bytes) -> bytes:
    """A NIfTI-1 image with one comment extension (code 6) holding ``text``."""
    body = text + bytes(-(len(text) + 8) % 16)  # esize a multiple of 16, as the standard asks
    ext = struct.pack("<ii", 8 + len(body), 6) + body
    header = bytearray(nifti_header())
    header[348] = 1
    struct.pack_into("<f", header, 108, 352.0 + len(ext))
    return bytes(header) + ext + bytes(4)


def labelled(field: str, value: str) -> str:
    """How a field is written where a carrier has no field names: ``field: value``."""
    return f"{field}: {value}"


def scan_bytes(tmp_path: Path, name: str, data: bytes) -> list[phi.Finding]:
    path = tmp_path / name
    path.write_bytes(data)
    return phi.scan([path])
