"""The walk of the no-PHI check: what each file claims to be, and its findings.

What a file is, is decided by what it claims to be: its content's signature (magic bytes,
:func:`sniffed_format`) and its name's suffix (:data:`SUFFIX_FORMATS`). A file that
claims a format is read by that format's carrier; one that claims nothing is read as
text (or JSON) when it is, otherwise searched for DICOM signatures. Gzip content is read
as what its name without ``.gz`` claims. Whatever goes wrong while reading a file makes
it one ``unscannable`` finding: never a crash, never a pass.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from synthbank.io.dicom import is_dicom
from synthbank.phi.containers import hdf5_findings, npz_findings
from synthbank.phi.dicom import dicom_findings, parse, signature_findings, signature_hits
from synthbank.phi.nifti import NIFTI2_HEADER_SIZE, is_nifti, nifti_findings, nifti_header_bytes
from synthbank.phi.png import PNG_SIGNATURE, png_findings
from synthbank.phi.rules import Finding, clip, json_findings, load_json, scan_text

#: The first bytes of an HDF5 file.
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Text files larger than this are scanned only for DICOM signatures.
MAX_TEXT_BYTES = 64 * 1024 * 1024


def _text_findings(text: str) -> list[tuple[str, str, str]]:
    """Findings of text, line by line (``line 12``)."""
    hits = []
    for n, line in enumerate(text.splitlines(), 1):
        hits += [(f"line {n}", k, t) for k, t in scan_text(line)]
    return hits


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
            return list(json_findings(load_json(text)))
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
        return signature_hits(self.data) if self.data is not None else signature_findings(self.path)  # type: ignore[arg-type]

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
    return list(json_findings(load_json(content.head(content.size).decode("utf-8-sig"))))


def _nifti_content_findings(content: _Content) -> list[tuple[str, str, str]]:
    end = nifti_header_bytes(content.head(NIFTI2_HEADER_SIZE + 4), content.size)
    return nifti_findings(content.head(end), content.size) + content.signature_hits()


def _png_content_findings(content: _Content) -> list[tuple[str, str, str]]:
    data = content.head(content.size)
    return png_findings(data) + signature_hits(data)


def _npz_content_findings(content: _Content) -> list[tuple[str, str, str]]:
    hits = npz_findings(content.path or io.BytesIO(content.data))
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
    "HDF5": lambda c: hdf5_findings(c.file("HDF5")) + c.signature_hits(),
    "DICOM": lambda c: dicom_findings(parse(c.head(c.size))),
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
    """Every finding in one file (:mod:`synthbank.phi` lists the carriers read).

    A file that cannot be read, or does not parse as the format its suffix or signature
    claims, gives one ``unscannable`` finding naming the error.
    """
    path = Path(path)
    try:
        hits = _content_findings(_Content(path.name, path.stat().st_size, path=path))
    except Exception as exc:  # whatever the parse error, the file is reported, never passed
        hits = [("(file)", "unscannable", clip(f"{type(exc).__name__}: {exc}"))]
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
