"""DICOM as a PHI carrier: every element of a DICOM file, and DICOM headers hidden in others.

The structure is read by the core reader :mod:`synthbank.io.dicom` (strict: a file it
cannot parse is reported unscannable); this module names the tags (:data:`DICOM_TAGS`)
and reads element values with the rules. Element locations read
``(0010,0010) PatientName``, items of sequences ``(0010,1002)[0].(0010,0020) PatientID``.
"""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Mapping
from pathlib import Path

from synthbank.io.dicom import PIXEL_DATA, DicomElement, DicomFile, parse_dicom
from synthbank.phi.rules import clip, scan_field

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

#: Implicit-VR files carry no VRs: these are read from :data:`DICOM_TAGS`.
_VRS: Mapping[int, str] = {tag: vr for tag, (_, vr) in DICOM_TAGS.items()}
_TEXT_VRS = frozenset(("AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"))


def location(element: DicomElement) -> str:
    """Where ``element`` is: its item path, tag and keyword (``(0010,0010) PatientName``)."""
    keyword = DICOM_TAGS.get(element.tag, ("", ""))[0]
    return f"{element.where}{' ' + keyword if keyword else ''}"


def parse(data: bytes) -> DicomFile:
    """:func:`synthbank.io.dicom.parse_dicom` with the VRs of every tag the scanner names."""
    return parse_dicom(data, _VRS)


def dicom_findings(dicom: DicomFile) -> list[tuple[str, str, str]]:
    """(location, kind, text) of every finding in a parsed DICOM file, its ``preamble`` first.

    Every element with a text value (a text VR, or an unknown or ``UN`` VR holding
    printable bytes) is read as a field named by its keyword; a person name (PN) or date
    (DA, DT) is a finding even when no rule matches its value.
    """
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
            found.append(("person_name", clip(f"{keyword or 'PN'}={text}")))
        if e.vr in ("DA", "DT") and not any(k in ("date", "birth_date") for k, _ in found):
            found.append(("date", clip(f"{keyword or e.vr}={text}")))
        hits += [(location(e), k, t) for k, t in found]
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


def signature_hits(buf: bytes | mmap.mmap) -> list[tuple[str, str, str]]:
    """A finding ``byte N`` for the first occurrence of each of :data:`DICOM_SIGNATURES`."""
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
        """Read like ``raw.read(n)``, searching the bytes read (and the tail of the last read)."""
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


def signature_findings(path: Path) -> list[tuple[str, str, str]]:
    """:func:`signature_hits` of a whole file (memory-mapped, not read into memory)."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return []
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return signature_hits(mm)
