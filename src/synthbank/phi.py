"""No-PHI check: find personal identifiers in the metadata of files (HIPAA Safe Harbor kinds).

:func:`scan` walks files and directories and reads every metadata carrier it knows. What a
file is, is decided by what it claims to be: its content's signature (magic bytes) and its
name's suffix (:data:`SUFFIX_FORMATS`):

========================  ==========================================================
carrier                   what is read (``Finding.location``)
========================  ==========================================================
PNG                       tEXt / zTXt / iTXt chunks (``tEXt[Keyword]``), eXIf text
HDF5                      every attribute of every group and dataset
                          (``/group/dataset@attr``), object names, string datasets
JSON                      every key and string/number value (``$.key[0].sub``); a key
                          given twice is read with both values
NIfTI-1/2 (.nii, .nii.gz) header text fields ``db_name`` (NIfTI-1), ``descrip``,
                          ``aux_file``, ``intent_name`` (``header.descrip``) and
                          header extensions (``extension[0] code 6``)
DICOM                     every element, nested sequences too (``(0010,0010) PatientName``)
npz                       every member (``arr_0``): string, bytes and structured arrays
                          element by element (``arr_0[3]``, ``table[2].name``), the
                          first numbers of a numeric member named like an identifier
                          field, and DICOM signatures in the raw member bytes
                          (``arr_0 byte 512``)
text files                every line (``line 12``)
gzip                      the content, read as any of the above (at most 64 MB held;
                          a NIfTI's header and extensions only)
any binary file           DICOM header remnants: the ``DICM`` preamble magic, or the
                          explicit-VR encoding of a PatientName element
========================  ==========================================================

Two kinds of rule find identifiers. A *field rule* looks at the name of a structured field
(JSON key, HDF5 attribute, PNG keyword, DICOM keyword, npz member or record field):
``PatientName``, ``dob``, ``mrn``, ``email``... with a non-empty value (a nested object
too). *Text rules* look at any text: DICOM person names ``LAST^FIRST``, labelled values
(``Name: Jane Doe``, ``DOB: 1950-01-02``, ``MRN: 12345``, quoted labels too), e-mail
addresses, SSNs, phone numbers, street addresses, IPv4 addresses, URLs whose query names a
person or record. A field's text value is read with its name as the label (``patient: John
Smith``); a value holding JSON text is walked like a JSON file. A plain date, a licence
text or an attribution line is not a finding: only dates labelled as a person's (birth,
admission, discharge, death, visit) are.

The scanner is deliberately conservative about what it cannot read: a file that claims a
format and does not parse as it is reported as ``unscannable``, never passed. A ``.png``
must be a PNG whose chunks are complete with good CRCs up to IEND; ``.json`` must parse
as JSON (UTF-8); ``.nii`` must hold a valid NIfTI-1 or NIfTI-2 header (sizeof_hdr 348 or
540, its magic, dimensions, complete extensions and voxels); ``.gz`` must decompress
completely (CRC and length checked); ``.h5``/``.hdf5`` must open with h5py; ``.npz``
must be a zip of ``.npy`` members that numpy reads without pickle; ``.dcm`` must parse as
DICOM. An empty file with one of these suffixes, a suffix that contradicts the signature
(``.png`` holding HDF5), and content too large to read are unscannable too. Files that
claim nothing (no known signature or suffix) are read as text when they are, otherwise
searched for DICOM signatures.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import mmap
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: What a finding can be (HIPAA Safe Harbor identifier kinds, plus two of the scanner's own).
KINDS = (
    "person_name", "address", "birth_date", "date", "age_over_89", "phone", "fax", "email",
    "ssn", "medical_record_number", "patient_id", "accession_number", "health_plan_id",
    "account_number", "license_number", "vehicle_id", "device_serial", "url", "ip_address",
    "institution", "dicom_header", "unscannable",
)
#: Longest ``Finding.text`` kept (the rest is cut and marked with an ellipsis).
MAX_TEXT = 120


@dataclass(frozen=True)
class Finding:
    """One identifier found in one place.

    Attributes
    ----------
    path : the file.
    location : where inside it (a chunk, an HDF5 path with ``@attr``, a JSON key path,
        a NIfTI header field, a DICOM tag, a text line).
    kind : one of :data:`KINDS`.
    text : the matching text (at most :data:`MAX_TEXT` characters).
    """

    path: Path
    location: str
    kind: str
    text: str


# --- text rules ------------------------------------------------------------------------------

_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|(?:19|20)\d{6}"
    r"|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
)
# A label may be quoted ('{"dob": "1950-01-02"}': JSON text in an HDF5 attribute or a PNG
# chunk), hence the optional closing quote before the separator.
_LABEL_END = r"['\"]?"
_SEP = rf"{_LABEL_END}\s*[:=#]\s*['\"]?"          # "Name: ...": a separator is required
_SEP_OPTIONAL = rf"{_LABEL_END}\s*[:=#]?\s*['\"]?"  # "MRN 1234": identifier labels need none
_ID_VALUE = r"([A-Za-z0-9][A-Za-z0-9\-/.]*\d[A-Za-z0-9\-/.]*)"
_PHONE_VALUE = r"(\+?[\d(][\d()\s.\-]{6,}\d)"
_CAP_WORD = r"[A-Z][a-z'\-]+"


def _labelled(label: str, value: str, sep: str = _SEP_OPTIONAL) -> re.Pattern[str]:
    return re.compile(rf"(?i:\b(?:{label})\b){sep}{value}")


#: (kind, compiled pattern): every match in any text is a finding.
TEXT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # DICOM PN value LAST^FIRST[^MIDDLE...]
    ("person_name", re.compile(r"(?<![\w^])[A-Za-z][A-Za-z0-9'\-]+\^[A-Za-z][A-Za-z0-9'\-]*(?:\^[A-Za-z0-9'\-]*)*")),
    ("person_name", _labelled(
        r"(?:patient|subject|person|full|first|last|given|family|sur|maiden|physician|doctor|operator|"
        r"referring[ _-]?physician)(?:'s)?[ _-]?name|name|patient",
        rf"({_CAP_WORD}(?:,?\s+{_CAP_WORD}\.?)+)", _SEP,
    )),
    ("person_name", re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+{_CAP_WORD}(?:\s+{_CAP_WORD})?")),
    ("birth_date", re.compile(rf"(?i:\b(?:d\.?o\.?b|date[ _-]?of[ _-]?birth|birth[ _-]?date|born(?:\s+on)?)\b)\.?{_LABEL_END}\s*[:=]?\s*['\"]?{_DATE}")),
    ("date", re.compile(
        rf"(?i:\b(?:admission|admitted|admit|discharge|discharged|death|died|deceased|date[ _-]?of[ _-]?(?:service|death|admission|discharge)"
        rf"|visit[ _-]?date|exam[ _-]?date|scan[ _-]?date|study[ _-]?date)\b)\s*(?:date)?{_LABEL_END}\s*[:=]?\s*['\"]?{_DATE}"
    )),
    ("age_over_89", re.compile(rf"(?i:\b(?:age|aged)\b){_LABEL_END}\s*[:=]?\s*(?:9\d|1[0-4]\d)\b(?!\s*%)")),
    ("patient_id", _labelled(r"patient[ _-]?id|subject[ _-]?id|person[ _-]?id|patient[ _-]?number", _ID_VALUE)),
    ("medical_record_number", _labelled(r"mrn|medical[ _-]?record(?:[ _-]?(?:number|no|num))?", _ID_VALUE)),
    ("accession_number", _labelled(r"accession(?:[ _-]?(?:number|no|num))?", _ID_VALUE)),
    ("health_plan_id", _labelled(r"(?:health[ _-]?plan|insurance|beneficiary|medicare|medicaid|member)[ _-]?(?:id|number|no|num)", _ID_VALUE)),
    ("account_number", _labelled(r"(?:account|acct)(?:[ _-]?(?:number|no|num))?", _ID_VALUE)),
    ("license_number", _labelled(r"(?:licen[cs]e|certificate|dea)[ _-]?(?:number|no|num)", _ID_VALUE)),
    ("vehicle_id", _labelled(r"vin|licen[cs]e[ _-]?plate|plate[ _-]?number", r"([A-Z0-9][A-Z0-9\- ]{3,16})")),
    ("device_serial", _labelled(r"(?:device[ _-]?)?serial(?:[ _-]?(?:number|no|num))?|s/n|udi", _ID_VALUE)),
    ("ssn", re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")),
    ("ssn", _labelled(r"ssn|social[ _-]?security(?:[ _-]?(?:number|no|num))?", r"(\d{9}|\d{3}[ -]\d{2}[ -]\d{4})")),
    ("fax", _labelled(r"fax(?:[ _-]?(?:number|no|num))?", _PHONE_VALUE)),
    ("phone", _labelled(r"phone|telephone|tel|mobile|cell(?:[ _-]?phone)?|contact[ _-]?number", _PHONE_VALUE)),
    ("phone", re.compile(r"(?<![\w.])(?:\+?1[ .-]?)?\(\d{3}\)\s?\d{3}[ .-]\d{4}(?![\w.])")),
    ("phone", re.compile(r"(?<![\w.\-])\d{3}[.-]\d{3}[.-]\d{4}(?![\w.\-])")),
    ("phone", re.compile(r"(?<![\w+])\+\d{1,3}[ .-]\(?\d{1,4}\)?(?:[ .-]\d{2,4}){2,4}(?![\w.])")),
    ("email", re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")),
    ("address", re.compile(
        rf"\b\d{{1,6}}\s+(?:{_CAP_WORD}\s+){{1,4}}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Court|Ct"
        r"|Place|Pl|Way|Terrace|Parkway|Pkwy|Highway|Hwy|Square|Sq)\b\.?"
    )),
    ("address", re.compile(r"(?i:\bp\.?\s?o\.?\s+box\s+\d+)")),
    ("address", _labelled(r"(?:home[ _-]?|street[ _-]?|mailing[ _-]?|patient(?:'s)?[ _-]?)?address|street|zip(?:[ _-]?code)?|postal[ _-]?code|postcode",
                          r"([A-Za-z0-9][^\n\"]{2,})", _SEP)),
    ("ip_address", re.compile(r"(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d?)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|\d\d?)){3}(?![\w.])")),
    ("url", re.compile(
        r"(?i:\b(?:https?|ftp)://(?:[^\s\"'<>/@]+@[^\s\"'<>]*|[^\s\"'<>?]*\?[^\s\"'<>]*"
        r"\b(?:patient|mrn|subject|name|email|ssn|dob|user|uid|pid|record)[a-z_]*=[^\s\"'<>&]+[^\s\"'<>]*))"
    )),
)

# --- field rules ------------------------------------------------------------------------------

#: Normalised field name (lower case, letters and digits only) -> kind.
FIELD_KINDS: Mapping[str, str] = {
    **dict.fromkeys((
        "patientname", "patientsname", "fullname", "firstname", "lastname", "surname", "givenname",
        "familyname", "middlename", "maidenname", "personname", "subjectname", "physicianname",
        "referringphysicianname", "referringphysiciansname", "performingphysicianname",
        "physiciansofrecord", "operatorname", "operatorsname", "otherpatientnames", "patientbirthname",
        "patientsbirthname", "patientmotherbirthname", "patientsmothersbirthname", "author", "artist",
        "nameofphysiciansreadingstudy",
    ), "person_name"),
    **dict.fromkeys(("dob", "dateofbirth", "birthdate", "patientbirthdate", "patientsbirthdate",
                     "birthday", "patientbirthtime", "patientsbirthtime"), "birth_date"),
    **dict.fromkeys(("admissiondate", "dischargedate", "deathdate", "dateofdeath", "dateofservice",
                     "visitdate", "examdate", "scandate", "studydate", "seriesdate", "acquisitiondate",
                     "contentdate", "acquisitiondatetime"), "date"),
    **dict.fromkeys(("patientid", "subjectid", "personid", "otherpatientids", "issuerofpatientid",
                     "admissionid", "patientnumber"), "patient_id"),
    **dict.fromkeys(("mrn", "medicalrecordnumber", "medicalrecord"), "medical_record_number"),
    **dict.fromkeys(("accession", "accessionnumber"), "accession_number"),
    **dict.fromkeys(("healthplan", "healthplanid", "insuranceid", "insurancenumber", "memberid",
                     "beneficiaryid", "medicareid", "medicaidid", "insuranceplanidentification"), "health_plan_id"),
    **dict.fromkeys(("accountnumber", "account", "acct"), "account_number"),
    **dict.fromkeys(("licensenumber", "licencenumber", "certificatenumber", "deanumber"), "license_number"),
    **dict.fromkeys(("vin", "licenseplate", "licenceplate", "vehicleid"), "vehicle_id"),
    **dict.fromkeys(("serialnumber", "deviceserialnumber", "deviceserial", "serial", "udi",
                     "deviceuid", "stationname"), "device_serial"),
    **dict.fromkeys(("ssn", "socialsecuritynumber"), "ssn"),
    **dict.fromkeys(("phone", "phonenumber", "telephone", "telephonenumber", "mobile",
                     "patienttelephonenumbers", "patientstelephonenumbers",
                     "referringphysicianstelephonenumbers", "referringphysiciantelephonenumbers"), "phone"),
    **dict.fromkeys(("fax", "faxnumber"), "fax"),
    **dict.fromkeys(("email", "emailaddress", "mail"), "email"),
    **dict.fromkeys(("address", "streetaddress", "street", "city", "zip", "zipcode", "postalcode",
                     "postcode", "patientaddress", "patientsaddress", "institutionaddress",
                     "referringphysicianaddress", "referringphysiciansaddress", "county"), "address"),
    **dict.fromkeys(("ip", "ipaddress", "hostip"), "ip_address"),
    **dict.fromkeys(("institutionname", "institutionaldepartmentname"), "institution"),
}
_AGE_FIELDS = frozenset(("age", "patientage", "patientsage"))
#: Values that mean "nothing here".
PLACEHOLDERS = frozenset(("", "n/a", "na", "none", "null", "unknown", "anonymous", "anonymized",
                          "anonymised", "redacted", "removed", "-", "0", "000y"))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def normalise_field(name: str) -> str:
    """A field name as :data:`FIELD_KINDS` spells it: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def scan_text(text: str) -> list[tuple[str, str]]:
    """Every (kind, matched text) of the :data:`TEXT_RULES` in ``text``, in rule order."""
    hits: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for kind, pattern in TEXT_RULES:
        for m in pattern.finditer(text):
            hit = (kind, _clip(m.group(0)))
            if hit not in seen:
                seen.add(hit)
                hits.append(hit)
    return hits


def _age_over_89(value: Any) -> bool:
    m = re.fullmatch(r"\s*0*(\d{1,3})\s*(?:y|yr|yrs|years?|[a-z]*)?\s*", str(value), re.IGNORECASE)
    return bool(m) and int(m.group(1)) > 89 and not re.search(r"[dwm]\s*$", str(value).strip(), re.IGNORECASE)


def scan_field(name: str, value: Any) -> list[tuple[str, str]]:
    """Findings of one named field: its field rule, then the text rules on ``"name: value"``
    (or, for a value holding a JSON object or array, the findings of that JSON).

    ``value`` may be text, bytes, a number or a list of those; booleans and None are empty.
    """
    if isinstance(value, (list, tuple)):
        out: list[tuple[str, str]] = []
        for v in value:
            out += [h for h in scan_field(name, v) if h not in out]
        return out
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("latin-1")
    text = str(value).strip("\x00 \t\r\n")
    hits: list[tuple[str, str]] = []
    key = normalise_field(name)
    kind = FIELD_KINDS.get(key)
    if kind is not None and text.lower() not in PLACEHOLDERS:
        hits.append((kind, _clip(f"{name}={text}")))
    elif key in _AGE_FIELDS and _age_over_89(text):
        hits.append(("age_over_89", _clip(f"{name}={text}")))
    if isinstance(value, str):  # text rules, except a kind the field rule already named
        named = {k for k, _ in hits}
        nested = _json_or_none(text)
        if nested is not None:  # JSON text (the core HDF5 writer stores dicts so): walked by key
            found = [(k, t) for _, k, t in _json_findings(nested)]
        else:  # the field name is the label the text rules look for: {"patient": "John Smith"}
            found = scan_text(f"{name}: {text}" if name else text)
        hits += [h for h in dict.fromkeys(found) if h[0] not in named]
    return hits


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose repeated keys keep every value (as a list), so none hides."""
    obj: dict[str, Any] = {}
    repeated: set[str] = set()
    for key, value in pairs:
        if key not in obj:
            obj[key] = value
        elif key in repeated:
            obj[key].append(value)
        else:
            obj[key] = [obj[key], value]
            repeated.add(key)
    return obj


def load_json(text: str) -> Any:
    """``json.loads`` that keeps every value of a repeated key (plain ``json`` keeps the last).

    Raises
    ------
    ValueError
        If ``text`` is not JSON.
    """
    return json.loads(text, object_pairs_hook=_json_object)


def _json_or_none(text: str) -> dict[str, Any] | list[Any] | None:
    """``text`` parsed, if it is a JSON object or array."""
    if not (text[:1] in ("{", "[") and text[-1:] in ("}", "]")):
        return None
    try:
        parsed = load_json(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


# --- DICOM ------------------------------------------------------------------------------------

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
_LONG_VRS = frozenset(("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"))
_TEXT_VRS = frozenset(("AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"))
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
PIXEL_DATA = 0x7FE00010

#: Keywords (and VRs, for implicit-VR files) of the DICOM tags the scanner names.
DICOM_TAGS: Mapping[int, tuple[str, str]] = {
    0x00020010: ("TransferSyntaxUID", "UI"),
    0x00080020: ("StudyDate", "DA"), 0x00080021: ("SeriesDate", "DA"), 0x00080022: ("AcquisitionDate", "DA"),
    0x00080023: ("ContentDate", "DA"), 0x0008002A: ("AcquisitionDateTime", "DT"),
    0x00080050: ("AccessionNumber", "SH"), 0x00080080: ("InstitutionName", "LO"),
    0x00080081: ("InstitutionAddress", "ST"), 0x00080090: ("ReferringPhysicianName", "PN"),
    0x00080092: ("ReferringPhysicianAddress", "ST"), 0x00080094: ("ReferringPhysicianTelephoneNumbers", "SH"),
    0x00081010: ("StationName", "SH"), 0x00081040: ("InstitutionalDepartmentName", "LO"),
    0x00081048: ("PhysiciansOfRecord", "PN"), 0x00081050: ("PerformingPhysicianName", "PN"),
    0x00081060: ("NameOfPhysiciansReadingStudy", "PN"), 0x00081070: ("OperatorsName", "PN"),
    0x00100010: ("PatientName", "PN"), 0x00100020: ("PatientID", "LO"), 0x00100021: ("IssuerOfPatientID", "LO"),
    0x00100030: ("PatientBirthDate", "DA"), 0x00100032: ("PatientBirthTime", "TM"),
    0x00101000: ("OtherPatientIDs", "LO"), 0x00101001: ("OtherPatientNames", "PN"),
    0x00101002: ("OtherPatientIDsSequence", "SQ"), 0x00101005: ("PatientBirthName", "PN"),
    0x00101010: ("PatientAge", "AS"), 0x00101040: ("PatientAddress", "LO"),
    0x00101060: ("PatientMotherBirthName", "PN"), 0x00102154: ("PatientTelephoneNumbers", "SH"),
    0x00181000: ("DeviceSerialNumber", "LO"), 0x00380010: ("AdmissionID", "LO"),
    0x00280002: ("SamplesPerPixel", "US"), 0x00280004: ("PhotometricInterpretation", "CS"),
    0x00280006: ("PlanarConfiguration", "US"), 0x00280008: ("NumberOfFrames", "IS"),
    0x00280010: ("Rows", "US"), 0x00280011: ("Columns", "US"), 0x00280030: ("PixelSpacing", "DS"),
    0x00280100: ("BitsAllocated", "US"), 0x00280101: ("BitsStored", "US"),
    0x00280103: ("PixelRepresentation", "US"), 0x00281052: ("RescaleIntercept", "DS"),
    0x00281053: ("RescaleSlope", "DS"), PIXEL_DATA: ("PixelData", "OW"),
}


class DicomError(ValueError):
    """The bytes are not a DICOM data set this reader understands."""


@dataclass(frozen=True)
class DicomElement:
    """One data element. ``path`` names enclosing sequence items, '' at the top level."""

    tag: int
    vr: str
    value: bytes
    path: str

    @property
    def location(self) -> str:
        keyword = DICOM_TAGS.get(self.tag, ("", ""))[0]
        name = f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X})"
        return f"{self.path}{name}{' ' + keyword if keyword else ''}"


@dataclass(frozen=True)
class DicomFile:
    """A parsed DICOM file: its transfer syntax and every element (sequences flattened)."""

    transfer_syntax: str
    elements: tuple[DicomElement, ...]


def _element_header(buf: bytes, pos: int, explicit: bool) -> tuple[int, str, int, int]:
    if pos + 8 > len(buf):
        raise DicomError(f"truncated element header at byte {pos}")
    group, elem = struct.unpack_from("<HH", buf, pos)
    tag = (group << 16) | elem
    if group == 0xFFFE:
        return tag, "", struct.unpack_from("<I", buf, pos + 4)[0], pos + 8
    if not explicit:
        return tag, DICOM_TAGS.get(tag, ("", ""))[1], struct.unpack_from("<I", buf, pos + 4)[0], pos + 8
    vr = buf[pos + 4: pos + 6]
    if not (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90):
        raise DicomError(f"element ({group:04X},{elem:04X}) at byte {pos} has no valid VR")
    vr_text = vr.decode("ascii")
    if vr_text in _LONG_VRS:
        if pos + 12 > len(buf):
            raise DicomError(f"truncated element header at byte {pos}")
        return tag, vr_text, struct.unpack_from("<I", buf, pos + 8)[0], pos + 12
    return tag, vr_text, struct.unpack_from("<H", buf, pos + 6)[0], pos + 8


def _parse(buf: bytes, pos: int, end: int, explicit: bool, path: str, out: list[DicomElement],
           stop_after_group: int | None = None) -> int:
    """Parse elements in ``buf[pos:end]`` into ``out``; return where parsing stopped."""
    while pos < end:
        if stop_after_group is not None and struct.unpack_from("<H", buf, pos)[0] != stop_after_group:
            return pos
        tag, vr, length, start = _element_header(buf, pos, explicit)
        if tag in (_ITEM_END, _SEQ_END):
            return start
        if length == _UNDEFINED:
            if vr not in ("SQ", "UN", "OB", "OW", "") and tag != PIXEL_DATA:
                raise DicomError(f"undefined length on a {vr} element at byte {pos}")
            out.append(DicomElement(tag, "SQ" if tag != PIXEL_DATA else vr, b"", path))
            pos = _parse_items(buf, start, end, explicit, out, f"{path}{out[-1].location.split(' ')[0]}", tag == PIXEL_DATA)
            continue
        if start + length > end:
            raise DicomError(f"element at byte {pos} runs past the end ({length} bytes)")
        value = buf[start: start + length]
        if vr == "SQ" or (not explicit and value[:4] == b"\xfe\xff\x00\xe0"):
            out.append(DicomElement(tag, "SQ", b"", path))
            _parse_items(buf, start, start + length, explicit, out, f"{path}{out[-1].location.split(' ')[0]}", False)
        else:
            out.append(DicomElement(tag, vr, value, path))
        pos = start + length
    return pos


def _parse_items(buf: bytes, pos: int, end: int, explicit: bool, out: list[DicomElement],
                 path: str, fragments: bool) -> int:
    index = 0
    while pos < end:
        tag, _, length, start = _element_header(buf, pos, explicit)
        if tag == _SEQ_END:
            return start
        if tag != _ITEM:
            raise DicomError(f"expected a sequence item at byte {pos}")
        if fragments:  # encapsulated pixel data: opaque fragments
            pos = start + length
            continue
        prefix = f"{path}[{index}]."
        if length == _UNDEFINED:
            pos = _parse(buf, start, end, explicit, prefix, out)
        else:
            _parse(buf, start, start + length, explicit, prefix, out)
            pos = start + length
        index += 1
    return pos


def is_dicom(head: bytes) -> bool:
    """True if the first 132 bytes carry the DICOM preamble magic."""
    return head[128:132] == b"DICM"


def parse_dicom(data: bytes) -> DicomFile:
    """Parse a DICOM file (Part 10: preamble, ``DICM``, meta group) or a bare data set.

    Little-endian transfer syntaxes (explicit, implicit, deflated); element values are
    kept as bytes, sequences flattened with their item path.
    """
    pos = 132 if is_dicom(data) else 0
    out: list[DicomElement] = []
    if pos:
        pos = _parse(data, pos, len(data), True, "", out, stop_after_group=0x0002)
    syntax = next((e.value.decode("ascii", "replace").strip("\x00 ") for e in out if e.tag == 0x00020010), "")
    if not syntax:  # no meta group: guess from the first element's VR bytes
        syntax = EXPLICIT_LE if len(data) > pos + 6 and data[pos + 4: pos + 6].isalpha() and data[pos + 4: pos + 6].isupper() else IMPLICIT_LE
    if syntax == EXPLICIT_BE:
        raise DicomError("big-endian DICOM is not supported")
    if syntax == DEFLATED_LE:
        data, pos = zlib.decompress(data[pos:], -15), 0
    _parse(data, pos, len(data), syntax != IMPLICIT_LE, "", out)
    return DicomFile(syntax, tuple(out))


def _dicom_findings(dicom: DicomFile) -> list[tuple[str, str, str]]:
    hits: list[tuple[str, str, str]] = [("preamble", "dicom_header", f"DICOM data set, transfer syntax {dicom.transfer_syntax}")]
    for e in dicom.elements:
        if e.tag == PIXEL_DATA or e.vr == "SQ" or not e.value:
            continue
        keyword = DICOM_TAGS.get(e.tag, ("", ""))[0]
        text_like = e.vr in _TEXT_VRS or (e.vr in ("", "UN") and _printable(e.value))
        if not text_like:
            continue
        text = e.value.decode("latin-1").strip("\x00 ")
        if not text:
            continue
        found = scan_field(keyword, text)
        if e.vr == "PN" and not any(k == "person_name" for k, _ in found):
            found.append(("person_name", _clip(f"{keyword or 'PN'}={text}")))
        if e.vr in ("DA", "DT") and not any(k in ("date", "birth_date") for k, _ in found):
            found.append(("date", _clip(f"{keyword or e.vr}={text}")))
        hits += [(e.location, k, t) for k, t in found]
    return hits


def _printable(value: bytes) -> bool:
    return bool(value) and all(32 <= b < 127 or b in (0, 9, 10, 13) for b in value[:256])


#: Byte strings that betray a DICOM header inside any binary file (each 6 bytes long, so
#: random or compressed data contains one by chance about once per 2**48 bytes): the
#: Part-10 magic followed by the meta group, and an explicit-VR PatientName element (a bare
#: data set has no magic). Each costs one pass over the file (about 1-2 GB/s).
DICOM_SIGNATURES = {
    b"DICM\x02\x00": "DICM preamble magic",
    b"\x10\x00\x10\x00PN": "(0010,0010) PatientName element",
}


def _signature_hits(buf: bytes | mmap.mmap) -> list[tuple[str, str, str]]:
    hits = []
    for sig, what in DICOM_SIGNATURES.items():
        at = buf.find(sig)
        if at >= 0:
            hits.append((f"byte {at}", "dicom_header", what))
    return hits


class SignatureReader:
    """A binary stream that searches :data:`DICOM_SIGNATURES` in every byte read through it.

    Chunks overlap by the signature length less one, so a signature split between two
    reads is found; :attr:`found` maps a signature's description to its first offset.
    """

    _OVERLAP = max(len(sig) for sig in DICOM_SIGNATURES) - 1

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self.raw = raw
        self.offset = 0
        self.found: dict[str, int] = {}
        self._tail = b""

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        window = self._tail + data
        start = self.offset - len(self._tail)
        for sig, what in DICOM_SIGNATURES.items():
            at = window.find(sig)
            if what not in self.found and at >= 0:
                self.found[what] = start + at
        self._tail = window[-self._OVERLAP:]
        self.offset += len(data)
        return data

    def hits(self, where: str) -> list[tuple[str, str, str]]:
        """The findings of what was read (``{where} byte N``)."""
        return [(f"{where} byte {at}", "dicom_header", what) for what, at in self.found.items()]


def _signature_findings(path: Path) -> list[tuple[str, str, str]]:
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return []
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _signature_hits(mm)


# --- PNG --------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The largest chunk length the PNG specification allows.
_PNG_MAX_CHUNK = 2**31 - 1


def png_chunks(data: bytes) -> Iterator[tuple[bytes, memoryview, int]]:
    """(type, body, byte offset) of every chunk of a PNG, from IHDR up to and with IEND.

    Every chunk is checked as it is reached: complete, a valid type, its CRC; the first is
    IHDR and the file holds an IEND (bytes after IEND are not chunks and not read here).

    Raises
    ------
    ValueError
        Naming the first chunk (or the end of the file) that breaks the structure.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file: no PNG signature")
    view = memoryview(data)
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise ValueError(f"PNG ends at byte {len(data)} before its IEND chunk")
        length, ctype = struct.unpack_from(">I4s", data, pos)
        end = pos + 8 + length
        if length > _PNG_MAX_CHUNK or end + 4 > len(data):
            raise ValueError(f"PNG chunk {ctype!r} at byte {pos} is truncated")
        if not ctype.isalpha():
            raise ValueError(f"PNG chunk type {ctype!r} at byte {pos} is not 4 letters")
        body = view[pos + 8: end]
        if zlib.crc32(body, zlib.crc32(ctype)) != struct.unpack_from(">I", data, end)[0]:
            raise ValueError(f"PNG chunk {ctype!r} at byte {pos} has a bad CRC")
        if pos == len(PNG_SIGNATURE) and ctype != b"IHDR":
            raise ValueError(f"PNG starts with chunk {ctype!r}, not IHDR")
        yield ctype, body, pos
        if ctype == b"IEND":
            return
        pos = end + 4


def png_text_chunks(data: bytes) -> Iterator[tuple[str, str, str]]:
    """(chunk type, keyword, text) of every tEXt, zTXt, iTXt and eXIf chunk of a PNG.

    The whole chunk structure is checked (see :func:`png_chunks`).
    """
    for ctype, view, pos in png_chunks(data):
        body = bytes(view) if ctype in (b"tEXt", b"zTXt", b"iTXt", b"eXIf") else b""
        if ctype == b"tEXt":
            key, _, text = body.partition(b"\x00")
            yield "tEXt", key.decode("latin-1"), text.decode("latin-1")
        elif ctype == b"zTXt":
            key, _, rest = body.partition(b"\x00")
            yield "zTXt", key.decode("latin-1"), zlib.decompress(rest[1:]).decode("latin-1")
        elif ctype == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            if len(rest) < 2:
                raise ValueError(f"PNG iTXt chunk at byte {pos} has no compression flag")
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\x00")
            _translated, _, text = rest.partition(b"\x00")
            yield "iTXt", key.decode("latin-1"), (zlib.decompress(text) if compressed else text).decode("utf-8", "replace")
        elif ctype == b"eXIf":
            runs = re.findall(rb"[\x20-\x7e]{4,}", body)
            yield "eXIf", "", "\n".join(r.decode("ascii") for r in runs)


def _png_findings(data: bytes) -> list[tuple[str, str, str]]:
    hits = []
    for ctype, key, text in png_text_chunks(data):
        where = f"{ctype}[{key}]"
        hits += [(where, k, t) for k, t in scan_field(key, text)]
        hits += [(where, k, t) for k, t in scan_text(key)]  # the keyword itself
    return hits


# --- NIfTI ------------------------------------------------------------------------------------

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


def _nifti_findings(head: bytes, size: int) -> list[tuple[str, str, str]]:
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
                hits += [(f"{where} {loc}", k, t) for loc, k, t in _dicom_findings(parse_dicom(body))]
            except DicomError:
                hits.append((where, "dicom_header", "DICOM extension"))
        else:
            hits += [(where, k, t) for k, t in scan_text(body.decode("latin-1").replace("\x00", " "))]
    return hits


# --- JSON, HDF5, text -------------------------------------------------------------------------

def _json_findings(node: Any, where: str = "$", key: str = "") -> Iterator[tuple[str, str, str]]:
    if isinstance(node, dict):
        field_kind = FIELD_KINDS.get(normalise_field(key))
        if node and field_kind is not None:  # {"dob": {"year": 1950}}: an identifier field, structured
            yield where, field_kind, _clip(f"{key}={json.dumps(node, sort_keys=True)}")
        for k, v in node.items():
            loc = f"{where}.{k}" if re.fullmatch(r"[A-Za-z_][\w-]*", str(k)) else f"{where}[{json.dumps(k)}]"
            for kind, text in scan_text(str(k)):
                yield loc, kind, text
            yield from _json_findings(v, loc, str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_findings(v, f"{where}[{i}]", key)
    elif isinstance(node, (str, int, float)) and not isinstance(node, bool):
        for kind, text in scan_field(key, node):  # numbers: the field rule only
            yield where, kind, text


#: Numbers of a numeric array attribute that the field rules look at.
MAX_NUMBERS = 16


def _field_value(value: Any) -> Any:
    """An HDF5 attribute's or npz element's value as :func:`scan_field` reads it (None: skip)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SOU":
            return [_field_value(v) for v in value.ravel().tolist()]
        if value.dtype.kind in "iuf":  # for the field rules (patient_id = [12345]): a few suffice
            return value.ravel()[:MAX_NUMBERS].tolist()
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "iuf":
        return value.item()
    return None


#: String datasets larger than this many elements are not read (attributes always are).
MAX_STRING_DATASET = 1_000_000


def _hdf5_findings(path: Path) -> list[tuple[str, str, str]]:
    import h5py

    hits: list[tuple[str, str, str]] = []

    def attrs_of(name: str, obj: Any) -> None:
        where = obj.name if obj.name else "/"
        if name:
            leaf = name.rsplit("/", 1)[-1]
            hits.extend((where, k, t) for k, t in scan_text(leaf))
        for attr in obj.attrs:
            value = _field_value(obj.attrs[attr])
            loc = f"{where}@{attr}"
            hits.extend((loc, k, t) for k, t in scan_text(attr))
            if value is not None:
                hits.extend((loc, k, t) for k, t in scan_field(attr, value))
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "SOU" and obj.size <= MAX_STRING_DATASET:
            hits.extend((where, k, t) for k, t in scan_field(name.rsplit("/", 1)[-1], _field_value(obj[()])))

    with h5py.File(path, "r") as f:
        attrs_of("", f)
        f.visititems(attrs_of)
    return hits


# --- npz --------------------------------------------------------------------------------------

#: Bytes read at a time from a numeric npz member (only searched for DICOM signatures).
_NPZ_CHUNK = 1 << 20


def _npy_header(stream: SignatureReader) -> tuple[tuple[int, ...], bool, Any]:
    """(shape, fortran_order, dtype) of an .npy stream, read by numpy."""
    import numpy as np

    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    if version in ((2, 0), (3, 0)):  # 3.0 differs from 2.0 only in spelling field names in UTF-8
        return np.lib.format.read_array_header_2_0(stream)
    raise ValueError(f"npy format version {version} is not supported")


def _element_findings(where: str, label: str, value: Any) -> Iterator[tuple[str, str, str]]:
    """Findings of one array element: a record field by field, a sub-array item by item."""
    import numpy as np

    if isinstance(value, np.void) and value.dtype.names:
        for field in value.dtype.names:
            yield from _element_findings(f"{where}.{field}", field, value[field])
    elif isinstance(value, np.ndarray):
        for index in np.ndindex(value.shape):
            yield from _element_findings(f"{where}[{','.join(map(str, index))}]", label, value[index])
    elif (plain := _field_value(value)) is not None:
        yield from ((where, k, t) for k, t in scan_field(label, plain))


def _npy_text_findings(name: str, data: bytes, shape: tuple[int, ...], fortran: bool, dtype: Any) -> list[tuple[str, str, str]]:
    """A string, bytes or structured member: every element read as a field named ``name``."""
    import numpy as np

    if not dtype.itemsize:
        return []
    array = np.frombuffer(data, dtype, math.prod(shape)).reshape(shape, order="F" if fortran else "C")
    return [hit for index in np.ndindex(shape)
            for hit in _element_findings(f"{name}[{','.join(map(str, index))}]" if index else name, name, array[index])]


def _npy_number_findings(name: str, first: bytes, dtype: Any) -> list[tuple[str, str, str]]:
    """A numeric member: its first numbers, for the field rules (``patient_id = [12345]``)."""
    import numpy as np

    if dtype.kind not in "iuf":
        return []
    numbers = np.frombuffer(first, dtype, min(MAX_NUMBERS, len(first) // dtype.itemsize))
    return [(name, k, t) for k, t in scan_field(name, _field_value(numbers))]


def _npy_member_findings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[tuple[str, str, str]]:
    """Findings of one ``.npy`` member, every byte read (so zip checks its CRC and length)."""
    name = info.filename[: -len(".npy")]
    with archive.open(info) as raw:
        stream = SignatureReader(raw)
        shape, fortran, dtype = _npy_header(stream)
        if dtype.hasobject:
            raise ValueError(f"npz member {info.filename!r} holds Python objects: not read (it needs pickle)")
        text = bool(dtype.names) or dtype.kind in "SU"
        count = math.prod(shape)
        if text and count > MAX_STRING_DATASET:
            raise ValueError(f"npz member {info.filename!r} has {count} text elements, more than {MAX_STRING_DATASET}: not read")
        nbytes, start = count * dtype.itemsize, stream.offset
        data = stream.read(nbytes if text else min(nbytes, _NPZ_CHUNK))  # numbers: the first few suffice
        while stream.read(_NPZ_CHUNK):  # the rest only passes the signature search
            pass
        if stream.offset - start != nbytes:
            raise ValueError(f"npz member {info.filename!r} holds {stream.offset - start} data bytes; its header announces {nbytes}")
    found = _npy_text_findings(name, data, shape, fortran, dtype) if text else _npy_number_findings(name, data, dtype)
    return [(name, k, t) for k, t in scan_text(name)] + found + stream.hits(name)


def _npz_findings(source: Path | io.BytesIO) -> list[tuple[str, str, str]]:
    """Every member of an ``.npz`` (a zip of ``.npy`` arrays); its comments as text."""
    hits: list[tuple[str, str, str]] = []
    with zipfile.ZipFile(source) as archive:
        hits += [("zip comment", k, t) for k, t in scan_text(archive.comment.decode("utf-8", "replace"))]
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"npz member {info.filename!r} is not a .npy array")
            hits += [(f"{info.filename} comment", k, t) for k, t in scan_text(info.comment.decode("utf-8", "replace"))]
            hits += _npy_member_findings(archive, info)
    return hits


def _text_findings(text: str) -> list[tuple[str, str, str]]:
    hits = []
    for n, line in enumerate(text.splitlines(), 1):
        hits += [(f"line {n}", k, t) for k, t in scan_text(line)]
    return hits


# --- files and the walk -----------------------------------------------------------------------

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Text files larger than this are scanned only for DICOM signatures.
MAX_TEXT_BYTES = 64 * 1024 * 1024


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a multi-byte character cut at the end
    return True


def _text_findings_of(text: str) -> list[tuple[str, str, str]]:
    """Text that claims no format: JSON (by its first character) walked by key path if it
    parses, else text by line."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            return list(_json_findings(load_json(text)))
        except ValueError:
            pass
    return _text_findings(text)


#: Name endings that claim a format (``.nii.gz`` is gzip holding a ``.nii``).
SUFFIX_FORMATS: Mapping[str, str] = {
    ".png": "PNG", ".json": "JSON", ".nii": "NIfTI", ".gz": "gzip", ".h5": "HDF5", ".hdf5": "HDF5",
    ".npz": "npz", ".dcm": "DICOM",
}


def claimed_format(name: str) -> str | None:
    """The format a file name claims by its suffix (:data:`SUFFIX_FORMATS`), if any."""
    return SUFFIX_FORMATS.get(os.path.splitext(name.lower())[1])


def sniffed_format(head: bytes) -> str | None:
    """The format the first bytes of a file claim by their signature, if any."""
    if head.startswith(PNG_SIGNATURE):
        return "PNG"
    if head.startswith(HDF5_SIGNATURE):
        return "HDF5"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if is_dicom(head):
        return "DICOM"
    return "NIfTI" if is_nifti(head) else None


@dataclass(frozen=True)
class _Content:
    """What one reader reads: a file, or the content of a gzip file held in memory.

    ``name`` is the name that claims a format (gzip content: the file's name without
    ``.gz``); ``data`` is set for gzip content (at most ``MAX_TEXT_BYTES + 1`` bytes held)
    and ``path`` for a file.
    """

    name: str
    size: int
    path: Path | None = None
    data: bytes | None = None

    def head(self, n: int) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with open(self.path, "rb") as f:  # type: ignore[arg-type]
            return f.read(n)

    def signature_hits(self) -> list[tuple[str, str, str]]:
        return _signature_hits(self.data) if self.data is not None else _signature_findings(self.path)  # type: ignore[arg-type]

    def file(self, what: str) -> Path:
        """The file, for a reader that needs one (HDF5, gzip): gzip content has none."""
        if self.path is None:
            raise ValueError(f"{what} inside gzip is not read")
        return self.path


def _format_of(content: _Content) -> str | None:
    """The format ``content`` claims (suffix or signature); a broken claim raises ValueError."""
    claimed, sniffed = claimed_format(content.name), sniffed_format(content.head(4096))
    if claimed is None:
        return sniffed
    suffix = os.path.splitext(content.name.lower())[1]
    if content.size == 0:
        raise ValueError(f"empty file named *{suffix}: not {claimed}")
    if sniffed not in (None, claimed):
        raise ValueError(f"named *{suffix} but its content is {sniffed}")
    return claimed


def _json_content_findings(content: _Content) -> list[tuple[str, str, str]]:
    if content.size > MAX_TEXT_BYTES:
        raise ValueError(f"JSON larger than {MAX_TEXT_BYTES} bytes: not read")
    return list(_json_findings(load_json(content.head(content.size).decode("utf-8-sig"))))


def _nifti_content_findings(content: _Content) -> list[tuple[str, str, str]]:
    end = nifti_header_bytes(content.head(NIFTI2_HEADER_SIZE + 4), content.size)
    return _nifti_findings(content.head(end), content.size) + content.signature_hits()


def _png_content_findings(content: _Content) -> list[tuple[str, str, str]]:
    data = content.head(content.size)
    return _png_findings(data) + _signature_hits(data)


def _npz_content_findings(content: _Content) -> list[tuple[str, str, str]]:
    hits = _npz_findings(content.path or io.BytesIO(content.data))
    # the whole file too (bytes outside the members), unless a member showed the signature
    seen = {text for _, kind, text in hits if kind == "dicom_header"}
    return hits + [h for h in content.signature_hits() if h[2] not in seen]


def _plain_findings(content: _Content) -> list[tuple[str, str, str]]:
    """Content that claims no format: text by line (or JSON), else a signature search."""
    if content.size <= MAX_TEXT_BYTES and _looks_like_text(content.head(4096)):
        return _text_findings_of(content.head(content.size).decode("utf-8", "replace"))
    return content.signature_hits()


#: Format -> reader of a content claiming it (None: claims nothing).
_READERS: Mapping[str | None, Callable[[_Content], list[tuple[str, str, str]]]] = {
    "PNG": _png_content_findings,
    "HDF5": lambda c: _hdf5_findings(c.file("HDF5")) + c.signature_hits(),
    "DICOM": lambda c: _dicom_findings(parse_dicom(c.head(c.size))),
    "NIfTI": _nifti_content_findings,
    "JSON": _json_content_findings,
    "npz": _npz_content_findings,
    "gzip": lambda c: _gzip_findings(c.file("gzip")),
    None: _plain_findings,
}


def _content_findings(content: _Content) -> list[tuple[str, str, str]]:
    return _READERS[_format_of(content)](content)


def _gunzip(path: Path, keep: int) -> tuple[bytes, int]:
    """The first ``keep`` bytes of a gzip file's content and its whole size.

    The content is decompressed to the end, every member's CRC and length checked
    (:mod:`gzip` raises on a truncated stream, a bad CRC or trailing garbage).
    """
    kept, total = bytearray(), 0
    with gzip.open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if len(kept) < keep:
                kept += chunk[: keep - len(kept)]
            total += len(chunk)
    return bytes(kept), total


def _gzip_findings(path: Path) -> list[tuple[str, str, str]]:
    """A gzip file's content, read as what it claims (a NIfTI: header and extensions only;
    anything else whole, up to MAX_TEXT_BYTES)."""
    data, total = _gunzip(path, MAX_TEXT_BYTES + 1)
    inner = path.name[: -len(".gz")] if path.name.lower().endswith(".gz") else ""
    content = _Content(inner, total, data=data)
    if total > MAX_TEXT_BYTES and _format_of(content) != "NIfTI":
        raise ValueError(f"gzip content is larger than {MAX_TEXT_BYTES} bytes: not read")
    return _content_findings(content)


def scan_file(path: Path) -> list[Finding]:
    """Every finding in one file (see the module docstring for the carriers read).

    A file that cannot be read, or does not parse as the format its suffix or signature
    claims, gives one ``unscannable`` finding naming the error.
    """
    path = Path(path)
    try:
        hits = _content_findings(_Content(path.name, path.stat().st_size, path=path))
    except Exception as exc:  # whatever the parse error, the file is reported, never passed
        hits = [("(file)", "unscannable", _clip(f"{type(exc).__name__}: {exc}"))]
    return [Finding(path, loc, kind, text) for loc, kind, text in dict.fromkeys(hits)]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files below ``paths`` (files themselves, directories walked), each in sorted order.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    """
    for p in paths:
        p = Path(p)
        if p.is_file():
            yield p
        elif p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames.sort()
                for name in sorted(filenames):
                    yield Path(dirpath) / name
        else:
            raise FileNotFoundError(f"{p} does not exist")


def scan(paths: Iterable[Path]) -> list[Finding]:
    """Scan files and directories (recursively, in sorted order) for identifiers.

    Parameters
    ----------
    paths : files or directories.

    Returns
    -------
    list of Finding
        Empty when nothing was found; in file order, then in order within each file.
    """
    findings: list[Finding] = []
    for path in iter_files(paths):
        findings += scan_file(path)
    return findings
