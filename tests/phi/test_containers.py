"""HDF5 and npz as carriers (synthbank.phi.containers): attributes, names, members, raw member bytes."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from phi.helpers import dicom_element, dicom_file, kinds, npz_bytes, scan_bytes

from synthbank import phi
from synthbank.io import hdf5
from synthbank.phi.dicom import DICOM_SIGNATURES


def test_hdf5_attributes_of_every_object_are_scanned(tmp_path: Path) -> None:
    path = tmp_path / "planted.h5"
    with hdf5.create_file(path, {"family": "x", "patient_id": "A12345"}) as f:
        group = hdf5.create_group(f, "grp", {"comment": "Doe^Jane"})
        hdf5.create_dataset(group, "ds", shape=(2,), dtype="u1", data=np.zeros(2, np.uint8),
                            attrs={"note": "MRN: 99887766", "units": "counts"})
        f["grp/ds"].attrs["owners"] = np.array([b"ok", b"call 555-123-4567"])
    found = {(f.location, f.kind) for f in phi.scan([path])}
    assert ("/@patient_id", "patient_id") in found
    assert ("/grp@comment", "person_name") in found
    assert ("/grp/ds@note", "medical_record_number") in found
    assert ("/grp/ds@owners", "phone") in found
    assert not any(loc == "/grp/ds@units" for loc, _ in found)


def test_hdf5_string_dataset_and_object_name_are_scanned(tmp_path: Path) -> None:
    path = tmp_path / "names.h5"
    with h5py.File(path, "w") as f:
        f["Smith^John"] = np.zeros(1)
        f["notes"] = np.array([b"SSN 123-45-6789"])
    assert kinds(phi.scan([path])) == {"person_name", "ssn"}


def test_hdf5_json_text_and_numeric_attributes(tmp_path: Path) -> None:
    """The core writer stores dicts as JSON text: identifiers inside are found by key."""
    path = tmp_path / "params.h5"
    with hdf5.create_file(path, {"params": {"noise_level": 0.05, "subject": {"dob": "1950-03-14", "mrn": 556677}},
                                 "shape": [256, 256, 3]}) as f:
        f.attrs["patient_id"] = np.array([12345], np.int64)
    found = {(f.location, f.kind) for f in phi.scan([path])}
    assert found == {("/@params", "birth_date"), ("/@params", "medical_record_number"), ("/@patient_id", "patient_id")}
    clean = tmp_path / "clean.h5"
    with hdf5.create_file(clean, {"params": {"noise_level": 0.05, "name": "blobs"}, "shape": [256, 256, 3]}):
        pass
    assert phi.scan([clean]) == []


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_dicom_header_in_raw_member_bytes(tmp_path: Path, compressed: bool) -> None:
    """A DICOM header pasted into a numeric member is found (located in the member's bytes)."""
    header = np.frombuffer(dicom_file(dicom_element(0x0010, 0x0010, "PN", b"Doe^John")), np.uint8)
    pixels = np.concatenate([np.zeros(2_000_000, np.uint8), header])  # past the first 1 MiB read
    found = scan_bytes(tmp_path, "p.npz", npz_bytes(compressed, images=pixels))
    magic, element = (128 + 2_000_000 + header.tobytes().index(sig) for sig in DICOM_SIGNATURES)  # npy header, zeros
    assert [(f.location, f.kind, f.text) for f in found] == [
        (f"images byte {magic}", "dicom_header", "DICM preamble magic"),
        (f"images byte {element}", "dicom_header", "(0010,0010) PatientName element"),
    ]


def test_npz_numeric_member_named_like_an_identifier(tmp_path: Path) -> None:
    found = scan_bytes(tmp_path, "n.npz", npz_bytes(mrn=np.array([55667788], np.int64), labels=np.arange(5)))
    assert [(f.location, f.kind, f.text) for f in found] == [("mrn", "medical_record_number", "mrn=55667788")]
