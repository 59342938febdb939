"""The no-PHI scanner: identifiers planted in each metadata carrier are caught; clean
files, licence texts and the project's own metadata are not flagged."""

from __future__ import annotations

import dataclasses
import gzip
import json
import struct
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import MAIN, VENV_BIN
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from synthbank import phi
from synthbank.io import hdf5
from synthbank.io.png import encode_png

# --- builders of carriers -----------------------------------------------------------------


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


# --- each carrier -------------------------------------------------------------------------


def test_png_text_chunks_are_scanned(tmp_path: Path) -> None:
    info = PngInfo()
    info.add_text("Author", "Jane Doe")                                   # tEXt, field rule
    info.add_text("Comment", "DOB: 1950-03-14", zip=True)                 # zTXt
    info.add_itxt("Description", "contact jane.doe@example.org", zip=True)  # iTXt
    path = tmp_path / "planted.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path, pnginfo=info)
    found = phi.scan([path])
    where = {(f.location, f.kind) for f in found}
    assert ("tEXt[Author]", "person_name") in where
    assert ("zTXt[Comment]", "birth_date") in where
    assert ("iTXt[Description]", "email") in where


def test_clean_png_from_core_writer_has_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "clean.png"
    path.write_bytes(encode_png(np.arange(256, dtype=np.uint8).reshape(16, 16)))
    assert phi.scan([path]) == []


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


def test_json_keys_and_values_with_key_paths(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({
        "meta": {"subject": {"ssn": "123-45-6789", "age": 93}},
        "notes": ["ok", "call (555) 123-4567"],
        "Patient Name": "Doe, Jane",
        "seed": 42, "release_date": "2026-11-22",
    }))
    found = {(f.location, f.kind) for f in phi.scan([path])}
    assert ("$.meta.subject.ssn", "ssn") in found
    assert ("$.meta.subject.age", "age_over_89") in found
    assert ("$.notes[1]", "phone") in found
    assert ('$["Patient Name"]', "person_name") in found
    assert not any(loc in ("$.seed", "$.release_date") for loc, _ in found)


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


def test_json_field_names_label_values_and_nested_objects(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"patient": "John Smith", "dob": {"year": 1950, "month": 3},
                                "package": {"name": "nilearn", "version": "0.14.1"}}))
    found = {(f.location, f.kind) for f in phi.scan([path])}
    assert found == {("$.patient", "person_name"), ("$.dob", "birth_date")}


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("study.dcm.gz", dicom_file(dicom_element(0x0010, 0x0010, "PN", b"Doe^John")), {"dicom_header", "person_name"}),
    ("meta.json.gz", b'{"subject": {"ssn": "123-45-6789"}}', {"ssn"}),
    ("notes.txt.gz", b"contact jane.doe@example.org\n", {"email"}),
    ("clean.json.gz", b'{"seed": 42}', set()),
    ("inner.h5.gz", b"\x89HDF\r\n\x1a\n" + bytes(100), {"unscannable"}),
])
def test_gzip_content_is_scanned(tmp_path: Path, name: str, content: bytes, expected: set[str]) -> None:
    """Gzip other than NIfTI is read, not passed unread."""
    path = tmp_path / name
    path.write_bytes(gzip.compress(content, mtime=0))
    assert kinds(phi.scan([path])) == expected


def test_shipped_provenance_records_are_clean() -> None:
    """Real metadata with attributions (authors' names, years, URLs, hashes) is not flagged."""
    records = sorted((MAIN / "sources/public").glob("*/provenance.json"))
    assert len(records) == 3 and "Mikael" in records[1].read_text("utf-8")
    assert phi.scan(records) == []


# --- text rules ---------------------------------------------------------------------------

POSITIVE = {
    "person_name": ["Doe^John", "Name: Jane Doe", "Patient: John Smith", "seen by Dr. Alice Brown",
                    '{"patient_name": "Jane Doe"}'],
    "birth_date": ["DOB: 03/14/1950", "date of birth = 1950-03-14", "born 14 March 1950", '{"dob": "1950-03-14"}'],
    "date": ["admission date: 2020-01-02", "Discharged 2021-05-06"],
    "age_over_89": ["age: 93", "aged 101", '{"age": 93}'],
    "patient_id": ["patient id: P-0042"],
    "medical_record_number": ["MRN# 556677", "medical record number: 12-34-56", "{'mrn': '556677'}"],
    "accession_number": ["accession: A1234567"],
    "health_plan_id": ["insurance id: XJ7788123"],
    "account_number": ["account number: 99001122"],
    "license_number": ["license number: D1234567"],
    "vehicle_id": ["VIN: 1HGCM82633A004352"],
    "device_serial": ["serial number: SN88123", "S/N: 4471-B"],
    "ssn": ["123-45-6789", "SSN: 123456789"],
    "phone": ["(555) 123-4567", "phone: +1 514 398 1234", "555-867-5309"],
    "fax": ["fax: 555 123 9876"],
    "email": ["jane.doe@example.org"],
    "address": ["12 Main Street", "P.O. Box 4471", "zip code: 02139"],
    "ip_address": ["192.168.1.20"],
    "url": ["https://pacs.example.org/view?patientid=12345", "ftp://jdoe:pw@example.org/x"],
}
NEGATIVE = [
    "2026-11-22", "release_date 2026-11-22", "numpy 2.4.6", "1.2.840.10008.1.2.1", "Version 3.16.0",
    "b90956c775a41001", "sha256 3dd31e5cc835b3f2cdd46c9da1982f59251e78518fefa8163d914631c66437d6",
    "SPDX-" + "License-Identifier: MIT", "License: unknown", "CC0-1.0", "spacing_px: [3.5, 6.0]",
    "noise_std: 0.03", "Copyright (c) 2008-2020 Darcy Mason and pydicom contributors",
    "https://commons.wikimedia.org/wiki/File:Fundus_photograph_of_normal_left_eye.jpg",
    "window_hu [-160, 240]", "image 1411 x 1411", "percentage: 95 %", "x^2", "units: m^2",
    "Fonov et al., NeuroImage 2009", "1993-2004", "shape [197, 233, 189]", "slice 94 of 189",
    '{"name": "nilearn", "version": "0.14.1", "path": "nilearn/datasets/data"}', '{"age_days": 93.5, "seed": 42}',
]


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, ts in POSITIVE.items() for t in ts])
def test_text_rule_catches(kind: str, text: str) -> None:
    assert kind in {k for k, _ in phi.scan_text(text)}, phi.scan_text(text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_text_rules_leave_project_metadata_alone(text: str) -> None:
    assert phi.scan_text(text) == []


def test_every_kind_has_a_positive_example() -> None:
    assert set(POSITIVE) | {"dicom_header", "unscannable", "institution"} == set(phi.KINDS)


def test_licence_texts_are_clean() -> None:
    assert phi.scan(sorted((MAIN / "LICENSES").glob("*.txt"))) == []


# --- the walk and the result --------------------------------------------------------------


def test_directories_are_walked_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b/2.txt", "a/1.txt", "b/1.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("contact me@example.org\n")
    found = phi.scan([tmp_path])
    assert [f.path.relative_to(tmp_path).as_posix() for f in found] == ["a/1.txt", "b/1.txt", "b/2.txt"]
    assert found[0] == phi.Finding(tmp_path / "a/1.txt", "line 1", "email", "me@example.org")
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].kind = "x"  # type: ignore[misc]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        phi.scan([tmp_path / "nope"])


def test_corrupt_known_format_is_unscannable(tmp_path: Path) -> None:
    png = encode_png(np.zeros((4, 4), np.uint8))
    path = tmp_path / "cut.png"
    path.write_bytes(png[:8] + struct.pack(">I4s", 1000, b"tEXt") + b"short")
    assert kinds(phi.scan([path])) == {"unscannable"}
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00\x01\x02")
    assert "unscannable" in kinds(phi.scan([bad]))
    body = b"Comment\x00"  # an iTXt chunk cut after its keyword: reported, not a crash
    itxt = tmp_path / "itxt.png"
    itxt.write_bytes(png[:33] + struct.pack(">I4s", len(body), b"iTXt") + body + b"\x00" * 4 + png[33:])
    assert [(f.location, f.kind) for f in phi.scan([itxt])] == [("(file)", "unscannable")]


def test_zlib_corrupt_ztxt_is_unscannable(tmp_path: Path) -> None:
    png = encode_png(np.zeros((2, 2), np.uint8))
    body = b"Comment\x00\x00" + b"not zlib"
    chunk = struct.pack(">I4s", len(body), b"zTXt") + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    path = tmp_path / "z.png"
    path.write_bytes(png[:33] + chunk + png[33:])
    assert kinds(phi.scan([path])) == {"unscannable"}


# --- the command --------------------------------------------------------------------------


def test_verify_no_phi_command(run, tmp_path: Path) -> None:
    for d in ("data", "manifests", "metrics", "reports"):
        (tmp_path / d).mkdir()
    (tmp_path / "data" / "ok.json").write_text('{"seed": 42}\n')
    ok = run([VENV_BIN / "synthbank", "verify-no-phi"], tmp_path, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK no PHI found in 1 file(s)")
    (tmp_path / "reports" / "r.csv").write_text("kind,count\nscan,1\n")  # metrics/ and reports/ are outputs too
    (tmp_path / "metrics" / "m.json").write_text('{"contact": "jane.doe@example.org"}\n')
    by_default = run([VENV_BIN / "synthbank", "verify-no-phi"], tmp_path, check=False)
    assert by_default.returncode == 1 and "PHI metrics/m.json: $.contact: email" in by_default.stdout
    assert "in 1 of 3 file(s)" in by_default.stderr
    (tmp_path / "metrics" / "m.json").unlink()
    (tmp_path / "data" / "bad.json").write_text('{"patient": {"email": "jane.doe@example.org"}}\n')
    (tmp_path / "data" / "cut.png").write_bytes(phi.PNG_SIGNATURE + struct.pack(">I4s", 1000, b"tEXt") + b"short")
    bad = run([VENV_BIN / "synthbank", "verify-no-phi"], tmp_path, check=False)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [  # one line each, naming file and key path; parse errors in full
        "PHI data/bad.json: $.patient.email: email: e*** (26 chars)",
        "PHI data/cut.png: (file): unscannable: ValueError: PNG chunk b'tEXt' at byte 8 is truncated",
    ]
    assert "found 2 identifier(s) in 2 of 4 file(s)" in bad.stderr  # with reports/r.csv
    shown = run([VENV_BIN / "synthbank", "verify-no-phi", "data/bad.json", "--show-text"], tmp_path, check=False)
    assert "email=jane.doe@example.org" in shown.stdout
    missing = run([VENV_BIN / "synthbank", "verify-no-phi", "nope"], tmp_path, check=False)
    assert missing.returncode == 2 and "nope" in missing.stderr


def test_atomic_family_outputs_are_clean(run, tmp_path: Path, params_snapshot: Path) -> None:
    """Another family's real outputs (HDF5 attributes, npz, metadata.json, manifest) pass."""
    out = tmp_path / "atomic"
    run([VENV_BIN / "synthbank", "generate", "atomic", "--params", params_snapshot, "--num-images", "5000",
         "--output-dir", out, "--yes"], tmp_path)
    assert sorted(p.name for p in out.iterdir())[:2] == ["manifest.json", "metadata.json"]
    assert phi.scan([out]) == []
