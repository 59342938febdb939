"""DICOM as a carrier (synthbank.phi.dicom): tags, sequences, implicit VR, headers hidden in other files."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import MAIN
from phi.helpers import dicom_element, dicom_file, kinds

from synthbank import phi
from synthbank.io.png import encode_png
from synthbank.phi.dicom import SignatureReader


def test_dicom_tags_and_nested_sequences(tmp_path: Path) -> None:
    item = dicom_element(0x0010, 0x0020, "LO", b"XYZ987")
    seq = struct.pack("<HH2sHI", 0x0010, 0x1002, b"SQ", 0, 0xFFFFFFFF) + \
        struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + item + struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + \
        struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    body = (dicom_element(0x0008, 0x0050, "SH", b"ACC123") + dicom_element(0x0010, 0x0010, "PN", b"Doe^John")
            + dicom_element(0x0010, 0x0030, "DA", b"19500314") + seq
            + dicom_element(0x0018, 0x1000, "LO", b"SN-4471"))
    path = tmp_path / "study.dcm"
    path.write_bytes(dicom_file(body))
    found = {(f.location, f.kind) for f in phi.scan([path])}
    assert ("preamble", "dicom_header") in found
    assert ("(0008,0050) AccessionNumber", "accession_number") in found
    assert ("(0010,0010) PatientName", "person_name") in found
    assert ("(0010,0030) PatientBirthDate", "birth_date") in found
    assert ("(0010,1002)[0].(0010,0020) PatientID", "patient_id") in found
    assert ("(0018,1000) DeviceSerialNumber", "device_serial") in found


def test_implicit_vr_dicom(tmp_path: Path) -> None:
    body = struct.pack("<HHI", 0x0010, 0x0010, 8) + b"Doe^John"
    path = tmp_path / "implicit.dcm"
    path.write_bytes(dicom_file(body, syntax=b"1.2.840.10008.1.2\x00"))
    found = phi.scan([path])
    assert ("(0010,0010) PatientName", "person_name") in {(f.location, f.kind) for f in found}


def test_real_dicom_source_is_flagged(tmp_path: Path) -> None:
    """The shipped raw CT source still has its header: the scanner must see it."""
    found = phi.scan([MAIN / "sources/public/xray_chest_demo/CT_small.dcm"])
    assert {"dicom_header", "person_name", "patient_id", "date", "institution"} <= kinds(found)


@pytest.mark.parametrize("container", ["bin", "png"])
def test_dicom_header_bytes_hidden_in_other_files(tmp_path: Path, container: str) -> None:
    header = dicom_file(dicom_element(0x0010, 0x0010, "PN", b"Doe^John"))
    rng = np.random.default_rng(0)
    if container == "bin":
        data = rng.bytes(5000) + header + rng.bytes(5000)
    else:  # a PNG with the header appended after IEND
        data = encode_png(np.zeros((4, 4), np.uint8)) + header
    path = tmp_path / f"blob.{container}"
    path.write_bytes(data)
    assert "dicom_header" in kinds(phi.scan([path]))


def test_npz_signature_split_between_reads_is_found() -> None:
    """The signature search spans read boundaries (a header cut between two chunks)."""
    blob = bytes(10) + b"DICM\x02\x00" + bytes(10)
    for cut in range(len(blob)):
        reader = SignatureReader(io.BytesIO(blob))
        reader.read(cut), reader.read()
        assert reader.hits("m") == [("m byte 10", "dicom_header", "DICM preamble magic")], cut
