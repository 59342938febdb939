"""NIfTI as a carrier (synthbank.phi.nifti): header text fields and a DICOM extension."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest
from phi.helpers import dicom_element, kinds, nifti_header

from synthbank import phi


@pytest.mark.parametrize("field", ["descrip", "aux_file", "intent_name", "db_name"])
@pytest.mark.parametrize("gz", [False, True])
def test_nifti_header_text_fields(tmp_path: Path, field: str, gz: bool) -> None:
    planted = {"descrip": b"Name: John Smith", "aux_file": b"Doe^John", "intent_name": b"Smith^Ann",
               "db_name": b"MRN 12345678"}[field]
    data = nifti_header(**{field: planted}) + bytes(4)
    path = tmp_path / ("x.nii.gz" if gz else "x.nii")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    found = phi.scan([path])
    assert [f.location for f in found] == [f"header.{field}"]
    assert found[0].kind in ("person_name", "medical_record_number")
    clean = tmp_path / "clean.nii"
    clean.write_bytes(nifti_header(descrip=b"synthbank T1 template") + bytes(4))
    assert phi.scan([clean]) == []


def test_nifti_dicom_extension_is_scanned(tmp_path: Path) -> None:
    ext_body = dicom_element(0x0010, 0x0010, "PN", b"Doe^Jane")
    ext = struct.pack("<ii", 8 + len(ext_body), 2) + ext_body
    header = bytearray(nifti_header())
    header[348] = 1
    struct.pack_into("<f", header, 108, 352.0 + len(ext))
    path = tmp_path / "ext.nii"
    path.write_bytes(bytes(header) + ext + bytes(4))
    assert "person_name" in kinds(phi.scan([path]))
