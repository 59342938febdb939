"""The rules of the no-PHI check: what counts as an identifier, in text and in named fields.

*Text rules* (:data:`TEXT_RULES`) look at any text: DICOM person names ``LAST^FIRST``,
labelled values (``Name: Jane Doe``, ``DOB: 1950-01-02``, ``MRN: 12345``, quoted labels
too), e-mail addresses, SSNs, phone numbers, street addresses, IPv4 addresses, URLs whose
query names a person or record. *Field rules* (:data:`FIELD_KINDS`) look at the name of a
structured field (JSON key, HDF5 attribute, PNG keyword, DICOM keyword, npz member or
record field): ``PatientName``, ``dob``, ``mrn``, ``email``... with a non-empty value.

Everything here works on text and parsed values; the carriers (:mod:`.dicom`, :mod:`.png`,
:mod:`.nifti`, :mod:`.containers`) read files and hand their fields to :func:`scan_field`
and :func:`scan_text`. Parsed JSON is walked here (:func:`json_findings`) because a field
whose value holds JSON text is read by key too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def clip(text: str) -> str:
    """``text`` on one line (whitespace runs made one space), cut to :data:`MAX_TEXT` characters."""
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
            hit = (kind, clip(m.group(0)))
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
        hits.append((kind, clip(f"{name}={text}")))
    elif key in _AGE_FIELDS and _age_over_89(text):
        hits.append(("age_over_89", clip(f"{name}={text}")))
    if isinstance(value, str):  # text rules, except a kind the field rule already named
        named = {k for k, _ in hits}
        nested = _json_or_none(text)
        if nested is not None:  # JSON text (the core HDF5 writer stores dicts so): walked by key
            found = [(k, t) for _, k, t in json_findings(nested)]
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


def json_findings(node: Any, where: str = "$", key: str = "") -> Iterator[tuple[str, str, str]]:
    """(location, kind, text) of every finding in parsed JSON ``node`` found at ``where``.

    Object keys are read as text and as field names of their values; a non-empty object
    under an identifier field name (``{"dob": {"year": 1950}}``) is a finding itself.
    Locations are key paths: ``$.key[0].sub``, ``$["key with spaces"]``.
    """
    if isinstance(node, dict):
        field_kind = FIELD_KINDS.get(normalise_field(key))
        if node and field_kind is not None:  # {"dob": {"year": 1950}}: an identifier field, structured
            yield where, field_kind, clip(f"{key}={json.dumps(node, sort_keys=True)}")
        for k, v in node.items():
            loc = f"{where}.{k}" if re.fullmatch(r"[A-Za-z_][\w-]*", str(k)) else f"{where}[{json.dumps(k)}]"
            for kind, text in scan_text(str(k)):
                yield loc, kind, text
            yield from json_findings(v, loc, str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from json_findings(v, f"{where}[{i}]", key)
    elif isinstance(node, (str, int, float)) and not isinstance(node, bool):
        for kind, text in scan_field(key, node):  # numbers: the field rule only
            yield where, kind, text
