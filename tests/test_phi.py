"""The no-PHI scanner: identifiers planted in each metadata carrier are caught; clean
files, licence texts and the project's own metadata are not flagged; a file that does not
parse as the format it claims is reported unscannable and fails the scan."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import tally
from conftest import MAIN, VENV_BIN
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from synthbank import jsonio, phi
from synthbank.families.public.nifti import NiftiImage, encode_nifti, encode_nifti_gz
from synthbank.io import hdf5
from synthbank.io.npz import NpzWriter, npy_header
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
    assert {"manifest.json", "metadata.json", "train.h5", "train.npz"} <= {p.name for p in out.iterdir()}
    assert phi.scan([out]) == []


# --- reliability: every carrier, every unreadable file (issue 12) ---------------------------
#
# Three tables, each case a file built in memory: identifiers planted in every carrier the
# scanner reads (each must be found where it was put), harmless look-alikes in the same
# carriers (none may be flagged), and files that claim a format they do not hold (each must
# be one `unscannable` finding and fail `verify-no-phi` with one line). Counts go to tally.


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


#: carrier -> builder(field, value) -> (file name, bytes, where the value must be found). Filler
#: values are "n/a" (a placeholder), so a field named like an identifier flags only the value.
CARRIERS: dict[str, Any] = {
    "PNG tEXt": lambda k, v: ("c.png", png_with("tEXt", k, v), f"tEXt[{k}]"),
    "PNG zTXt": lambda k, v: ("c.png", png_with("zTXt", k, v), f"zTXt[{k}]"),
    "PNG iTXt": lambda k, v: ("c.png", png_with("iTXt", k, v), f"iTXt[{k}]"),
    "JSON": lambda k, v: ("c.json", json.dumps({"seed": 42, "meta": {k: v}}).encode(), f"$.meta.{k}"),
    # json.loads keeps a repeated key's last value: the first must not hide behind it
    "JSON repeated key": lambda k, v: ("c.json", f'{{"{k}": {json.dumps(v)}, "{k}": "n/a"}}'.encode(), f"$.{k}[0]"),
    "gzip JSON": lambda k, v: ("c.json.gz", gzip.compress(json.dumps({k: v}).encode(), mtime=0), f"$.{k}"),
    "HDF5 attribute": lambda k, v: ("c.h5", hdf5_bytes(lambda f: f.attrs.__setitem__(k, v)), f"/@{k}"),
    "HDF5 dataset attribute": lambda k, v: ("c.h5", hdf5_bytes(
        lambda f: f.create_dataset("images", data=np.zeros(2, np.uint8)).attrs.__setitem__(k, v)), f"/images@{k}"),
    "HDF5 string dataset": lambda k, v: ("c.h5", hdf5_bytes(lambda f: f.create_dataset(k, data=[v.encode()])), f"/{k}"),
    "NIfTI-1 descrip": lambda k, v: ("c.nii", nifti_header(descrip=labelled(k, v).encode()) + bytes(4), "header.descrip"),
    "NIfTI-1 extension": lambda k, v: ("c.nii", nifti_with_extension(labelled(k, v).encode()), "extension[0] code 6"),
    "NIfTI-2 descrip": lambda k, v: ("c.nii", nifti2_header(descrip=labelled(k, v).encode()) + bytes(4), "header.descrip"),
    "gzip NIfTI-1": lambda k, v: ("c.nii.gz", gzip.compress(nifti_header(descrip=labelled(k, v).encode()) + bytes(4), mtime=0),
                                  "header.descrip"),
    "DICOM": lambda k, v: ("c.dcm", dicom_file(dicom_element(0x0008, 0x103E, "LO", labelled(k, v).encode())), "(0008,103E)"),
    "text": lambda k, v: ("c.txt", f"synthbank notes\n{labelled(k, v)}\n".encode(), "line 2"),
    "npz bytes member": lambda k, v: ("c.npz", npz_bytes(**{k: np.array([b"n/a", v.encode()])}), f"{k}[1]"),
    "npz unicode member (deflated)": lambda k, v: ("c.npz", npz_bytes(True, **{k: np.array(["n/a", v])}), f"{k}[1]"),
    "npz 2-D member": lambda k, v: ("c.npz", npz_bytes(**{k: np.array([["n/a", "n/a"], ["n/a", v]])}), f"{k}[1,1]"),
    "npz 0-d member": lambda k, v: ("c.npz", npz_bytes(**{k: np.array(v)}), k),
    "npz structured field": lambda k, v: ("c.npz", npz_bytes(table=np.array(
        [(1, "n/a"), (2, v)], dtype=[("id", "<i4"), (k, "<U48")])), f"table[1].{k}"),
    "npz project writer": lambda k, v: ("c.npz", npz_project_writer(images=np.zeros((2, 4), np.uint8), **{k: np.array([v])}),
                                        f"{k}[0]"),
}


#: (field, value, kind): one of each kind of identifier the scanner's rules know, planted as a
#: field's value (the field's name labels it, as a JSON key or an npz member name does).
PLANTED = [
    ("patient_name", "Jane Doe", "person_name"),
    ("comment", "MRN: 55667788", "medical_record_number"),
    ("comment", "DOB: 1950-03-14", "birth_date"),
    ("contact", "jane.doe@example.org", "email"),
    ("comment", "call 555-123-4567", "phone"),
    ("comment", "SSN 123-45-6789", "ssn"),
    ("comment", "Doe^John", "person_name"),
    ("comment", "seen at 12 Main Street", "address"),
]
#: (field, value): look-alikes of identifiers in project metadata: none may be flagged.
HARMLESS = [
    ("release_date", "2026-11-22"),
    ("version", "numpy 2.4.6"),
    ("transfer_syntax", "1.2.840.10008.1.2.1"),
    ("checksum", "sha256 b90956c775a41001"),
    ("licence", "CC0-1.0"),
    ("citation", "Fonov et al., NeuroImage 2009"),
    ("note", "slice 94 of 189, 1411 x 1411"),
    ("units", "m^2, percentage: 95 %"),
]


def scan_bytes(tmp_path: Path, name: str, data: bytes) -> list[phi.Finding]:
    path = tmp_path / name
    path.write_bytes(data)
    return phi.scan([path])


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize(("field", "value", "kind"), PLANTED, ids=[f"{k}-{v[:12]}" for _, v, k in PLANTED])
def test_planted_identifier_is_found_in_every_carrier(tmp_path: Path, carrier: str, field: str, value: str, kind: str) -> None:
    name, data, where = CARRIERS[carrier](field, value)
    found = {(f.location, f.kind) for f in scan_bytes(tmp_path, name, data)} - {("preamble", "dicom_header")}
    tally.record("phi: planted identifiers", 1, int((where, kind) in found), "found")
    assert found == {(where, kind)}


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize(("field", "value"), HARMLESS, ids=[v[:16] for _, v in HARMLESS])
def test_harmless_look_alike_is_not_flagged(tmp_path: Path, carrier: str, field: str, value: str) -> None:
    name, data, _ = CARRIERS[carrier](field, value)
    found = [f for f in scan_bytes(tmp_path, name, data) if f.location != "preamble"]
    tally.record("phi: harmless look-alikes", 1, int(found == []), "not flagged")
    assert found == []


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def _npy(header_shape: tuple[int, ...], data: bytes) -> bytes:
    return npy_header(np.dtype(np.uint8), header_shape) + data


PNG = encode_png(np.arange(64, dtype=np.uint8).reshape(8, 8))
NPZ = npz_bytes(arr_0=np.full(64, 7, np.uint8))
NPZ_DEFLATED = npz_bytes(True, arr_0=np.arange(4096, dtype=np.uint16))
NII = nifti_header(descrip=b"synthbank") + bytes(4)
JSON_GZ = gzip.compress(b'{"seed": 42}', mtime=0)
RNG = np.random.default_rng(12)

#: case -> (file name, bytes): each claims a format (by suffix or signature) it does not hold.
UNSCANNABLE: dict[str, tuple[str, bytes]] = {
    # the five of issue 12
    "empty .png": ("e.png", b""),
    "PNG signature then zeros": ("z.png", phi.PNG_SIGNATURE + bytes(64)),
    "JSON cut after a key": ("a.json", b'{"a": '),
    "gzip header then garbage as .nii.gz": ("g.nii.gz", b"\x1f\x8b\x08\x00" + bytes(6) + RNG.bytes(200)),
    # a stored block announcing 255 bytes, then fewer: zlib waits for more instead of failing
    "gzip header then a cut block as .nii.gz": ("k.nii.gz", b"\x1f\x8b\x08\x00" + bytes(6) + b"\x00\xff\x00\x00\xff" + RNG.bytes(200)),
    "348 random bytes as .nii": ("r.nii", RNG.bytes(348)),
    # PNG
    "truncated PNG": ("t.png", PNG[:-20]),
    "PNG without IEND": ("n.png", PNG[:-12]),
    "PNG with a bad IDAT CRC": ("c.png", _flip(PNG, PNG.index(b"IDAT") + 6)),
    "PNG not starting with IHDR": ("i.png", phi.PNG_SIGNATURE + PNG[-12:]),
    "PNG chunk type not letters": ("l.png", PNG[:33] + struct.pack(">I4s", 0, b"t3Xt") + struct.pack(">I", zlib.crc32(b"t3Xt")) + PNG[33:]),
    ".png holding text": ("x.png", b"Name: Jane Doe\n"),
    ".png holding HDF5": ("h.png", b"\x89HDF\r\n\x1a\n" + bytes(64)),
    # JSON
    "empty .json": ("e.json", b""),
    ".json not UTF-8": ("u.json", b'{"a": "\xff\xfe"}'),
    ".json holding a PNG": ("p.json", PNG),
    ".json with text after the value": ("t.json", b'{"a": 1} trailing'),
    # NIfTI
    "empty .nii": ("e.nii", b""),
    "Analyze header (no magic) as .nii": ("a.nii", NII[:344] + bytes(4) + NII[348:]),
    "NIfTI header without its voxels": ("v.nii", NII[:352]),
    "NIfTI header with dim[0] = 0": ("d.nii", NII[:40] + bytes(2) + NII[42:]),
    "NIfTI vox_offset inside the header": ("o.nii", NII[:108] + struct.pack("<f", 100.0) + NII[112:]),
    "NIfTI extension running past the voxels": ("x.nii", NII[:108] + struct.pack("<f", 368.0) + NII[112:348] + b"\x01"
                                                 + NII[349:352] + struct.pack("<ii", 4096, 6) + bytes(12)),
    "NIfTI-2 with a bad end-of-line check": ("b.nii", nifti2_header()[:8] + b"\n\n\x1a\n" + nifti2_header()[12:] + bytes(4)),
    "NIfTI-2 header cut short": ("s.nii", nifti2_header()[:500]),
    # gzip
    "empty .gz": ("e.json.gz", b""),
    "truncated gzip": ("t.json.gz", JSON_GZ[:-12]),
    "gzip with a bad CRC": ("c.json.gz", JSON_GZ[:-8] + b"\x00\x00\x00\x00" + JSON_GZ[-4:]),
    "gzip with trailing garbage": ("g.json.gz", JSON_GZ + b"garbage"),
    "gzip holding cut JSON": ("j.json.gz", gzip.compress(b'{"a": ', mtime=0)),
    "gzip holding no NIfTI as .nii.gz": ("n.nii.gz", gzip.compress(b'{"seed": 42}', mtime=0)),
    "truncated .nii.gz": ("t.nii.gz", gzip.compress(NII, mtime=0)[:-10]),
    "gzip inside gzip": ("d.gz", gzip.compress(JSON_GZ, mtime=0)),
    "HDF5 inside gzip": ("h.h5.gz", gzip.compress(hdf5_bytes(lambda f: None), mtime=0)),
    # HDF5
    "empty .h5": ("e.h5", b""),
    "HDF5 signature then garbage": ("g.h5", b"\x89HDF\r\n\x1a\n" + RNG.bytes(600)),
    ".hdf5 holding text": ("t.hdf5", b"patient: Jane Doe\n"),
    "truncated HDF5": ("t.h5", hdf5_bytes(lambda f: f.attrs.__setitem__("a", "b"))[:300]),
    # npz
    "empty .npz": ("e.npz", b""),
    ".npz holding text": ("t.npz", b"not a zip"),
    "truncated npz": ("c.npz", NPZ[: len(NPZ) // 2]),
    "npz member with a corrupt byte (stored)": ("m.npz", _flip(NPZ, NPZ.index(bytes([7] * 64)) + 32)),
    "npz member with a corrupt byte (deflated)": ("d.npz", _flip(NPZ_DEFLATED, len(NPZ_DEFLATED) // 3)),
    "npz member needing pickle": ("p.npz", npz_bytes(arr_0=np.array([{"patient": "Jane Doe"}], dtype=object))),
    "npz member that is not .npy": ("n.npz", zip_bytes({"notes.txt": b"MRN 12345"})),
    "npz member with a bad npy header": ("h.npz", zip_bytes({"arr_0.npy": b"garbage bytes"})),
    "npz member shorter than its header says": ("s.npz", zip_bytes({"arr_0.npy": _npy((10,), bytes(5))})),
    "npz member longer than its header says": ("l.npz", zip_bytes({"arr_0.npy": _npy((10,), bytes(15))})),
    "npz text member too large to read": ("b.npz", npz_bytes(arr_0=np.zeros(phi.MAX_STRING_DATASET + 1, "S1"))),
    # DICOM
    "empty .dcm": ("e.dcm", b""),
    "DICOM element running past the end": ("b.dcm", b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00\x01\x02"),
}


@pytest.mark.parametrize("case", UNSCANNABLE)
def test_unreadable_file_is_reported_unscannable(tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    """One `unscannable` finding, and `synthbank verify-no-phi <path>` fails with one line."""
    from synthbank.cli import main

    name, data = UNSCANNABLE[case]
    path = tmp_path / name
    path.write_bytes(data)
    found = [(f.location, f.kind) for f in phi.scan([path])]
    tally.record("phi: unscannable files", 1, int(found == [("(file)", "unscannable")]), "reported unscannable, scan failed")
    assert found == [("(file)", "unscannable")]
    with pytest.raises(SystemExit) as exit_:
        main(["verify-no-phi", str(path)])
    out, err = capsys.readouterr()
    assert exit_.value.code == 1
    assert len(out.splitlines()) == 1 and out.startswith(f"PHI {path}: (file): unscannable: ")
    assert err == "synthbank: error: verify-no-phi found 1 identifier(s) in 1 of 1 file(s)\n"


def test_unscannable_messages_name_the_fault(tmp_path: Path) -> None:
    """The line says what is wrong, so a reader can tell a broken file from a scanner bug."""
    expected = {
        "empty .png": "ValueError: empty file named *.png: not PNG",
        "PNG signature then zeros": "ValueError: PNG chunk type b'\\x00\\x00\\x00\\x00' at byte 8 is not 4 letters",
        "JSON cut after a key": "JSONDecodeError: Expecting value: line 1 column 7 (char 6)",
        "348 random bytes as .nii": "ValueError: NIfTI header: sizeof_hdr is",
        "PNG with a bad IDAT CRC": "ValueError: PNG chunk b'IDAT' at byte 33 has a bad CRC",
        ".png holding HDF5": "ValueError: named *.png but its content is HDF5",
        "NIfTI header without its voxels": "ValueError: NIfTI file is 352 bytes; its header announces 356",
        "gzip with a bad CRC": "BadGzipFile: CRC check failed",
        "npz member with a corrupt byte (stored)": "BadZipFile: Bad CRC-32 for file 'arr_0.npy'",
        "npz member needing pickle": "ValueError: npz member 'arr_0.npy' holds Python objects: not read (it needs pickle)",
        "npz member shorter than its header says": "ValueError: npz member 'arr_0.npy' holds 5 data bytes; its header announces 10",
        "HDF5 inside gzip": "ValueError: HDF5 inside gzip is not read",
    }
    for case, start in expected.items():
        name, data = UNSCANNABLE[case]
        (found,) = scan_bytes(tmp_path, name, data)
        assert found.text.startswith(start), (case, found.text)


def test_unscannable_files_fail_the_real_command_one_line_each(run, tmp_path: Path) -> None:
    """The console script over all the cases at once: exit 1, exactly one line per file."""
    for n, (name, data) in enumerate(UNSCANNABLE.values()):
        (tmp_path / f"{n:02d}-{name}").write_bytes(data)
    proc = run([VENV_BIN / "synthbank", "verify-no-phi", "."], tmp_path, check=False)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"PHI {n:02d}-{name}" for n, (name, _) in enumerate(UNSCANNABLE.values())]
    assert all(": (file): unscannable: " in line for line in lines)
    assert proc.stderr.endswith(f"found {len(UNSCANNABLE)} identifier(s) in {len(UNSCANNABLE)} of {len(UNSCANNABLE)} file(s)\n")


# --- npz specifics and our own writers -------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_dicom_header_in_raw_member_bytes(tmp_path: Path, compressed: bool) -> None:
    """A DICOM header pasted into a numeric member is found (located in the member's bytes)."""
    header = np.frombuffer(dicom_file(dicom_element(0x0010, 0x0010, "PN", b"Doe^John")), np.uint8)
    pixels = np.concatenate([np.zeros(2_000_000, np.uint8), header])  # past the first 1 MiB read
    found = scan_bytes(tmp_path, "p.npz", npz_bytes(compressed, images=pixels))
    magic, element = (128 + 2_000_000 + header.tobytes().index(sig) for sig in phi.DICOM_SIGNATURES)  # npy header, zeros
    assert [(f.location, f.kind, f.text) for f in found] == [
        (f"images byte {magic}", "dicom_header", "DICM preamble magic"),
        (f"images byte {element}", "dicom_header", "(0010,0010) PatientName element"),
    ]


def test_npz_numeric_member_named_like_an_identifier(tmp_path: Path) -> None:
    found = scan_bytes(tmp_path, "n.npz", npz_bytes(mrn=np.array([55667788], np.int64), labels=np.arange(5)))
    assert [(f.location, f.kind, f.text) for f in found] == [("mrn", "medical_record_number", "mrn=55667788")]


def test_npz_signature_split_between_reads_is_found() -> None:
    """The signature search spans read boundaries (a header cut between two chunks)."""
    blob = bytes(10) + b"DICM\x02\x00" + bytes(10)
    for cut in range(len(blob)):
        reader = phi.SignatureReader(io.BytesIO(blob))
        reader.read(cut), reader.read()
        assert reader.hits("m") == [("m byte 10", "dicom_header", "DICM preamble magic")], cut


def test_json_repeated_key_keeps_every_value() -> None:
    assert phi.load_json('{"a": 1, "b": 2, "a": 3, "a": [4]}') == {"a": [1, 3, [4]], "b": 2}


#: file name -> bytes written by the libraries and writers our outputs come from.
def own_writers_files() -> dict[str, bytes]:
    image = NiftiImage(np.arange(24, dtype=np.int16).reshape(2, 3, 4), (1.0, 1.0, 2.0), sform_code=1,
                       srow=((1.0, 0, 0, -1), (0, 1.0, 0, -2), (0, 0, 2.0, -3)))
    pil = io.BytesIO()
    Image.fromarray(np.arange(768, dtype=np.uint8).reshape(16, 16, 3)).save(pil, format="PNG")
    h5 = io.BytesIO()
    with hdf5.create_file(h5, {"family": "chromatic", "params": {"seed": 42, "name": "blobs"}}) as f:
        hdf5.create_dataset(f, "images", shape=(4, 8, 8), dtype="u1", data=np.zeros((4, 8, 8), np.uint8),
                            attrs={"units": "counts"})
    return {
        "encode_png.png": PNG,
        "pillow.png": pil.getvalue(),
        "hdf5.h5": h5.getvalue(),
        "npz_writer.npz": npz_project_writer(images=np.arange(4096, dtype=np.uint8).reshape(16, 16, 16),
                                             labels=np.arange(16, dtype=np.int64)),
        "savez_compressed.npz": npz_bytes(True, Y=np.ones((4, 8), np.complex64), xcoords=np.linspace(0, 1, 9)),
        "empty.npz": npz_bytes(),
        "encode_nifti.nii": encode_nifti(image),
        "encode_nifti_gz.nii.gz": encode_nifti_gz(image, 6),
        "canonical.json": jsonio.dumps({"family": "atomic", "seed": 42, "release": {"date": "2026-11-22"}}).encode(),
        "signal.float32": np.linspace(-1, 1, 4096, dtype=np.float32).tobytes(),
        "empty.txt": b"",
    }


def test_files_from_our_own_writers_scan_clean(tmp_path: Path) -> None:
    """No false `unscannable` (or any finding) on the kinds of file the families write."""
    files = own_writers_files()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    found = phi.scan([tmp_path])
    tally.record("phi: own writers' files", len(files), len(files) - len({f.path for f in found}), "scanned clean")
    assert found == []
