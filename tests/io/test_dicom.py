"""The core DICOM reader (synthbank.io.dicom): strict structure, item paths, no PHI rules."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest
from phi.helpers import dicom_element, dicom_file

from synthbank.io.dicom import EXPLICIT_BE, IMPLICIT_LE, PIXEL_VRS, DicomError, parse_dicom


def undefined_sequence(group: int, elem: int, items: list[bytes]) -> bytes:
    """An explicit-VR SQ of undefined length whose items have undefined length too."""
    body = b"".join(struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + item + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
                    for item in items)
    return struct.pack("<HH2sHI", group, elem, b"SQ", 0, 0xFFFFFFFF) + body + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def test_every_element_with_meta_group_and_item_paths() -> None:
    seq = undefined_sequence(0x0010, 0x1002, [dicom_element(0x0010, 0x0020, "LO", b"XYZ987")])
    dcm = parse_dicom(dicom_file(dicom_element(0x0010, 0x0010, "PN", b"Doe^John") + seq))
    assert dcm.transfer_syntax == "1.2.840.10008.1.2.1"
    assert [(e.where, e.vr, e.value) for e in dcm.elements] == [
        ("(0002,0000)", "UL", struct.pack("<I", 28)),
        ("(0002,0010)", "UI", b"1.2.840.10008.1.2.1\x00"),
        ("(0010,0010)", "PN", b"Doe^John"),
        ("(0010,1002)", "SQ", b""),
        ("(0010,1002)[0].(0010,0020)", "LO", b"XYZ987"),
    ]


def test_implicit_vr_reads_vrs_from_the_given_dictionary() -> None:
    body = struct.pack("<HHI", 0x0028, 0x0010, 2) + struct.pack("<H", 4) + struct.pack("<HHI", 0x0010, 0x0010, 8) + b"Doe^John"
    data = dicom_file(body, syntax=IMPLICIT_LE.encode() + b"\x00")
    assert [e.vr for e in parse_dicom(data).elements[2:]] == [PIXEL_VRS[0x00280010], ""]
    assert [e.vr for e in parse_dicom(data, {0x00100010: "PN"}).elements[2:]] == ["", "PN"]


@pytest.mark.parametrize(("data", "message"), [
    (dicom_file(dicom_element(0x0010, 0x0010, "PN", b"Doe^John"))[:-3], "runs past the end"),
    (dicom_file(b"\x10\x00\x10\x00"), "truncated element header"),
    (dicom_file(b"\x10\x00\x10\x00p1\x02\x00ab"), "no valid VR"),
    (dicom_file(b"", syntax=EXPLICIT_BE.encode()), "big-endian"),
])
def test_structural_faults_raise(data: bytes, message: str) -> None:
    with pytest.raises(DicomError, match=message):
        parse_dicom(data)


def test_reader_does_not_import_the_phi_rules() -> None:
    """Production reads DICOM through this module: a PHI rule edit must not reach it."""
    code = "import sys, synthbank.io.dicom; print(sorted(m for m in sys.modules if m.startswith('synthbank.phi')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
