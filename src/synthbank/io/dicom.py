"""A strict reader of little-endian DICOM: every element of a file, sequences flattened.

:func:`parse_dicom` reads a Part-10 file (128-byte preamble, ``DICM``, the file meta
group) or a bare data set, in the explicit, implicit or deflated little-endian transfer
syntax. Element values stay bytes; nothing is interpreted beyond the structure, and any
structural fault (a truncated element, an element running past its container, a bad VR)
raises :class:`DicomError` instead of being skipped. Two callers rely on that: the pixel
reader of the ``public`` family and the no-PHI scanner (:mod:`synthbank.phi.dicom`),
which must see every element (file meta, private tags, sequence items) and report what
it cannot parse. This module knows nothing about identifiers, so editing a PHI rule
does not touch what production reads.

Hand-written, not pydicom: pydicom 3.0.2 reads a truncated file without an error (the
last elements are dropped or cut) and switches an explicit-VR file to implicit VR when
a VR looks wrong, so a broken file would pass the scanner unread.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
#: VRs whose explicit-VR element header has a reserved field and a 4-byte length.
LONG_VRS = frozenset(("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"))
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
TRANSFER_SYNTAX_UID = 0x00020010
PIXEL_DATA = 0x7FE00010

#: VRs of the image pixel module and the transfer syntax, for implicit-VR files (whose
#: elements do not carry their VR): what :func:`parse_dicom` assumes by default.
PIXEL_VRS: Mapping[int, str] = {
    TRANSFER_SYNTAX_UID: "UI",
    0x00280002: "US", 0x00280004: "CS", 0x00280006: "US", 0x00280008: "IS", 0x00280010: "US",
    0x00280011: "US", 0x00280030: "DS", 0x00280100: "US", 0x00280101: "US", 0x00280103: "US",
    0x00281052: "DS", 0x00281053: "DS", PIXEL_DATA: "OW",
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
    def tag_text(self) -> str:
        """The tag as DICOM writes it: ``(0010,0010)``."""
        return f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X})"

    @property
    def where(self) -> str:
        """``path`` and the tag: ``(0010,1002)[0].(0010,0020)``."""
        return f"{self.path}{self.tag_text}"


@dataclass(frozen=True)
class DicomFile:
    """A parsed DICOM file: its transfer syntax and every element (sequences flattened)."""

    transfer_syntax: str
    elements: tuple[DicomElement, ...]


@dataclass(frozen=True)
class _Walk:
    """One pass over ``buf``: the encoding, the implicit-VR dictionary and the elements found."""

    buf: bytes
    explicit: bool
    vrs: Mapping[int, str]
    out: list[DicomElement]

    def header(self, pos: int) -> tuple[int, str, int, int]:
        """(tag, VR, value length, value start) of the element header at ``pos``."""
        buf = self.buf
        if pos + 8 > len(buf):
            raise DicomError(f"truncated element header at byte {pos}")
        group, elem = struct.unpack_from("<HH", buf, pos)
        tag = (group << 16) | elem
        if group == 0xFFFE:
            return tag, "", struct.unpack_from("<I", buf, pos + 4)[0], pos + 8
        if not self.explicit:
            return tag, self.vrs.get(tag, ""), struct.unpack_from("<I", buf, pos + 4)[0], pos + 8
        vr = buf[pos + 4: pos + 6]
        if not (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90):
            raise DicomError(f"element ({group:04X},{elem:04X}) at byte {pos} has no valid VR")
        vr_text = vr.decode("ascii")
        if vr_text in LONG_VRS:
            if pos + 12 > len(buf):
                raise DicomError(f"truncated element header at byte {pos}")
            return tag, vr_text, struct.unpack_from("<I", buf, pos + 8)[0], pos + 12
        return tag, vr_text, struct.unpack_from("<H", buf, pos + 6)[0], pos + 8

    def elements(self, pos: int, end: int, path: str, stop_after_group: int | None = None) -> int:
        """Parse elements in ``buf[pos:end]``; return where parsing stopped."""
        buf, out = self.buf, self.out
        while pos < end:
            if stop_after_group is not None and struct.unpack_from("<H", buf, pos)[0] != stop_after_group:
                return pos
            tag, vr, length, start = self.header(pos)
            if tag in (_ITEM_END, _SEQ_END):
                return start
            # An item path repeats the enclosing path (path + element.where) below the top
            # level, as the scanner's finding locations always have.
            if length == _UNDEFINED:
                if vr not in ("SQ", "UN", "OB", "OW", "") and tag != PIXEL_DATA:
                    raise DicomError(f"undefined length on a {vr} element at byte {pos}")
                out.append(DicomElement(tag, "SQ" if tag != PIXEL_DATA else vr, b"", path))
                pos = self.items(start, end, f"{path}{out[-1].where}", tag == PIXEL_DATA)
                continue
            if start + length > end:
                raise DicomError(f"element at byte {pos} runs past the end ({length} bytes)")
            value = buf[start: start + length]
            if vr == "SQ" or (not self.explicit and value[:4] == b"\xfe\xff\x00\xe0"):
                out.append(DicomElement(tag, "SQ", b"", path))
                self.items(start, start + length, f"{path}{out[-1].where}", False)
            else:
                out.append(DicomElement(tag, vr, value, path))
            pos = start + length
        return pos

    def items(self, pos: int, end: int, path: str, fragments: bool) -> int:
        """Parse the items of a sequence (or skip pixel fragments); return where it ended."""
        index = 0
        while pos < end:
            tag, _, length, start = self.header(pos)
            if tag == _SEQ_END:
                return start
            if tag != _ITEM:
                raise DicomError(f"expected a sequence item at byte {pos}")
            if fragments:  # encapsulated pixel data: opaque fragments
                pos = start + length
                continue
            prefix = f"{path}[{index}]."
            if length == _UNDEFINED:
                pos = self.elements(start, end, prefix)
            else:
                self.elements(start, start + length, prefix)
                pos = start + length
            index += 1
        return pos


def is_dicom(head: bytes) -> bool:
    """True if the first 132 bytes carry the DICOM preamble magic."""
    return head[128:132] == b"DICM"


def parse_dicom(data: bytes, vrs: Mapping[int, str] = PIXEL_VRS) -> DicomFile:
    """Parse a DICOM file (Part 10: preamble, ``DICM``, meta group) or a bare data set.

    Parameters
    ----------
    data : the whole file.
    vrs : tag -> VR, for the elements of an implicit-VR data set (which carry no VR);
        a tag not listed gets VR ``""``. Default :data:`PIXEL_VRS`.

    Returns
    -------
    DicomFile
        Little-endian transfer syntaxes (explicit, implicit, deflated); element values
        kept as bytes, sequences flattened with their item path.

    Raises
    ------
    DicomError
        Naming the first structural fault (big-endian files are refused too).
    """
    pos = 132 if is_dicom(data) else 0
    out: list[DicomElement] = []
    if pos:
        pos = _Walk(data, True, vrs, out).elements(pos, len(data), "", stop_after_group=0x0002)
    syntax = next((e.value.decode("ascii", "replace").strip("\x00 ") for e in out if e.tag == TRANSFER_SYNTAX_UID), "")
    if not syntax:  # no meta group: guess from the first element's VR bytes
        syntax = EXPLICIT_LE if len(data) > pos + 6 and data[pos + 4: pos + 6].isalpha() and data[pos + 4: pos + 6].isupper() else IMPLICIT_LE
    if syntax == EXPLICIT_BE:
        raise DicomError("big-endian DICOM is not supported")
    if syntax == DEFLATED_LE:
        data, pos = zlib.decompress(data[pos:], -15), 0
    _Walk(data, syntax != IMPLICIT_LE, vrs, out).elements(pos, len(data), "")
    return DicomFile(syntax, tuple(out))
