"""The rules (synthbank.phi.rules): text rules catch each kind and leave project metadata alone; JSON is walked by key path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MAIN

from synthbank import phi


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


# --- JSON ----------------------------------------------------------------------------------


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


def test_json_field_names_label_values_and_nested_objects(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"patient": "John Smith", "dob": {"year": 1950, "month": 3},
                                "package": {"name": "nilearn", "version": "0.14.1"}}))
    found = {(f.location, f.kind) for f in phi.scan([path])}
    assert found == {("$.patient", "person_name"), ("$.dob", "birth_date")}


def test_json_repeated_key_keeps_every_value() -> None:
    assert phi.load_json('{"a": 1, "b": 2, "a": 3, "a": [4]}') == {"a": [1, 3, [4]], "b": 2}
