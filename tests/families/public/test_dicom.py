"""The DICOM pixel reader (no pydicom): the shipped CT equals pydicom's pixel_array."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from synthbank.families.public.convert import array_sha256
from synthbank.families.public.dicom import read_pixels
from synthbank.io.dicom import DicomError

MAIN = Path(__file__).resolve().parents[3]
CT = MAIN / "sources/public/xray_chest_demo/CT_small.dcm"
sys.path.insert(0, str(MAIN / "tests"))
from phi.helpers import dicom_element, dicom_file


def pixel_elements(rows: int, cols: int, allocated: int, stored: int, signed: int, pixels: bytes, **extra: bytes) -> bytes:
    us = lambda v: struct.pack("<H", v)
    els = [(0x0028, 0x0002, "US", us(1)), (0x0028, 0x0010, "US", us(rows)), (0x0028, 0x0011, "US", us(cols)),
           (0x0028, 0x0100, "US", us(allocated)), (0x0028, 0x0101, "US", us(stored)), (0x0028, 0x0103, "US", us(signed))]
    if "slope" in extra:
        els += [(0x0028, 0x1052, "DS", extra["intercept"]), (0x0028, 0x1053, "DS", extra["slope"])]
    return b"".join(dicom_element(*e) for e in els) + dicom_element(0x7FE0, 0x0010, "OW", pixels)


def test_shipped_ct_matches_pydicom_reference() -> None:
    record = json.loads((CT.parent / "provenance.json").read_text("utf-8"))["pixels"]
    px = read_pixels(CT.read_bytes())
    assert str(px.array.dtype) == record["dtype"] and list(px.array.shape) == record["shape"]
    assert array_sha256(px.array) == record["sha256"]  # pydicom 3.0.2 pixel_array, hashed at extraction
    assert (px.rescale_slope, px.rescale_intercept) == (record["rescale_slope"], record["rescale_intercept"])
    assert list(px.pixel_spacing_mm) == record["pixel_spacing_mm"]


def test_bits_stored_are_sign_extended_and_rescale_read() -> None:
    values = np.array([[0x0FFF, 0x0800], [0x07FF, 0x0001]], dtype="<u2")  # 12-bit two's complement
    raw = dicom_file(pixel_elements(2, 2, 16, 12, 1, values.tobytes(), slope=b"2 ", intercept=b"-5"))
    px = read_pixels(raw)
    np.testing.assert_array_equal(px.array, [[-1, -2048], [2047, 1]])
    assert (px.rescale_slope, px.rescale_intercept, px.pixel_spacing_mm) == (2.0, -5.0, None)


def test_unsigned_high_bits_are_masked() -> None:
    values = np.array([0xF00F, 0x0FFF], dtype="<u2")
    px = read_pixels(dicom_file(pixel_elements(1, 2, 16, 12, 0, values.tobytes())))
    np.testing.assert_array_equal(px.array, [[0x00F, 0xFFF]])


def test_implicit_vr_file() -> None:
    body = b"".join(struct.pack("<HHI", g, e, len(v)) + v for g, e, v in [
        (0x0028, 0x0010, struct.pack("<H", 1)), (0x0028, 0x0011, struct.pack("<H", 2)),
        (0x0028, 0x0100, struct.pack("<H", 8)), (0x0028, 0x0101, struct.pack("<H", 8)),
        (0x0028, 0x0103, struct.pack("<H", 0)), (0x7FE0, 0x0010, bytes([7, 9]))])
    px = read_pixels(dicom_file(body, syntax=b"1.2.840.10008.1.2\x00"))
    np.testing.assert_array_equal(px.array, [[7, 9]])


@pytest.mark.parametrize(("raw", "message"), [
    (dicom_file(b"", syntax=b"1.2.840.10008.1.2.4.50"), "not supported"),
    (dicom_file(pixel_elements(2, 2, 16, 16, 0, bytes(6))), "6 bytes, 8 needed"),
    (dicom_file(dicom_element(0x0028, 0x0010, "US", b"\x01\x00")), "Columns"),
])
def test_unsupported_or_incomplete_files_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(DicomError, match=message):
        read_pixels(raw)
